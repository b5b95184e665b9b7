"""Inner axes: the list of widths, ratios or corruption levels an experiment sweeps inside one run.

An experiment whose run measures a curve declares the curve's axis once::

    AXIS = InnerAxis("width", points=widths_for, measure=train_width, key="widths")

    @experiment(..., inner_axis=AXIS)
    def run(cfg, ctx):
        curves = AXIS.sweep(cfg, ctx)      # {"widths": [...], "test_error": [...], ...}
        ...                                 # the science: shape of the curve, figure, metrics

``measure(point, members, ctx)`` measures one point for several *members* (each a config and a
seed) at once and returns one dict of numbers per member: that is where an experiment trains a
population (e.g. every seed's network of one width as one batched model). The platform does the
rest:

* **checkpointing per point**: points are :meth:`RunContext.run_phases` phases, so a killed run
  resumes at the point it was measuring;
* **population batching across seeds and configs**: a sweep (``mlt sweep``, ``mlt run --seeds``)
  groups cells that differ only in the seed and the experiment's ``batch_fields``, measures the
  whole group point by point in one context (one population per point; with
  ``batch_points=True``, one population for all points and members), and then runs each
  cell's own ``run`` with its curves already measured: each cell's metrics, claims and figures
  are exactly what ``run`` computes from those curves;
* **curves**: ``AXIS.sweep`` returns each measured quantity as a list over the points, under the
  axis ``key``; ``sweep.json`` aggregates such curves point by point over seeds (mean, std) and
  plots them against the axis with bands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mltheory.lab.context import RunContext
    from mltheory.lab.spec import ExperimentConfig


@dataclass(frozen=True)
class Member:
    """One member measured at a point: a run's config and seed, and the point it is measured at
    (the platform fills it in)."""

    cfg: ExperimentConfig
    seed: int
    point: Any = None


Measure = Callable[[Any, Sequence[Member], "RunContext"], list[dict[str, Any]]]

# Curves measured ahead of a run, by run directory: set by the sweep for the cells it measured
# as one population, read by ``InnerAxis.sweep`` inside each cell's ``run``.
_MEASURED: dict[Path, dict[str, list[Any]]] = {}


@dataclass(frozen=True)
class InnerAxis:
    """The axis ``name`` (singular, e.g. ``"width"``), its ``points(cfg)`` and the per-point
    ``measure``; the curves carry the points under ``key`` (default ``name + "s"``).

    ``batch_points``: the points can share one population (e.g. label-corruption levels of
    one network shape, unlike widths). ``measure`` is then called once, in one checkpointed
    phase, with every (point, member) pair and ``point=None``; each member's ``point`` says
    where it is measured."""

    name: str
    points: Callable[[Any], Sequence[Any]]
    measure: Measure
    key: str = ""
    batch_points: bool = False

    @property
    def points_key(self) -> str:
        return self.key or f"{self.name}s"

    def sweep(self, cfg: ExperimentConfig, ctx: RunContext) -> dict[str, list[Any]]:
        """This run's curves: measured here point by point (checkpointed), or taken from the
        population a sweep measured for this run's directory."""
        measured = _MEASURED.get(Path(ctx.out_dir).resolve())
        if measured is not None:
            return measured
        return measure_curves(self, [Member(cfg, ctx.seed)], ctx)[0]


def measure_curves(
    axis: InnerAxis, members: Sequence[Member], ctx: RunContext
) -> list[dict[str, list[Any]]]:
    """Measure every point for all ``members`` (one :meth:`RunContext.run_phases` phase per
    point) and return each member's curves. All members share the first member's points."""
    points = list(axis.points(members[0].cfg))
    for m in members[1:]:
        if list(axis.points(m.cfg)) != points:
            raise ValueError(f"members of one population must share their {axis.name} points")

    def measure(point: Any, at: Sequence[Member]) -> list[dict[str, Any]]:
        row = axis.measure(point, at, ctx)
        if len(row) != len(at):
            raise ValueError(
                f"{axis.name}={point}: measure returned {len(row)} results for {len(at)} members"
            )
        return row

    def placed(point: Any) -> list[Member]:
        return [Member(m.cfg, m.seed, point) for m in members]

    if axis.batch_points:
        everywhere = [m for p in points for m in placed(p)]
        rows = ctx.run_phases(
            ["all"], lambda _: measure(None, everywhere), description=f"{axis.name}s"
        )["all"]
        k = len(members)
        by_point = {p: rows[i * k : (i + 1) * k] for i, p in enumerate(points)}
    else:
        by_point = ctx.run_phases(
            points, lambda p: measure(p, placed(p)), description=f"{axis.name}s"
        )
    curves = []
    for i in range(len(members)):
        curve: dict[str, list[Any]] = {axis.points_key: points}
        for name in by_point[points[0]][i]:
            curve[name] = [by_point[p][i][name] for p in points]
        curves.append(curve)
    return curves


@contextmanager
def measured_ahead(curves_by_dir: Mapping[Path, dict[str, list[Any]]]) -> Iterator[None]:
    """While active, ``InnerAxis.sweep`` in a run whose directory is a key returns its curves."""
    keys = [Path(d).resolve() for d in curves_by_dir]
    _MEASURED.update(zip(keys, curves_by_dir.values(), strict=True))
    try:
        yield
    finally:
        for k in keys:
            _MEASURED.pop(k, None)
