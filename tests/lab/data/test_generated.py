"""Datasets the lab generates or that packages ship, and label corruption."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mltheory.lab.data import corrupt_labels, load_digits, load_mnist1d
from mltheory.lab.data.synthetic import random_support, sparse_parity


def test_mnist1d_is_generated_offline_and_cached(isolated_lab, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    a = load_mnist1d(num_samples=500)
    assert a.x_train.shape == (400, 40) and a.x_test.shape == (100, 40) and a.n_classes == 10
    assert list(tmp_path.rglob("mnist1d-*.npz")), "the generated dataset is cached"
    b = load_mnist1d(num_samples=500)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)


def test_digits_split_is_stratified_and_scaled():
    d = load_digits()
    assert d.x_train.shape[1] == 64 and d.x_train.min() >= 0.0 and d.x_train.max() <= 1.0
    assert set(d.y_test.tolist()) == set(range(10))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), fraction=st.floats(0, 1), seed=st.integers(0, 10_000))
def test_corrupt_labels_touches_at_most_the_fraction(n, fraction, seed):
    y = torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed + 1)
    out = corrupt_labels(y, fraction, 10, g)
    changed = (out != y).sum().item()
    assert changed <= round(fraction * n)
    assert out.min() >= 0 and out.max() < 10
    if fraction == 0:
        assert torch.equal(out, y)


def test_sparse_parity_labels_are_the_product_of_the_support():
    g = torch.Generator().manual_seed(0)
    support = random_support(12, 3, g)
    x, y = sparse_parity(256, 12, support, g)
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(y, x[:, support[0]] * x[:, support[1]] * x[:, support[2]])
    assert abs(y.mean().item()) < 0.2  # balanced


def test_mnist1d_generator_parameters_make_a_shifted_collection(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    base = load_mnist1d(num_samples=300)
    shifted = load_mnist1d(num_samples=300, shear_scale=1.5, corr_noise_scale=0.6)
    # Same seed, same labels in the same order; other nuisances, so other signals.
    assert torch.equal(base.y_train, shifted.y_train)
    assert not torch.allclose(base.x_train, shifted.x_train)
    assert len(list(tmp_path.rglob("mnist1d-*.npz"))) == 2  # cached under separate keys
    with pytest.raises(ValueError, match="unknown MNIST-1D generator parameters.*'padding'"):
        load_mnist1d(num_samples=300, padding=3)
