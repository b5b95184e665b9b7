"""MNIST from its original IDX files (optionally gzipped), as distributed by LeCun et al."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from mltheory.lab.data.arrays import ClassificationData
from mltheory.lab.data.files import data_root, missing

URL = "https://ossci-datasets.s3.amazonaws.com/mnist/ (the four *-ubyte.gz files)"
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def mnist_dir(root: str | Path | None = None) -> Path:
    return Path(root) if root is not None else data_root() / "mnist"


def _find(d: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (d / name).exists():
            return d / name
    return None


def check_mnist(root: str | Path | None = None) -> dict[str, Path]:
    d = mnist_dir(root)
    found = {k: _find(d, v) for k, v in FILES.items()}
    if not all(found.values()):
        raise missing("MNIST", d, [f"{v}[.gz]" for v in FILES.values()], URL)
    return found  # type: ignore[return-value]


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file: 2 zero bytes, a type code, the number of dimensions, big-endian sizes."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=_DTYPES[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but holds {data.size} values")
    return data.reshape(shape).copy()  # frombuffer is read-only; torch wants writable memory


def load_mnist(root: str | Path | None = None, flatten: bool = False) -> ClassificationData:
    """Images as float32 in [0, 1], shape (N, 1, 28, 28) (or (N, 784) with ``flatten``)."""
    files = check_mnist(root)
    arrays = {k: read_idx(p) for k, p in files.items()}
    shape = (-1, 784) if flatten else (-1, 1, 28, 28)
    x_tr = arrays["x_train"].astype(np.float32).reshape(shape) / 255.0
    x_te = arrays["x_test"].astype(np.float32).reshape(shape) / 255.0
    return ClassificationData.from_numpy(
        "mnist", x_tr, arrays["y_train"], x_te, arrays["y_test"], 10
    )
