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
    from mltheory.lab.runner import Result

VERDICT_STYLE = {"PASS": "bold green", "FAIL": "bold red", "n/a": "dim"}


def verdict_table(result: Result) -> Table:
    table = Table(
        title=f"{result.experiment} · scale={result.scale} · seed={result.seed} · {result.duration_s:.1f}s"
    )
    table.add_column("claim", overflow="fold", ratio=3)
    table.add_column("paper", overflow="fold", ratio=2)
    table.add_column("measured", overflow="fold", ratio=2)
    table.add_column("verdict", no_wrap=True)
    for c in result.claims:
        verdict = c.verdict
        measured = c.display + (f"\n[dim]{c.note}[/dim]" if c.note else "")
        table.add_row(
            f"[bold]{c.id}[/bold]: {c.statement}",
            c.paper_value,
            measured,
            f"[{VERDICT_STYLE[verdict]}]{verdict}[/]",
        )
    return table


def print_result(result: Result, console: Console) -> None:
    console.print(verdict_table(result))
    for p in result.figure_paths():
        console.print(f"figure: {p}")
    if result.out_dir is not None:
        console.print(f"result: {result.out_dir / 'result.json'}")


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
            result_html(e["result"], embed_figures=True, paper=e.get("paper"))
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
    r = entry.get("result")
    if r is None:
        return ""
    p = sum(c.passed is True for c in r.claims)
    f = sum(c.passed is False for c in r.claims)
    n = sum(c.passed is None for c in r.claims)
    return f"{p} pass, {f} fail" + (f", {n} n/a" if n else "")
