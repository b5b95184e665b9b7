"""Evidence writes the docs: the README's catalog table and each experiment's evidence section.

``evidence/<name>/summary.json`` holds what ``mlt reproduce`` measured (each experiment's claims,
measured values, verdicts and time; over seeds when it ran with ``--seeds``). Nothing measured is
typed by hand into the docs: ``mlt evidence`` (or ``python -m mltheory.lab.evidence``) rewrites

* the README's catalog table, between ``<!-- evidence:catalog:begin -->`` and
  ``<!-- evidence:catalog:end -->``, and
* in each experiment module's docstring, the block between ``.. evidence: begin`` and
  ``.. evidence: end`` (inserted before the ``Command:`` line the first time),

from the cpu-scale summary (the one over the most seeds) and the smoke-scale summary.
``mlt evidence --check`` (and ``tests/lab/test_evidence.py``) fails when the docs disagree with
``evidence/``: after a new reproduction, run ``mlt evidence`` and commit both.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README_BEGIN = "<!-- evidence:catalog:begin -->"
README_END = "<!-- evidence:catalog:end -->"
DOC_BEGIN = ".. evidence: begin"
DOC_END = ".. evidence: end"


def repo_root() -> Path:
    """The checkout this package runs from (``src/mltheory/lab/evidence.py`` → the root)."""
    return Path(__file__).resolve().parents[3]


@dataclass
class Summary:
    path: Path
    data: dict[str, Any]

    @property
    def scale(self) -> str:
        return self.data["scale"]

    @property
    def seeds(self) -> list[int]:
        return self.data.get("seeds") or [self.data.get("seed", 0)]

    def entry(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.data["experiments"] if e["name"] == name), None)

    def command(self) -> str:
        env = self.data.get("environment", {})
        if env.get("command"):
            return env["command"]
        seeds = f"--seeds {len(self.seeds)}" if "seeds" in self.data else f"--seed {self.seeds[0]}"
        return f"mlt reproduce --scale {self.scale} {seeds} --out repro"

    def where(self) -> str:
        env = self.data.get("environment")
        if not env:
            return "machine not recorded in summary.json (see evidence/README.md)"
        parts = [
            env.get("date", ""),
            env.get("cpu", ""),
            f"{env['cores']} cores" if env.get("cores") else "",
            f"torch {env['torch']}" if env.get("torch") else "",
            f"{env['threads']} thread(s)" if env.get("threads") else "",
        ]
        return ", ".join(p for p in parts if p)


def load_summaries(evidence: Path) -> dict[str, Summary]:
    """The summary used per scale: the one over the most seeds (then the newest path name)."""
    chosen: dict[str, Summary] = {}
    for path in sorted(evidence.glob("*/summary.json")):
        s = Summary(path, json.loads(path.read_text()))
        old = chosen.get(s.scale)
        if old is None or len(s.seeds) >= len(old.seeds):
            chosen[s.scale] = s
    return chosen


# --- rendering ----------------------------------------------------------------------------------
def _measured(claim: dict[str, Any]) -> str:
    from mltheory.lab.verdicts import format_summary_measured, format_value

    m, unit = claim["measured"], claim.get("unit", "")
    if isinstance(m, dict) and "kind" in m:  # over seeds
        return format_summary_measured(m, unit)
    return format_value(m, unit)


def _verdict(claim: dict[str, Any]) -> str:
    if "checked" in claim:  # over seeds
        return f"{claim['passed']}/{claim['checked']} seeds" if claim["checked"] else "n/a"
    return {True: "PASS", False: "FAIL", None: "n/a"}[claim["passed"]]


def _tally(entry: dict[str, Any]) -> str:
    if entry["status"] != "completed":
        return "crashed"
    if "reproduces" in entry:
        return f"reproduces on {entry['reproduces']} seeds"
    total = entry["passed"] + entry["failed"] + entry["not_checked"]
    failed = [c["id"] for c in entry["claims"] if c["passed"] is False]
    return f"{entry['passed']}/{total} PASS" + (f" (FAIL: {', '.join(failed)})" if failed else "")


def _seconds(entry: dict[str, Any]) -> str:
    if "duration_s" not in entry:
        return "—"
    k = len(entry.get("seeds", [0]))
    s = entry["duration_s"] / k
    text = f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    return text + (" per seed" if k > 1 else "")


def _cite(paper: dict[str, Any]) -> str:
    names = [a.strip() for a in paper["authors"].split(",")]
    who = names[0].split()[-1] + (" et al." if len(names) > 2 else "")
    if len(names) == 2:
        who += " & " + names[1].split()[-1]
    text = f"{who} {paper['year']}"
    return f"[{text}]({paper['url']})" if paper.get("url") else text


def readme_table(cpu: Summary, smoke: Summary | None) -> str:
    from mltheory.lab import registry

    seeds = cpu.seeds
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]}"
    lines = [
        README_BEGIN,
        f"Generated by `mlt evidence` from `{cpu.path.parent.name}/summary.json`"
        + (f" and `{smoke.path.parent.name}/summary.json`" if smoke else "")
        + " in [evidence/](evidence/); do not edit by hand.",
        f"Cpu scale, {which}: `{cpu.command()}`; {cpu.where()}.",
        "",
        "| experiment | paper | verdict (cpu) | claims: measured (cpu) | time (cpu) | time (smoke) |",
        "|---|---|---|---|---|---|",
    ]
    for e in cpu.data["experiments"]:
        try:
            paper = _cite(registry.get(e["name"]).paper.as_dict())
        except Exception:  # an experiment no longer in the catalog keeps its row
            paper = "—"
        claims = "; ".join(
            f"`{c['id']}` {_measured(c)} ({_verdict(c)})".replace("|", "\\|")
            for c in e.get("claims", [])
        )
        smoke_entry = smoke.entry(e["name"]) if smoke else None
        lines.append(
            f"| `{e['name']}` | {paper} | {_tally(e)} | {claims or '—'} | {_seconds(e)} | "
            f"{_seconds(smoke_entry) if smoke_entry else '—'} |"
        )
    lines.append(README_END)
    return "\n".join(lines)


def docstring_block(name: str, cpu: Summary, smoke: Summary | None) -> str | None:
    entry = cpu.entry(name)
    if entry is None:
        return None
    seeds = cpu.seeds
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]}"
    lines = [
        DOC_BEGIN,
        f"Evidence (written by ``mlt evidence`` from evidence/{cpu.path.parent.name}; do not edit):",
        f"cpu scale, {which}, {_seconds(entry)}: {_tally(entry)}; {cpu.where()}.",
    ]
    for c in entry.get("claims", []):
        lines.append(f"    {c['id']}: {_measured(c)} ({_verdict(c)})")
    smoke_entry = smoke.entry(name) if smoke else None
    if smoke_entry:
        lines.append(f"smoke scale: {_seconds(smoke_entry)}, {_tally(smoke_entry)}.")
    lines.append(f"Reproduce: ``{cpu.command()}``")
    lines.append(DOC_END)
    return "\n".join(lines)


# --- rewriting ----------------------------------------------------------------------------------
def replace_between(text: str, begin: str, end: str, block: str, where: str) -> str:
    """``text`` with the lines from ``begin`` to ``end`` replaced by ``block`` (which carries
    its own markers)."""
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{where}: no {begin!r} … {end!r} markers")
    return text[:i] + block + text[j + len(end) :]


def _docstring_span(source: str) -> tuple[int, int]:
    """Character offsets of the module docstring's contents."""
    tree = ast.parse(source)
    node = tree.body[0]
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        raise ValueError("no module docstring")
    lines = source.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: node.lineno - 1]) + node.col_offset
    stop = sum(len(x) for x in lines[: node.end_lineno - 1]) + node.end_col_offset
    return start, stop


