"""``--out`` and ``--fresh``: the lab writes only into new, empty or its own directories, clears
only files it wrote, and refuses every other path as bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mltheory.cli import app

runner = CliRunner()
SMOKE_RUN = ["run", "min-norm", "--scale", "smoke", "--quiet"]
SMOKE_SWEEP = ["sweep", "min-norm", "--scale", "smoke", "--quiet", "--grid", "n=10,20"]


def mlt(*args: str):
    return runner.invoke(app, list(args))


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def thesis(tmp_path) -> Path:
    """A directory of the user's own that is not a run directory."""
    d = tmp_path / "thesis"
    (d / "deep").mkdir(parents=True)
    (d / "thesis.tex").write_text("\\documentclass{article}")
    (d / "deep" / "data.csv").write_text("x,y\n1,2\n")
    return d


def assert_bad_input(res, *fragments: str) -> None:
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert "Traceback" not in res.output
    message = " ".join(res.stderr.split())
    assert message.startswith("error:"), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("command", [SMOKE_RUN, SMOKE_SWEEP], ids=["run", "sweep"])
@pytest.mark.parametrize("fresh", [False, True], ids=["resume", "fresh"])
def test_a_directory_that_is_not_ours_is_refused_and_untouched(command, fresh, thesis):
    before = tree(thesis)
    res = mlt(*command, "--out", str(thesis), *(["--fresh"] if fresh else []))
    assert_bad_input(res, "thesis.tex", "nothing was changed")
    assert tree(thesis) == before
    assert sorted(p.name for p in thesis.iterdir()) == ["deep", "thesis.tex"]


@pytest.mark.parametrize("command", [SMOKE_RUN, SMOKE_SWEEP], ids=["run", "sweep"])
@pytest.mark.parametrize("fresh", [False, True], ids=["resume", "fresh"])
def test_an_empty_out_is_bad_input_and_the_current_directory_is_untouched(
    command, fresh, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    res = mlt(*command, "--out", "", *(["--fresh"] if fresh else []))
    assert_bad_input(res, "--out is empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def bad_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "file").write_text("x")
    return {
        "a file": (str(tmp_path / "file"), "exists and is not a directory"),
        "/dev/null": ("/dev/null", "exists and is not a directory"),
        "inside a file": (str(tmp_path / "file" / "sub"), "is a file"),
        "/proc": ("/proc/x/y", "cannot create this directory"),
        "/sys": ("/sys/kernel/foo", "cannot create this directory"),
        "a 300-byte name": (str(tmp_path / ("a" * 300)), "at most 255 bytes"),
    }


@pytest.mark.parametrize("command", [SMOKE_RUN, SMOKE_SWEEP], ids=["run", "sweep"])
@pytest.mark.parametrize(
    "case", ["a file", "/dev/null", "inside a file", "/proc", "/sys", "a 300-byte name"]
)
def test_bad_out_paths_exit_2_with_one_line_naming_the_path(command, case, tmp_path):
    path, reason = bad_paths(tmp_path)[case]
    res = mlt(*command, "--out", path)
    assert_bad_input(res, reason)
    assert len(res.stderr.strip().splitlines()) == 1
    assert (tmp_path / "file").read_text() == "x"


def test_fresh_clears_a_run_directory_of_ours(tmp_path):
    out = tmp_path / "r"
    assert mlt(*SMOKE_RUN, "--out", str(out)).exit_code == 0
    (out / "checkpoint.pt").write_bytes(b"stale")  # as a killed run would leave it
    res = mlt(*SMOKE_RUN, "--seed", "1", "--out", str(out), "--fresh")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "result.json").read_text())["seed"] == 1
    assert not (out / "checkpoint.pt").exists()


def test_fresh_refuses_a_run_directory_with_a_file_of_the_users(tmp_path):
    out = tmp_path / "r"
    assert mlt(*SMOKE_RUN, "--out", str(out)).exit_code == 0
    (out / "my-notes.md").write_text("keep me")
    before = tree(out)
    assert_bad_input(mlt(*SMOKE_RUN, "--out", str(out), "--fresh"), "my-notes.md")
    assert tree(out) == before


def test_an_unreadable_config_json_is_bad_input(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "config.json").write_text("{not json")
    assert_bad_input(mlt(*SMOKE_RUN, "--out", str(out)), "config.json", "--fresh")
    assert (out / "config.json").read_text() == "{not json"


def test_a_sweep_directory_is_resumed_only_by_the_same_sweep(tmp_path):
    out = tmp_path / "sw"
    assert mlt(*SMOKE_SWEEP, "--out", str(out)).exit_code == 0
    summary = (out / "sweep.json").read_text()
    res = mlt("sweep", "min-norm", "--scale", "smoke", "-q", "--grid", "n=10", "--out", str(out))
    assert_bad_input(res, "differs in: grid", "--fresh")
    assert (out / "sweep.json").read_text() == summary
    res = mlt(*SMOKE_SWEEP, "--seeds", "2", "--out", str(out))
    assert_bad_input(res, "differs in: seeds")
    # The same sweep again resumes: nothing is rerun, and the summary is the same sweep's.
    assert mlt(*SMOKE_SWEEP, "--out", str(out)).exit_code == 0
    assert json.loads((out / "sweep.json").read_text())["cells"]["completed"] == 2


def test_sweep_fresh_replaces_a_sweep_of_ours(tmp_path):
    out = tmp_path / "sw"
    assert mlt(*SMOKE_SWEEP, "--out", str(out)).exit_code == 0
    res = mlt(
        "sweep",
        "min-norm",
        "--scale",
        "smoke",
        "-q",
        "--grid",
        "n=12",
        "--out",
        str(out),
        "--fresh",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["grid"] == {"n": [12]}
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["n=12_seed=0"]


def test_sweep_fresh_refuses_a_sweep_directory_holding_a_file_of_the_users(tmp_path):
    out = tmp_path / "sw"
    assert mlt(*SMOKE_SWEEP, "--out", str(out)).exit_code == 0
    (out / "cells" / "n=10_seed=0" / "analysis.ipynb").write_text("{}")
    before = tree(out)
    res = mlt(*SMOKE_SWEEP, "--out", str(out), "--fresh")
    assert_bad_input(res, "cells/n=10_seed=0/analysis.ipynb")
    assert tree(out) == before


@pytest.mark.parametrize("seeds", ["0", "1001", "99999999999999"])
def test_sweep_seeds_are_bounded(seeds, tmp_path):
    res = mlt(*SMOKE_SWEEP, "--seeds", seeds, "--out", str(tmp_path / "sw"))
    assert_bad_input(res, "--seeds must be between 1 and 1000")
    assert not (tmp_path / "sw").exists()


def test_a_sweep_with_too_many_cells_is_refused_before_work(tmp_path):
    values = ",".join(str(n) for n in range(10, 60))
    res = mlt(
        "sweep", "min-norm", "--scale", "smoke", "--grid", f"n={values}", "--seeds", "300",
        "--out", str(tmp_path / "sw"),
    )  # fmt: skip
    assert_bad_input(res, "15000 cells", "at most 10000")


def test_reproduce_refuses_a_file_as_out(tmp_path):
    (tmp_path / "file").write_text("x")
    res = mlt("reproduce", "--scale", "smoke", "--out", str(tmp_path / "file"))
    assert_bad_input(res, "exists and is not a directory")
