"""The run store: one directory per run plus a SQLite index to query runs.

A run directory holds ``config.json`` (written first), ``metrics.jsonl``, figures, a
``checkpoint.pt`` while the run is unfinished, and ``result.json`` (written last, atomically)
once it completed. The index (``index.sqlite`` in the store root) records every run wherever
its directory is, so ``mlt runs`` can list and filter them.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

RESULT_FILE = "result.json"
CONFIG_FILE = "config.json"


def store_root() -> Path:
    """``$MLT_HOME`` if set, else the user's data directory (e.g. ``~/.local/share/mltheory``)."""
    root = Path(os.environ.get("MLT_HOME") or user_data_dir("mltheory", "mltheory"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def default_run_dir(experiment: str, scale: str, seed: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return store_root() / "runs" / experiment / f"{stamp}-{scale}-seed{seed}"


NON_FINITE = {"nan": "nan", "inf": "inf", "-inf": "-inf"}


def strict_json_value(value: Any) -> Any:
    """``value`` with every non-finite float replaced by the string ``"nan"``, ``"inf"`` or
    ``"-inf"``, so that it serialises as standard JSON (``NaN``/``Infinity`` are not JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return NON_FINITE[str(value)]
    if isinstance(value, dict):
        return {k: strict_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json_value(v) for v in value]
    return value


def write_json_atomic(path: Path, data: Any) -> None:
    """Write strict JSON (non-finite floats as strings, see :func:`strict_json_value`) so that
    a reader (or a kill) never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    text = json.dumps(strict_json_value(data), indent=2, default=str, allow_nan=False)
    tmp.write_text(text + "\n")
    os.replace(tmp, path)


def from_strict_json(value: Any) -> Any:
    """The inverse of :func:`strict_json_value`: ``"nan"``, ``"inf"``, ``"-inf"`` become floats."""
    if isinstance(value, str) and value in NON_FINITE:
        return float(value)
    if isinstance(value, dict):
        return {k: from_strict_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_strict_json(v) for v in value]
    return value


def read_json(path: Path) -> Any:
    """Read what :func:`write_json_atomic` wrote, non-finite numbers as floats again."""
    return from_strict_json(json.loads(path.read_text()))


class RunIndex:
    """The SQLite index of runs. Cheap to open; one row per run directory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or store_root() / "index.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._create()
        except sqlite3.DatabaseError as err:
            # Lazy import: the lab's errors module is the one place user-facing errors live.
            from mltheory.lab.errors import BadInput

            raise BadInput(
                f"the run index {self.path} cannot be opened ({err}); move it aside and it is "
                "made anew (run directories are not affected)."
            ) from None

    def _create(self) -> None:
        with self._connect() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS runs (
                    dir TEXT PRIMARY KEY,
                    experiment TEXT NOT NULL,
                    scale TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    started TEXT NOT NULL,
                    duration_s REAL,
                    claims_passed INTEGER,
                    claims_failed INTEGER
                )"""
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def record(
        self,
        run_dir: Path,
        experiment: str,
        scale: str,
        seed: int,
        status: str,
        started: str | None = None,
        duration_s: float | None = None,
        claims_passed: int | None = None,
        claims_failed: int | None = None,
    ) -> None:
        started = started or datetime.now(timezone.utc).isoformat()
        with self._connect() as db:
            db.execute(
                """INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(dir) DO UPDATE SET status=excluded.status,
                   duration_s=excluded.duration_s, claims_passed=excluded.claims_passed,
                   claims_failed=excluded.claims_failed""",
                (
                    str(Path(run_dir).resolve()),
                    experiment,
                    scale,
                    seed,
                    status,
                    started,
                    duration_s,
                    claims_passed,
                    claims_failed,
                ),
            )

    def query(
        self, experiment: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if experiment:
            sql += " AND experiment = ?"
            args.append(experiment)
        if status:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY started DESC LIMIT ?"
        args.append(limit)
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, args)]
