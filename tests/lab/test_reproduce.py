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
