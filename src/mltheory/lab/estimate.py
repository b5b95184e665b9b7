"""Know the cost before running: ``mlt run NAME --scale S --plan`` and :func:`plan`.

A plan is the resolved config, the data the run needs and where it must be, the number of
parameters it trains, and an estimate of its memory and time on a CPU and on a GPU, made without
training anything. The portal's quotas and config bounds call the same :func:`plan`.

Where the numbers come from. Every experiment's ``Config`` says what a run costs
(``def cost(self) -> Cost``): the :class:`Workload` s it trains or computes (models of
``n_params`` parameters, ``steps`` optimizer steps of ``batch_size`` examples, ``members``
models side by side in one population, forward-only evaluation examples, and ``extra_flops``
for arithmetic of other shapes: Monte Carlo trials, solvers, environment steps) and the data it
reads. That one estimate is used three times: the config's bounds (a config over the lab's
limits is refused, see :func:`mltheory.lab.spec.refuse_over_budget`), this plan, and the
portal's compute quotas (a run's time limit and reservation). The generic cost model turns it
into time and memory:

* time per workload = ``steps × (overhead_per_step · step overhead + 6 · n_params · batch_size
  · members / rate)``
  plus ``2 · n_params · eval_examples · members / rate`` for evaluations (6 FLOPs per parameter
  per training example: forward, input gradient, weight gradient; 2 for a forward pass) plus
  ``extra_flops / rate``;
* memory = weights, gradients and two optimizer buffers (16 bytes per fp32 parameter) for every
  member, plus the activations of one batch, plus the data.

The CPU constants (:data:`CPU`) were measured on this project's 2-core AMD EPYC machine by
``python benchmarks/plan_calibration.py`` (one thread, process CPU time, best of 3): the step
overhead from a tiny network, the rate from a wide one. Start-up (imports, data, figures: about
half a second to a few seconds) is not in the estimate. The GPU constants (:data:`GPU`)
were *not* measured (no GPU was available when they were set): they assume a data-centre GPU
(A100/H100 class) reaching a small fraction of its fp32 peak on these small products, and
~60 µs of kernel-launch and Python overhead per step; read the GPU column as an order of
magnitude. A student's experiment whose Config says nothing of its cost gets a plan with its
config and data and "no estimate" in place of the numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mltheory.lab.errors import BadInput

BYTES_PER_PARAM_TRAINING = 16  # fp32 weight + gradient + two optimizer buffers (Adam; SGD: one)


@dataclass(frozen=True)
class Machine:
    """A cost model's constants: ``step_overhead_s`` per optimizer step of a population (Python,
    autograd, kernel launches) and the sustained fp32 ``flops_per_s`` of its products."""

    name: str
    step_overhead_s: float
    flops_per_s: float
    how: str


# Measured 2026-11-29 with ``python benchmarks/plan_calibration.py`` on the project's machine
# (2-core AMD EPYC, torch 2.13.0 CPU build, OMP_NUM_THREADS=1): the best of 3 repeats in process
# CPU time, under a load average of 11 (so wall time was useless), 108 µs and 52.0 GFLOP/s.
# Checked against a real run: deep-double-descent at cpu scale is estimated at 72 s; it ran in
# 74 s on the idle machine (evidence/, 2 threads) and 103 s with one thread under light load.
CPU = Machine(
    "cpu",
    step_overhead_s=1.08e-4,
    flops_per_s=5.2e10,
    how="calibrated on one core of a 2-core AMD EPYC (benchmarks/plan_calibration.py, 2026-11-29)",
)
GPU = Machine(
    "gpu",
    step_overhead_s=6.0e-5,
    flops_per_s=2.0e12,
    how="assumed, not measured: an A100/H100-class GPU at ~10% of its fp32 peak on small "
    "products, ~60 µs per step of launch and Python overhead",
)


@dataclass(frozen=True)
class DataNeed:
    """A data set the run reads: what it is, where it must be, and whether it is there."""

    name: str
    where: str
    present: bool
    note: str = ""


@dataclass(frozen=True)
class Workload:
    """What one part of a run trains (e.g. one width's population)."""

    label: str
    n_params: int  # parameters of one model
    steps: int  # optimizer steps
    batch_size: int
    members: int = 1  # models trained side by side as one population
    eval_examples: int = 0  # examples passed forward (no backward) in evaluations, per member
    activations_per_example: int = 0  # floats kept per example for the backward pass
    data_bytes: int = 0  # memory held besides the models: data sets, recorded curves, buffers
    upper_bound: bool = False  # steps is a cap (e.g. "until fitted, at most max_steps")
    # Arithmetic not of the "6 · params · batch per step" form: Monte Carlo trials, solvers,
    # environment steps, closed forms. ``steps`` then counts the Python-level iterations.
    extra_flops: float = 0.0
    # Step overheads per step: a step of several small sequential passes (MAML's inner and
    # outer loops) costs several plain steps' worth of Python and kernel launches.
    overhead_per_step: float = 1.0

    @property
    def flops(self) -> float:
        return (
            6.0 * self.n_params * self.batch_size * self.members * self.steps
            + 2.0 * self.n_params * self.eval_examples * self.members
            + self.extra_flops
        )

    @property
    def memory_bytes(self) -> int:
        state = BYTES_PER_PARAM_TRAINING * self.n_params * self.members
        activations = 4 * 2 * self.activations_per_example * self.batch_size * self.members
        return int(state + activations + self.data_bytes)


@dataclass(frozen=True)
class Cost:
    """What a config's ``cost()`` returns: the workloads a run does, one after another, and the
    data sets it reads. ``what`` names the run in a refusal ("deep-double-descent with widths up
    to 300 and 12000 steps")."""

    workloads: list[Workload]
    data: list[DataNeed] = field(default_factory=list)
    what: str = ""

    @property
    def flops(self) -> float:
        """Arithmetic of all workloads, machine-independent: what the config bound compares."""
        return sum(w.flops for w in self.workloads)

    @property
    def memory_bytes(self) -> int:
        """Peak memory: workloads run in turn, so the largest one."""
        return max((w.memory_bytes for w in self.workloads), default=0)

    @property
    def loop_steps(self) -> int:
        return sum(w.steps for w in self.workloads)


@dataclass
class Estimate:
    machine: str
    seconds: float
    memory_bytes: int
    how: str
    upper_bound: bool = False  # at most this long: some workload stops early when it succeeds


@dataclass
class Plan:
    experiment: str
    scale: str
    config: dict[str, Any]
    data: list[DataNeed]
    n_params: int | None  # all trained parameters (every member of every workload)
    largest_model_params: int | None
    cpu: Estimate | None
    gpu: Estimate | None
    workloads: list[Workload]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mlp_params(in_dim: int, hidden: list[int] | tuple[int, ...], out_dim: int) -> int:
    """Parameters of a fully connected network ``in → hidden… → out`` (weights and biases)."""
    widths = [in_dim, *hidden, out_dim]
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def mnist1d_need() -> DataNeed:
    """MNIST-1D: generated offline by the ``mnist1d`` package on first use, then cached."""
    from mltheory.lab.data.mnist1d import cache_dir

    cached = any(cache_dir().glob("mnist1d-*.npz"))
    return DataNeed(
        "MNIST-1D",
        str(cache_dir()),
        True,
        "cached" if cached else "generated on first use (seconds; nothing is downloaded)",
    )


def cifar10_need() -> DataNeed:
    """CIFAR-10's python pickles, read from ``$MLT_DATA`` (never downloaded by the lab)."""
    from mltheory.lab.data.cifar10 import cifar10_dir

    d = cifar10_dir()
    present = (d / "data_batch_1").exists() and (d / "test_batch").exists()
    note = "" if present else "download cifar-10-python.tar.gz and unpack it there"
    return DataNeed("CIFAR-10", str(d), present, note)


def mnist_need() -> DataNeed:
    """MNIST's four IDX files, read from ``$MLT_DATA`` (never downloaded by the lab)."""
    from mltheory.lab.data.mnist import FILES, _find, mnist_dir

    d = mnist_dir()
    present = all(_find(d, stem) is not None for stem in FILES.values())
    note = "" if present else "download the four *-ubyte.gz files of MNIST into it"
    return DataNeed("MNIST", str(d), present, note)


def digits_need() -> DataNeed:
    """scikit-learn's 8×8 digits: shipped inside the scikit-learn package."""
    return DataNeed("scikit-learn digits", "inside the scikit-learn package", True, "shipped")


def estimate(workloads: list[Workload], machine: Machine) -> Estimate:
    """The generic cost model (module docstring) for ``workloads`` run one after another."""
    seconds = sum(
        w.steps * w.overhead_per_step * machine.step_overhead_s + w.flops / machine.flops_per_s
        for w in workloads
    )
    return Estimate(
        machine.name,
        seconds,
        Cost(workloads).memory_bytes,
        machine.how,
        any(w.upper_bound for w in workloads),
    )


def flops(workloads: list[Workload]) -> float:
    """The arithmetic of ``workloads`` (training, evaluation and the rest), machine-independent."""
    return Cost(workloads).flops


def plan(name: str, scale: str = "cpu", **overrides: Any) -> Plan:
    """The plan of ``mlt run NAME --scale SCALE --set FIELD=VALUE…``, without running it.

    Raises :class:`BadInput` for an unknown experiment, scale or field, or a value out of
    bounds, exactly as the run would. Missing data is reported in ``data`` (``present=False``),
    not raised: a plan is how one finds out.
    """
    from mltheory.lab import registry
    from mltheory.lab.runner import resolve_config

    exp = registry.get(name)
    cfg = resolve_config(exp, scale, overrides)
    data: list[DataNeed] = []
    check_data = getattr(exp.config, "check_data", None)
    if callable(check_data):
        try:
            check_data(cfg)
        except BadInput as missing:
            data.append(DataNeed("data files", "see note", False, str(missing)))
    cost: Cost | None = cfg.cost()
    if cost is None:
        return Plan(
            exp.name,
            scale,
            cfg.model_dump(mode="json"),
            data,
            None,
            None,
            None,
            None,
            [],
            note=f"{exp.name}'s Config defines no cost(): no estimate",
        )
    # The cost names its data sets; check_data's message is kept only if it names none.
    data = cost.data or data
    return Plan(
        exp.name,
        scale,
        cfg.model_dump(mode="json"),
        data,
        sum(w.n_params * w.members for w in cost.workloads),
        max((w.n_params for w in cost.workloads), default=0),
        estimate(cost.workloads, CPU),
        estimate(cost.workloads, GPU),
        cost.workloads,
    )


# --- presenting ---------------------------------------------------------------------------------
def human_seconds(s: float) -> str:
    if s < 1:
        return f"{s:.2f} s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def human_bytes(b: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if b < 1024 or unit == "GiB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} GiB"  # pragma: no cover


def print_plan(p: Plan, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{p.experiment} · scale={p.scale} · plan (nothing was run)")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for k, v in p.config.items():
        table.add_row(k, str(v))
    console.print(table)
    for d in p.data:
        state = "[green]present[/green]" if d.present else "[red]missing[/red]"
        console.print(f"data: {d.name} — {d.where} ({state}){f': {d.note}' if d.note else ''}")
    if p.cpu is None:
        console.print(p.note)
        return
    console.print(
        f"parameters: {p.n_params:,} trained in all ({len(p.workloads)} workload(s); "
        f"largest model {p.largest_model_params:,})"
    )
    for e in (p.cpu, p.gpu):
        if e is not None:
            console.print(
                f"{e.machine}: {'at most ' if e.upper_bound else ''}~{human_seconds(e.seconds)}, "
                f"~{human_bytes(e.memory_bytes)} "
                f"[dim]({e.how})[/dim]"
            )
    console.print(
        "[dim]estimates from the generic cost model (mltheory.lab.estimate): expect a factor "
        "of 2 either way; more on a busy machine[/dim]"
    )
