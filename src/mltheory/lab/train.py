"""Training loops: seeded minibatch order, periodic evaluation, checkpoints that resume exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from mltheory.lab.context import RunContext, progress_bar


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


def make_optimizer(
    model: nn.Module, name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; allowed: sgd, adam")


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
    optimizer: Literal["sgd", "adam"] = "sgd",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eval_every: int = 100,
    fit_threshold: float | None = None,
    stop_at_fit: bool = False,
    description: str = "training",
    log: dict[str, Any] | None = None,
    on_eval: Callable[[nn.Module], dict[str, float]] | None = None,
) -> TrainHistory:
    """Minibatch training with cross-entropy, reshuffling each epoch with ``generator``.

    With ``ctx`` the loop checkpoints (model, optimizer, generator, step, history) and, when the
    run resumes, continues from the last checkpoint. Evaluations are logged to ``ctx`` with the
    extra fields in ``log`` (e.g. ``{"noise": 0.2}``).

    ``on_eval(model)``, called at every evaluation in eval mode without gradients, measures
    anything else along training (e.g. agreement with another classifier); its values are kept in
    ``history.extra`` (and so checkpointed and resumed with the history) and logged.
    """
    opt = make_optimizer(model, optimizer, lr, momentum, weight_decay)
    n = x_train.shape[0]
    batch_size = min(batch_size, n)
    hist, step, order, pos = TrainHistory(), 0, torch.randperm(n, generator=generator), 0
    saved = ctx.phase_state() if ctx is not None else None
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        hist, step, order, pos = saved["history"], saved["step"], saved["order"], saved["pos"]
    device = x_train.device

    def do_eval() -> None:
        tr_loss, tr_acc = evaluate_classifier(model, x_train, y_train)
        hist.step.append(step)
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
            hist.steps_to_fit = step
        if ctx is not None:
            ctx.log(step=step, **(log or {}), **{k: v[-1] for k, v in _series(hist).items() if v})

    model.train()
    with progress_bar(ctx, steps, description) as advance:
        advance(step)
        while step < steps:
            if step % eval_every == 0 and (not hist.step or hist.step[-1] != step):
                do_eval()
                if stop_at_fit and hist.steps_to_fit is not None:
                    break
            if pos + batch_size > n:
                order, pos = torch.randperm(n, generator=generator), 0
            idx = order[pos : pos + batch_size].to(device)
            pos += batch_size
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            step += 1
            advance(1)
            if ctx is not None:
                # The lambda runs (if at all) inside this call, so late binding is harmless.
                ctx.save_phase_state(
                    lambda: {  # noqa: B023
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "generator": generator.get_state(),
                        "history": hist,
                        "step": step,  # noqa: B023
                        "order": order,  # noqa: B023
                        "pos": pos,  # noqa: B023
                    }
                )
        if not hist.step or hist.step[-1] != step:
            do_eval()
    return hist


def _series(hist: TrainHistory) -> dict[str, list[float]]:
    return {
        "train_loss": hist.train_loss,
        "train_acc": hist.train_acc,
        "test_loss": hist.test_loss,
        "test_acc": hist.test_acc,
        **hist.extra,
    }
