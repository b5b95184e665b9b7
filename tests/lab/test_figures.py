"""Figures: smoke-scale figures say so; log axes over a short span keep their labels apart."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from mltheory.lab.context import RunContext
from mltheory.lab.figures import SMOKE_NOTE, mark_scale, new_figure, readable_log_axis


def test_a_smoke_run_marks_its_figures_and_other_scales_do_not(tmp_path):
    for scale, marked in (("smoke", True), ("cpu", False)):
        ctx = RunContext(tmp_path / scale, scale=scale, quiet=True)
        fig, (ax,) = new_figure()
        ax.plot([0, 1], [0, 1])
        ctx.save_figure(fig, "line")
        assert (SMOKE_NOTE in fig.get_suptitle()) is marked
        assert (tmp_path / scale / "line.png").exists()


def test_the_smoke_note_keeps_the_figures_own_title():
    fig, _ = new_figure()
    fig.suptitle("MNIST-1D, MLP 512")
    mark_scale(fig, "smoke")
    mark_scale(fig, "smoke")  # saving twice adds the note once
    assert fig.get_suptitle() == f"MNIST-1D, MLP 512\n{SMOKE_NOTE}"
    assert fig.get_layout_engine() is not None


def _overlapping_labels(ax) -> list[tuple[str, str]]:
    FigureCanvasAgg(ax.figure).draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = [
        t
        for t in ax.xaxis.get_ticklabels(minor=False) + ax.xaxis.get_ticklabels(minor=True)
        if t.get_visible() and t.get_text()
    ]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_a_short_log_axis_has_readable_labels():
    """The sparse-parity smoke figure: steps 20 to 400 on a log axis, one panel of three."""
    steps = [20, 40, 60, 80, 100, 200, 300, 400]
    default_fig, (default_ax, *_) = new_figure(ncols=3)
    default_ax.semilogx(steps, steps)
    assert _overlapping_labels(default_ax), "control: matplotlib's default labels collide"

    fig, (ax, *_) = new_figure(ncols=3)
    ax.plot(steps, steps)
    readable_log_axis(ax, "x")
    assert _overlapping_labels(ax) == []
    FigureCanvasAgg(fig).draw()
    shown = [t.get_text() for t in ax.xaxis.get_ticklabels() if t.get_text()]
    assert "100" in shown and "×" not in "".join(shown)
