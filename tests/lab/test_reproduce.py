"""``mlt reproduce``: crashes are recorded and the rest go on; reruns skip what finished."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mltheory.cli import app


def test_reproduce_records_crashes_goes_on_and_skips_finished(tmp_path):
    out = tmp_path / "repro"
    runner = CliRunner()
    res = runner.invoke(
        app, ["reproduce", "--scale", "smoke", "--topic", "testing", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    by_name = {e["name"]: e for e in summary["experiments"]}
    assert by_name["test-crash"]["status"] == "error"
    assert "deliberate failure in test-crash" in by_name["test-crash"]["error"]
    assert by_name["test-train"]["status"] == "completed"
    tally = " ".join(res.stdout.split())
    assert "1/2 experiments completed at smoke scale; claims: 1 PASS, 0 FAIL" in tally
    assert "errors: test-crash." in tally
    report = (out / "report.html").read_text()
    assert "data:image/png;base64," in report  # figures embedded: the report is self-contained
    assert "Traceback" in report

    first = (out / "test-train" / "result.json").stat().st_mtime_ns
    res = runner.invoke(
        app, ["reproduce", "--scale", "smoke", "--topic", "testing", "--out", str(out)]
    )
    assert res.exit_code == 0
    assert "already finished, skipped" in res.output
    assert (out / "test-train" / "result.json").stat().st_mtime_ns == first
    strict = runner.invoke(
        app, ["reproduce", "--scale", "smoke", "--topic", "testing", "--out", str(out), "--strict"]
    )
    assert strict.exit_code == 1  # test-crash crashed


def test_only_some_experiments_rerun_and_the_summary_keeps_the_others(tmp_path):
    """Evidence is brought up to date one experiment at a time: --only runs the named ones
    (seeds mode too) and the summary keeps the other experiments' earlier entries."""
    out = tmp_path / "repro"
    runner = CliRunner()
    base = ["reproduce", "--scale", "smoke", "--seeds", "2", "--out", str(out)]
    res = runner.invoke(app, [*base, "--only", "test-train"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*base, "--only", "test-crash"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(e["name"] for e in summary["experiments"]) == ["test-crash", "test-train"]
    by_name = {e["name"]: e for e in summary["experiments"]}
    assert by_name["test-train"]["reproduces"] == "2/2"
    assert by_name["test-crash"]["status"] == "error"
    assert not (out / "test-cifar").exists()  # never selected
    bad = runner.invoke(app, [*base, "--only", "no-such-experiment"])
    assert bad.exit_code == 2 and "no-such-experiment" in bad.output
