"""L∞ adversarial attacks: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018).

Both maximize a classifier's loss over the L∞ ball ``‖x' − x‖∞ ≤ ε`` intersected with the input
range (images: ``[0, 1]``), using only the gradient of the loss with respect to the input:

* **FGSM** (fast gradient sign method): one step ``x' = clip(x + ε·sign(∇ₓ L))``. For a model
  whose loss is a function of one linear score (a linear model with two classes) this is the
  exact maximizer over the ball: the worst perturbation moves every coordinate to a corner.
* **PGD** (projected gradient descent on the negative loss, Madry et al.'s "universal first-order
  adversary"): from a uniform random start in the ball, ``steps`` steps
  ``x' ← Π(x' + α·sign(∇ₓ L))`` where ``Π`` projects onto the ball (coordinate-wise clipping to
  ``[x − ε, x + ε]``) and then onto the input range. Madry et al.'s MNIST attack: ε = 0.3, 40
  steps of α = 0.01.

The attacks never touch the model's parameters' ``.grad`` (they differentiate with respect to
the input only) and leave its train/eval mode as they found it; the caller chooses the mode.
Every attack is described by an :class:`Attack` (name, ε, steps, step size, random start) so
that an experiment can report its strength beside the accuracy it produced.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

__all__ = ["Attack", "AttackResult", "accuracy_under", "attack_model", "fgsm", "pgd", "project"]


@dataclass(frozen=True)
class Attack:
    """An L∞ attack's full description: ``kind`` ``"fgsm"`` or ``"pgd"`` (or ``"none"``: the
    clean input), radius ``eps``, ``steps`` and ``step_size`` (FGSM: 1 step of ε), and whether
    PGD starts at a uniformly random point of the ball."""

    kind: str
    eps: float
    steps: int = 1
    step_size: float | None = None
    random_start: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("none", "fgsm", "pgd"):
            raise ValueError(f"unknown attack {self.kind!r}; allowed: none, fgsm, pgd")
        if self.eps < 0:
            raise ValueError(f"eps must be ≥ 0, got {self.eps}")
        if self.kind == "pgd" and (self.step_size is None or self.step_size < 0 or self.steps < 0):
            raise ValueError("PGD needs steps ≥ 0 and a step_size ≥ 0")

    @classmethod
    def clean(cls) -> Attack:
        return cls("none", 0.0, 0, 0.0, False)

    @classmethod
    def fgsm(cls, eps: float) -> Attack:
        return cls("fgsm", eps, 1, eps, False)

    @classmethod
    def pgd(cls, eps: float, steps: int, step_size: float, random_start: bool = True) -> Attack:
        return cls("pgd", eps, steps, step_size, random_start)

    def describe(self) -> str:
        """E.g. ``"PGD ε=0.3, 40 steps of 0.01, random start"``."""
        if self.kind == "none":
            return "clean (no attack)"
        if self.kind == "fgsm":
            return f"FGSM ε={self.eps:g} (1 step of {self.eps:g})"
        start = ", random start" if self.random_start else ""
        return f"PGD ε={self.eps:g}, {self.steps} steps of {self.step_size:g}{start}"

    def as_dict(self) -> dict[str, float | int | str | bool]:
        d = asdict(self)
        d["step_size"] = float(self.step_size or 0.0)
        return d

    def __call__(
        self,
        model: nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        clamp: tuple[float, float] | None = (0.0, 1.0),
        loss_fn: Loss = F.cross_entropy,
    ) -> torch.Tensor:
        """The adversarial inputs for ``(x, y)`` (``x`` itself for ``"none"``)."""
        if self.kind == "none":
            return x
        if self.kind == "fgsm":
            return fgsm(model, x, y, self.eps, clamp=clamp, loss_fn=loss_fn)
        return pgd(
            model,
            x,
            y,
            self.eps,
            steps=self.steps,
            step_size=float(self.step_size or 0.0),
            random_start=self.random_start,
            generator=generator,
            clamp=clamp,
            loss_fn=loss_fn,
        )


def project(
    x_adv: torch.Tensor, x: torch.Tensor, eps: float, clamp: tuple[float, float] | None
) -> torch.Tensor:
    """The nearest point (in every coordinate) of the L∞ ball of radius ``eps`` around ``x``,
    then of the input range ``clamp``. The ball's centre lies in the range, so the result is in
    both."""
    x_adv = torch.minimum(torch.maximum(x_adv, x - eps), x + eps)
    if clamp is not None:
        x_adv = x_adv.clamp(*clamp)
    return x_adv


def _input_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Loss):
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_fn(model(x), y)
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    clamp: tuple[float, float] | None = (0.0, 1.0),
    loss_fn: Loss = F.cross_entropy,
) -> torch.Tensor:
    """Goodfellow et al.'s fast gradient sign method: ``clip(x + ε·sign(∇ₓ loss))``."""
    if eps == 0:
        return x.detach().clone()
    grad = _input_gradient(model, x, y, loss_fn)
    return project(x.detach() + eps * grad.sign(), x.detach(), eps, clamp)


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    steps: int,
    step_size: float,
    random_start: bool = True,
    generator: torch.Generator | None = None,
    clamp: tuple[float, float] | None = (0.0, 1.0),
    loss_fn: Loss = F.cross_entropy,
) -> torch.Tensor:
    """Madry et al.'s PGD: a uniform random start in the ball (drawn from ``generator``) if
    ``random_start``, then ``steps`` signed-gradient steps of ``step_size``, each projected
    onto the ball and the input range. ``steps=0`` returns the (random) start."""
    x = x.detach()
    if eps == 0:
        return x.clone()
    x_adv = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator, device="cpu", dtype=x.dtype)
        x_adv = project(x + eps * (2 * noise.to(x.device) - 1), x, eps, clamp)
    for _ in range(steps):
        grad = _input_gradient(model, x_adv, y, loss_fn)
        x_adv = project(x_adv + step_size * grad.sign(), x, eps, clamp)
    return x_adv.detach()


