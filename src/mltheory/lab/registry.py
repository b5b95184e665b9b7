"""The catalog: every experiment module under ``mltheory.lab.experiments`` registers itself.

Discovery imports each module of the package once; there is no hand-kept list.
"""

from __future__ import annotations

import importlib
import pkgutil

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
    _discovered = True


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
