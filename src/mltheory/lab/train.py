"""Supervised classifier training on the engine (``mltheory.lab.engine``): seeded minibatch order,
periodic evaluation, checkpoints that resume exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from mltheory.lab.context import RunContext
from mltheory.lab.engine import (
    TensorBatches,
    TrainState,
    make_optimizer,
    make_scheduler,
    supervised_step,
    train_loop,
)

__all__ = [
    "TrainHistory",
    "evaluate_classifier",
    "make_optimizer",
    "make_scheduler",
    "train_classifier",
]


@torch.no_grad()
def evaluate_classifier(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 8192
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``(x, y)``."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, x.shape[0], batch_size):
        logits = model(x[i : i + batch_size])
        loss_sum += F.cross_entropy(logits, y[i : i + batch_size], reduction="sum").item()
        correct += (logits.argmax(1) == y[i : i + batch_size]).sum().item()
    model.train(was_training)
    n = max(1, x.shape[0])
    return loss_sum / n, correct / n


@dataclass
class TrainHistory:
    """Evaluations during training, and the first step at which training accuracy reached the fit
    threshold (``None`` if it never did)."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    steps_to_fit: int | None = None
    # What ``on_eval`` measured at each evaluation, by name (aligned with ``step``).
    extra: dict[str, list[float]] = field(default_factory=dict)

    def final(self) -> dict[str, float]:
        return {
            "train_loss": self.train_loss[-1],
            "train_acc": self.train_acc[-1],
            "test_loss": self.test_loss[-1] if self.test_loss else float("nan"),
            "test_acc": self.test_acc[-1] if self.test_acc else float("nan"),
        }


def train_classifier(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
    ctx: RunContext | None = None,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    optimizer: Literal["sgd", "adam", "adamw"] | torch.optim.Optimizer = "sgd",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    scheduler: str | None = None,
    eval_every: int = 100,
    fit_threshold: float | None = None,
    stop_at_fit: bool = False,
    description: str = "training",
    log: dict[str, Any] | None = None,
    on_eval: Callable[[nn.Module], dict[str, float]] | None = None,
) -> TrainHistory:
    """Minibatch training with cross-entropy, reshuffling each epoch with ``generator``, on
    :func:`mltheory.lab.engine.train_loop`.

    ``optimizer``: ``sgd`` (with ``momentum``), ``adam``, ``adamw`` (decoupled
    ``weight_decay``) or an optimizer already built over ``model``'s parameters; ``scheduler``:
    a schedule name of :func:`~mltheory.lab.engine.make_scheduler` over ``steps``.

    With ``ctx`` the loop checkpoints (model, optimizer, schedule, generator, data order, step,
    history) and, when the run resumes, continues from the last checkpoint. Evaluations are
    logged to ``ctx`` with the extra fields in ``log`` (e.g. ``{"noise": 0.2}``).

    ``on_eval(model)``, called at every evaluation in eval mode without gradients, measures
    anything else along training (e.g. agreement with another classifier); its values are kept in
    ``history.extra`` (and so checkpointed and resumed with the history) and logged.
    """
    opt = (
        optimizer
        if isinstance(optimizer, torch.optim.Optimizer)
        else make_optimizer(model, optimizer, lr, momentum, weight_decay)
    )
    things: dict[str, Any] = {"model": model, "optimizer": opt, "history": TrainHistory()}
    if scheduler is not None:
        things["scheduler"] = make_scheduler(opt, scheduler, steps)
    state = TrainState(**things)
    batches = TensorBatches(x_train, y_train, batch_size=batch_size, generator=generator)

    def loss(state: TrainState, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        return F.cross_entropy(state.model(xb), yb)

    def evaluate(state: TrainState) -> dict[str, float]:
        hist: TrainHistory = state.history
        tr_loss, tr_acc = evaluate_classifier(model, x_train, y_train)
        hist.step.append(state.step)
        hist.train_loss.append(tr_loss)
        hist.train_acc.append(tr_acc)
        if x_test is not None and y_test is not None:
            te_loss, te_acc = evaluate_classifier(model, x_test, y_test)
            hist.test_loss.append(te_loss)
            hist.test_acc.append(te_acc)
        if on_eval is not None:
            model.eval()
            with torch.no_grad():
                measured = on_eval(model)
            model.train()
            for k, v in measured.items():
                hist.extra.setdefault(k, []).append(v)
        if fit_threshold is not None and hist.steps_to_fit is None and tr_acc >= fit_threshold:
            hist.steps_to_fit = state.step
        return {k: v[-1] for k, v in _series(hist).items() if v}

    model.train()
    train_loop(
        state,
        supervised_step(loss, scheduler="scheduler" if scheduler is not None else None),
        steps=steps,
        batches=batches,
        ctx=ctx,
        evaluate=evaluate,
        eval_every=eval_every,
        stop=(lambda s: s.history.steps_to_fit is not None) if stop_at_fit else None,
        log=log,
        description=description,
    )
    return state.history


def _series(hist: TrainHistory) -> dict[str, list[float]]:
    return {
        "train_loss": hist.train_loss,
        "train_acc": hist.train_acc,
        "test_loss": hist.test_loss,
        "test_acc": hist.test_acc,
        **hist.extra,
    }
