"""Figures without pyplot's global state: safe in threads, workers and headless machines.

Every figure uses matplotlib's constrained layout (titles, labels and legends never overlap the
axes); a figure saved by a smoke-scale run says so in its title (:func:`mark_scale`, called by
``RunContext.save_figure``), so that nobody mistakes a seconds-long run for the result.
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

SMOKE_NOTE = "smoke scale: a seconds-long check that the code runs, not the paper's result"


def new_figure(
    ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.6
) -> tuple[Figure, list[Axes]]:
    """A figure with ``nrows*ncols`` axes (returned flat), sized per panel, laid out by
    constrained layout."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def mark_scale(fig: Figure, scale: str) -> None:
    """Say in the figure's title that it comes from a smoke-scale run (other scales: nothing).

    The note goes into the suptitle, which constrained layout makes room for, below the
    figure's own suptitle if it has one."""
    if scale != "smoke":
        return
    existing = fig.get_suptitle()
    if SMOKE_NOTE in existing:
        return
    if existing:
        fig.suptitle(f"{existing}\n{SMOKE_NOTE}")
    else:
        fig.suptitle(SMOKE_NOTE, fontsize="medium", color="0.35")
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")


def readable_log_axis(ax: Axes, which: str = "x") -> None:
    """A log-scaled axis labelled with plain numbers and no minor labels. Matplotlib's default
    labels every minor tick (``2×10¹ 3×10¹ …``) when the data span less than a decade or two,
    and the labels run into each other. Call it after plotting: the ticks per decade (1, 2, 3
    and 5; 1, 2 and 5; or 1) are chosen from the span of the data."""
    if which == "x":
        ax.set_xscale("log")
        axis, (lo, hi) = ax.xaxis, ax.get_xlim()
    else:
        ax.set_yscale("log")
        axis, (lo, hi) = ax.yaxis, ax.get_ylim()
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 1.0
    subs = (1.0, 2.0, 3.0, 5.0) if decades < 1.2 else (1.0, 2.0, 5.0) if decades < 2.5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())
