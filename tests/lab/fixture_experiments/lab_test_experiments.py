"""Experiments that exist only for the lab's own tests (loaded via MLT_EXPERIMENT_MODULES).

``test-train`` trains a small MLP on scikit-learn's digits in two phases, long enough to be
killed part-way; ``test-crash`` raises; ``test-cifar`` needs CIFAR-10 files.
"""

from __future__ import annotations

from pydantic import Field

from mltheory.lab.context import RunContext
from mltheory.lab.data import corrupt_labels, load_digits
from mltheory.lab.data.cifar10 import check_cifar10
from mltheory.lab.figures import new_figure
from mltheory.lab.nn import MLP
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
from mltheory.lab.train import train_classifier

PAPER = Paper(title="A test fixture", authors="mltheory", year=2026, reproduces="nothing")


class TrainConfig(ExperimentConfig):
    steps: int = Field(200, ge=1, description="SGD steps per phase")
    width: int = Field(32, ge=1, le=4096, description="hidden width")
    lr: float = Field(0.1, gt=0, description="learning rate")
    noise_levels: list[float] = Field([0.0, 0.5], description="label noise per phase")


@experiment(
    "test-train",
    title="two-phase MLP training on digits (test fixture)",
    topic="testing",
    paper=PAPER,
    config=TrainConfig,
    scales={"smoke": {"steps": 60}, "cpu": {}, "paper": {"steps": 2000}},
    claims=[
        Claim(
            "fits",
            "clean labels are fit well",
            "train acc > 0.5",
            lambda m: (m["train_acc_0"], m["train_acc_0"] > 0.5),
        ),
        Claim(
            "cpu-only",
            "a claim checked only at cpu scale",
            "—",
            lambda m: (m["train_acc_0"], True),
            scales=("cpu", "paper"),
        ),
    ],
)
def run_train(cfg: TrainConfig, ctx: RunContext) -> dict:
    data = load_digits()

    def phase(noise: float) -> dict:
        g = ctx.generator(int(noise * 1000))
        y = corrupt_labels(data.y_train, noise, 10, g)
        model = MLP(data.input_dim, [cfg.width], 10)
        hist = train_classifier(
            model,
            data.x_train,
            y,
            steps=cfg.steps,
            batch_size=32,
            lr=cfg.lr,
            generator=g,
            ctx=ctx,
            x_test=data.x_test,
            y_test=data.y_test,
            eval_every=20,
            log={"noise": noise},
        )
        return hist.final()

    results = ctx.run_phases(cfg.noise_levels, phase, description="noise levels")
    fig, (ax,) = new_figure()
    ax.plot(cfg.noise_levels, [results[n]["train_acc"] for n in cfg.noise_levels], "o-")
    ctx.save_figure(fig, "train_acc")
    return {f"train_acc_{i}": results[n]["train_acc"] for i, n in enumerate(cfg.noise_levels)} | {
        f"test_acc_{i}": results[n]["test_acc"] for i, n in enumerate(cfg.noise_levels)
    }


class EmptyConfig(ExperimentConfig):
    pass


@experiment(
    "test-crash",
    title="always raises (test fixture)",
    topic="testing",
    paper=PAPER,
    config=EmptyConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[],
)
def run_crash(cfg: EmptyConfig, ctx: RunContext) -> dict:
    raise RuntimeError("deliberate failure in test-crash")


class CifarConfig(ExperimentConfig):
    @classmethod
    def check_data(cls, cfg: CifarConfig) -> None:
        check_cifar10()


@experiment(
    "test-cifar",
    title="needs CIFAR-10 files (test fixture)",
    topic="testing-data",
    paper=PAPER,
    config=CifarConfig,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[],
)
def run_cifar(cfg: CifarConfig, ctx: RunContext) -> dict:
    return {}