def rewrite_docstring(source: str, block: str, where: str) -> str:
    if DOC_BEGIN in source:
        return replace_between(source, DOC_BEGIN, DOC_END, block, where)
    start, stop = _docstring_span(source)
    doc = source[start:stop]
    # Inserted before the "Command:" line, or at the end of the docstring.
    at = doc.find("\nCommand:")
    if at < 0:
        at = doc.rfind('"""') - 1
    return source[: start + at + 1] + block + "\n" + source[start + at + 1 :]


def targets(root: Path) -> dict[Path, str]:
    """Every file the evidence writes, with the text it should have."""
    from mltheory.lab import registry

    summaries = load_summaries(root / "evidence")
    cpu, smoke = summaries.get("cpu"), summaries.get("smoke")
    if cpu is None:
        raise ValueError(f"no cpu-scale summary.json under {root / 'evidence'}")
    out: dict[Path, str] = {}
    readme = root / "README.md"
    out[readme] = replace_between(
        readme.read_text(), README_BEGIN, README_END, readme_table(cpu, smoke), str(readme)
    )
    for e in cpu.data["experiments"]:
        try:
            exp = registry.get(e["name"])
        except Exception:
            continue
        module = sys.modules.get(exp.module)
        path = Path(module.__file__) if module and module.__file__ else None
        if path is None or root not in path.resolve().parents:
            continue  # only this checkout's own experiment files
        block = docstring_block(e["name"], cpu, smoke)
        if block is not None:
            out[path] = rewrite_docstring(path.read_text(), block, str(path))
    return out


def stale(root: Path | None = None) -> list[Path]:
    """The files whose evidence sections disagree with ``evidence/``."""
    return [p for p, text in targets(root or repo_root()).items() if p.read_text() != text]


def write(root: Path | None = None) -> list[Path]:
    """Rewrite every evidence section; returns the files that changed."""
    changed = []
    for path, text in targets(root or repo_root()).items():
        if path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mltheory.lab.evidence", description=__doc__)
    ap.add_argument("--check", action="store_true", help="only report files that disagree")
    args = ap.parse_args(argv)
    if args.check:
        bad = stale()
        for p in bad:
            print(f"out of date with evidence/: {p}")
        return 1 if bad else 0
    for p in write():
        print(f"rewrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
