"""Evidence writes the docs: the README's table and the docstrings' sections match evidence/."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import evidence

ROOT = evidence.repo_root()


def test_readme_and_docstrings_agree_with_evidence():
    """Fails when someone edits a number by hand or commits a new reproduction without running
    ``mlt evidence``."""
    assert evidence.stale(ROOT) == [], "run `mlt evidence` and commit the result"


def _copy(tmp_path):
    (tmp_path / "evidence").mkdir()
    for d in ("cpu-seeds3", "smoke-seeds3"):
        (tmp_path / "evidence" / d).mkdir()
        shutil.copy(ROOT / "evidence" / d / "summary.json", tmp_path / "evidence" / d)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def test_a_new_reproduction_makes_the_docs_stale_until_rewritten(tmp_path):
    root = _copy(tmp_path)
    assert evidence.stale(root) == []
    path = root / "evidence" / "cpu-seeds3" / "summary.json"
    summary = json.loads(path.read_text())
    summary["experiments"][0]["duration_s"] = 369.0  # over 3 seeds
    path.write_text(json.dumps(summary))
    assert evidence.stale(root) == [root / "README.md"]
    assert evidence.write(root) == [root / "README.md"]
    assert "| 123 s per seed |" in (root / "README.md").read_text()
    assert evidence.stale(root) == []


def test_a_summary_over_seeds_wins_and_shows_pass_rates(tmp_path):
    root = _copy(tmp_path)
    over = root / "evidence" / "cpu-seeds5"
    over.mkdir()
    summary = json.loads((root / "evidence" / "cpu-seeds3" / "summary.json").read_text())
    first = summary["experiments"][0]
    seeds = [0, 1, 2, 3, 4]
    first.update(seeds=seeds, reproduced_seeds=[0, 2, 3, 4], reproduces="4/5", duration_s=50.0)
    first["claims"] = [
        {
            "id": "c",
            "passed": 4,
            "checked": 5,
            "measured": {"kind": "number", "mean": 0.5, "ci": [0.4, 0.6], "n": 5},
        }
    ]
    summary["seeds"] = seeds
    (over / "summary.json").write_text(json.dumps(summary))
    evidence.write(root)
    table = (root / "README.md").read_text()
    assert "reproduces on 4/5 seeds" in table and "`c` 0.5 [0.4, 0.6] (4/5 seeds)" in table
    assert "10 s per seed" in table and "seeds 0–4" in table


def test_a_docstring_gets_its_section_inserted_then_replaced():
    source = '"""Title.\n\nMeasured: by hand.\nCommand: ``mlt run x``\n"""\n\nX = 1\n'
    block = f"{evidence.DOC_BEGIN}\nnew numbers\n{evidence.DOC_END}"
    once = evidence.rewrite_docstring(source, block, "x.py")
    assert once.index("new numbers") < once.index("Command:")
    again = evidence.rewrite_docstring(once, block.replace("new", "newer"), "x.py")
    assert "newer numbers" in again and "new numbers" not in again
    assert again.count(evidence.DOC_BEGIN) == 1 and again.endswith("X = 1\n")


def test_cli_check_exits_1_when_stale(tmp_path, monkeypatch):
    root = _copy(tmp_path)
    monkeypatch.setattr(evidence, "repo_root", lambda: root)
    cli = CliRunner()
    assert cli.invoke(app, ["evidence", "--check"]).exit_code == 0
    (root / "README.md").write_text(
        (root / "README.md").read_text().replace("on 3/3 seeds", "on 3/3 seeds!", 1)
    )
    r = cli.invoke(app, ["evidence", "--check"])
    assert r.exit_code == 1 and "README.md" in r.output
