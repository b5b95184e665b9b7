"""Seeded construction: the same seed gives the same weights and the global RNG is untouched."""

from __future__ import annotations

import torch

from mltheory.lab.nn.seeded import image_classifier, seeded


def test_same_seed_same_weights_and_the_global_rng_is_left_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = image_classifier("mlp", (64,), 10, seed=7, hidden=[16])
    b = image_classifier("mlp", (64,), 10, seed=7, hidden=[16])
    c = image_classifier("mlp", (64,), 10, seed=8, hidden=[16])
    assert torch.equal(torch.random.get_rng_state(), before)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_the_cnn_is_materialized_with_its_seed():
    a = image_classifier("cnn", (1, 8, 8), 10, seed=3, cnn_width=4, cnn_hidden=8)
    b = image_classifier("cnn", (1, 8, 8), 10, seed=3, cnn_width=4, cnn_hidden=8)
    assert a(torch.ones(2, 1, 8, 8)).shape == (2, 10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert seeded(0, lambda: torch.rand(3)).tolist() == seeded(0, lambda: torch.rand(3)).tolist()
