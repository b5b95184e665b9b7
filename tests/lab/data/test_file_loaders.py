"""CIFAR-10 and MNIST loaders read the real on-disk formats (tested on small files we write in
those formats), and fail clearly when the files are missing."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import pytest
import torch

from mltheory.lab.data import load_cifar10, load_mnist
from mltheory.lab.data.mnist import read_idx
from mltheory.lab.errors import BadInput


def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(
        struct.pack(">I", s) for s in array.shape
    )
    raw = header + array.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", imgs, compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", imgs[:3], compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels[:3], compress)
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (7, 1, 28, 28) and data.x_test.shape == (3, 1, 28, 28)
    assert torch.equal(data.y_train, torch.as_tensor(labels, dtype=torch.int64))
    assert torch.allclose(data.x_train[2, 0], torch.as_tensor(imgs[2] / 255.0, dtype=torch.float32))
    assert load_mnist(tmp_path, flatten=True).x_train.shape == (7, 784)


def test_idx_rejects_a_wrong_file(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x89PNG not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "junk")
    write_idx(tmp_path / "short", np.zeros((4, 2, 2), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="header says shape"):
        read_idx(tmp_path / "short")


def test_cifar10_reads_python_pickle_batches(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    batches = {}
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, 4).tolist()
        batches[name] = (data, labels)
        with (root / name).open("wb") as f:
            pickle.dump({b"data": data, b"labels": labels, b"batch_label": name.encode()}, f)
    ds = load_cifar10(root, normalize=False)
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (4, 3, 32, 32)
    first = batches["data_batch_1"][0][0]
    # channels are stored plane by plane: the first 1024 bytes are the red channel
    assert torch.allclose(
        ds.x_train[0, 0].flatten(), torch.as_tensor(first[:1024] / 255.0, dtype=torch.float32)
    )
    assert ds.y_train.tolist()[:4] == batches["data_batch_1"][1]
    normalized = load_cifar10(root)
    assert abs(normalized.x_train.mean().item()) < 1.0


@pytest.mark.parametrize("loader", [load_cifar10, load_mnist])
def test_missing_files_fail_with_where_to_put_them(tmp_path, loader):
    with pytest.raises(BadInput, match="not found in") as err:
        loader(tmp_path / "nowhere")
    assert "cannot download them at run time" in str(err.value)
