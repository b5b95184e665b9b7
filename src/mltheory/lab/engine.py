"""The training engine: one loop for every kind of training, with exact checkpoint/resume.

A training run is a :class:`TrainState` (the named things it trains and carries: models,
optimizers, schedulers, generators, an environment, a privacy accountant, histories), a
*step function* ``step_fn(state, batch) -> metrics`` that does one update, and a source of
batches. :func:`train_loop` runs the steps and around them does what every experiment needs:

* **evaluation** every ``eval_every`` steps (and at the start and end, unless told not to)
  through ``evaluate(state) -> metrics``; every evaluation is kept in ``state.evaluations`` and
  logged to the run's ``metrics.jsonl``;
* **logging** of the step function's own metrics every ``log_every`` steps;
* **progress** bars on stderr (``RunContext.progress_bar``);
* **checkpoints**: with a :class:`~mltheory.lab.context.RunContext`, the state is saved now and
  then (atomically, by the context) through the ``state_dict()`` of everything in it, together
  with the batch source's position and every global RNG; a killed run started again resumes at
  its last checkpoint and ends bit-identical (on CPU) to one that was never interrupted.

What a state may hold, and how each kind is checkpointed (:meth:`TrainState.state_dict`):

* anything with ``state_dict()`` / ``load_state_dict()``: ``nn.Module`` s, optimizers (Opacus'
  ``DPOptimizer`` too), LR schedulers, Opacus accountants, environments written that way,
  batch sources; restored in place, so references held elsewhere stay valid;
* ``torch.Generator``, ``numpy.random.Generator``, ``random.Random``: their RNG states;
* plain values (numbers, strings, tensors, arrays, lists/dicts/tuples of them, dataclass
  instances such as histories): saved as they are and replaced on resume — read them back as
  ``state.name`` after the loop, not through a reference taken before it.

Anything else (an object without ``state_dict``, e.g. a third-party environment) stops a
checkpointed loop before its first step with a message naming it; a loop that cannot be resumed
says so with ``resumable=False`` and is then restarted from its first step when its run
resumes.

Building blocks: :func:`make_optimizer` (SGD, Adam, AdamW with decoupled weight decay),
:func:`make_scheduler` (schedules from ``torch.optim.lr_scheduler``), :func:`make_loader` (a
seeded ``DataLoader``), the batch sources :class:`TensorBatches` (in-memory tensors, fastest)
and :class:`LoaderBatches` (any ``DataLoader``, Opacus' Poisson loader included), and
:func:`supervised_step` (loss, backward, optimizer and schedule steps).

One resumable loop per checkpoint phase (``RunContext.run_phases``): a phase that trains several
things one after another (e.g. several runs) gives each its own phase, so that finished ones
are not trained again.

The supervised loop (``mltheory.lab.train.train_classifier``) and the population loop
(``mltheory.lab.population.train_population``) are built on this one; the tests show it also
carries two models with alternating steps (a GAN), an Opacus-wrapped model, optimizer and
Poisson-sampled loader, and an environment loop for reinforcement learning.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from mltheory.lab.context import RunContext, progress_bar


@runtime_checkable
class Stateful(Protocol):
    """What the engine checkpoints in place: ``torch.nn.Module``, ``torch.optim.Optimizer``,
    LR schedulers, Opacus accountants, batch sources, environments that implement it."""

    def state_dict(self) -> Any: ...

    def load_state_dict(self, state: Any) -> Any: ...


_PLAIN = (int, float, complex, str, bytes, bool, type(None), torch.Tensor, np.ndarray, np.generic)


def _is_plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(_is_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


class NotCheckpointable(TypeError):
    """A training state holds something the engine does not know how to save."""


def check_checkpointable(value: Any, name: str = "value") -> None:
    """Raise :class:`NotCheckpointable` now (naming ``name``) if :func:`state_of` would fail at
    the first checkpoint, which may come many steps later."""
    if isinstance(value, torch.Generator | np.random.Generator | random.Random | Stateful):
        return
    if _is_plain(value):
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_checkpointable(v, f"{name}[{i}]")
        return
    state_of(value, name)  # raises with the message


def state_of(value: Any, name: str = "value") -> Any:
    """What a checkpoint keeps of ``value`` (see the module docstring for the kinds)."""
    if isinstance(value, torch.Generator):
        return value.get_state()
    if isinstance(value, np.random.Generator):
        return value.bit_generator.state
    if isinstance(value, random.Random):
        return value.getstate()
    if isinstance(value, Stateful):
        return value.state_dict()
    if _is_plain(value):
        return value
    if isinstance(value, list | tuple):  # e.g. one generator per member
        return [state_of(v, f"{name}[{i}]") for i, v in enumerate(value)]
    raise NotCheckpointable(
        f"training state field {name!r} ({type(value).__name__}) cannot be checkpointed: give it "
        "state_dict()/load_state_dict(), keep only plain values (numbers, tensors, lists, "
        "dicts, dataclasses) in the state, or declare the loop resumable=False"
    )


def load_state_of(value: Any, saved: Any) -> Any:
    """Restore ``value`` from :func:`state_of`'s output: in place where it can be; returns the
    value to keep (the saved one itself for plain values)."""
    if isinstance(value, torch.Generator):
        value.set_state(saved)
    elif isinstance(value, np.random.Generator):
        value.bit_generator.state = saved
    elif isinstance(value, random.Random):
        value.setstate(saved)
    elif isinstance(value, Stateful):
        value.load_state_dict(saved)
    elif isinstance(value, list | tuple) and not _is_plain(value):
        return type(value)(load_state_of(v, s) for v, s in zip(value, saved, strict=True))
    else:
        return saved
    return value


class TrainState:
    """The named things a training loop trains and carries, plus the engine's own counters.

    ``TrainState(model=net, optimizer=opt, generator=g, history=TrainHistory())``; the step
    function and hooks read and write them as attributes (``state.model``). ``step`` counts the
    updates done; ``evaluations`` holds every evaluation's metrics with its step.
    """

    def __init__(self, **things: Any) -> None:
        self.step = 0
        self.evaluations: list[dict[str, Any]] = []
        self._evaluated_at: int | None = None
        for name, value in things.items():
            setattr(self, name, value)

    def names(self) -> list[str]:
        return [k for k in vars(self) if not k.startswith("_")]

    def state_dict(self) -> dict[str, Any]:
        out = {name: state_of(getattr(self, name), name) for name in self.names()}
        out["_evaluated_at"] = self._evaluated_at
        return out

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        missing = set(self.names()) ^ (set(saved) - {"_evaluated_at"})
        if missing:
            raise ValueError(
                f"the checkpoint's training state does not match this loop's: fields "
                f"{sorted(missing)} are in one and not the other"
            )
        for name in self.names():
            setattr(self, name, load_state_of(getattr(self, name), saved[name]))
        self._evaluated_at = saved["_evaluated_at"]

    def __repr__(self) -> str:
        return f"TrainState(step={self.step}, fields={self.names()})"


# --- batch sources -------------------------------------------------------------------------------


class TensorBatches:
    """Minibatches of in-memory tensors, reshuffled with ``generator`` whenever the rest of the
    epoch cannot fill a batch (the last partial batch of an epoch is dropped).

    Yields tuples ``(t[idx] for t in tensors)``; ``indices_only=True`` yields the index tensor
    instead (for a step function that gathers itself). Checkpointable: the permutation, the
    position in it and the generator's state."""

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        generator: torch.Generator,
        indices_only: bool = False,
    ) -> None:
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        self.tensors = tensors
        self.n = tensors[0].shape[0]
        self.batch_size = min(batch_size, self.n)
        self.generator = generator
        self.indices_only = indices_only
        self.device = tensors[0].device
        self.order = torch.randperm(self.n, generator=generator)
        self.pos = 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self.pos + self.batch_size > self.n:
            self.order, self.pos = torch.randperm(self.n, generator=self.generator), 0
        idx = self.order[self.pos : self.pos + self.batch_size].to(self.device)
        self.pos += self.batch_size
        if self.indices_only:
            return idx
        return tuple(t[idx] for t in self.tensors)

    def state_dict(self) -> dict[str, Any]:
        return {"order": self.order, "pos": self.pos, "generator": self.generator.get_state()}

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        self.order, self.pos = saved["order"], saved["pos"]
        self.generator.set_state(saved["generator"])


