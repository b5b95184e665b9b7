"""Tiny experiments for the seeds and inner-axis tests (loaded via MLT_EXPERIMENT_MODULES).

``seeds-toy`` measures ``value = seed`` and its claim ``even-seed`` passes on even seeds only,
so over seeds 0..K-1 the pass rate and the mean's interval are known in closed form.
"""

from __future__ import annotations

from pydantic import Field

from mltheory.lab.context import RunContext
from mltheory.lab.inner_axis import InnerAxis
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(title="A seeds test fixture", authors="mltheory", year=2026, reproduces="nothing")


class SeedsConfig(ExperimentConfig):
    offset: float = Field(0.0, ge=-10, le=10, description="added to the measured value")
    crash_seed: int = Field(-1, description="the run with this seed raises (-1: none)")


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
    if ctx.seed == cfg.crash_seed:
        raise RuntimeError(f"seed {ctx.seed} crashes on purpose")
    return {"value": ctx.seed + cfg.offset, "even": ctx.seed % 2 == 0}


# ``axis-toy``: an inner axis over ``levels``; at level L member (cfg, seed) measures
# ``y = L·(1 + seed) + shift``. MEASURED records each call's (level, number of members).
MEASURED: list[tuple[float, int]] = []


class AxisConfig(ExperimentConfig):
    levels: list[float] = Field([1.0, 2.0, 4.0], min_length=2, description="the inner axis")
    shift: float = Field(0.0, ge=0, le=10, description="a batchable field")
    fail_at: float = Field(-1.0, description="measuring this level raises (-1: none)")


def measure_level(level: float, members, ctx: RunContext) -> list[dict]:
    if level == members[0].cfg.fail_at:
        raise RuntimeError(f"level {level} fails on purpose")
    MEASURED.append((level, len(members)))
    return [{"y": level * (1 + m.seed) + m.cfg.shift, "flat": 1.0} for m in members]


LEVELS = InnerAxis("level", points=lambda cfg: cfg.levels, measure=measure_level)


@experiment(
    "axis-toy",
    title="a curve over an inner axis (test fixture)",
    topic="testing-axis",
    paper=PAPER,
    config=AxisConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[Claim("rises", "y rises", "—", lambda m: (m["y"], m["y"][-1] > m["y"][0]))],
    batch_fields=("shift",),
    inner_axis=LEVELS,
)
def run_axis(cfg: AxisConfig, ctx: RunContext) -> dict:
    curves = LEVELS.sweep(cfg, ctx)
    return {**curves, "y_last": curves["y"][-1]}


# ``axis-toy-together``: the same curve, its levels measured as one population.
def measure_all_levels(point, members, ctx: RunContext) -> list[dict]:
    assert point is None
    MEASURED.append((None, len(members)))
    return [{"y": m.point * (1 + m.seed) + m.cfg.shift, "flat": 1.0} for m in members]


LEVELS_TOGETHER = InnerAxis(
    "level", points=lambda cfg: cfg.levels, measure=measure_all_levels, batch_points=True
)


@experiment(
    "axis-toy-together",
    title="a curve over an inner axis measured as one population (test fixture)",
    topic="testing-axis",
    paper=PAPER,
    config=AxisConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[Claim("rises", "y rises", "—", lambda m: (m["y"], m["y"][-1] > m["y"][0]))],
    batch_fields=("shift",),
    inner_axis=LEVELS_TOGETHER,
)
def run_together(cfg: AxisConfig, ctx: RunContext) -> dict:
    curves = LEVELS_TOGETHER.sweep(cfg, ctx)
    return {**curves, "y_last": curves["y"][-1]}
