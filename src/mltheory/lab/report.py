"""Verdict tables and reports: terminal (rich), Markdown, and self-contained HTML."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from mltheory.lab.registry import ExperimentInfo
    from mltheory.lab.runner import Result

VERDICT_STYLE = {"PASS": "bold green", "FAIL": "bold red", "n/a": "dim"}


def _widest(words: Sequence[str]) -> int:
    """The width a column needs so that none of ``words`` (names, ids) is split across lines."""
    return max((len(w) for w in words), default=0)


def short_citation(paper: dict[str, Any]) -> str:
    """``Zhang et al. 2017`` from the paper's comma-separated authors and year."""
    authors = [a.strip() for a in paper["authors"].split(",") if a.strip()]
    who = f"{authors[0]} et al." if len(authors) > 2 else " and ".join(authors)
    return f"{who} {paper['year']}"


def catalog_table(infos: Sequence[ExperimentInfo]) -> Table:
    """``mlt list``: one row per experiment. Names and topics are never split across lines (at
    80 columns the title wraps at spaces instead)."""
    table = Table(title=f"{len(infos)} experiments, by topic", title_justify="left")
    table.add_column("name", no_wrap=True, min_width=_widest([e.name for e in infos]))
    table.add_column("title", ratio=1)
    table.add_column("paper", no_wrap=True)
    table.add_column("claims", justify="right", no_wrap=True)
    topic = None
    for e in infos:  # sorted by topic: each topic opens a section headed by its name
        if e.topic != topic:
            if topic is not None:
                table.add_section()
            table.add_row(f"[bold]{e.topic}[/bold]", style="italic")
            topic = e.topic
        table.add_row(
            e.name, e.data["title"], short_citation(e.data["paper"]), str(len(e.data["claims"]))
        )
    return table


BOUND_SYMBOLS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def print_experiment(info: ExperimentInfo, console: Console) -> None:
    """``mlt show``: the paper, config fields, scales and claims of one experiment."""
    d = info.data
    p = d["paper"]
    console.print(f"[bold]{d['name']}[/bold] — {d['title']}")
    console.print(f"{p['authors']} ({p['year']}). {p['title']}.", highlight=False)
    if p.get("url"):
        console.print(p["url"], soft_wrap=True, highlight=False)
    console.print(f"reproduces: {p['reproduces']}", highlight=False)
    if d.get("requires"):
        console.print(f"requires: {', '.join(d['requires'])}", highlight=False)
    console.print()
    fields = d["config"]
    t = Table(title="config", title_justify="left")
    t.add_column("field", no_wrap=True, min_width=_widest([f["name"] for f in fields]))
    t.add_column("type", no_wrap=True)
    t.add_column("default", overflow="fold")
    t.add_column("bounds", no_wrap=True)
    t.add_column("description", ratio=1)
    for f in fields:
        t.add_row(
            f["name"],
            f["type"],
            repr(f["default"]) if isinstance(f["default"], str) else str(f["default"]),
            ", ".join(f"{BOUND_SYMBOLS[k]} {v}" for k, v in f["bounds"].items()),
            f["description"],
        )
    console.print(t)
    s = Table(title="scales (cpu is the default)", title_justify="left")
    s.add_column("scale", no_wrap=True)
    s.add_column("overrides of the config's defaults", ratio=1)
    for scale, ov in d["scale_overrides"].items():
        s.add_row(scale, ", ".join(f"{k}={v}" for k, v in ov.items()) or "(defaults)")
    console.print(s)
    c = Table(title="claims", title_justify="left")
    c.add_column("id", no_wrap=True, min_width=_widest([cl["id"] for cl in d["claims"]]))
    c.add_column("statement", ratio=3)
    c.add_column("paper", ratio=2)
    c.add_column("checked at", min_width=5)
    for cl in d["claims"]:
        c.add_row(cl["id"], cl["statement"], cl["paper_value"], ", ".join(cl["scales"]))
    console.print(c)


