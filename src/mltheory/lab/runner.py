"""Running one experiment: resolve its config, run it in a run directory, check its claims.

Everything that can be wrong with the input is checked in :func:`prepare` before any work
starts, so bad input costs nothing and leaves nothing behind.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

import mltheory
from mltheory.lab import registry
from mltheory.lab.context import MAX_SEED, RunContext, resolve_device
from mltheory.lab.errors import BadInput, unknown
from mltheory.lab.output_dir import check_out_path, check_run_dir, clear_run_dir, make_out_dir
from mltheory.lab.spec import (
    SCALE_NAMES,
    ClaimResult,
    Experiment,
    ExperimentConfig,
    check_within_limits,
    plain_value,
)
from mltheory.lab.store import (
    CONFIG_FILE,
    RESULT_FILE,
    RunIndex,
    default_run_dir,
    read_json,
    write_json_atomic,
)


@dataclass
class Result:
    """A finished run: what was measured and what the paper's claims say about it."""

    experiment: str
    scale: str
    seed: int
    config: dict[str, Any]
    metrics: dict[str, Any]
    claims: list[ClaimResult]
    figures: list[str]
    started: str
    duration_s: float
    versions: dict[str, str]
    out_dir: Path | None = None
    resumed: bool = False

    @property
    def passed(self) -> bool:
        """True when no checked claim failed."""
        return all(c.passed is not False for c in self.claims)

    @property
    def failed_claims(self) -> list[ClaimResult]:
        return [c for c in self.claims if c.passed is False]

    def figure_paths(self) -> list[Path]:
        base = self.out_dir or Path(".")
        return [base / f for f in self.figures]

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "scale": self.scale,
            "seed": self.seed,
            "config": self.config,
            "metrics": self.metrics,
            "claims": [c.as_dict() for c in self.claims],
            "figures": self.figures,
            "started": self.started,
            "duration_s": self.duration_s,
            "versions": self.versions,
            "resumed": self.resumed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], out_dir: Path | None = None) -> Result:
        return cls(
            experiment=d["experiment"],
            scale=d["scale"],
            seed=d["seed"],
            config=d["config"],
            metrics=d["metrics"],
            claims=[ClaimResult(**c) for c in d["claims"]],
            figures=d["figures"],
            started=d["started"],
            duration_s=d["duration_s"],
            versions=d["versions"],
            out_dir=out_dir,
            resumed=d.get("resumed", False),
        )

    @classmethod
    def load(cls, run_dir: str | Path) -> Result:
        """The result in ``run_dir``; :class:`BadInput` when ``result.json`` cannot be read as
        one (hand-edited, truncated, from something else)."""
        run_dir = Path(run_dir)
        try:
            return cls.from_dict(read_json(run_dir / RESULT_FILE), out_dir=run_dir)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise BadInput(
                f"{run_dir / RESULT_FILE} is not a readable run result ({type(err).__name__}: "
                f"{err})."
            ) from None

    def _repr_html_(self) -> str:  # Jupyter
        from mltheory.lab.report import result_html

        return result_html(self, embed_figures=True)

    def __repr__(self) -> str:
        verdicts = ", ".join(f"{c.id}={c.verdict}" for c in self.claims)
        return f"Result({self.experiment!r}, scale={self.scale!r}, seed={self.seed}, {verdicts})"


def parse_override(text: str) -> tuple[str, Any]:
    """``FIELD=VALUE`` from the command line. VALUE is read as JSON when it parses (numbers,
    lists, true/false), else kept as a string for pydantic to validate."""
    if "=" not in text:
        raise BadInput(f"--set expects FIELD=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip().replace("-", "_")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def resolve_config(exp: Experiment, scale: str, overrides: dict[str, Any]) -> ExperimentConfig:
    """The experiment's config at ``scale`` with ``overrides`` applied, validated."""
    if scale not in SCALE_NAMES:
        raise unknown("scale", scale, SCALE_NAMES)
    fields = exp.config.model_fields
    for key in overrides:
        if key not in fields:
            raise unknown(f"config field of {exp.name}:", key, fields)
    values = {**exp.scales[scale], **overrides}
    try:
        cfg = exp.config(**values)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            if not e["loc"]:  # a check across fields (a model validator): its message says all
                problems.append(e["msg"].removeprefix("Value error, "))
                continue
            loc = ".".join(str(p) for p in e["loc"])
            info = fields.get(str(e["loc"][0]))
            allowed = describe_allowed(info) if info else ""
            problems.append(f"{loc}={e.get('input')!r}: {e['msg']}{allowed}")
        raise BadInput(f"invalid config for {exp.name}: " + "; ".join(problems)) from None
    try:
        check_within_limits(cfg)
    except ValueError as err:
        raise BadInput(f"invalid config for {exp.name}: {err}") from None
    return cfg


def describe_allowed(info: Any) -> str:
    parts = [f"type {getattr(info.annotation, '__name__', str(info.annotation))}"]
    for m in info.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                parts.append(f"{sym} {getattr(m, attr)}")
    return f" (allowed: {', '.join(parts)})"


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "mltheory": mltheory.__version__,
    }


@dataclass
class PreparedRun:
    exp: Experiment
    cfg: ExperimentConfig
    scale: str
    seed: int
    out_dir: Path
    device: torch.device
    fresh: bool = False  # discard the run files the directory holds when the run starts