class LoaderBatches:
    """Batches from a ``torch.utils.data.DataLoader`` (or any re-iterable whose randomness comes
    from ``generator``: a shuffling sampler, Opacus' Poisson ``DPDataLoader``), epoch after
    epoch.

    Checkpointable without help from the loader: it keeps the generator's state at the start of
    the current epoch and how many batches of it were taken; resuming restores that state,
    starts the epoch again and skips those batches, so the rest of the epoch is the same (the
    skipped batches are loaded again, which costs what loading them costs)."""

    def __init__(self, loader: Iterable[Any], generator: torch.Generator | None = None) -> None:
        generator = generator if generator is not None else getattr(loader, "generator", None)
        if generator is None:
            raise ValueError(
                "LoaderBatches needs the generator the loader draws from (pass generator=, or "
                "build the loader with one: make_loader(..., generator=g)); without it a "
                "resumed run would see other batches"
            )
        self.loader, self.generator = loader, generator
        self.epoch, self.taken = 0, 0
        self._epoch_start: torch.Tensor | None = None
        self._it: Iterator[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        for _ in range(2):  # an exhausted epoch starts the next one; an empty loader stops
            if self._it is None:
                self._epoch_start = self.generator.get_state()
                self._it = iter(self.loader)
            try:
                batch = next(self._it)
            except StopIteration:
                self._it, self.epoch, self.taken = None, self.epoch + 1, 0
                continue
            self.taken += 1
            return batch
        raise ValueError("the data loader yields no batches")

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "taken": self.taken,
            "epoch_start": self._epoch_start if self._it is not None else None,
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        self.epoch, self.taken = saved["epoch"], saved["taken"]
        if saved["epoch_start"] is None:
            self._it = None
            self.generator.set_state(saved["generator"])
            return
        self.generator.set_state(saved["epoch_start"])
        self._epoch_start = saved["epoch_start"]
        self._it = iter(self.loader)
        for _ in range(self.taken):
            next(self._it)


def make_loader(
    data: torch.utils.data.Dataset | Sequence[torch.Tensor],
    *,
    batch_size: int,
    generator: torch.Generator,
    shuffle: bool = True,
    drop_last: bool = False,
) -> torch.utils.data.DataLoader:
    """A ``DataLoader`` over a dataset or in-memory tensors (``(x, y)``), drawing its order from
    ``generator`` only (no worker processes), so that :class:`LoaderBatches` resumes it exactly
    and Opacus' ``PrivacyEngine.make_private`` turns it into a Poisson-sampled loader on the
    same generator. For plain minibatch SGD on tensors, :class:`TensorBatches` is faster."""
    if not isinstance(data, torch.utils.data.Dataset):
        data = torch.utils.data.TensorDataset(*data)
    return torch.utils.data.DataLoader(
        data, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator
    )


# --- optimizers and schedules ------------------------------------------------------------------

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "linear", "step", "warmup-cosine")


