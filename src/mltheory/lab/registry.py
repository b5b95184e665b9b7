"""The catalog: which experiments exist, what they declare, and loading one to run it.

Listing and showing experiments never imports an experiment's run code (nor torch, nor the
packages it needs). The built-in experiments are described by ``experiments/manifest.json``,
generated from the real modules by ``python -m mltheory.lab.manifest`` (a test fails when it
is out of date). The manifest records each module's source hash: a module whose source changed
since (or that is new) is imported instead, so a stale manifest costs speed, never correctness.

Importing happens one module at a time and in isolation: a module that fails to import (a
package the user has not installed, a bug) is reported as broken and breaks nothing else.
Running an experiment imports only its own module, after checking that the packages it
``requires`` are installed (if not: :class:`BadInput` with the ``pip install`` command).

Students' own experiments join the catalog in any of three ways:

- ``mlt run path/to/my_experiment.py`` (or ``mltheory.lab.run("path/to/file.py")``);
- a package that declares an entry point in the group ``mltheory.experiments`` (its value is
  a module path; importing the module registers its experiments);
- ``MLT_EXPERIMENT_MODULES``: a ``os.pathsep``-separated list of module paths or ``.py`` files.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltheory.lab.errors import BadInput, unknown

if TYPE_CHECKING:
    from mltheory.lab.spec import Experiment

EXPERIMENTS_PACKAGE = "mltheory.lab.experiments"
EXPERIMENTS_DIR = Path(__file__).parent / "experiments"
MANIFEST_PATH = EXPERIMENTS_DIR / "manifest.json"
USER_MODULE_PREFIX = "mlt_user_experiments"

# Experiments registered by importing their modules (the @experiment decorator calls add()).
_EXPERIMENTS: dict[str, Experiment] = {}


@dataclass(frozen=True)
class ExperimentInfo:
    """What listing and showing an experiment needs, without its run code: the manifest entry
    (``describe()`` plus config fields, scale overrides, docstring, module and requirements)."""

    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def topic(self) -> str:
        return self.data["topic"]

    @property
    def module(self) -> str:
        return self.data["module"]

    @property
    def requires(self) -> list[str]:
        return list(self.data.get("requires", []))

    def missing(self) -> list[str]:
        """The required distributions that are not installed."""
        return [r for r in self.requires if not is_installed(r)]


@dataclass(frozen=True)
class BrokenModule:
    """An experiment module that could not be imported: where it is and the error's last line."""

    module: str
    origin: str  # the module path or file as the user named it
    error: str
    install: str | None = None  # the pip command, when the error is a missing package

    def as_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "origin": self.origin,
            "error": self.error,
            "install": self.install,
        }


@dataclass
class Catalog:
    experiments: dict[str, ExperimentInfo] = field(default_factory=dict)
    broken: list[BrokenModule] = field(default_factory=list)

    def topics(self) -> list[str]:
        return sorted({e.topic for e in self.experiments.values()})

    def sorted(self) -> list[ExperimentInfo]:
        return sorted(self.experiments.values(), key=lambda e: (e.topic, e.name))


def add(exp: Experiment) -> None:
    """Called by the ``@experiment`` decorator when a module is imported."""
    other = _EXPERIMENTS.get(exp.name)
    # A script run as ``python my_experiment.py`` registers under ``__main__`` and is then
    # loaded again as a module by ``mltheory.lab.main``; a student's file loaded later (an
    # edited copy, in a notebook) replaces an earlier one. A catalog name is never replaced.
    replaceable = other is None or other.module in (exp.module, "__main__")
    if not replaceable and not (
        other.module.startswith(USER_MODULE_PREFIX) and exp.module.startswith(USER_MODULE_PREFIX)
    ):
        raise TypeError(f"experiment name {exp.name!r} used by {other.module} and {exp.module}")
    _EXPERIMENTS[exp.name] = exp


# --- requirements -------------------------------------------------------------------------------


