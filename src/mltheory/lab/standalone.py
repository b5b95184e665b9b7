"""``python my_experiment.py --scale smoke``: a student's experiment file runs itself.

The template's last lines::

    if __name__ == "__main__":
        from mltheory.lab import main

        main(__file__)

make ``python my_experiment.py [OPTIONS]`` the same as ``mlt run my_experiment.py [OPTIONS]``
(every option of ``mlt run``: ``--scale``, ``--seed``, ``--set``, ``--out``, ``--json``...).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def main(path: str | Path, argv: Sequence[str] | None = None) -> None:
    """Run the experiment defined in the file ``path`` with ``mlt run``'s options (``argv``,
    default: the command line). Exits like ``mlt run`` (0, 1 with --strict, 2, 3)."""
    from mltheory.cli import app

    args = list(sys.argv[1:] if argv is None else argv)
    app(["run", str(path), *args], prog_name=f"python {Path(path).name}")
