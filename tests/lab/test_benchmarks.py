"""The benchmarks' ``--quick`` modes run and print their tables (never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    "script,expected",
    [
        ("population.py", ["fp32 matmul peak", "generic GFLOP/s", "bmm GFLOP/s", "% peak"]),
        ("sweep.py", ["one network after another", "one population", "wider-fits-better=PASS"]),
    ],
)
def test_quick_mode_runs(script, expected, mlt_env):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--threads", "1"],
        capture_output=True,
        text=True,
        env=mlt_env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for text in expected:
        assert text in done.stdout, done.stdout
