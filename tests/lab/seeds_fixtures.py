"""Tiny experiments for the seeds and inner-axis tests (loaded via MLT_EXPERIMENT_MODULES).

``seeds-toy`` measures ``value = seed`` and its claim ``even-seed`` passes on even seeds only,
so over seeds 0..K-1 the pass rate and the mean's interval are known in closed form.
"""

from __future__ import annotations

from pydantic import Field

from mltheory.lab.context import RunContext
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(title="A seeds test fixture", authors="mltheory", year=2026, reproduces="nothing")


class SeedsConfig(ExperimentConfig):
    offset: float = Field(0.0, ge=-10, le=10, description="added to the measured value")


@experiment(
    "seeds-toy",
    title="value = seed (seeds test fixture)",
    topic="testing-seeds",
    paper=PAPER,
    config=SeedsConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[
        Claim("even-seed", "passes on even seeds", "—", lambda m: (m["value"], m["even"])),
        Claim("always", "always passes", "—", lambda m: ([m["value"], 1.0], True)),
        Claim("sentence", "a measured sentence", "—", lambda m: ("same words", True)),
    ],
)
def run(cfg: SeedsConfig, ctx: RunContext) -> dict:
    return {"value": ctx.seed + cfg.offset, "even": ctx.seed % 2 == 0}
