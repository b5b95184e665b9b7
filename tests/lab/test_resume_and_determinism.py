"""Same seed, same metrics; a killed run resumes from its checkpoint and ends the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from mltheory.lab import run


def test_same_seed_gives_identical_metrics_on_cpu(tmp_path):
    a = run("test-train", scale="smoke", seed=5, out=tmp_path / "a", device="cpu")
    b = run("test-train", scale="smoke", seed=5, out=tmp_path / "b", device="cpu")
    c = run("test-train", scale="smoke", seed=6, out=tmp_path / "c", device="cpu")
    assert a.metrics == b.metrics
    assert (tmp_path / "a/metrics.jsonl").read_text() == (tmp_path / "b/metrics.jsonl").read_text()
    assert a.metrics != c.metrics


def _start(out, env):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mltheory.cli",
            "run",
            "test-train",
            "--scale",
            "cpu",
            "--seed",
            "1",
            "--set",
            "steps=1500",
            "--quiet",
            "--json",
            "--out",
            str(out),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_run_resumes_from_checkpoint_and_matches_uninterrupted(tmp_path, mlt_env):
    env = {**mlt_env, "MLT_CHECKPOINT_EVERY_S": "0.2"}
    killed = tmp_path / "killed"
    proc = _start(killed, env)
    # Wait until the run is part-way into its second phase, then kill it without warning.
    deadline = time.time() + 120
    while time.time() < deadline:
        rows = (
            (killed / "metrics.jsonl").read_text().splitlines()
            if (killed / "metrics.jsonl").exists()
            else []
        )
        if (killed / "checkpoint.pt").exists() and any(
            json.loads(r)["noise"] == 0.5 for r in rows if r
        ):
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError("run never reached its second phase")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "result.json").exists()
    rows_before = len((killed / "metrics.jsonl").read_text().splitlines())

    resumed = _start(killed, env)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    resumed_result = json.loads(out)
    assert resumed_result["resumed"] is True
    assert not (killed / "checkpoint.pt").exists()

    fresh = _start(tmp_path / "fresh", env)
    out_fresh, err = fresh.communicate(timeout=300)
    assert fresh.returncode == 0, err
    fresh_result = json.loads(out_fresh)
    assert fresh_result["resumed"] is False
    assert resumed_result["metrics"] == fresh_result["metrics"]
    # The metric log is the same too: nothing duplicated, nothing lost.
    assert (killed / "metrics.jsonl").read_text() == (tmp_path / "fresh/metrics.jsonl").read_text()
    assert rows_before > 0
