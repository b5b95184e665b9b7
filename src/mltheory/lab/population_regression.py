"""Population regression: many small ReLU networks fitted to real-valued targets at once.

:func:`train_population_mse` is the squared-error counterpart of
:func:`mltheory.lab.population.train_population` (which trains classifiers with SGD and
cross-entropy): the members of a :class:`~mltheory.lab.population.PopulationMLP` (stacked
weights ``(M, out, in)``, batched products) are trained together with Adam on each member's
own mean squared error, on the training engine's loop (checkpoints, resume, progress).
Approximation experiments need it: a sweep over widths, input dimensions, targets and restarts
is many small regressions of one shape per width, which one batched computation trains for the
overhead of one.

Members are independent: the loss minimised is the *sum* of the members' mean squared errors,
so each member's gradient is its own, and Adam's moments are per parameter element, so member
``i`` follows exactly the trajectory (to floating-point rounding) of the same network trained
alone by ``torch.optim.Adam`` with the same batches, learning rate and schedule
(``tests/lab/test_population_regression.py``).

The forward and backward passes are the population's batched products under autograd (the
hand-written backward pass of ``PopulationMLP`` is cross-entropy's). ``batches(state)`` returns
one batch per step: inputs ``(M, B, in)`` (a batch per member) or ``(B, in)`` (shared) and
targets ``(M, B)`` (or ``(M, B, out)``); it may draw fresh samples from a generator kept in the
training state (``carry=``), which is then checkpointed with the weights and Adam's moments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import torch

from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.population import PopulationMLP

Batch = tuple[torch.Tensor, torch.Tensor]

# What a step costs beyond its matrix products, for :class:`~mltheory.lab.estimate.Workload`'s
# ``extra_flops`` and ``overhead_per_step``. These networks are thin (1 to a few dozen inputs,
# one output), so a step is mostly elementwise passes over the hidden activations (bias add,
# ReLU and its mask, the squared error, the outer products of a 1-wide layer), memory-bound
# work the "6 · params · batch" rule does not see, plus autograd's and Adam's Python. Measured
# 2026-11-30 in process CPU time on the project's 2-core machine (load ≈ 8, the conditions of
# estimate.CPU's calibration): 6–15 ns per hidden activation per step, ≈ 500 FLOPs at CPU's
# 52 GFLOP/s, and 2–4 ms of fixed cost per step, ≈ 20 of CPU's per-step overheads.
ELEMENTWISE_FLOPS_PER_ACTIVATION = 500.0
OVERHEADS_PER_STEP = 20.0


def elementwise_flops(steps: int, members: int, batch: int, hidden: int) -> float:
    """``extra_flops`` of ``steps`` steps of ``members`` networks with ``hidden`` units on
    batches of ``batch`` examples (see :data:`ELEMENTWISE_FLOPS_PER_ACTIVATION`)."""
    return ELEMENTWISE_FLOPS_PER_ACTIVATION * steps * members * batch * hidden


class _Weights:
    """A population's weights as a checkpointable state (restored without recording gradients:
    the weights are leaves that require them while training)."""

    def __init__(self, pop: PopulationMLP) -> None:
        self.pop = pop

    def state_dict(self) -> dict[str, list[torch.Tensor]]:
        return {k: [t.detach().clone() for t in v] for k, v in self.pop.state_dict().items()}

    def load_state_dict(self, saved: dict[str, list[torch.Tensor]]) -> None:
        with torch.no_grad():
            self.pop.load_state_dict(saved)


def member_mse(pop: PopulationMLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each member's mean squared error ``(M,)`` on inputs ``(M, B, in)`` or ``(B, in)`` and
    targets ``(M, B)`` (one output) or ``(M, B, out)``."""
    pred = pop(x)
    if y.dim() == 2:
        pred = pred[..., 0]
    err = (pred - y) ** 2
    return err.reshape(err.shape[0], -1).mean(1)


def train_population_mse(
    pop: PopulationMLP,
    batches: Callable[[TrainState], Batch],
    *,
    steps: int,
    lr: float,
    schedule: Literal["cosine", "constant"] = "cosine",
    ctx: RunContext | None = None,
    evaluate: Callable[[TrainState], Mapping[str, Any]] | None = None,
    eval_every: int | None = None,
    carry: Mapping[str, Any] | None = None,
    trained: Sequence[torch.Tensor] | None = None,
    description: str = "fitting population",
    log: Mapping[str, Any] | None = None,
) -> TrainState:
    """Adam on every member's mean squared error, in place, for ``steps`` steps.

    ``schedule="cosine"`` anneals the learning rate from ``lr`` to 0 over the run
    (``CosineAnnealingLR``); ``"constant"`` keeps it. ``carry``: more named things for the
    training state (generators the batch function draws from, records ``evaluate`` keeps); the
    state (``state.population`` is the population's weights, ``state.optimizer`` Adam) is
    returned after the loop. ``trained``: the population's tensors to train (default: every
    weight and bias); the others stay as they are. With ``ctx`` the loop checkpoints and
    resumes exactly.
    """
    params = pop.parameters() if trained is None else list(trained)
    if not all(any(p is q for q in pop.parameters()) for p in params):
        raise ValueError("trained must list tensors of the population (its weights and biases)")
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(params, lr=lr)
    things: dict[str, Any] = {"population": _Weights(pop), "optimizer": optimizer}
    if schedule == "cosine":
        things["scheduler"] = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max(steps, 1)
        )
    elif schedule != "constant":
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    for name in carry or {}:
        if name in things:
            raise ValueError(f"carry may not name {name!r}: the trainer keeps it")
    state = TrainState(**things, **(carry or {}))

    def step(state: TrainState, _: None) -> dict[str, torch.Tensor]:
        x, y = batches(state)
        loss = member_mse(pop, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()  # a sum: each member's gradient is its own loss's
        optimizer.step()
        if "scheduler" in things:
            state.scheduler.step()
        return {"loss": loss.detach()}

    try:
        train_loop(
            state,
            step,
            steps=steps,
            ctx=ctx,
            evaluate=evaluate,
            eval_every=eval_every,
            log=log,
            description=description,
        )
    finally:
        for p in params:
            p.requires_grad_(False)
            p.grad = None
    return state
