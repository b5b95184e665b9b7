"""Benchmark: the cpu-scale deep-double-descent sweep (20 widths × 3 seeds), three ways.

The sweep trains, for every seed and every one of the 20 widths, an MLP 40→h→h→10 on MNIST-1D
with 15% label noise and one on clean labels (120 networks at 3 seeds). Timed in one run, side
by side:

* ``one network after another``: every network alone with ``train_classifier`` (what the
  notebooks do), the same networks (same init seeds, data orders, labels);
* ``mlt sweep, a population per cell``: ``run_sweep(batch=False)``, i.e. each seed's cell runs
  ``mlt run``'s code: one population per width of its noisy and clean network;
* ``mlt sweep, one population``: ``run_sweep(batch=True)``: all seeds' networks of one width
  are one population (``deep-double-descent``'s ``run_batch``).

It then prints each seed's claim verdicts (from the batched sweep) and how far the loop's final
test errors are from the population's (they are the same networks, so they agree to float
tolerance). The loop is the slow one: ``--loop-seeds K`` times it on the first K seeds only and
scales to all seeds (printed as such).

    python benchmarks/sweep.py                      # cpu scale, 3 seeds
    python benchmarks/sweep.py --quick              # smoke scale, seconds
    python benchmarks/sweep.py --loop-seeds 1 --threads 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch


def train_one_after_another(cfg, seeds: list[int]) -> dict[tuple[int, str], list[float]]:
    """Every network of the sweep alone; returns test errors per (seed, "noisy"/"clean")."""
    from mltheory.lab.data import corrupt_labels
    from mltheory.lab.experiments.generalization import deep_double_descent as ddd
    from mltheory.lab.nn import MLP
    from mltheory.lab.train import train_classifier

    data = ddd.load_data(cfg)
    errors: dict[tuple[int, str], list[float]] = {}
    for seed in seeds:
        for kind, noise in (("noisy", cfg.label_noise), ("clean", 0.0)):
            gen = ddd.labels_generator(seed)
            labels = corrupt_labels(data.y_train, noise, 10, gen)
            errors[seed, kind] = []
            for width in ddd.widths_for(cfg):
                torch.manual_seed(ddd.init_seed(seed, width))
                model = MLP(40, [width, width], 10)
                hist = train_classifier(
                    model,
                    data.x_train,
                    labels,
                    steps=cfg.steps,
                    batch_size=cfg.batch_size,
                    lr=cfg.lr,
                    momentum=cfg.momentum,
                    weight_decay=cfg.weight_decay,
                    generator=ddd.order_generator(seed, width),
                    x_test=data.x_test,
                    y_test=data.y_test,
                    eval_every=cfg.steps,
                )
                errors[seed, kind].append(1 - hist.test_acc[-1])
    return errors


def timed_sweep(scale: str, seeds: int, out: Path, batch: bool) -> tuple[float, dict]:
    from mltheory.lab import sweep

    plan = sweep.prepare_sweep("deep-double-descent", seeds=seeds, scale=scale, out=out)
    t = time.perf_counter()
    summary = sweep.run_sweep(plan, batch=batch, quiet=True)
    return time.perf_counter() - t, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="cpu", choices=["smoke", "cpu", "paper"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--loop-seeds", type=int, default=None, help="time the loop on K seeds")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as is)")
    parser.add_argument("--quick", action="store_true", help="smoke scale, 2 seeds")
    args = parser.parse_args()
    if args.quick:
        args.scale, args.seeds = "smoke", 2
    if args.threads:
        torch.set_num_threads(args.threads)
    loop_seeds = min(args.loop_seeds or args.seeds, args.seeds)

    with tempfile.TemporaryDirectory(prefix="mlt-bench-sweep-") as tmp:
        os.environ["MLT_HOME"] = tmp  # the run index of these throwaway runs stays in tmp
        from mltheory.lab import registry, runner
        from mltheory.lab.store import read_json

        exp = registry.get("deep-double-descent")
        cfg = runner.resolve_config(exp, args.scale, {})
        from mltheory.lab.experiments.generalization import deep_double_descent as ddd

        widths = ddd.widths_for(cfg)
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"deep-double-descent, {args.scale} scale: {len(widths)} widths "
            f"({widths[0]}..{widths[-1]}) × {args.seeds} seeds × (noisy {cfg.label_noise:.0%}, "
            f"clean) = {2 * len(widths) * args.seeds} networks, {cfg.steps} steps each"
        )
        t_batched, _ = timed_sweep(args.scale, args.seeds, Path(tmp) / "batched", True)
        t_cells, _ = timed_sweep(args.scale, args.seeds, Path(tmp) / "cells", False)
        t0 = time.perf_counter()
        loop_errors = train_one_after_another(cfg, list(range(loop_seeds)))
        t_loop = (time.perf_counter() - t0) * args.seeds / loop_seeds
        loop_note = "" if loop_seeds == args.seeds else f"  (timed on {loop_seeds} seed(s), scaled)"

        print(f"\n{'way':<36} {'wall s':>8} {'speed-up':>9}")
        print("-" * 55)
        for name, secs in (
            ("one network after another", t_loop),
            ("mlt sweep, a population per cell", t_cells),
            ("mlt sweep, one population", t_batched),
        ):
            print(
                f"{name:<36} {secs:>8.1f} {t_loop / secs:>8.1f}×" + (loop_note * (secs == t_loop))
            )

        print("\nper seed (one-population sweep): claims, and the curve's landmarks")
        cells_dir = Path(tmp) / "batched" / "cells"
        diffs: list[float] = []
        for cell_dir in sorted(cells_dir.iterdir()):
            result = read_json(cell_dir / "result.json")
            m, seed = result["metrics"], result["seed"]
            verdicts = " ".join(
                f"{c['id']}={'n/a' if c['passed'] is None else 'PASS' if c['passed'] else 'FAIL'}"
                for c in result["claims"]
            )
            print(
                f"  seed {seed}: min {m['early_min_test_error']:.3f} at h={m['early_min_width']}, "
                f"peak {m['peak_test_error']:.3f} at h={m['peak_width']}, "
                f"widest {m['test_error'][-1]:.3f}; fits from h={m['interpolation_width']}\n"
                f"    {verdicts}"
            )
            for kind, key in (("noisy", "test_error"), ("clean", "test_error_clean")):
                if (seed, kind) in loop_errors:
                    pairs = zip(loop_errors[seed, kind], m[key], strict=True)
                    diffs += [abs(a - b) for a, b in pairs]
        # Same networks, same arithmetic up to summation order: they agree to ~1e-7 until a
        # rounding difference flips a ReLU at its kink for one example, after which the two
        # trajectories drift apart as two runs on different BLAS builds would.
        same = sum(d < 1e-6 for d in diffs)
        print(
            f"loop vs population test errors: {same}/{len(diffs)} networks equal, "
            f"mean |difference| {sum(diffs) / max(1, len(diffs)):.4f}, largest {max(diffs):.4f}"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