def prepare(
    name: str,
    scale: str = "cpu",
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
    device: str | None = None,
    fresh: bool = False,
) -> PreparedRun:
    """Validate everything about a run before any work starts (raises :class:`BadInput`)."""
    exp = registry.get(name)
    if not 0 <= seed < MAX_SEED:
        raise BadInput(
            f"--seed must be an integer from 0 to 2**32 − 1 ({MAX_SEED - 1}), got {seed}"
        )
    cfg = resolve_config(exp, scale, overrides or {})
    dev = resolve_device(device)
    check_data = getattr(exp.config, "check_data", None)
    if callable(check_data):
        check_data(cfg)  # e.g. dataset files present; raises BadInput naming what is missing
    out = check_out_path(out_dir) if out_dir is not None else default_run_dir(exp.name, scale, seed)
    # Only a directory of run files is ever resumed or, with --fresh, cleared: a directory
    # holding anything else (a thesis, a dataset) is refused and left untouched.
    check_run_dir(out)
    if out.exists() and not fresh:
        _check_same_run(out, exp.name, scale, seed, cfg)
    return PreparedRun(exp, cfg, scale, seed, out, dev, fresh)


def _check_same_run(out: Path, name: str, scale: str, seed: int, cfg: ExperimentConfig) -> None:
    """An existing directory may only be resumed by the very same run."""
    cfg_file = out / CONFIG_FILE
    if not cfg_file.exists():
        return
    try:
        old = read_json(cfg_file)
    except (OSError, ValueError):
        old = None
    if not isinstance(old, dict):
        raise BadInput(
            f"{cfg_file} is not a run's config.json (it cannot be read as one); "
            "use another --out, or --fresh to discard the run files there"
        )
    new = {"experiment": name, "scale": scale, "seed": seed, "config": cfg.model_dump(mode="json")}
    diffs = [k for k in ("experiment", "scale", "seed") if old.get(k) != new[k]]
    diffs += [
        f"config.{k}" for k in new["config"] if old.get("config", {}).get(k) != new["config"][k]
    ]
    if diffs:
        raise BadInput(
            f"{out} holds a different run (differs in: {', '.join(diffs)}); "
            "use another --out, or --fresh to discard it"
        )


def start_run_dir(prep: PreparedRun) -> None:
    """Claim the run directory: ``config.json`` first (it says whose directory it is); a rerun
    replaces a finished result. With ``fresh``, the run files already there are deleted first
    (only run files: the directory was checked to hold nothing else)."""
    if prep.fresh:
        clear_run_dir(prep.out_dir)
    make_out_dir(prep.out_dir)
    (prep.out_dir / RESULT_FILE).unlink(missing_ok=True)
    try:
        write_json_atomic(
            prep.out_dir / CONFIG_FILE,
            {
                "experiment": prep.exp.name,
                "scale": prep.scale,
                "seed": prep.seed,
                "config": prep.cfg.model_dump(mode="json"),
            },
        )
    except OSError as err:
        raise BadInput(
            f"--out {prep.out_dir}: cannot write there ({err.strerror or err})."
        ) from None


def finish_run(
    prep: PreparedRun,
    metrics: dict[str, Any],
    figures: list[str],
    started: str,
    duration_s: float,
    resumed: bool,
    index: RunIndex,
    extra: dict[str, Any] | None = None,
) -> Result:
    """Check the claims against ``metrics``, write ``result.json`` atomically (with ``extra``
    fields) and record the finished run in the index."""
    claims = prep.exp.evaluate(metrics, prep.scale)
    result = Result(
        experiment=prep.exp.name,
        scale=prep.scale,
        seed=prep.seed,
        config=prep.cfg.model_dump(mode="json"),
        metrics={k: plain_value(v) for k, v in metrics.items()},
        claims=claims,
        figures=figures,
        started=started,
        duration_s=round(duration_s, 3),
        versions=versions(),
        out_dir=prep.out_dir,
        resumed=resumed,
    )
    write_json_atomic(prep.out_dir / RESULT_FILE, {**result.as_dict(), **(extra or {})})
    index.record(
        prep.out_dir,
        prep.exp.name,
        prep.scale,
        prep.seed,
        "completed",
        started,
        result.duration_s,
        sum(c.passed is True for c in claims),
        sum(c.passed is False for c in claims),
    )
    return result


def execute(prep: PreparedRun, quiet: bool = False) -> Result:
    """Run a prepared experiment to completion, resuming from a checkpoint in its directory."""
    exp, out = prep.exp, prep.out_dir
    start_run_dir(prep)
    index = RunIndex()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    ctx = RunContext(out, seed=prep.seed, device=prep.device, quiet=quiet, scale=prep.scale)
    if not ctx.checkpoint_path.exists():
        ctx.metrics_path.unlink(missing_ok=True)
    index.record(out, exp.name, prep.scale, prep.seed, "running", started)
    t0 = time.perf_counter()
    try:
        metrics = exp.fn(prep.cfg, ctx)
    except BaseException:
        index.record(out, exp.name, prep.scale, prep.seed, "interrupted-or-failed", started)
        raise
    duration = time.perf_counter() - t0
    result = finish_run(
        prep, metrics, list(ctx.figures), started, duration, ctx.resumed_from is not None, index
    )
    ctx.clear_checkpoint()
    return result


def run(
    name: str,
    scale: str = "cpu",
    seed: int = 0,
    *,
    out: str | Path | None = None,
    device: str | None = None,
    quiet: bool = True,
    fresh: bool = False,
    **overrides: Any,
) -> Result:
    """Run an experiment from Python (e.g. a notebook) and return its :class:`Result`.

    >>> r = run("min-norm", scale="smoke", seed=0)        # doctest: +SKIP
    >>> r.claims[0].passed, r.metrics["rel_err_to_pinv"]    # doctest: +SKIP
    """
    prep = prepare(name, scale, seed, overrides, out, device, fresh)
    return execute(prep, quiet=quiet)