def make_optimizer(
    params: nn.Module | Iterable[torch.Tensor] | Iterable[dict[str, Any]],
    name: str,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
) -> torch.optim.Optimizer:
    """``sgd`` (with ``momentum``; L2 ``weight_decay`` added to the gradient), ``adam`` (L2
    coupled to the gradient, as ``torch.optim.Adam``) or ``adamw`` (decoupled weight decay,
    Loshchilov & Hutter 2019). ``params``: a module or what ``torch.optim`` accepts."""
    if isinstance(params, nn.Module):
        params = params.parameters()
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")


def make_scheduler(
    optimizer: torch.optim.Optimizer,
    name: str,
    steps: int,
    *,
    warmup_steps: int = 0,
    step_size: int | None = None,
    gamma: float = 0.1,
    final_factor: float = 0.0,
) -> torch.optim.lr_scheduler.LRScheduler:
    """A ``torch.optim.lr_scheduler`` schedule over ``steps`` optimizer steps (call its
    ``step()`` after each optimizer step):

    ``constant``; ``cosine`` (annealed to ``final_factor``·lr at ``steps``); ``linear`` (from
    lr to ``final_factor``·lr); ``step`` (× ``gamma`` every ``step_size`` steps);
    ``warmup-cosine`` (linear warm-up over ``warmup_steps`` from lr/100, then cosine)."""
    lr_sched = torch.optim.lr_scheduler
    base = optimizer.param_groups[0]["lr"]
    if name == "constant":
        return lr_sched.ConstantLR(optimizer, factor=1.0, total_iters=0)
    if name == "cosine":
        return lr_sched.CosineAnnealingLR(optimizer, T_max=steps, eta_min=final_factor * base)
    if name == "linear":
        return lr_sched.LinearLR(
            optimizer, start_factor=1.0, end_factor=final_factor, total_iters=steps
        )
    if name == "step":
        if step_size is None or step_size < 1:
            raise ValueError("the 'step' schedule needs step_size ≥ 1")
        return lr_sched.StepLR(optimizer, step_size=step_size, gamma=gamma)
    if name == "warmup-cosine":
        if not 0 < warmup_steps < steps:
            raise ValueError(f"warmup-cosine needs 0 < warmup_steps < steps ({steps})")
        warmup = lr_sched.LinearLR(optimizer, start_factor=0.01, total_iters=warmup_steps)
        cosine = lr_sched.CosineAnnealingLR(
            optimizer, T_max=steps - warmup_steps, eta_min=final_factor * base
        )
        return lr_sched.SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
    raise ValueError(f"unknown schedule {name!r}; allowed: {', '.join(SCHEDULES)}")


