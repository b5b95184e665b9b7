"""Calibrate the CPU constants of ``mltheory.lab.estimate`` (the cost model of ``mlt run --plan``).

Two measurements with ``train_population`` on MNIST-1D-shaped data (40 inputs, 10 classes,
batch 100), the lowest time of ``--repeats`` runs each. Time is this process's CPU time
(``time.process_time``) with one thread: on an idle machine it equals the wall time, and on a
shared one it leaves out the time other jobs held the cores (which wall time would count):

* the **step overhead**: a tiny network (width 8, one member), whose arithmetic is negligible;
* the **rate**: wide networks (width 512, four members), whose steps are dominated by products:
  FLOPs = 6 · parameters · batch · members per step.

It prints both constants next to the ones in ``estimate.CPU``, then the plan's estimate beside
a measured run for a few experiments at smoke scale.

    OMP_NUM_THREADS=1 python benchmarks/plan_calibration.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from mltheory.lab import estimate
from mltheory.lab.population import PopulationMLP, train_population


def timed_population(width: int, members: int, steps: int, repeats: int) -> float:
    x = torch.randn(4000, 40)
    y = torch.randint(0, 10, (4000,))
    best = float("inf")
    for _ in range(repeats):
        pop = PopulationMLP.init(40, [width, width], 10, list(range(members)))
        gens = [torch.Generator().manual_seed(i) for i in range(members)]
        t0 = time.process_time()
        train_population(
            pop, x, y, steps=steps, batch_size=100, lr=0.05, generators=gens, eval_every=10**9
        )
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    steps = 400
    tiny = timed_population(8, 1, steps, args.repeats)
    # the tiny network's own arithmetic is < 1% of its time at any plausible rate
    overhead = tiny / steps
    wide_steps, width, members = 60, 512, 4
    wide = timed_population(width, members, wide_steps, args.repeats)
    flops = 6.0 * estimate.mlp_params(40, [width, width], 10) * 100 * members * wide_steps
    rate = flops / max(wide - wide_steps * overhead, 1e-9)
    print(
        f"step overhead: {overhead * 1e6:.0f} µs   (estimate.CPU: "
        f"{estimate.CPU.step_overhead_s * 1e6:.0f} µs)"
    )
    print(
        f"rate:          {rate / 1e9:.1f} GFLOP/s (estimate.CPU: "
        f"{estimate.CPU.flops_per_s / 1e9:.1f} GFLOP/s)"
    )

    from mltheory.lab import runner

    for name in ("deep-double-descent", "random-labels"):
        p = estimate.plan(name, "smoke")
        with tempfile.TemporaryDirectory() as d:
            cpu0 = time.process_time()
            r = runner.run(name, scale="smoke", out=d)
            cpu = time.process_time() - cpu0
        bound = "at most " if p.cpu.upper_bound else ""
        print(
            f"{name} smoke: estimated {bound}{p.cpu.seconds:.2f} s; measured {cpu:.2f} s of CPU "
            f"time ({r.duration_s:.2f} s wall, with data loading and figures)"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
