"""What an experiment declares: its paper, typed config, scales, claims and run function.

An experiment module reads top to bottom::

    PAPER = Paper(...)
    class Config(ExperimentConfig): ...
    SCALES = {"smoke": {...}, "cpu": {}, "paper": {...}}
    CLAIMS = [Claim(...), ...]

    @experiment("min-norm", title=..., topic=..., paper=PAPER, config=Config,
                scales=SCALES, claims=CLAIMS)
    def run(cfg: Config, ctx: RunContext) -> dict: ...

``run`` returns the measured metrics (a flat dict of numbers, lists and strings); every claim's
predicate computes its verdict from those metrics and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SCALE_NAMES = ("smoke", "cpu", "paper")
Scale = Literal["smoke", "cpu", "paper"]


@dataclass(frozen=True)
class Paper:
    title: str
    authors: str
    year: int
    reproduces: str  # the figure, table or theorem the experiment reproduces
    arxiv: str | None = None
    doi: str | None = None

    @property
    def url(self) -> str | None:
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "arxiv": self.arxiv,
            "doi": self.doi,
            "url": self.url,
            "reproduces": self.reproduces,
        }


class ExperimentConfig(BaseModel):
    """Base of every experiment's ``Config``: unknown fields and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


Measured = Any  # a number, a list of numbers or a short string
Verdict = tuple[Measured, bool]


@dataclass(frozen=True)
class Claim:
    """One finding of the paper, checked against the measured metrics.

    ``check(metrics) -> (measured, passed)``. ``scales`` lists the scales at which the tolerance
    is expected to hold; at other scales the claim is still computed and shown, but reported as
    "not checked at this scale" rather than as a pass or fail.
    """

    id: str
    statement: str
    paper_value: str
    check: Callable[[Mapping[str, Any]], Verdict]
    scales: tuple[str, ...] = SCALE_NAMES

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "paper_value": self.paper_value,
            "scales": list(self.scales),
        }


@dataclass
class ClaimResult:
    id: str
    statement: str
    paper_value: str
    measured: Measured
    passed: bool | None  # None: not checked at this scale
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "paper_value": self.paper_value,
            "measured": self.measured,
            "passed": self.passed,
            "note": self.note,
        }


@dataclass
class Experiment:
    name: str
    title: str
    topic: str
    paper: Paper
    config: type[ExperimentConfig]
    scales: dict[str, dict[str, Any]]
    claims: list[Claim]
    fn: Callable[..., dict[str, Any]]
    module: str = ""
    lectures: tuple[str, ...] = field(default_factory=tuple)
    # Distributions (pip names) the module imports beyond the lab's own dependencies, e.g.
    # ("opacus",): `mlt run` checks them before importing the module and names the pip command.
    requires: tuple[str, ...] = ()
    # Optional population runner for sweeps: ``run_batch(cfgs, seeds, ctx) -> [metrics, ...]``
    # runs several cells at once. Cells may be batched together when their configs differ only
    # in ``batch_fields`` (and the seed); each cell's metrics are checked against the claims
    # exactly as if ``fn`` had produced them.
    batch_fields: tuple[str, ...] = ()
    run_batch: Callable[..., list[dict[str, Any]]] | None = None
    # The widths / ratios / levels the run sweeps inside itself (``mltheory.lab.inner_axis``):
    # a sweep then batches cells differing in ``batch_fields`` and the seed point by point.
    inner_axis: Any = None
    # ``workload(cfg) -> mltheory.lab.estimate.Cost``: what a run trains, for ``mlt run --plan``.
    workload: Callable[[Any], Any] | None = None

    @property
    def batchable(self) -> bool:
        """Whether a sweep may run several cells of this experiment as one population."""
        return self.run_batch is not None or self.inner_axis is not None

    def __post_init__(self) -> None:
        missing = [s for s in SCALE_NAMES if s not in self.scales]
        if missing:
            raise TypeError(f"experiment {self.name}: SCALES lacks {missing}")
        for overrides in self.scales.values():
            # Fails at import time (in the tests) if a scale names a field that does not exist.
            self.config(**overrides)
        ids = [c.id for c in self.claims]
        if len(set(ids)) != len(ids):
            raise TypeError(f"experiment {self.name}: duplicate claim ids {ids}")

    @property
    def doc(self) -> str:
        import importlib

        return (importlib.import_module(self.module).__doc__ or "").strip()

    def evaluate(self, metrics: Mapping[str, Any], scale: str) -> list[ClaimResult]:
        results = []
        for c in self.claims:
            try:
                measured, ok = c.check(metrics)
                note = ""
            except Exception as exc:  # a predicate that cannot compute is a failed claim
                measured, ok, note = None, False, f"predicate raised {type(exc).__name__}: {exc}"
            checked = scale in c.scales
            if not checked:
                note = (
                    note or f"tolerance holds at {'/'.join(c.scales)} scale; not checked at {scale}"
                )
            results.append(
                ClaimResult(
                    c.id,
                    c.statement,
                    c.paper_value,
                    plain_value(measured),
                    bool(ok) if checked else None,
                    note,
                )
            )
        return results

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "topic": self.topic,
            "paper": self.paper.as_dict(),
            "scales": list(SCALE_NAMES),
            "claims": [c.as_dict() for c in self.claims],
            "lectures": list(self.lectures),
        }


def plain_value(value: Any) -> Any:
    """Numbers from NumPy/torch become plain Python so they serialise to JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def experiment(
    name: str,
    *,
    title: str,
    topic: str,
    paper: Paper,
    config: type[ExperimentConfig],
    scales: dict[str, dict[str, Any]],
    claims: list[Claim],
    lectures: tuple[str, ...] = (),
    requires: tuple[str, ...] = (),
    batch_fields: tuple[str, ...] = (),
    run_batch: Callable[..., list[dict[str, Any]]] | None = None,
    inner_axis: Any = None,
    workload: Callable[[Any], Any] | None = None,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register ``run`` as the experiment ``name`` (discovered by :mod:`mltheory.lab.registry`)."""

    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        from mltheory.lab import registry

        registry.add(
            Experiment(
                name=name,
                title=title,
                topic=topic,
                paper=paper,
                config=config,
                scales=scales,
                claims=claims,
                fn=fn,
                module=fn.__module__,
                lectures=lectures,
                requires=tuple(requires),
                batch_fields=batch_fields,
                run_batch=run_batch,
                inner_axis=inner_axis,
                workload=workload,
            )
        )
        fn.experiment_name = name  # type: ignore[attr-defined]
        return fn

    return register
