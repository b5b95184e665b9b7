"""Benchmark: how long ``mlt --help``, ``mlt list`` and ``mlt show`` take to start, old and new.

The old discovery imported every experiment module (and with them torch, scikit-learn,
matplotlib and mnist1d) before it could list anything, and ``import mltheory.lab`` imported
torch even for ``--help``. The new one reads the catalog's manifest and imports nothing heavy.

Each command runs as a fresh process, old and new in turn (old, new, old, new, ...), and the
medians are printed with their ratio. "Old" is, by default, the new code made to discover
eagerly as before (every experiment module imported first, then the same command); with
``--baseline-rev REV`` it is the real code of a git revision (e.g. ``main`` before this change),
exported to a temporary directory and put first on ``PYTHONPATH``.

    python benchmarks/startup.py                    # 5 runs each
    python benchmarks/startup.py --runs 9 --baseline-rev 66a7233
    python benchmarks/startup.py --quick            # 1 run each
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [["--help"], ["list"], ["show", "min-norm"]]

# The old discovery, reproduced: import every catalog module, then run the command.
EAGER = (
    "import importlib, sys\n"
    "from mltheory.lab import registry\n"
    "for module in registry.builtin_modules():\n"
    "    importlib.import_module(module)\n"
    "from mltheory.cli import app\n"
    "sys.argv = ['mlt', *sys.argv[1:]]\n"
    "app()\n"
)


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def export_revision(rev: str, into: Path) -> Path:
    """The ``src`` tree of git revision ``rev``, written under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "src"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"cannot export {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command, old and new")
    parser.add_argument("--baseline-rev", help="time this git revision's code as the old way")
    parser.add_argument("--quick", action="store_true", help="one run each (a smoke check)")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs

    env = {k: v for k, v in os.environ.items() if k != "MLT_EXPERIMENT_MODULES"}
    env.setdefault("MLT_HOME", tempfile.mkdtemp(prefix="mlt-bench-home-"))
    new_src = str(REPO / "src")
    new_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [new_src, env.get("PYTHONPATH")]))}

    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline_rev:
            old_src = str(export_revision(args.baseline_rev, Path(tmp)))
            old_env = {
                **env,
                "PYTHONPATH": os.pathsep.join(filter(None, [old_src, env.get("PYTHONPATH")])),
            }
            old_label = f"git {args.baseline_rev}"

            def old_argv(command: list[str]) -> list[str]:
                return [sys.executable, "-m", "mltheory.cli", *command]
        else:
            old_env = new_env
            old_label = "eager discovery"

            def old_argv(command: list[str]) -> list[str]:
                return [sys.executable, "-c", EAGER, *command]

        print(f"{'command':<18} {old_label + ' (s)':>22} {'manifest (s)':>13} {'old/new':>8}")
        for command in COMMANDS:
            old, new = [], []
            timed([sys.executable, "-m", "mltheory.cli", *command], new_env)  # warm the caches
            for _ in range(runs):
                old.append(timed(old_argv(command), old_env))
                new.append(timed([sys.executable, "-m", "mltheory.cli", *command], new_env))
            o, n = statistics.median(old), statistics.median(new)
            print(f"{'mlt ' + ' '.join(command):<18} {o:>22.2f} {n:>13.2f} {o / n:>7.1f}x")
    print(f"medians of {runs} run(s) each, whole processes, alternating old and new")


if __name__ == "__main__":
    main()
