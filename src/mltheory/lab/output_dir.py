"""Output directories (``--out``): checked before any work starts, and cleared only when ours.

A user's ``--out`` may name anything: a new path, a run directory of ours, their thesis, ``""``,
``/dev/null``. The lab writes into a directory only when it is new, empty or recognisably its own
(a run or a sweep it wrote), and ``--fresh`` deletes only files that the lab itself writes there;
anything else is refused as bad input and left untouched.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from pathlib import Path

from mltheory.lab.errors import BadInput

# What the lab writes into a run directory (a checkpoint and JSON files are written through a
# temporary file first, so a kill can leave one behind).
RUN_FILES = (
    "config.json",
    "metrics.jsonl",
    "result.json",
    "error.json",
    "checkpoint.pt",
    "checkpoint.pt.tmp",
    "*.png",
    ".*.tmp-*",
)
# A sweep directory: its summary and figures at the top, run directories under cells/, and the
# populations' shared directories (their own checkpoints, metrics and figures) under batches/.
SWEEP_FILES = ("sweep.json", "*.png", ".*.tmp-*")
SWEEP_SUBDIRS = {"cells": RUN_FILES, "batches": (*RUN_FILES, "cells.json")}

NAME_MAX = 255  # bytes in one path component on Linux, macOS and Windows file systems


def check_out_path(out: str | Path, option: str = "--out") -> Path:
    """``out`` as a path the lab can create or write into, or :class:`BadInput` saying why not.

    Checks what can be known without writing: an empty value, over-long names, something that
    is not a directory in the way, and a parent that cannot hold a new directory.
    """
    text = os.fspath(out)
    if not text.strip():
        raise BadInput(f"{option} is empty; give a directory path (a new or empty directory).")
    if "\x00" in text:
        raise BadInput(f"{option} {text!r} contains a NUL byte; give a directory path.")
    path = Path(text).expanduser()
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise BadInput(
                f"{option} {_short(text)}: the name {_short(part)} is {len(os.fsencode(part))} "
                f"bytes long; file names may be at most {NAME_MAX} bytes."
            )
    if path.exists() and not path.is_dir():
        raise BadInput(f"{option} {text} exists and is not a directory; give a directory path.")
    ancestor = path
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if ancestor != path and not ancestor.is_dir():
        raise BadInput(
            f"{option} {text}: {ancestor} is a file, so no directory can be made inside it."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise BadInput(f"{option} {text}: {ancestor} is not writable by you.")
    return path


def make_out_dir(path: Path, option: str = "--out") -> None:
    """Create ``path`` (and its parents); an OS refusal (``/proc``, ``/sys``, a read-only file
    system, a full disk) is bad input naming the path, not a traceback."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        if err.errno == errno.ENOSPC:
            reason = "no space left on the device"
        raise BadInput(f"{option} {path}: cannot create this directory ({reason}).") from None


def foreign_entries(
    root: Path, patterns: tuple[str, ...], subdirs: dict | None = None
) -> list[str]:
    """Paths under ``root`` (relative) that the lab did not write: files matching none of
    ``patterns``, and any directory other than the known ``subdirs`` (each holding directories
    whose files match that subdir's patterns)."""
    foreign = []
    subdirs = subdirs or {}
    for entry in sorted(root.iterdir()):
        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
            foreign.append(entry.name)
        elif entry.is_file():
            if not any(fnmatch.fnmatch(entry.name, p) for p in patterns):
                foreign.append(entry.name)
        elif entry.name in subdirs:
            for child in sorted(entry.iterdir()):
                if child.is_dir() and not child.is_symlink():
                    foreign += [
                        f"{entry.name}/{child.name}/{f}"
                        for f in foreign_entries(child, subdirs[entry.name])
                    ]
                else:
                    foreign.append(f"{entry.name}/{child.name}")
        else:
            foreign.append(entry.name + "/")
    return foreign


def refuse_foreign(path: Path, kind: str, foreign: list[str], option: str = "--out") -> None:
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise BadInput(
            f"{option} {path} is not empty and is not a {kind} directory of mlt's (it holds "
            f"{shown}); nothing was changed. Give a new or empty directory."
        )


def check_run_dir(path: Path, option: str = "--out") -> None:
    """A directory a run may write into or resume: absent, empty, or holding only run files."""
    if path.is_dir():
        refuse_foreign(path, "run", foreign_entries(path, RUN_FILES), option)


def check_sweep_dir(path: Path, option: str = "--out") -> None:
    """A directory a sweep may write into or resume: absent, empty, or holding only a sweep's
    files (its summary and figures, its cells' run directories and its populations')."""
    if path.is_dir():
        refuse_foreign(path, "sweep", foreign_entries(path, SWEEP_FILES, SWEEP_SUBDIRS), option)


def clear_run_dir(path: Path) -> None:
    """``--fresh`` for a run: delete the run files in ``path`` (checked first: only run files)."""
    check_run_dir(path)
    if path.is_dir():
        for entry in path.iterdir():
            entry.unlink()


def clear_sweep_dir(path: Path) -> None:
    """``--fresh`` for a sweep: delete what the sweep wrote (checked first: nothing else)."""
    check_sweep_dir(path)
    if not path.is_dir():
        return
    for entry in path.iterdir():
        if entry.is_dir():
            for child in entry.iterdir():
                for f in child.iterdir():
                    f.unlink()
                child.rmdir()
            entry.rmdir()
        else:
            entry.unlink()


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
