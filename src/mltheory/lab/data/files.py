"""Where downloaded datasets live, and the error when they are not there."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from mltheory.lab.errors import BadInput


def data_root() -> Path:
    """``$MLT_DATA`` if set, else ``<user data dir>/datasets``."""
    return Path(
        os.environ.get("MLT_DATA") or Path(user_data_dir("mltheory", "mltheory")) / "datasets"
    )


def missing(dataset: str, root: Path, expected: list[str], url: str) -> BadInput:
    return BadInput(
        f"{dataset} files not found in {root} (expected {', '.join(expected)}). This machine "
        f"cannot download them at run time: download {url}, unpack it into {root} "
        f"(or set MLT_DATA to the folder holding it), then run again."
    )
