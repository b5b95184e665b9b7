"""A tiny experiment for the sweep tests (loaded via MLT_EXPERIMENT_MODULES, never the catalog).

``sweep-toy`` measures ``y = x·width + 0.1·ε(seed)``. It can be slowed down (``sleep_s``, to be
killed part-way), made to crash for one width (``crash_width``), and it provides ``run_batch``
over ``width`` so that the sweep's automatic batching can be checked against single runs.
"""

from __future__ import annotations

import os
import time
from typing import Literal

import torch
from pydantic import Field

from mltheory.lab.context import RunContext
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(title="A sweep test fixture", authors="mltheory", year=2026, reproduces="nothing")

# Sizes of the populations run_batch was called with, in this process.
BATCH_CALLS: list[int] = []


class ToyConfig(ExperimentConfig):
    x: float = Field(1.0, ge=-10, le=10, description="slope")
    width: int = Field(4, ge=1, le=64, description="a batchable size")
    mode: Literal["plain", "shifted"] = Field("plain", description="adds 1 to y when shifted")
    crash_width: int = Field(0, ge=0, description="a cell with this width raises (0: none)")
    sleep_s: float = Field(0.0, ge=0, description="seconds each cell sleeps")


def _noise(seed: int) -> float:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, generator=g, dtype=torch.float64).item()


def _metrics(cfg: ToyConfig, seed: int, y: float) -> dict:
    return {
        "y": y,
        "width_seen": cfg.width,
        "nan_when_negative": float("nan") if cfg.x < 0 else cfg.x,
        "curve": [1.0, 2.0],  # lists, strings and booleans are not aggregated
        "pid": str(os.getpid()),
        "ok": True,
    }


def _check_crash(cfg: ToyConfig) -> None:
    if cfg.width == cfg.crash_width:
        raise RuntimeError(f"width {cfg.width} crashes on purpose")


def run_batch(cfgs: list[ToyConfig], seeds: list[int], ctx: RunContext) -> list[dict]:
    BATCH_CALLS.append(len(cfgs))
    for cfg in cfgs:
        _check_crash(cfg)
    time.sleep(max(c.sleep_s for c in cfgs))
    # One vectorised evaluation for the whole population.
    x = torch.tensor([c.x for c in cfgs], dtype=torch.float64)
    width = torch.tensor([c.width for c in cfgs], dtype=torch.float64)
    shift = torch.tensor([c.mode == "shifted" for c in cfgs], dtype=torch.float64)
    eps = torch.tensor([_noise(s) for s in seeds], dtype=torch.float64)
    ys = x * width + 0.1 * eps + shift
    return [_metrics(c, s, y) for c, s, y in zip(cfgs, seeds, ys.tolist(), strict=True)]


@experiment(
    "sweep-toy",
    title="y = x·width + noise (sweep test fixture)",
    topic="testing",
    paper=PAPER,
    config=ToyConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[
        Claim("y-positive", "y is positive", "y > 0", lambda m: (m["y"], m["y"] > 0)),
        Claim(
            "paper-only",
            "checked only at paper scale",
            "—",
            lambda m: (m["y"], True),
            scales=("paper",),
        ),
    ],
    batch_fields=("width",),
    run_batch=run_batch,
)
def run(cfg: ToyConfig, ctx: RunContext) -> dict:
    _check_crash(cfg)
    time.sleep(cfg.sleep_s)
    y = cfg.x * cfg.width + 0.1 * _noise(ctx.seed) + (cfg.mode == "shifted")
    return _metrics(cfg, ctx.seed, y)
