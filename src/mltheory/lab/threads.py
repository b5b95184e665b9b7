"""How many CPU threads torch uses in a run: one by default.

The catalog's experiments multiply small matrices, where torch's intra-op threads cost more in
synchronisation than they gain, and far more on a machine shared with other jobs. Measured on
a 2-core machine shared with other jobs, ``mlt reproduce --scale smoke`` three times, one
thread and torch's default (two) in turn: 16, 17 and 58 s against 52, 140 and 173 s (load
averages 1.5-4, 5-8 and 9-11); ``sparse-parity`` alone 1.1-5.9 s against 3.6-48 s. Not
measured on an idle machine, where two threads may be a little faster for the larger
cpu-scale runs.

``--threads N`` (or ``MLT_THREADS=N``) changes it; ``0`` keeps torch's own default (one thread
per core), which may be faster for large CPU runs on an otherwise idle machine.
"""

from __future__ import annotations

import os

from mltheory.lab.errors import BadInput

ENV = "MLT_THREADS"
DEFAULT = 1
HELP = (
    "CPU threads for torch (default 1, or $MLT_THREADS; 0: torch's default, one per core). "
    "One thread is fastest for small experiments, above all on a busy machine."
)


def requested() -> int:
    """The thread count asked for by ``MLT_THREADS`` (the CLI's ``--threads`` sets it)."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise BadInput(
            f"{ENV}={raw!r} is not a thread count; allowed: 0 (torch's default) or N >= 1."
        )
    return value


def set_for_runs(threads: int | None) -> None:
    """Record the CLI's ``--threads`` in the environment, so that the run, and any worker
    process it starts (sweep cells), uses it; ``None`` keeps ``MLT_THREADS`` or the default."""
    if threads is not None:
        if threads < 0:
            raise BadInput(
                f"--threads must be 0 (torch's default) or a positive count, got {threads}."
            )
        os.environ[ENV] = str(threads)
    requested()  # a bad MLT_THREADS fails here, before any work


def apply() -> None:
    """Set torch's intra-op thread count for this process (called as a run starts)."""
    n = requested()
    if n > 0:
        import torch

        torch.set_num_threads(n)
