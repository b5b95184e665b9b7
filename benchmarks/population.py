"""Benchmark: M small MLPs on MNIST-1D trained one after another versus as one population.

For every M (members) and hidden width h, the same M networks 40→h→h→10 (init seeds 0..M−1,
their own data orders, SGD with momentum, batch 100, MNIST-1D's 4000 training examples) are
trained three ways, in one run, side by side:

* ``loop``:  one after another with ``train_classifier`` (what a notebook does);
* ``generic``: as one population on the generic path, ``PopulationModule`` (``torch.func``:
  ``stack_module_state``, ``vmap(grad(functional_call(...)))``), which trains any architecture;
* ``bmm``:   as one population on the fast path, ``PopulationMLP`` (stacked weights, batched
  matrix products, hand-written backward pass), which trains ReLU MLPs only.

Both populations are trained by the same ``train_population`` (the training engine's loop).
``--activation tanh`` benchmarks tanh MLPs, which only the generic path can train.

It prints wall times, the speed-ups over the loop, and each population's achieved GFLOP/s
against the fp32 matrix-multiply peak measured first in the same run (best of a few large
sgemms at the same thread count). FLOPs counted: 2 per weight per example forward, 3× that for
a training step (forward, input and weight gradients), plus the forward passes of the two
evaluations that both ways do (at step 0 and at the end). Timings are noisy on a shared machine:
the load average is printed before and after.

    python benchmarks/population.py            # M ∈ {16, 64}, h ∈ {32, 64, 128, 512}
    python benchmarks/population.py --quick    # a few seconds: smoke-checks that it runs
    python benchmarks/population.py --threads 1 --steps 400
    python benchmarks/population.py --activation tanh --widths 32 128
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch import nn

from mltheory.lab.data import load_mnist1d
from mltheory.lab.nn import MLP
from mltheory.lab.population import PopulationMLP, PopulationModule, train_population
from mltheory.lab.train import train_classifier

IN_DIM, OUT_DIM = 40, 10


def sgemm_peak_gflops(size: int, repeats: int = 3) -> float:
    """Best achieved GFLOP/s of a square fp32 matrix product of ``size`` (the machine's peak as
    this torch build reaches it)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up (thread pool, allocator)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def train_loop(x, y, m: int, width: int, steps: int, batch: int, lr: float, act) -> float:
    t = time.perf_counter()
    for seed in range(m):
        torch.manual_seed(seed)
        model = MLP(IN_DIM, [width, width], OUT_DIM, activation=act)
        train_classifier(
            model,
            x,
            y,
            steps=steps,
            batch_size=batch,
            lr=lr,
            generator=torch.Generator().manual_seed(1000 + seed),
            eval_every=steps,
        )
    return time.perf_counter() - t


def train_bmm(x, y, m: int, width: int, steps: int, batch: int, lr: float, act) -> float:
    t = time.perf_counter()
    pop = PopulationMLP.init(IN_DIM, [width, width], OUT_DIM, list(range(m)))
    train_population(
        pop,
        x,
        y,
        steps=steps,
        batch_size=batch,
        lr=lr,
        generators=[torch.Generator().manual_seed(1000 + s) for s in range(m)],
        eval_every=steps,
    )
    return time.perf_counter() - t


def train_generic(x, y, m: int, width: int, steps: int, batch: int, lr: float, act) -> float:
    """The same population on the generic path: ``PopulationModule`` (``torch.func``:
    stack_module_state, functional_call, vmap of grad), trained by the same
    ``train_population``; what any architecture gets."""
    t = time.perf_counter()
    pop = PopulationModule.init(
        lambda: MLP(IN_DIM, [width, width], OUT_DIM, activation=act), range(m)
    )
    train_population(
        pop,
        x,
        y,
        steps=steps,
        batch_size=batch,
        lr=lr,
        generators=[torch.Generator().manual_seed(1000 + s) for s in range(m)],
        eval_every=steps,
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 512])
    parser.add_argument("--steps", type=int, default=200, help="SGD steps per network")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as is)")
    parser.add_argument("--no-generic", action="store_true", help="skip the torch.func column")
    parser.add_argument(
        "--activation",
        choices=["relu", "tanh"],
        default="relu",
        help="tanh: an MLP only the generic path can train (the bmm column is then n/a)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args()
    if args.quick:
        args.members, args.widths, args.steps = [4], [16], 5
    if args.threads:
        torch.set_num_threads(args.threads)

    data = load_mnist1d()
    x, y = data.x_train, data.y_train
    load_before = os.getloadavg()
    peak = sgemm_peak_gflops(512 if args.quick else 4096)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f}"
    )
    print(f"fp32 matmul peak (measured, sgemm {512 if args.quick else 4096}²): {peak:.1f} GFLOP/s")
    print(f"{args.steps} steps of batch {args.batch_size} per network, MNIST-1D (n={x.shape[0]})")
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[args.activation]
    print(f"{args.activation} MLPs {IN_DIM}→h→h→{OUT_DIM}")
    head = f"{'M':>4} {'width':>6} {'loop s':>8} {'generic s':>9} {'bmm s':>8} "
    head += f"{'generic×':>8} {'bmm×':>6} {'generic GFLOP/s':>15} {'bmm GFLOP/s':>12} {'% peak':>7}"
    print(head)
    print("-" * len(head))
    # Warm up every path once (first calls pay for lazy initialisation inside torch, seconds on a
    # busy machine), so that the first row does not carry it.
    tiny = (x, y, 2, 8, 2, args.batch_size, args.lr, act)
    train_loop(*tiny)
    if not args.no_generic:
        train_generic(*tiny)
    if args.activation == "relu":
        train_bmm(*tiny)
    for m in args.members:
        for width in args.widths:
            shape = (x, y, m, width, args.steps, args.batch_size, args.lr, act)
            t_loop = train_loop(*shape)
            t_generic = float("nan") if args.no_generic else train_generic(*shape)
            t_bmm = train_bmm(*shape) if args.activation == "relu" else float("nan")
            weights = IN_DIM * width + width * width + width * OUT_DIM
            per_member = 2 * weights * (3 * args.steps * args.batch_size + 2 * x.shape[0])
            gflops_bmm = m * per_member / t_bmm / 1e9
            print(
                f"{m:>4} {width:>6} {t_loop:>8.2f} {t_generic:>9.2f} {t_bmm:>8.2f} "
                f"{t_loop / t_generic:>8.1f} {t_loop / t_bmm:>6.1f} "
                f"{m * per_member / t_generic / 1e9:>15.1f} {gflops_bmm:>12.1f} "
                f"{100 * gflops_bmm / peak:>6.0f}%",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