def is_installed(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import distribution as find

    try:
        find(distribution)
    except PackageNotFoundError:
        return False
    return True


def install_command(distributions: list[str]) -> str:
    """``pip install 'mltheory[extra]'`` when our extras provide them all, else the packages."""
    extras = _extras_providing(distributions)
    if extras:
        return f"pip install 'mltheory[{','.join(extras)}]'"
    return "pip install " + " ".join(distributions)


def _extras_providing(distributions: list[str]) -> list[str] | None:
    from importlib.metadata import PackageNotFoundError, requires

    try:
        reqs = requires("mltheory") or []
    except PackageNotFoundError:
        return None
    by_extra: dict[str, str] = {}  # distribution (normalised) -> extra
    for req in reqs:
        name, _, marker = req.partition(";")
        if "extra ==" not in marker:
            continue
        extra = marker.split("extra ==")[1].strip().strip("'\"")
        dist = _normalise(name.split("[")[0].split(">")[0].split("<")[0].split("=")[0])
        by_extra.setdefault(dist, extra)
    wanted = [by_extra.get(_normalise(d)) for d in distributions]
    if None in wanted:
        return None
    return sorted(set(wanted))  # type: ignore[arg-type]


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def check_requirements(name: str, requires: list[str] | tuple[str, ...]) -> None:
    """:class:`BadInput` with the ``pip install`` command when a required package is missing."""
    missing = [r for r in requires if not is_installed(r)]
    if missing:
        raise BadInput(
            f"{name} needs {', '.join(missing)}, which is not installed; "
            f"install it with: {install_command(missing)}"
        )


# --- discovery ----------------------------------------------------------------------------------


def _source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def builtin_modules() -> dict[str, Path]:
    """Every module of the experiments package with its file, found without importing any."""
    found: dict[str, Path] = {}

    def walk(directory: Path, prefix: str) -> None:
        for info in pkgutil.iter_modules([str(directory)]):
            if info.ispkg:
                walk(directory / info.name, f"{prefix}{info.name}.")
            else:
                found[prefix + info.name] = directory / f"{info.name}.py"

    walk(EXPERIMENTS_DIR, EXPERIMENTS_PACKAGE + ".")
    return found


def read_manifest() -> dict[str, Any]:
    if not MANIFEST_PATH.exists():
        return {"modules": {}}
    return json.loads(MANIFEST_PATH.read_text())


def _infos_of_module(module: str) -> list[ExperimentInfo]:
    """The experiments a freshly imported module registered, described as the manifest would."""
    from mltheory.lab.manifest import describe_experiment

    return [
        ExperimentInfo(describe_experiment(e)) for e in _EXPERIMENTS.values() if e.module == module
    ]


def _broken(module: str, origin: str, exc: BaseException) -> BrokenModule:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    install = None
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        install = install_command([exc.name.split(".")[0]])
    return BrokenModule(module, origin, last, install)


def _import_isolated(module: str, origin: str, catalog: Catalog, importer: Any) -> str | None:
    """Import one module (``importer()`` returns its registered name); a failure is recorded as
    a broken module. Returns the module name the experiments registered under, or None."""
    try:
        return importer()
    except Exception as exc:  # any error in someone's module: report it, go on with the rest
        catalog.broken.append(_broken(module, origin, exc))
        return None


@cache
def _builtin_catalog() -> Catalog:
    catalog = Catalog()
    modules = read_manifest().get("modules", {})
    for module, path in builtin_modules().items():
        entry = modules.get(module)
        if entry is not None and entry.get("sha256") == _source_hash(path):
            for data in entry["experiments"]:
                info = ExperimentInfo(data)
                catalog.experiments[info.name] = info
            continue
        # Changed or new since the manifest was written: the module itself is the truth.
        if _import_isolated(module, module, catalog, lambda m=module: _import(m)):
            for info in _infos_of_module(module):
                catalog.experiments[info.name] = info
    return catalog


def _import(module: str) -> str:
    importlib.import_module(module)
    return module


def user_module_items() -> list[str]:
    """Module paths and files from entry points and ``MLT_EXPERIMENT_MODULES``, in that order."""
    from importlib.metadata import entry_points

    items = [ep.value for ep in entry_points(group="mltheory.experiments")]
    items += [i for i in os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep) if i]
    return items


def catalog() -> Catalog:
    """Every experiment the user can run, and every module that could not be imported."""
    builtin = _builtin_catalog()
    result = Catalog(dict(builtin.experiments), list(builtin.broken))
    for item in user_module_items():
        module = _import_isolated(item, item, result, lambda i=item: import_experiment_module(i))
        if module is not None:
            for info in _infos_of_module(module):
                result.experiments[info.name] = info
    return result


