"""How many CPU threads torch uses in a run: one by default.

The catalog's experiments multiply small matrices, where torch's intra-op threads cost more in
synchronisation than they gain, and far more on a machine shared with other jobs. Measured on
the 2-core machine of the README while six other engineers' jobs ran (load average 1.5 to 8),
``mlt reproduce --scale smoke``: 16-17 s with one thread against 52-140 s with torch's default
(two), and ``sparse-parity`` alone 1.1-1.5 s against 3.6-48 s (``benchmarks/startup.py`` has
the startup numbers; the command for these is in ``mlt run --help``'s ``--threads``).

``--threads N`` (or ``MLT_THREADS=N``) changes it; ``0`` keeps torch's own default (one thread
per core), which pays off for large CPU runs on an otherwise idle machine.
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
