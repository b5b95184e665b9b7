"""The CLI at 80 and 120 columns: names and ids never split, paths whole on their own lines,
help without type clutter, messages that end with a full stop."""

from __future__ import annotations

import io
import os

import pytest
import torch
from rich.console import Console
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry, threads
from mltheory.lab.report import catalog_table, print_experiment, print_result
from mltheory.lab.runner import Result
from mltheory.lab.spec import ClaimResult

runner = CliRunner()
WIDTHS = [80, 120]


def render(width: int, draw) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    draw(console)
    lines = console.export_text().splitlines()
    # Only paths may be longer than the terminal (they are printed whole, to be copied).
    assert all(len(line) <= width for line in lines if ": /" not in line)
    # No table is cropped at the terminal's edge: each of its lines ends with its right border.
    table_lines = [line.rstrip() for line in lines if line.startswith(tuple("┏┃┡│├└"))]
    assert all(line.endswith(tuple("┓┃┩│┤┘")) for line in table_lines), "\n".join(lines)
    return lines


def cells(lines: list[str]) -> set[str]:
    """Every table cell's text on every line (between the box-drawing bars)."""
    out = set()
    for line in lines:
        for part in line.replace("┃", "│").split("│"):
            out.add(part.strip())
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_list_never_splits_a_name(width):
    infos = registry.catalog().sorted()
    lines = render(width, lambda c: c.print(catalog_table(infos)))
    for e in infos:
        assert e.name in cells(lines), f"{e.name} split at {width} columns"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [e.name for e in registry.catalog().sorted()])
def test_show_never_splits_a_field_or_claim_id(width, name):
    info = registry.info(name)
    lines = render(width, lambda c: print_experiment(info, c))
    found = cells(lines)
    for f in info.data["config"]:
        assert f["name"] in found
    for claim in info.data["claims"]:
        assert claim["id"] in found


def _result(out_dir) -> Result:
    claims = [
        ClaimResult(
            "chance-at-full-corruption",
            "test accuracy at full corruption is chance, as the paper reports for CIFAR-10",
            "≈ 10%",
            0.116,
            True,
        ),
        ClaimResult(
            "fits-every-level",
            "the network reaches ≥ 99% training accuracy at every corruption level",
            "100.0% (MLP 3×512) / 99.34% (MLP 1×512) train accuracy on random labels (Table 1)",
            [0.769, 0.774, 0.825, 0.894, 0.884],
            None,
            "tolerance holds at cpu/paper scale; not checked at smoke",
        ),
    ]
    return Result(
        "random-labels", "smoke", 0, {}, {}, claims, ["random_labels.png"], "", 1.0, {}, out_dir
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_verdict_table_keeps_ids_whole_and_paths_on_their_own_lines(width, tmp_path):
    out_dir = tmp_path / ("a-long-directory-name-" * 4) / "random-labels"
    lines = render(width, lambda c: print_result(_result(out_dir), c))
    found = cells(lines)
    assert "chance-at-full-corruption" in found and "fits-every-level" in found
    assert f"figure: {out_dir / 'random_labels.png'}" in lines  # whole, to be copied
    assert f"result: {out_dir / 'result.json'}" in lines


@pytest.mark.parametrize(
    "command", ["list", "show", "run", "sweep", "reproduce", "report", "runs", "portal"]
)
def test_help_shows_no_type_clutter(command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    for clutter in ("<bool>", "<str>", "<int>", "<path>", "<list"):
        assert clutter not in res.stdout, f"mlt {command} --help shows {clutter}"


def test_top_level_help_has_no_type_clutter():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "<bool>" not in res.stdout


def test_list_help_names_the_columns_it_prints():
    text = " ".join(runner.invoke(app, ["list", "--help"]).stdout.split())
    for column in catalog_table(registry.catalog().sorted()).columns:
        assert str(column.header) in text


def test_run_help_says_how_to_change_the_thread_count():
    text = " ".join(runner.invoke(app, ["run", "--help"]).stdout.split())
    assert "--threads" in text and "MLT_THREADS" in text and "default 1" in text


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--topic", "nope"],
        ["show", "min-nrom"],
        ["run", "min-norm", "--scale", "huge"],
        ["run", "min-norm", "--set", "nn=3"],
        ["run", "min-norm", "--threads", "-1"],
        ["report", ".", "--format", "pdf"],
    ],
)
def test_error_messages_end_with_a_full_stop(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    message = " ".join(res.stderr.split())
    assert message.startswith("error: ") and message.endswith("."), message
    assert "' Allowed" not in message  # "unknown topic 'nope' Allowed: ..." ran on


def test_the_thread_count_defaults_to_one_and_follows_mlt_threads(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("MLT_THREADS", raising=False)
        torch.set_num_threads(2)
        threads.apply()
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("MLT_THREADS", "2")
        threads.apply()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_bad_mlt_threads_is_bad_input(monkeypatch, tmp_path):
    monkeypatch.setenv("MLT_THREADS", "many")
    res = runner.invoke(app, ["run", "min-norm", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "MLT_THREADS='many'" in res.stderr
    assert not (tmp_path / "r").exists()
    assert os.environ["MLT_THREADS"] == "many"


def test_runs_prints_each_directory_whole_on_a_line_of_its_own(tmp_path):
    from mltheory.lab.store import RunIndex

    run_dir = tmp_path / ("a-long-directory-name-" * 4) / "deep-double-descent-smoke-seed0"
    RunIndex().record(run_dir, "deep-double-descent", "smoke", 0, "completed", None, 1.0, 6, 0)
    res = runner.invoke(app, ["runs"])
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert any(line.strip().endswith(f" {run_dir}") for line in lines), res.stdout
    assert "deep-double-descent" in cells(lines)