def import_experiment_module(item: str) -> str:
    """Import a module path (``mypkg.my_experiment``) or a ``.py`` file, registering what it
    defines; returns the module's name in ``sys.modules``."""
    if not item.endswith(".py"):
        importlib.import_module(item)
        return item
    path = Path(item).resolve()
    if not path.is_file():
        raise BadInput(f"no experiment file {item}; give the path of a .py file.")
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    name = f"{USER_MODULE_PREFIX}.{path.stem}_{digest}"
    source = _source_hash(path)
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__mlt_source_sha256__", None) == source:
        return name  # an edited file (a notebook session) is imported again
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    module.__mlt_source_sha256__ = source  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return name


# --- the public lookups -------------------------------------------------------------------------


def names() -> list[str]:
    return sorted(catalog().experiments)


def topics() -> list[str]:
    return catalog().topics()


def info(name: str) -> ExperimentInfo:
    """The catalog entry of ``name`` or of a ``.py`` file's experiment (raises
    :class:`BadInput` naming the known ones)."""
    if is_path(name):
        from mltheory.lab.manifest import describe_experiment

        return ExperimentInfo(describe_experiment(load_file(name)))
    cat = catalog()
    try:
        return cat.experiments[name]
    except KeyError:
        err = unknown("experiment", name, cat.experiments)
        if cat.broken:
            err = BadInput(
                f"{err} {len(cat.broken)} experiment module(s) could not be imported; "
                "`mlt list` shows why."
            )
        raise err from None


def is_path(name: str) -> bool:
    """``mlt run`` takes a ``.py`` file (optionally ``FILE.py:NAME``) as well as a name."""
    return name.endswith(".py") or ".py:" in name


def load_file(target: str) -> Experiment:
    """The experiment a student's file defines (``FILE.py`` or ``FILE.py:NAME``). The file is
    also added to ``MLT_EXPERIMENT_MODULES``, so that subprocesses (sweep workers) find it."""
    path, _, wanted = target.partition(".py:")
    path = path if path.endswith(".py") else path + ".py"
    try:
        module = import_experiment_module(path)
    except BadInput:
        raise
    except ModuleNotFoundError as exc:
        broken = _broken(path, path, exc)
        raise BadInput(
            f"{path} cannot be imported ({broken.error}); install it with: {broken.install}"
        ) from None
    except Exception as exc:
        raise BadInput(f"{path} cannot be imported: {_broken(path, path, exc).error}") from None
    absolute = str(Path(path).resolve())
    modules = [i for i in os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep) if i]
    if absolute not in modules:
        os.environ["MLT_EXPERIMENT_MODULES"] = os.pathsep.join([*modules, absolute])
    defined = sorted(n for n, e in _EXPERIMENTS.items() if e.module == module)
    if not defined:
        raise BadInput(f"{path} defines no experiment; decorate its run function with @experiment.")
    if wanted:
        if wanted not in defined:
            raise unknown(f"experiment in {path}:", wanted, defined)
        return _EXPERIMENTS[wanted]
    if len(defined) > 1:
        raise BadInput(
            f"{path} defines {len(defined)} experiments ({', '.join(defined)}); "
            f"name one: mlt run {path}:{defined[0]}."
        )
    return _EXPERIMENTS[defined[0]]


def get(name: str) -> Experiment:
    """The runnable experiment ``name`` (or a ``.py`` file): imports its module only, after
    checking its requirements. Raises :class:`BadInput` when it cannot be run."""
    if is_path(name):
        exp = load_file(name)
    elif name in _EXPERIMENTS and _EXPERIMENTS[name].module != "__main__":
        exp = _EXPERIMENTS[name]
    else:
        entry = info(name)
        # Checked before the import, which would fail on the missing package.
        check_requirements(name, entry.requires)
        try:
            _import(entry.module)
        except ModuleNotFoundError as exc:
            broken = _broken(entry.module, entry.module, exc)
            raise BadInput(
                f"{name} cannot be imported ({broken.error}); install it with: {broken.install}"
            ) from None
        except Exception as exc:
            raise BadInput(
                f"{name} cannot be imported: {_broken(entry.module, entry.module, exc).error}"
            ) from None
        if name not in _EXPERIMENTS:
            raise BadInput(
                f"{entry.module} no longer defines {name}; "
                "regenerate the manifest: python -m mltheory.lab.manifest"
            )
        exp = _EXPERIMENTS[name]
    check_requirements(exp.name, exp.requires)
    return exp


def all_experiments() -> list[Experiment]:
    """Every experiment that can be loaded, imported (use :func:`catalog` to list without)."""
    loaded = []
    for entry in catalog().sorted():
        try:
            loaded.append(get(entry.name))
        except BadInput:
            continue
    return loaded
