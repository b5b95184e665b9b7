"""The modular addition table and its split."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab.data.modular import modular_addition


def test_table_is_complete_correct_and_split_disjointly():
    data = modular_addition(7, 0.3, torch.Generator().manual_seed(0))
    assert data.tokens.shape == (49, 3) and data.vocab_size == 8
    assert (data.tokens[:, 2] == data.equals_token).all()
    assert torch.equal(data.labels, (data.tokens[:, 0] + data.tokens[:, 1]) % 7)
    assert len({(int(a), int(b)) for a, b, _ in data.tokens}) == 49
    assert len(data.train_idx) == round(0.3 * 49)
    both = torch.cat([data.train_idx, data.test_idx]).sort().values
    assert torch.equal(both, torch.arange(49))
    again = modular_addition(7, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(again.train_idx, data.train_idx)


def test_refuses_empty_splits():
    with pytest.raises(ValueError, match="empty"):
        modular_addition(3, 0.01, torch.Generator())
    with pytest.raises(ValueError, match="p must"):
        modular_addition(1, 0.5, torch.Generator())
