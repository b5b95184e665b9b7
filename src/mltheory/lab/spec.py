"""What an experiment declares: its paper, typed config, scales, claims and run function.

An experiment module reads top to bottom::

    PAPER = Paper(...)
    class Config(ExperimentConfig): ...
    SCALES = {"smoke": {...}, "cpu": {}, "paper": {...}}
    CLAIMS = [Claim(...), ...]

    @experiment("min-norm", title=..., topic=..., paper=PAPER, config=Config,
                scales=SCALES, claims=CLAIMS)
    def run(cfg: Config, ctx: RunContext) -> dict: ...

``run`` returns the measured metrics (a flat dict of numbers, lists and strings) with exactly
the keys the experiment declares in ``metrics=`` (key → what it is); every claim's predicate
computes its verdict from the metrics it declares it reads (``Claim.reads``) and nothing else.
Both are checked: a claim that reads an undeclared key fails when the module is imported, and a
``run`` that returns other keys than it declared is an error of the experiment. The shapes most
claims take (below a bound, within a tolerance of a computed reference, monotone, peak location,
slope, a comparison that must beat its noise) are built by :mod:`mltheory.lab.claims`.
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

    # allow_inf_nan=False: ``--set noise_std=1e999`` (infinity) or ``nan`` is bad input, never a
    # run whose result holds non-standard JSON.
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )

    def cost(self) -> Any:
        """What a run with this config trains or computes (``mltheory.lab.estimate.Cost``), or
        ``None`` if unknown. The one estimate behind the config's bounds (a config beyond the
        lab's limits is refused with the estimate in the message: :func:`check_within_limits`),
        ``mlt run --plan`` and the portal's compute quotas. It is asked only of a config that
        passed every one of its checks."""
        return None


def check_within_limits(cfg: ExperimentConfig) -> None:
    """Raise ``ValueError`` when a validated config's ``cost()`` exceeds the lab's limits.

    Called where a config is resolved from user input (``runner.resolve_config``, the portal's
    ``lab_bridge.validate_config``), after pydantic has run all of the config's validators: a
    base-class validator would run before the subclass's checks across fields, and ``cost()``
    would then see (and could crash on) values those checks refuse."""
    cost = cfg.cost()
    if cost is not None:
        refuse_over_budget(
            cost.what or f"{type(cfg).__module__.rsplit('.', 1)[-1]} with this config",
            memory_bytes=cost.memory_bytes,
            flops=cost.flops,
            loop_steps=cost.loop_steps,
        )


# What a config may ask of the machine it runs on (memory the run allocates at once, arithmetic it
# does), from its ``cost()``: ``check_within_limits`` refuses more with the estimate in its message.
MEMORY_LIMIT_BYTES = 16 * 2**30
FLOP_LIMIT = 1e16  # about a day of a laptop CPU; hours on a GPU
# Iterations of a Python-level loop (optimizer steps, trials): each costs far more than its
# arithmetic when the models are small, so tiny models with huge step counts are bounded too.
LOOP_LIMIT = 30_000_000


def refuse_over_budget(
    what: str, memory_bytes: float = 0.0, flops: float = 0.0, loop_steps: float = 0.0
) -> None:
    """Raise ``ValueError`` (bad input, exit 2) when a config's estimated memory, arithmetic or
    loop iterations exceed what any scale of the lab is meant to ask for; ``what`` says what
    was estimated."""
    if memory_bytes > MEMORY_LIMIT_BYTES:
        raise ValueError(
            f"{what} needs about {memory_bytes / 2**30:.3g} GiB of memory at once; the limit is "
            f"{MEMORY_LIMIT_BYTES / 2**30:g} GiB"
        )
    if flops > FLOP_LIMIT:
        raise ValueError(
            f"{what} needs about {flops:.2g} floating-point operations; the limit is {FLOP_LIMIT:.0g}"
        )
    if loop_steps > LOOP_LIMIT:
        raise ValueError(
            f"{what} runs about {loop_steps:.2g} loop iterations (steps × runs); the limit is "
            f"{LOOP_LIMIT:.0g}"
        )


Measured = Any  # a number, a list of numbers or a short string
Verdict = tuple[Measured, bool]


@dataclass(frozen=True)
class Claim:
    """One finding of the paper, checked against the measured metrics.

    ``check(metrics) -> (measured, passed)`` sees only the metrics named in ``reads`` (reading
    another raises); an experiment that declares its metrics must give every claim ``reads``
    (the helpers of :mod:`mltheory.lab.claims` fill it in). A claim without ``reads`` (a quick
    experiment that declares nothing) sees every metric. ``unit`` and ``label`` say what ``measured`` is ("%": a fraction shown as a
    percentage; "bits", "steps", "×", "" for a plain number) so tables can format it. ``scales``
    lists the scales at which the tolerance is expected to hold; at other scales the claim is
    still computed and shown, but reported as "not checked at this scale". ``sanity``: the claim
    holds by construction (a check that the code does what it says), not a reproduction of the
    paper's finding; it is labelled so wherever it is shown.
    """

    id: str
    statement: str
    paper_value: str
    check: Callable[[Mapping[str, Any]], Verdict]
    scales: tuple[str, ...] = SCALE_NAMES
    reads: tuple[str, ...] = ()
    unit: str = ""
    label: str = ""
    sanity: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "paper_value": self.paper_value,
            "scales": list(self.scales),
            "reads": list(self.reads),
            "unit": self.unit,
            "label": self.label,
            "sanity": self.sanity,
        }


class UndeclaredMetric(KeyError):
    """A claim's predicate read a metric it did not declare in ``reads``."""


