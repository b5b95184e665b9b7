"""Differentially private training (DP-SGD, Abadi et al. 2016) on the engine, through Opacus.

Opacus does everything that makes the training private, and the accounting: per-example
gradients (``GradSampleModule``), clipping each to ``max_grad_norm`` and adding Gaussian noise of
standard deviation ``noise_multiplier · max_grad_norm`` to their sum (``DPOptimizer``), Poisson
sampling of every batch (``DPDataLoader``: each example joins a batch independently with
probability ``batch_size / n``, the sampling the accountant assumes), and the privacy
accountant (its RDP accountant, the successor of Abadi et al.'s moments accountant, or its PRV
accountant). Nothing here computes an ε.

:func:`train_private_classifier` puts this on the training engine
(:func:`mltheory.lab.engine.train_loop`), so that a killed run resumes exactly: the model, the
optimizer, the accountant's history, the noise generator and the sampler's generator are all
checkpointed. Its non-private twin is :func:`mltheory.lab.train.train_classifier`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mltheory.lab.context import RunContext
from mltheory.lab.engine import LoaderBatches, TrainState, make_loader, supervised_step, train_loop
from mltheory.lab.train import TrainHistory, evaluate_classifier

ACCOUNTANTS = ("rdp", "prv")


@contextmanager
def quiet_opacus() -> Iterator[None]:
    """Opacus' warnings that say nothing about a run: the secure RNG is off (these are
    reproducible experiments, seeded on purpose), and a full backward hook fires on the input
    layer."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Secure RNG turned off")
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        warnings.filterwarnings("ignore", message="Optimal order is the")
        yield


@dataclass
class PrivateRun:
    """What :func:`train_private_classifier` returns."""

    model: nn.Module  # the trained network (unwrapped from Opacus' GradSampleModule)
    history: TrainHistory  # evaluations; ``history.extra["epsilon"]``: ε spent so far
    epsilon: float  # ε after the last step, at ``delta``, from the accountant
    delta: float
    sample_rate: float  # each example's probability of joining a batch (1 / batches per epoch)
    steps: int


def epsilon_of(accountant: Any, delta: float) -> float:
    """ε spent so far at ``delta`` by an Opacus accountant (0 before the first step)."""
    if len(accountant) == 0:
        return 0.0
    with quiet_opacus():
        return float(accountant.get_epsilon(delta=delta))


def train_private_classifier(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    noise_multiplier: float,
    max_grad_norm: float,
    delta: float,
    sampling_generator: torch.Generator,
    noise_generator: torch.Generator,
    momentum: float = 0.0,
    accountant: str = "rdp",
    ctx: RunContext | None = None,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    eval_every: int = 100,
    description: str = "DP-SGD",
    log: dict[str, Any] | None = None,
    hooks: Sequence[Callable[[TrainState], None]] = (),
) -> PrivateRun:
    """DP-SGD with cross-entropy: Poisson batches of expected size ``batch_size`` drawn with
    ``sampling_generator``, per-example gradients clipped to ``max_grad_norm``, Gaussian noise
    of std ``noise_multiplier · max_grad_norm`` drawn with ``noise_generator``, SGD (with
    ``momentum``, applied to the noisy gradient, which is post-processing) at ``lr``.

    Evaluations every ``eval_every`` steps record train and test loss and accuracy and the ε
    spent so far at ``delta`` (``history.extra["epsilon"]``). With ``ctx`` the loop checkpoints
    and resumes like every engine loop; ``hooks`` run after every step (``train_loop``'s)."""
    if accountant not in ACCOUNTANTS:
        raise ValueError(f"unknown accountant {accountant!r}; allowed: {', '.join(ACCOUNTANTS)}")
    from opacus import PrivacyEngine

    loader = make_loader((x_train, y_train), batch_size=batch_size, generator=sampling_generator)
    with quiet_opacus():
        engine = PrivacyEngine(accountant=accountant)
        dp_model, optimizer, dp_loader = engine.make_private(
            module=model,
            optimizer=torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum),
            data_loader=loader,
            noise_multiplier=noise_multiplier,
            max_grad_norm=max_grad_norm,
            poisson_sampling=True,
            noise_generator=noise_generator,
        )
    state = TrainState(
        model=dp_model,
        optimizer=optimizer,
        accountant=engine.accountant,
        noise=noise_generator,
        history=TrainHistory(),
    )

    def loss(state: TrainState, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        return F.cross_entropy(state.model(xb), yb)

    def evaluate(state: TrainState) -> dict[str, float]:
        hist: TrainHistory = state.history
        hist.step.append(state.step)
        tr_loss, tr_acc = evaluate_classifier(state.model, x_train, y_train)
        hist.train_loss.append(tr_loss)
        hist.train_acc.append(tr_acc)
        if x_test is not None and y_test is not None:
            te_loss, te_acc = evaluate_classifier(state.model, x_test, y_test)
            hist.test_loss.append(te_loss)
            hist.test_acc.append(te_acc)
        hist.extra.setdefault("epsilon", []).append(epsilon_of(state.accountant, delta))
        return {
            "train_acc": tr_acc,
            "epsilon": hist.extra["epsilon"][-1],
            **({"test_acc": hist.test_acc[-1]} if hist.test_acc else {}),
        }

    dp_model.train()
    with quiet_opacus():
        train_loop(
            state,
            supervised_step(loss),
            steps=steps,
            batches=LoaderBatches(dp_loader, generator=sampling_generator),
            ctx=ctx,
            evaluate=evaluate,
            eval_every=eval_every,
            log=log,
            description=description,
            hooks=hooks,
        )
    return PrivateRun(
        model=state.model._module,
        history=state.history,
        epsilon=epsilon_of(state.accountant, delta),
        delta=delta,
        sample_rate=float(dp_loader.sample_rate),
        steps=state.step,
    )