def supervised_step(
    loss_fn: Callable[[TrainState, Any], torch.Tensor],
    optimizer: str = "optimizer",
    scheduler: str | None = None,
) -> Callable[[TrainState, Any], dict[str, float]]:
    """The step function of ordinary training: ``loss_fn(state, batch)``, backward, one step of
    ``state.<optimizer>`` (and of ``state.<scheduler>`` if named). Returns ``{"loss": …}``."""

    def step(state: TrainState, batch: Any) -> dict[str, float]:
        opt = getattr(state, optimizer)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(state, batch)
        loss.backward()
        opt.step()
        if scheduler is not None:
            getattr(state, scheduler).step()
        return {"loss": loss.detach()}

    return step


# --- the loop ------------------------------------------------------------------------------------


class _Checkpoint:
    """What the engine hands the run context: the state, the batch source's position and the
    loop's name (so that a checkpoint is never loaded into another loop)."""

    def __init__(self, name: str, state: TrainState, batches: Any) -> None:
        self.name, self.state, self.batches = name, state, batches

    def state_dict(self) -> dict[str, Any]:
        return {
            "loop": self.name,
            "state": self.state.state_dict(),
            # A callable draws from generators kept in the state: nothing of its own to save.
            "batches": None
            if self.batches is None or _draws(self.batches)
            else (state_of(self.batches, "batches")),
        }

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        if not isinstance(saved, Mapping) or "loop" not in saved:
            raise RuntimeError(
                "the checkpoint of this phase was not written by the training engine (an older "
                "version of the lab?): start the run again with --fresh"
            )
        if saved.get("loop") != self.name:
            raise RuntimeError(
                f"the checkpoint of this phase belongs to the training loop {saved.get('loop')!r},"
                f" not {self.name!r}: give each resumable loop its own phase (ctx.run_phases)"
            )
        self.state.load_state_dict(saved["state"])
        if self.batches is not None and not _draws(self.batches):
            load_state_of(self.batches, saved["batches"])


def _draws(batches: Any) -> bool:
    """Whether ``batches`` is a callable that draws a batch (rather than an iterator)."""
    return callable(batches) and not isinstance(batches, Iterator)


class _NotResumable:
    def __init__(self, name: str) -> None:
        self.name = name

    def state_dict(self) -> dict[str, Any]:
        return {"loop": self.name, "resumable": False}