def verdict_table(result: Result, width: int | None = None) -> Table:
    """The claims, the paper's values, what was measured and the verdicts. With the terminal's
    ``width``, the claim column is at least as wide as the longest claim id (ids head their
    cells on a line of their own and are never split; statements wrap at spaces)."""
    table = Table(
        title=f"{result.experiment} · scale={result.scale} · seed={result.seed} · {result.duration_s:.1f}s"
    )
    widths: list[int | None] = [None, None, None]
    if width is not None:
        # rich ignores min_width when it shrinks ratio columns to fit, so the widths are set
        # here: 13 columns of borders and padding, 7 for the verdict, the rest 3:2:2.
        rest = max(width - 13 - 7, 30)
        claim = max(_widest([c.id for c in result.claims]), rest * 3 // 7)
        widths = [claim, (rest - claim) // 2, rest - claim - (rest - claim) // 2]
    table.add_column("claim", ratio=None if width else 3, width=widths[0])
    table.add_column("paper", overflow="fold", ratio=None if width else 2, width=widths[1])
    table.add_column("measured", overflow="fold", ratio=None if width else 2, width=widths[2])
    table.add_column("verdict", no_wrap=True)
    for c in result.claims:
        verdict = c.verdict
        measured = c.display + (f"\n[dim]{c.note}[/dim]" if c.note else "")
        table.add_row(
            f"[bold]{c.id}[/bold]\n{c.statement}",
            c.paper_value,
            measured,
            f"[{VERDICT_STYLE[verdict]}]{verdict}[/]",
        )
    return table


def print_paths(console: Console, label: str, paths: Sequence[Path | str]) -> None:
    """Paths on lines of their own, never wrapped (``soft_wrap``), so they can be copied."""
    for p in paths:
        console.print(f"{label}: {p}", soft_wrap=True, highlight=False)


def print_result(result: Result, console: Console) -> None:
    console.print(verdict_table(result, width=console.width))
    print_paths(console, "figure", result.figure_paths())
    if result.out_dir is not None:
        print_paths(console, "result", [result.out_dir / "result.json"])


def result_markdown(result: Result) -> str:
    lines = [
        f"### {result.experiment} (scale {result.scale}, seed {result.seed}, {result.duration_s:.1f} s)",
        "",
        "| claim | paper | measured | verdict |",
        "|---|---|---|---|",
    ]
    for c in result.claims:
        lines.append(f"| {c.id}: {c.statement} | {c.paper_value} | {c.display} | {c.verdict} |")
    return "\n".join(lines) + "\n"


def _img(path: Path, embed: bool) -> str:
    if embed and path.exists():
        data = base64.b64encode(path.read_bytes()).decode()
        return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}" style="max-width:100%">'
    return f'<img alt="{html.escape(path.name)}" src="{html.escape(str(path))}" style="max-width:100%">'


def result_html(
    result: Result, embed_figures: bool = True, paper: dict[str, Any] | None = None
) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(c.id)}</b>: {html.escape(c.statement)}</td>"
        f"<td>{html.escape(c.paper_value)}</td><td>{html.escape(c.display)}"
        f"{'<br><small>' + html.escape(c.note) + '</small>' if c.note else ''}</td>"
        f'<td class="{c.verdict.replace("/", "")}">{c.verdict}</td></tr>'
        for c in result.claims
    )
    head = f"<h3>{html.escape(result.experiment)}</h3>"
    if paper:
        link = paper.get("url")
        title = html.escape(f"{paper['authors']} ({paper['year']}). {paper['title']}")
        head += f"<p>{f'<a href={html.escape(link)!r}>{title}</a>' if link else title} — {html.escape(paper['reproduces'])}</p>"
    head += f"<p>scale {result.scale}, seed {result.seed}, {result.duration_s:.1f} s</p>"
    figs = "".join(_img(p, embed_figures) for p in result.figure_paths())
    return f"{head}<table><tr><th>claim</th><th>paper</th><th>measured</th><th>verdict</th></tr>{rows}</table>{figs}"


HTML_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}
.PASS{color:#070;font-weight:bold}.FAIL{color:#b00;font-weight:bold}.na{color:#888}.ERROR{color:#b00}
pre{background:#f6f6f6;padding:.5rem;overflow:auto}section{border-top:1px solid #ccc;margin-top:1.5rem}
"""


def catalog_html(title: str, entries: Sequence[dict[str, Any]]) -> str:
    """A self-contained report (figures embedded) for ``mlt reproduce``.

    Each entry: ``{"name", "paper", "status", "result": Result | None, "error": str | None}``.
    """
    summary_rows = "".join(
        f"<tr><td><a href='#{html.escape(e['name'])}'>{html.escape(e['name'])}</a></td>"
        f"<td class='{'ERROR' if e['status'] == 'error' else ''}'>{html.escape(e['status'])}</td>"
        f"<td>{_counts(e)}</td></tr>"
        for e in entries
    )
    sections = []
    for e in entries:
        body = (
            e["html"]  # pre-rendered, e.g. a run over seeds (mltheory.lab.verdicts)
            if e.get("html")
            else result_html(e["result"], embed_figures=True, paper=e.get("paper"))
            if e.get("result") is not None
            else f"<h3>{html.escape(e['name'])}</h3><p class='ERROR'>error</p><pre>{html.escape(e.get('error') or '')}</pre>"
        )
        sections.append(f"<section id='{html.escape(e['name'])}'>{body}</section>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{HTML_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<table><tr><th>experiment</th><th>status</th><th>claims</th></tr>{summary_rows}</table>"
        f"{''.join(sections)}</body></html>"
    )


def _counts(entry: dict[str, Any]) -> str:
    if "reproduces" in entry:  # a run over seeds
        return f"reproduces on {entry['reproduces']} seeds"
    r = entry.get("result")
    if r is None:
        return ""
    p = sum(c.passed is True for c in r.claims)
    f = sum(c.passed is False for c in r.claims)
    n = sum(c.passed is None for c in r.claims)
    return f"{p} pass, {f} fail" + (f", {n} n/a" if n else "")
