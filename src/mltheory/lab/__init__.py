"""The lab: runnable, checked reproductions of ML-theory papers, and the parts to build your own.

From Python (e.g. a notebook)::

    from mltheory.lab import run
    result = run("min-norm", scale="smoke", seed=0, n=30)
    result.claims, result.metrics, result.figures
"""

from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.estimate import plan
from mltheory.lab.registry import all_experiments, get
from mltheory.lab.runner import Result, run
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

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
    "run",
]
