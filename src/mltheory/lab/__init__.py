"""The lab: runnable, checked reproductions of ML-theory papers, and the parts to build your own.

From Python (e.g. a notebook)::

    from mltheory.lab import run
    result = run("min-norm", scale="smoke", seed=0, n=30)
    result.claims, result.metrics, result.figures

A student's own experiment file runs itself with a block at its end::

    if __name__ == "__main__":
        from mltheory.lab import main

        main(__file__)

The names below are imported on first use, so that ``mlt list`` and ``mlt --help`` (which
import this package) do not pay for torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "BadInput": "mltheory.lab.errors",
    "Claim": "mltheory.lab.spec",
    "ExperimentConfig": "mltheory.lab.spec",
    "Paper": "mltheory.lab.spec",
    "experiment": "mltheory.lab.spec",
    "Result": "mltheory.lab.runner",
    "run": "mltheory.lab.runner",
    "RunContext": "mltheory.lab.context",
    "all_experiments": "mltheory.lab.registry",
    "get": "mltheory.lab.registry",
    "main": "mltheory.lab.standalone",
    "plan": "mltheory.lab.estimate",
}

__all__ = [
    "BadInput",
    "Claim",
    "ExperimentConfig",
    "Paper",
    "Result",
    "RunContext",
    "all_experiments",
    "experiment",
    "get",
    "plan",
    "main",
    "run",
]

if TYPE_CHECKING:
    from mltheory.lab.context import RunContext
    from mltheory.lab.errors import BadInput
    from mltheory.lab.estimate import plan
    from mltheory.lab.registry import all_experiments, get
    from mltheory.lab.runner import Result, run
    from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
    from mltheory.lab.standalone import main


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mltheory.lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
