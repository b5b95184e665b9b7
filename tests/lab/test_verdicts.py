"""Verdicts over seeds: ``mlt run NAME --seeds K`` and ``mlt reproduce --seeds K``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry
from mltheory.lab.verdicts import (
    SEEDS_FILE,
    format_summary_measured,
    summarize_measured,
    t_interval,
)

FIXTURES = str(Path(__file__).with_name("seeds_fixtures.py"))
cli = CliRunner()


@pytest.fixture(autouse=True)
def seeds_experiment(monkeypatch):
    modules = [m for m in os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep) if m]
    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", os.pathsep.join([*modules, FIXTURES]))
    registry.import_experiment_module(FIXTURES)


def mlt(*args: str):
    return cli.invoke(app, list(args), terminal_width=200)


def test_t_interval_is_students():
    lo, hi = t_interval([0.0, 1.0, 2.0])["ci"]
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert (lo, hi) == pytest.approx((1 - half, 1 + half))
    one = t_interval([3.0])
    assert one["mean"] == 3.0 and one["ci"] is None


def test_lists_are_summarised_elementwise_and_sentences_listed():
    s = summarize_measured([[1.0, 10.0], [3.0, 10.0]])
    assert s["kind"] == "list" and s["mean"] == [2.0, 10.0] and s["ci"][1] == [10.0, 10.0]
    assert summarize_measured(["a", "b"]) == {"kind": "values", "values": ["a", "b"]}


def test_run_over_seeds_reports_pass_rate_and_interval(tmp_path):
    out = tmp_path / "seeds"
    r = mlt("run", "seeds-toy", "--scale", "smoke", "--seeds", "3", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "reproduces on 2/3 seeds" in r.output
    summary = json.loads((out / SEEDS_FILE).read_text())
    claims = {c["id"]: c for c in summary["claims"]}
    assert (claims["even-seed"]["passed"], claims["even-seed"]["checked"]) == (2, 3)
    assert claims["even-seed"]["failed_seeds"] == [1]
    assert claims["always"]["pass_rate"] == 1.0
    assert claims["even-seed"]["measured"]["mean"] == pytest.approx(1.0)
    assert claims["even-seed"]["measured"]["ci"][0] < 1.0 < claims["even-seed"]["measured"]["ci"][1]
    assert summary["reproduced_seeds"] == [0, 2]
    # each seed is an ordinary run directory
    for s in range(3):
        result = json.loads((out / "cells" / f"seed={s}" / "result.json").read_text())
        assert result["seed"] == s
    # mlt report shows it again, in every format
    md = mlt("report", str(out), "--format", "markdown")
    assert md.exit_code == 0 and "reproduces on 2/3 seeds" in md.stdout
    assert "| even-seed: passes on even seeds | — | 1 [" in md.stdout and "| 2/3 |" in md.stdout
    html = mlt("report", str(out), "--format", "html").stdout
    assert "reproduces on 2/3 seeds" in html and "<table>" in html
    assert json.loads(mlt("report", str(out), "--format", "json").stdout) == summary
    # --strict: not every seed reproduces
    r = mlt("run", "seeds-toy", "--scale", "smoke", "--seeds", "3", "--out", str(out), "--strict")
    assert r.exit_code == 1


def test_rerun_over_seeds_runs_only_new_seeds(tmp_path):
    out = tmp_path / "seeds"
    assert mlt("run", "seeds-toy", "--seeds", "2", "--out", str(out), "--json").exit_code == 0
    first = (out / "cells" / "seed=0" / "result.json").stat().st_mtime_ns
    r = mlt("run", "seeds-toy", "--seeds", "2", "--out", str(out), "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["reproduces"] == "1/2"
    assert (out / "cells" / "seed=0" / "result.json").stat().st_mtime_ns == first


def test_fresh_discards_an_earlier_run_over_seeds_instead_of_refusing_it(tmp_path):
    out = tmp_path / "seeds"
    assert mlt("run", "seeds-toy", "--seeds", "2", "--out", str(out)).exit_code == 0
    first = (out / "cells" / "seed=0" / "result.json").stat().st_mtime_ns
    # Another seed count in the same folder is refused (it would mix two runs) ...
    refused = mlt("run", "seeds-toy", "--seeds", "3", "--out", str(out))
    assert refused.exit_code == 2 and "--fresh" in refused.output
    # ... and --fresh starts over in it, every seed run again.
    r = mlt("run", "seeds-toy", "--seeds", "3", "--out", str(out), "--fresh", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["completed_seeds"] == [0, 1, 2]
    assert (out / "cells" / "seed=0" / "result.json").stat().st_mtime_ns != first
    # A folder of someone else's files is never cleared.
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    r = mlt("run", "seeds-toy", "--seeds", "2", "--out", str(foreign), "--fresh")
    assert r.exit_code == 2 and (foreign / "thesis.tex").read_text() == "mine"


def test_a_crashed_seed_is_reported_and_counts_against_reproducing(tmp_path):
    out = tmp_path / "seeds"
    r = mlt("run", "seeds-toy", "--seeds", "3", "--set", "crash_seed=2", "--out", str(out))
    assert r.exit_code == 3, r.output
    summary = json.loads((out / SEEDS_FILE).read_text())
    assert [c["seed"] for c in summary["crashed"]] == [2]
    assert "crashes on purpose" in summary["crashed"][0]["error"]
    assert summary["completed_seeds"] == [0, 1] and summary["reproduces"] == "1/3"
    assert "seed 2 crashed" in r.output


def test_single_seed_output_has_no_seed_summary(tmp_path):
    r = mlt("run", "seeds-toy", "--out", str(tmp_path / "one"))
    assert r.exit_code == 0 and "reproduces on" not in r.output
    assert not (tmp_path / "one" / SEEDS_FILE).exists()


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--seeds", "2", "--seed", "3"], "give one"),
    ],
)
def test_bad_seeds_exit_2(tmp_path, args, must_say):
    r = mlt("run", "seeds-toy", *args, "--out", str(tmp_path / "x"))
    assert r.exit_code == 2 and must_say in r.output
    assert not (tmp_path / "x").exists()


def test_reproduce_over_seeds_reports_per_experiment(tmp_path):
    out = tmp_path / "repro"
    r = mlt("reproduce", "--topic", "testing-seeds", "--seeds", "3", "--out", str(out))
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    (entry,) = summary["experiments"]
    assert entry["reproduces"] == "2/3" and entry["failed"] == 1
    assert summary["seeds"] == [0, 1, 2]
    report = (out / "report.html").read_text()
    assert "reproduces on 2/3 seeds" in report


def test_measured_values_are_formatted_with_their_unit():
    m = summarize_measured([0.49, 0.51])
    assert format_summary_measured(m, "%").startswith("50% [")
    assert format_summary_measured(summarize_measured([3.0]), "steps") == "3 steps"
    assert format_summary_measured(summarize_measured(["a", "a", "b"])) == "a | b"
