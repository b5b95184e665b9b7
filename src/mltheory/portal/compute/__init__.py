"""Compute: students' lab runs from the portal, on the course's workers (see docs/compute.md)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal


def die_with_parent() -> None:  # pragma: no cover - runs in a child before exec
    """Linux: a child process (the lab under a worker, a worker under `mlt portal demo`) is
    killed when its parent dies, even by SIGKILL, so nothing goes on that nobody watches.
    Elsewhere the child notices nothing (a dead worker's run is taken again all the same)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_worker(
    queue: str = "cpu",
    device: str | None = None,
    name: str | None = None,
    batch: bool = False,
    max_tasks: int | None = None,
) -> None:
    """Entry point of ``mlt worker``: Django set up from the environment (as the web process
    is), then :func:`mltheory.portal.compute.worker.start`. Raises ``BadInput`` for a device
    this machine does not have."""
    from mltheory.lab.errors import BadInput
    from mltheory.portal.server import setup_django

    if device not in (None, "auto", "cpu") and not (device == "cuda" or device.startswith("cuda:")):
        raise BadInput(f"unknown device {device!r}; allowed: auto, cpu, cuda, cuda:N")
    if device and device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BadInput(f"--device {device}: no CUDA device is available on this machine")
    # Without SECRET_KEY this is a local worker beside `mlt portal` (the same defaults).
    setup_django(local="SECRET_KEY" not in os.environ)
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
        from .models import Worker

        Worker.objects.exists()  # the compute tables are there (migrations applied)
    except DatabaseError as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BadInput(
            f"the worker cannot use the portal's database ({first_line}); check DATABASE_URL "
            "and run `python -m mltheory.portal migrate`"
        ) from None
    from .worker import start

    start(queue, None if device == "auto" else device, name, batch=batch, max_tasks=max_tasks)