def train_loop(
    state: TrainState,
    step_fn: Callable[[TrainState, Any], Mapping[str, Any] | None],
    *,
    steps: int,
    batches: Iterator[Any] | Callable[[], Any] | None = None,
    ctx: RunContext | None = None,
    evaluate: Callable[[TrainState], Mapping[str, Any]] | None = None,
    eval_every: int | None = None,
    eval_at_start: bool = True,
    eval_at_end: bool = True,
    stop: Callable[[TrainState], bool] | None = None,
    log_every: int | None = None,
    log: Mapping[str, Any] | None = None,
    description: str = "training",
    name: str | None = None,
    resumable: bool = True,
    hooks: Sequence[Callable[[TrainState], None]] = (),
) -> TrainState:
    """Run ``step_fn`` until ``state.step == steps`` (or ``stop(state)``), in place.

    ``batches``: an iterator (``TensorBatches``, ``LoaderBatches``, or any with
    ``state_dict``/``load_state_dict`` to be resumable exactly), a callable drawing a batch
    (from generators kept in the state), or ``None`` (the step gets ``None``: full-batch
    methods, environment loops whose environment lives in the state).

    ``evaluate(state)`` runs at every multiple of ``eval_every`` (at step 0 only with
    ``eval_at_start``) and once more at the end if the last step was not evaluated (unless
    ``eval_at_end=False``); its metrics are appended to ``state.evaluations`` and logged with
    ``step`` and the fields of ``log``. ``stop(state)``, checked before every step (after any
    evaluation), ends the loop early. ``log_every``: also log the step function's metrics
    every that many steps. ``hooks`` run after every step (before the checkpoint).

    With ``ctx``: progress bar, logging, and checkpoints at most every
    ``ctx.checkpoint_every_s`` seconds; if the run is resuming inside this loop, the loop first
    loads its checkpoint (``name``, default ``description``, must match). ``resumable=False``
    declares a loop whose state cannot be saved: it is never checkpointed, and a resumed run
    trains it again from its first step (with a message saying so).
    """
    if eval_every is not None and eval_every < 1:
        raise ValueError(f"eval_every must be ≥ 1, got {eval_every}")
    checkpoint = _Checkpoint(name or description, state, batches)
    if ctx is not None:
        if resumable:
            for field in state.names():
                check_checkpointable(getattr(state, field), field)
            if batches is not None and not _draws(batches):
                check_checkpointable(batches, "batches")
            ctx.restore(checkpoint)
        else:
            if ctx.phase_state() is not None:
                ctx.console.print(
                    f"[yellow]{checkpoint.name}: this training loop is not resumable (declared "
                    "resumable=False); it starts again from its first step[/yellow]"
                )
            # A marker instead of the state: a resumed run restarts this loop with every global
            # RNG where it was at the loop's start, so the restart replays the lost steps.
            ctx.checkpoint(_NotResumable(checkpoint.name), force=True)

    def next_batch() -> Any:
        if batches is None:
            return None
        if _draws(batches):
            return batches()
        return next(batches)

    def scheduled() -> bool:
        if evaluate is None or state._evaluated_at == state.step:
            return False
        if eval_every is None:
            return state.step == 0 and eval_at_start
        return state.step % eval_every == 0 and (state.step > 0 or eval_at_start)

    def do_eval() -> None:
        metrics = dict(evaluate(state))
        state._evaluated_at = state.step
        state.evaluations.append({"step": state.step, **metrics})
        if ctx is not None:
            ctx.log(step=state.step, **(log or {}), **metrics)

    with progress_bar(ctx, steps, description) as advance:
        advance(state.step)
        while True:
            if scheduled():
                do_eval()
            # After the evaluation: a stop condition may read it.
            if state.step >= steps or (stop is not None and stop(state)):
                break
            metrics = step_fn(state, next_batch())
            state.step += 1
            advance(1)
            for hook in hooks:
                hook(state)
            if ctx is not None:
                if log_every is not None and metrics and state.step % log_every == 0:
                    ctx.log(step=state.step, **(log or {}), **dict(metrics))
                if resumable:
                    ctx.checkpoint(checkpoint)
        if evaluate is not None and eval_at_end and state._evaluated_at != state.step:
            do_eval()
    return state