@dataclass(frozen=True)
class AttackResult:
    """What an attack did to a labelled set: ``correct`` (a boolean per example: is the model
    still right on the attacked input?), the largest L∞ distance it moved an input, and the
    smallest and largest attacked input value (to check the ball and the range)."""

    correct: torch.Tensor
    max_perturbation: float
    input_min: float
    input_max: float

    @property
    def accuracy(self) -> float:
        n = self.correct.numel()
        return float(self.correct.float().mean()) if n else float("nan")

    def violation(self, eps: float, clamp: tuple[float, float] | None = (0.0, 1.0)) -> float:
        """How far the attacked inputs left the ε-ball or the input range (0 when they never
        did; floating-point rounding is below 1e-6)."""
        out = max(0.0, self.max_perturbation - eps)
        if clamp is not None:
            out = max(out, clamp[0] - self.input_min, self.input_max - clamp[1])
        return out


def attack_model(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: Attack,
    *,
    generator: torch.Generator | None = None,
    clamp: tuple[float, float] | None = (0.0, 1.0),
    batch_size: int = 1024,
) -> AttackResult:
    """Attack every example of ``(x, y)`` (in batches) and record what :class:`AttackResult`
    holds. The model is put in eval mode for the attack and the prediction, then restored."""
    was_training = model.training
    model.eval()
    correct, moved = [], 0.0
    lo, hi = math.inf, -math.inf
    for i in range(0, x.shape[0], batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        x_adv = attack(model, xb, yb, generator=generator, clamp=clamp)
        with torch.no_grad():
            correct.append(model(x_adv).argmax(1) == yb)
        moved = max(moved, float((x_adv - xb).abs().max()))
        lo, hi = min(lo, float(x_adv.min())), max(hi, float(x_adv.max()))
    model.train(was_training)
    flags = torch.cat(correct) if correct else torch.zeros(0, dtype=torch.bool)
    return AttackResult(flags, moved, lo, hi)


def accuracy_under(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: Attack,
    *,
    generator: torch.Generator | None = None,
    clamp: tuple[float, float] | None = (0.0, 1.0),
) -> float:
    """The fraction of ``(x, y)`` that ``model`` still classifies right under ``attack``."""
    return attack_model(model, x, y, attack, generator=generator, clamp=clamp).accuracy
