"""A test experiment for the compute app: a few slow phases, each checkpointed by the lab, each
recording its index (see :func:`executions_file`) so a test can see which phases ran twice."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from pydantic import Field  # noqa: E402

from mltheory.lab import Claim, ExperimentConfig, Paper, RunContext, experiment  # noqa: E402


class Config(ExperimentConfig):
    phases: int = Field(4, ge=1, le=50, description="number of phases")
    phase_s: float = Field(0.0, ge=0, le=10, description="seconds each phase sleeps")
    crash: bool = Field(False, description="raise after the phases")


def executions_file(run_dir: Path) -> Path:
    """Where the phases of the run in ``run_dir`` are recorded: outside the run directory, which
    the lab resumes only when it holds nothing but its own files."""
    root = Path(os.environ.get("COMPUTE_TEST_EXECUTIONS") or tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    return root / (str(Path(run_dir).resolve()).strip("/").replace("/", "__") + ".txt")


@experiment(
    "compute-test-phases",
    title="phases that take a while (compute tests)",
    topic="tests",
    paper=Paper("a test", "nobody", 2026, "nothing"),
    config=Config,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[
        Claim(
            "all-phases",
            "every phase ran",
            "all",
            lambda m: (m["phases_run"], m["phases_run"] == m["phases"]),
        )
    ],
)
def run(cfg: Config, ctx: RunContext) -> dict:
    def phase(i: int) -> int:
        time.sleep(cfg.phase_s)
        with executions_file(ctx.out_dir).open("a") as f:
            f.write(f"{i}\n")
        ctx.log(phase=i)
        return i

    done = ctx.run_phases(list(range(cfg.phases)), phase)
    if cfg.crash:
        raise RuntimeError("this experiment crashes on purpose")
    fig, ax = plt.subplots()
    ax.plot(list(done), list(done.values()))
    ax.set_xlabel("phase")
    ctx.save_figure(fig, "phases")
    plt.close(fig)
    return {"phases": cfg.phases, "phases_run": len(done)}
