"""The Python API for notebooks."""

from __future__ import annotations

import pytest

from mltheory.lab import BadInput, Result, run


def test_run_returns_a_result_with_claims_metrics_figures(tmp_path):
    r = run("min-norm", scale="smoke", seed=0, out=tmp_path / "r", n=12, d=40)
    assert isinstance(r, Result)
    assert r.config["n"] == 12 and r.config["d"] == 40
    assert r.metrics["rel_err_to_pinv"] < 1e-4
    assert all(c.passed for c in r.claims)
    assert r.figure_paths()[0].exists()
    html = r._repr_html_()
    assert "data:image/png;base64," in html and "pinv-limit" in html
    assert Result.load(tmp_path / "r").metrics == r.metrics


def test_run_refuses_bad_overrides_before_work(tmp_path):
    with pytest.raises(BadInput, match="unknown config field"):
        run("min-norm", scale="smoke", out=tmp_path / "r", nn=3)
    assert not (tmp_path / "r").exists()


def test_default_run_dir_lives_in_the_store_and_is_indexed(isolated_lab):
    r = run("min-norm", scale="smoke")
    assert isolated_lab in r.out_dir.parents
    from mltheory.lab.store import RunIndex

    rows = RunIndex().query("min-norm")
    assert rows and rows[0]["status"] == "completed" and rows[0]["claims_failed"] == 0
