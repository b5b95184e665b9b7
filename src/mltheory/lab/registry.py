"""The catalog: every experiment module under ``mltheory.lab.experiments`` registers itself.

Discovery imports each module of the package once; there is no hand-kept list. Students' own
experiments join the catalog in either of two ways:

- a package that declares an entry point in the group ``mltheory.experiments`` (its value is
  a module path; importing the module registers its experiments), or
- ``MLT_EXPERIMENT_MODULES``: a ``os.pathsep``-separated list of module paths or ``.py`` files.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

from mltheory.lab.errors import unknown
from mltheory.lab.spec import Experiment

_EXPERIMENTS: dict[str, Experiment] = {}
_discovered = False


def add(exp: Experiment) -> None:
    other = _EXPERIMENTS.get(exp.name)
    if other is not None and other.module != exp.module:
        raise TypeError(f"experiment name {exp.name!r} used by {other.module} and {exp.module}")
    _EXPERIMENTS[exp.name] = exp


def discover() -> None:
    global _discovered
    if _discovered:
        return
    import mltheory.lab.experiments as pkg

    for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
        importlib.import_module(info.name)
    for ep in entry_points(group="mltheory.experiments"):
        importlib.import_module(ep.value)
    for item in filter(None, os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep)):
        import_experiment_module(item)
    _discovered = True


def import_experiment_module(item: str) -> None:
    """Import a module path (``mypkg.my_experiment``) or a ``.py`` file, registering what it defines."""
    if item.endswith(".py"):
        path = Path(item).resolve()
        if not path.exists():
            raise FileNotFoundError(f"MLT_EXPERIMENT_MODULES names {item}, which does not exist")
        name = f"mlt_user_experiments.{path.stem}"
        if name in sys.modules:
            return
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        importlib.import_module(item)


def all_experiments() -> list[Experiment]:
    discover()
    return sorted(_EXPERIMENTS.values(), key=lambda e: (e.topic, e.name))


def names() -> list[str]:
    discover()
    return sorted(_EXPERIMENTS)


def topics() -> list[str]:
    return sorted({e.topic for e in all_experiments()})


def get(name: str) -> Experiment:
    discover()
    try:
        return _EXPERIMENTS[name]
    except KeyError:
        raise unknown("experiment", name, _EXPERIMENTS) from None
