"""The ``mlt`` command line: its JSON contracts, exit codes and error messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mltheory.cli import app

runner = CliRunner()


def mlt(*args: str):
    return runner.invoke(app, list(args))


def test_list_json_has_the_contract_fields():
    res = mlt("list", "--json")
    assert res.exit_code == 0, res.output
    exps = {e["name"]: e for e in json.loads(res.stdout)}
    assert "min-norm" in exps
    e = exps["min-norm"]
    assert {"name", "title", "topic", "paper", "scales", "claims"} <= set(e)
    assert {"title", "authors", "year", "arxiv", "doi"} <= set(e["paper"])
    assert e["scales"] == ["smoke", "cpu", "paper"]
    assert all({"id", "statement", "paper_value"} <= set(c) for c in e["claims"])


def test_list_finds_every_catalog_module_without_a_hand_kept_list():
    import pkgutil

    import mltheory.lab.experiments as pkg

    modules = [
        m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".") if not m.ispkg
    ]
    listed = {e["name"] for e in json.loads(mlt("list", "--json").stdout)}
    from mltheory.lab import registry

    registered_modules = {e.module for e in registry.all_experiments() if e.name in listed}
    assert set(modules) <= registered_modules


def test_show_json_describes_fields_with_type_default_bounds():
    res = mlt("show", "min-norm", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    fields = {f["name"]: f for f in data["config"]}
    assert fields["n"]["type"] == "int"
    assert fields["n"]["default"] == 200
    assert fields["n"]["bounds"] == {"ge": 2, "le": 20000}
    assert fields["n"]["description"]
    assert set(data["scale_overrides"]) == {"smoke", "cpu", "paper"}


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        (["run", "min_norm"], ["unknown experiment 'min_norm'", "did you mean: min-norm"]),
        (["run", "min-norm", "--set", "nn=3"], ["unknown config field", "'nn'", "n, noise_std"]),
        (["run", "min-norm", "--set", "n=abc"], ["n='abc'", "valid integer", "type int"]),
        (["run", "min-norm", "--set", "n=1"], ["n=1", "greater than or equal to 2", ">= 2"]),
        (["run", "min-norm", "--scale", "huge"], ["unknown scale 'huge'", "cpu, paper, smoke"]),
        (
            ["run", "min-norm", "--scale", "smoke", "--set", "n=100"],
            ["invalid config for min-norm: min-norm needs", "d (60) must exceed n (100)"],
        ),
        (["run", "min-norm", "--set", "n"], ["FIELD=VALUE"]),
        (["run", "min-norm", "--device", "tpu"], ["unknown device 'tpu'"]),
        (["show", "min-nrom"], ["did you mean: min-norm"]),
        (["list", "--topic", "nope"], ["unknown topic 'nope'"]),
        (["run", "test-cifar"], ["CIFAR-10 files not found", "cifar-10-python.tar.gz"]),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong_and_what_is_allowed(args, must_say, tmp_path):
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "run")] if args[0] == "run" else args)
    assert res.exit_code == 2, res.output
    message = " ".join(res.stderr.split())
    for fragment in must_say:
        assert fragment in message, message
    assert not (tmp_path / "run").exists(), "bad input must fail before any work starts"


def test_run_writes_the_result_contract(tmp_path):
    out = tmp_path / "r"
    res = mlt(
        "run", "min-norm", "--scale", "smoke", "--seed", "3", "--out", str(out), "--set", "n=15"
    )
    assert res.exit_code == 0, res.output
    result = json.loads((out / "result.json").read_text())
    assert {
        "experiment",
        "scale",
        "seed",
        "config",
        "metrics",
        "claims",
        "figures",
        "started",
        "duration_s",
        "versions",
    } <= set(result)
    assert result["seed"] == 3 and result["scale"] == "smoke" and result["config"]["n"] == 15
    assert set(result["versions"]) == {"python", "torch", "mltheory"}
    for c in result["claims"]:
        assert {"id", "statement", "paper_value", "measured", "passed"} <= set(c)
    for fig in result["figures"]:
        assert (out / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "metrics.jsonl").exists()
    # the verdict table and where the figure is
    assert "PASS" in res.stdout and "min_norm.png" in res.stdout


def test_json_output_is_clean_json_even_with_progress(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mltheory.cli",
            "run",
            "test-train",
            "--scale",
            "smoke",
            "--json",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(proc.stdout)
    assert data["experiment"] == "test-train"


def test_strict_turns_a_failed_claim_into_exit_1(tmp_path):
    # One SGD step cannot fit the digits: the "fits" claim fails honestly.
    args = [
        "run",
        "test-train",
        "--scale",
        "smoke",
        "--set",
        "steps=1",
        "--out",
        str(tmp_path / "r"),
    ]
    assert mlt(*args).exit_code == 0
    res = mlt(*args, "--strict", "--fresh")
    assert res.exit_code == 1
    assert "FAIL" in res.stdout


def test_crash_exits_3_with_the_traceback(tmp_path):
    res = mlt("run", "test-crash", "--out", str(tmp_path / "r"))
    assert res.exit_code == 3
    assert "deliberate failure in test-crash" in res.stderr


def test_claims_not_checked_at_a_scale_are_reported_as_such(tmp_path):
    res = mlt("run", "test-train", "--scale", "smoke", "--json", "--out", str(tmp_path / "r"))
    claims = {c["id"]: c for c in json.loads(res.stdout)["claims"]}
    assert claims["cpu-only"]["passed"] is None
    assert "not checked at smoke" in claims["cpu-only"]["note"]


def test_out_dir_of_a_different_run_is_refused(tmp_path):
    out = str(tmp_path / "r")
    assert mlt("run", "min-norm", "--scale", "smoke", "--out", out).exit_code == 0
    res = mlt("run", "min-norm", "--scale", "smoke", "--seed", "1", "--out", out)
    assert res.exit_code == 2
    assert "differs in: seed" in " ".join(res.stderr.split())


def test_runs_lists_indexed_runs(tmp_path):
    mlt("run", "min-norm", "--scale", "smoke", "--out", str(tmp_path / "r"))
    rows = json.loads(mlt("runs", "--json").stdout)
    assert rows[0]["experiment"] == "min-norm" and rows[0]["status"] == "completed"


def test_report_renders_a_finished_run(tmp_path):
    out = tmp_path / "r"
    mlt("run", "min-norm", "--scale", "smoke", "--out", str(out))
    md = mlt("report", str(out), "--format", "markdown")
    assert md.exit_code == 0 and "| pinv-limit:" in md.stdout


def _run_in_fake_terminal(args, tmp_path, mlt_env):
    # rich draws live progress only on a terminal; these variables make a pipe count as one.
    env = {**mlt_env, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "120"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mltheory.cli",
            "run",
            "test-train",
            "--scale",
            "smoke",
            "--set",
            "steps=400",
            "--out",
            str(tmp_path / "r"),
            "--fresh",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )


def test_progress_bars_go_to_stderr_and_quiet_silences_them(tmp_path, mlt_env):
    shown = _run_in_fake_terminal([], tmp_path, mlt_env)
    assert "training" in shown.stderr and "noise levels" in shown.stderr
    assert "training" not in shown.stdout
    quiet = _run_in_fake_terminal(["--quiet"], tmp_path, mlt_env)
    assert "training" not in quiet.stderr and "noise levels" not in quiet.stderr
    assert "PASS" in quiet.stdout  # the verdict table still prints


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("result.json", "{bad"),
        ("result.json", '{"experiment": "x"}'),
        ("result.json", "[]"),
        ("seeds.json", "{bad"),
        ("summary.json", '{"experiments": 3}'),
    ],
)
def test_report_on_a_corrupt_file_is_bad_input_not_a_traceback(name, content, tmp_path):
    (tmp_path / name).write_text(content)
    res = mlt("report", str(tmp_path))
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and name in " ".join(res.stderr.split())


def test_runs_with_a_corrupt_index_is_bad_input_not_a_traceback(isolated_lab):
    (isolated_lab / "index.sqlite").write_text("garbage")
    res = mlt("runs")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "move it aside" in " ".join(res.stderr.split())
