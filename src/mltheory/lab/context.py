"""``RunContext``: what an experiment's ``run`` gets besides its config.

It seeds Python, NumPy and torch; picks the device; logs metrics to ``metrics.jsonl``; shows
progress bars on stderr; saves and restores checkpoints so a killed run resumes; saves figures.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mltheory.lab import threads
from mltheory.lab.errors import BadInput
from mltheory.lab.store import strict_json_value

K = TypeVar("K")
MAIN_PHASE = "main"

CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.jsonl"


def resolve_device(requested: str | None) -> torch.device:
    """``None``/``"auto"``: CUDA when present, else CPU. An unavailable CUDA is bad input."""
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda" or requested.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise BadInput(
                "--device cuda was asked for but no CUDA device is available; use --device cpu"
            )
        return torch.device(requested)
    raise BadInput(f"unknown device {requested!r}; allowed: auto, cpu, cuda, cuda:N")


MAX_SEED = 2**32  # run seeds are 0 ≤ seed < MAX_SEED (NumPy's legacy seeding takes 32 bits)


def stream_seed_sequence(seed: int, name: str, *keys: int) -> np.random.SeedSequence:
    """The seed sequence of the stream ``name`` (with integer ``keys``, e.g. a level's index)
    of a run seeded with ``seed``.

    Streams are told apart by NumPy's ``SeedSequence`` spawn key, which here is an injective
    encoding of ``(name, *keys)``: the name's length, its UTF-8 bytes, then the keys. Two
    different (name, keys) therefore never share a spawn key, and no arithmetic on the seed is
    done that could overflow or make two streams coincide (as ``seed * K + offset`` did)."""
    if not 0 <= seed < MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    raw = name.encode()
    if not raw or any(not isinstance(k, int | np.integer) or k < 0 for k in keys):
        raise ValueError(f"a stream needs a non-empty name and non-negative integer keys: {keys}")
    return np.random.SeedSequence(seed, spawn_key=(len(raw), *raw, *(int(k) for k in keys)))


def numpy_stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """``RunContext(seed=seed).rng(name, *keys)`` without a context."""
    return np.random.default_rng(stream_seed_sequence(seed, name, *keys))


def stream_int_seed(seed: int, name: str, *keys: int) -> int:
    """A 63-bit integer seed of the stream, for APIs that take an int (``torch.manual_seed``)."""
    hi, lo = stream_seed_sequence(seed, name, *keys).generate_state(2, np.uint32)
    return (int(hi) << 32 | int(lo)) & (2**63 - 1)


def torch_stream(seed: int, name: str, *keys: int) -> torch.Generator:
    """``RunContext(seed=seed).torch_rng(name, *keys)`` without a context: a CPU generator."""
    return torch.Generator().manual_seed(stream_int_seed(seed, name, *keys))


def seeded_generator(seed: int, offset: int = 0) -> torch.Generator:
    """What ``RunContext(seed=seed).generator(offset)`` returns, without a context."""
    return torch_stream(seed, "generator", offset)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % MAX_SEED)
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class RunContext:
    """Everything a run needs from outside its config.

    Checkpoints: a run splits its work into phases with :meth:`run_phases` (e.g. one per noise
    level); inside a long phase, a training loop (``mltheory.lab.engine.train_loop``, which
    ``train_classifier`` and ``train_population`` use) calls :meth:`restore` once before its
    first step and :meth:`checkpoint` after each step (written at most every
    ``checkpoint_every_s`` seconds), both with an object that has ``state_dict()`` /
    ``load_state_dict()``. A checkpoint holds finished phases' results, the running phase's
    state, all global RNG states and the length of the metric log, written atomically, so a
    resumed run continues exactly where it stopped and ends with the same result as an
    uninterrupted one.
    """

    def __init__(
        self,
        out_dir: str | Path,
        seed: int = 0,
        device: str | torch.device | None = None,
        quiet: bool = False,
        scale: str = "cpu",
        checkpoint_every_s: float | None = None,
    ) -> None:
        threads.apply()  # one thread unless asked otherwise (see mltheory.lab.threads)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.scale = scale
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.quiet = quiet
        if checkpoint_every_s is None:
            checkpoint_every_s = float(os.environ.get("MLT_CHECKPOINT_EVERY_S", "20"))
        self.checkpoint_every_s = checkpoint_every_s
        self._last_checkpoint = time.monotonic()
        self._metric_rows = 0
        self.figures: list[str] = []
        self.console = Console(stderr=True, quiet=quiet)
        self.resumed_from: dict[str, Any] | None = None
        self._progress: Progress | None = None
        self._loaded = False
        self._saved: dict[str, Any] | None = None
        self._consumed = False
        self._done: dict[Any, Any] = {}
        self._phase: Any = MAIN_PHASE
        self._phase_start_rng: dict[str, Any] | None = None
        seed_everything(seed)

    # --- randomness -------------------------------------------------------------------------
    def rng(self, name: str, *keys: int) -> np.random.Generator:
        """The NumPy generator of the named stream (``ctx.rng("labels", level)``): derived from
        the run's seed so that no two (name, keys) collide; see :func:`stream_seed_sequence`."""
        return numpy_stream(self.seed, name, *keys)

    def torch_rng(self, name: str, *keys: int) -> torch.Generator:
        """The torch (CPU) generator of the named stream: ``ctx.torch_rng("order", level)``."""
        return torch_stream(self.seed, name, *keys)

    def int_seed(self, name: str, *keys: int) -> int:
        """An integer seed of the named stream, for APIs that take one (``torch.manual_seed``)."""
        return stream_int_seed(self.seed, name, *keys)

    def generator(self, offset: int = 0) -> torch.Generator:
        """A torch generator of the stream ``("generator", offset)``; prefer a named stream."""
        return seeded_generator(self.seed, offset)

    def numpy_rng(self, offset: int = 0) -> np.random.Generator:
        """The NumPy generator of the stream ``("numpy", offset)``; prefer a named stream."""
        return numpy_stream(self.seed, "numpy", offset)

    # --- metrics ----------------------------------------------------------------------------
    @property
    def metrics_path(self) -> Path:
        return self.out_dir / METRICS_FILE

    def log(self, **values: Any) -> None:
        """Append one row (e.g. ``step=10, phase="noise=0.2", train_acc=0.93``) to metrics.jsonl."""
        row = {k: _jsonable(v) for k, v in values.items()}
        with self.metrics_path.open("a") as f:
            f.write(json.dumps(row, allow_nan=False) + "\n")
        self._metric_rows += 1

    # --- progress ---------------------------------------------------------------------------
    @contextmanager
    def progress_bar(self, total: int, description: str) -> Iterator[Callable[..., None]]:
        """A progress bar on stderr; call the yielded ``advance(n=1)`` to move it. Bars nest
        (phases → training steps) in one live display. Silent with ``quiet``."""
        if self.quiet or not self.console.is_terminal:
            # Not a terminal (a pipe, a log file): a live bar would only leave blank lines.
            yield lambda n=1: None
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        progress = self._progress
        task = progress.add_task(description, total=total)
        try:
            yield lambda n=1: progress.advance(task, n)
        finally:
            progress.remove_task(task)
            if not progress.tasks:
                progress.stop()
                self._progress = None

    # --- checkpoints and resumable phases ----------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / CHECKPOINT_FILE

    def run_phases(
        self, keys: Sequence[K], fn: Callable[[K], Any], description: str = ""
    ) -> dict[K, Any]:
        """Call ``fn(key)`` for each key (e.g. each noise level), checkpointing after each.

        On resume, finished phases are not run again (their saved results are returned) and the
        phase that was running continues from its last :meth:`checkpoint`.
        """
        saved = self._load_checkpoint()
        if saved is not None:
            self._done = dict(saved["done"])
            # Put the RNGs where they were when the interrupted phase began (or after the last
            # finished phase), so that everything up to its resume point replays identically.
            _set_rng_state(saved["phase_start_rng"] if saved["phase"] is not None else saved["rng"])
        results: dict[K, Any] = {}
        with self.progress_bar(len(keys), description or "phases") as advance:
            for key in keys:
                if key in self._done:
                    results[key] = self._done[key]
                    advance(1)
                    continue
                self._phase, self._phase_start_rng = key, _rng_state()
                results[key] = self._done[key] = fn(key)
                self._phase, self._phase_start_rng = None, None
                self._write_checkpoint(inner=None, force=True)
                advance(1)
        self._phase = MAIN_PHASE
        return results

    def restore(self, stateful: Any) -> bool:
        """If the run is resuming inside the current phase, load its saved state into
        ``stateful`` (``load_state_dict``) and put every global RNG and the metric log back where
        they were at that checkpoint; returns whether it did."""
        saved = self.phase_state()
        if saved is None:
            return False
        stateful.load_state_dict(saved)
        return True

    def checkpoint(self, stateful: Any, force: bool = False) -> bool:
        """Checkpoint the current phase's ``stateful.state_dict()`` (taken only when written: at
        most every ``checkpoint_every_s`` seconds unless ``force``). Returns whether it wrote."""
        return self._write_checkpoint(inner=stateful.state_dict, force=force)

    def phase_state(self) -> Any | None:
        """The inner state saved by :meth:`checkpoint` for the current phase, if resuming it
        (the low-level half of :meth:`restore`).

        Also restores every RNG to where it was at that save, and the metric log to its length.
        """
        saved = self._load_checkpoint()
        if saved is None or self._consumed or saved["phase"] != self._phase:
            return None
        self._consumed = True
        _set_rng_state(saved["rng"])
        self.resumed_from = {"phase": self._phase}
        return saved["inner"]

    def _write_checkpoint(self, inner: Any, force: bool) -> bool:
        now = time.monotonic()
        if not force and now - self._last_checkpoint < self.checkpoint_every_s:
            return False
        if callable(inner):  # built only when actually written: state dicts are not free
            inner = inner()
        payload = {
            "done": self._done,
            "phase": self._phase if inner is not None else None,
            "inner": inner,
            "phase_start_rng": self._phase_start_rng,
            "rng": _rng_state(),
            "metric_rows": self._metric_rows,
        }
        # Written beside the old one, then renamed over it: a run killed while writing leaves the
        # previous checkpoint intact.
        tmp = self.checkpoint_path.with_name(CHECKPOINT_FILE + ".tmp")
        torch.save(payload, tmp)
        os.replace(tmp, self.checkpoint_path)
        self._last_checkpoint = now
        return True

    def _load_checkpoint(self) -> dict[str, Any] | None:
        if not self._loaded:
            self._loaded = True
            if self.checkpoint_path.exists():
                self._saved = torch.load(
                    self.checkpoint_path, map_location="cpu", weights_only=False
                )
                self._truncate_metrics(self._saved["metric_rows"])
                self.resumed_from = {"phase": self._saved["phase"]}
                self.console.print(f"[dim]resuming from the checkpoint in {self.out_dir}[/dim]")
        return self._saved

    def clear_checkpoint(self) -> None:
        self.checkpoint_path.unlink(missing_ok=True)

    def _truncate_metrics(self, rows: int) -> None:
        if not self.metrics_path.exists():
            self._metric_rows = 0
            return
        lines = self.metrics_path.read_text().splitlines(keepends=True)[:rows]
        self.metrics_path.write_text("".join(lines))
        self._metric_rows = len(lines)

    # --- figures ----------------------------------------------------------------------------
    def save_figure(self, fig: Any, name: str) -> str:
        """Save a matplotlib figure as ``name.png`` in the run directory; returns the relative path."""
        from mltheory.lab.figures import mark_scale

        rel = f"{name}.png"
        mark_scale(fig, self.scale)  # a smoke-scale figure says so in its title
        fig.savefig(self.out_dir / rel, dpi=120, bbox_inches="tight")
        if rel not in self.figures:
            self.figures.append(rel)
        return rel


def progress_bar(ctx: RunContext | None, total: int, description: str):
    """``ctx.progress_bar(...)``, or a silent stand-in when a loop runs without a context."""
    if ctx is None:
        return nullcontext(lambda n=1: None)
    return ctx.progress_bar(total, description)


def _jsonable(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().tolist()
    elif isinstance(v, np.ndarray | np.generic):
        v = v.tolist()
    return strict_json_value(v)
