"""The catalog's manifest: what ``mlt list`` and ``mlt show`` print, read without importing
the experiments (torch alone takes seconds to import; a missing package must not break a list).

Why a generated file rather than reading the modules' source: ``PAPER``, ``Config``, ``SCALES``
and ``CLAIMS`` are Python (pydantic fields, computed strings, claim helpers), so the only
faithful description is the one the imported module gives. The manifest is that description,
written by importing every module once::

    python -m mltheory.lab.manifest          # rewrite src/mltheory/lab/experiments/manifest.json
    python -m mltheory.lab.manifest --check  # exit 1 if it is out of date (a test runs this)

Each module's entry carries the SHA-256 of its source: the registry imports a module whose
source no longer matches instead of trusting its entry.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltheory.lab import registry

if TYPE_CHECKING:
    from mltheory.lab.spec import Experiment


def config_fields(exp: Experiment) -> list[dict[str, Any]]:
    """Each config field: name, type, default, bounds (``ge``/``gt``/``le``/``lt``), description."""
    fields = []
    for fname, field_info in exp.config.model_fields.items():
        bounds = {}
        for m in field_info.metadata:
            for attr in ("ge", "gt", "le", "lt"):
                if getattr(m, attr, None) is not None:
                    bounds[attr] = getattr(m, attr)
        ann = field_info.annotation
        fields.append(
            {
                "name": fname,
                "type": getattr(ann, "__name__", str(ann).replace("typing.", "")),
                "default": field_info.default,
                "bounds": bounds,
                "description": field_info.description or "",
            }
        )
    return fields


def _docstring(module: Any) -> str:
    """The module's docstring as its file holds it now: read from the source, not the imported
    ``__doc__``, which is stale once ``mlt evidence`` has rewritten the file in this process."""
    if module is None:
        return ""
    path = getattr(module, "__file__", None)
    if path and path.endswith(".py") and Path(path).exists():
        return (ast.get_docstring(ast.parse(Path(path).read_text()), clean=False) or "").strip()
    return (module.__doc__ or "").strip()


def describe_experiment(exp: Experiment) -> dict[str, Any]:
    """The manifest entry of a registered experiment, as JSON would give it back."""
    module = sys.modules.get(exp.module)
    entry = {
        **exp.describe(),
        "module": exp.module,
        "requires": list(exp.requires),
        "config": config_fields(exp),
        "scale_overrides": exp.scales,
        "doc": _docstring(module),
    }
    return json.loads(json.dumps(entry, default=str))


def build() -> dict[str, Any]:
    """The manifest of the built-in experiments, made by importing each module."""
    import importlib

    modules = {}
    for module, path in sorted(registry.builtin_modules().items()):
        importlib.import_module(module)
        modules[module] = {
            "sha256": registry._source_hash(path),
            "experiments": [
                describe_experiment(e)
                for e in sorted(registry._EXPERIMENTS.values(), key=lambda e: e.name)
                if e.module == module
            ],
        }
    return {
        "generated_by": "python -m mltheory.lab.manifest",
        "modules": modules,
    }


def render(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render(build())
    path = registry.MANIFEST_PATH
    if "--check" in argv:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date; run: python -m mltheory.lab.manifest", file=sys.stderr)
            return 1
        print(f"{path} is up to date.")
        return 0
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