class DeclaredMetrics(Mapping[str, Any]):
    """The metrics a claim declared it reads, and no others."""

    def __init__(self, metrics: Mapping[str, Any], claim: Claim) -> None:
        self._metrics, self._claim = metrics, claim

    def __getitem__(self, key: str) -> Any:
        if self._claim.reads and key not in self._claim.reads:
            raise UndeclaredMetric(
                f"claim {self._claim.id!r} read {key!r}, which is not in its reads="
                f"{list(self._claim.reads)}"
            )
        return self._metrics[key]

    def __iter__(self):
        keys = self._claim.reads or tuple(self._metrics)
        return (k for k in keys if k in self._metrics)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class MetricsMismatch(TypeError):
    """``run`` returned other metric keys than its experiment declared."""


def format_measured(value: Any, unit: str = "") -> str:
    """A measured value as a table shows it: 4 significant digits, a fraction with ``unit="%"``
    as a percentage, other units appended."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | int) and unit == "%":
        return f"{100 * value:.3g}%"
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, list):
        shown = ", ".join(format_measured(v, unit) for v in value[:6])
        return f"[{shown}{', …' if len(value) > 6 else ''}]"
    else:
        text = str(value)
    return f"{text} {unit}" if unit and isinstance(value, int | float) else text


@dataclass
class ClaimResult:
    id: str
    statement: str
    paper_value: str
    measured: Measured
    passed: bool | None  # None: not checked at this scale
    note: str = ""
    unit: str = ""
    label: str = ""
    sanity: bool = False

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]

    @property
    def display(self) -> str:
        """``label: value`` with the value formatted in its unit (what tables show)."""
        text = format_measured(self.measured, self.unit)
        text = f"{self.label}: {text}" if self.label else text
        return f"{text} (sanity check)" if self.sanity else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "paper_value": self.paper_value,
            "measured": self.measured,
            "passed": self.passed,
            "note": self.note,
            "unit": self.unit,
            "label": self.label,
            "sanity": self.sanity,
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

    @property
    def batchable(self) -> bool:
        """Whether a sweep may run several cells of this experiment as one population."""
        return self.run_batch is not None or self.inner_axis is not None

    # The metric keys ``run`` returns, each with a one-line description; ``None`` (students'
    # quick experiments) skips the checks below.
    metrics: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.metrics is not None:
            for c in self.claims:
                if not c.reads:
                    raise TypeError(
                        f"experiment {self.name}: claim {c.id!r} must say which metrics it "
                        "reads (reads=), since the experiment declares its metrics"
                    )
                undeclared = [k for k in c.reads if k not in self.metrics]
                if undeclared:
                    raise TypeError(
                        f"experiment {self.name}: claim {c.id!r} reads {undeclared}, which the "
                        f"experiment does not declare in metrics= (declared: {sorted(self.metrics)})"
                    )
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

    def check_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Raise :class:`MetricsMismatch` unless ``metrics`` has exactly the declared keys."""
        if self.metrics is None:
            return
        missing = sorted(set(self.metrics) - set(metrics))
        extra = sorted(set(metrics) - set(self.metrics))
        if missing or extra:
            raise MetricsMismatch(
                f"experiment {self.name}: run returned metrics that differ from its declaration"
                + (f"; missing {missing}" if missing else "")
                + (f"; undeclared {extra}" if extra else "")
            )

    def evaluate(self, metrics: Mapping[str, Any], scale: str) -> list[ClaimResult]:
        self.check_metrics(metrics)
        results = []
        for c in self.claims:
            try:
                measured, ok, *detail = c.check(DeclaredMetrics(metrics, c))
                note = "; ".join(detail)
            except Exception as exc:  # a predicate that cannot compute is a failed claim
                measured, ok, note = None, False, f"predicate raised {type(exc).__name__}: {exc}"
            checked = scale in c.scales
            if not checked:
                unchecked = f"tolerance holds at {'/'.join(c.scales)} scale; not checked at {scale}"
                note = f"{note}; {unchecked}" if note else unchecked
            results.append(
                ClaimResult(
                    c.id,
                    c.statement,
                    c.paper_value,
                    plain_value(measured),
                    bool(ok) if checked else None,
                    note,
                    c.unit,
                    c.label,
                    c.sanity,
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
            "metrics": dict(self.metrics or {}),
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
    metrics: Mapping[str, str] | None = None,
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
                metrics=metrics,
            )
        )
        fn.experiment_name = name  # type: ignore[attr-defined]
        return fn

    return register
