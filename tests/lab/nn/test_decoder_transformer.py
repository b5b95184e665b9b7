"""The decoder-style transformer: causal attention, and the last-position shortcut is exact."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab.nn.decoder_transformer import CausalSelfAttention, DecoderTransformer


def _all_positions(model: DecoderTransformer, tokens: torch.Tensor) -> torch.Tensor:
    """The same network computed at every position of every layer (no shortcut)."""
    x = model.tokens(tokens) + model.positions[: tokens.shape[1]]
    for block in model.blocks:
        x = block(x, last_only=False)
    return model.unembed(model.norm(x))


@pytest.mark.parametrize("n_layers,layer_norm", [(1, False), (2, True)])
def test_last_token_logits_equal_the_full_computation(n_layers, layer_norm):
    torch.manual_seed(0)
    model = DecoderTransformer(
        11, 5, 7, d_model=16, n_heads=4, n_layers=n_layers, layer_norm=layer_norm
    )
    tokens = torch.randint(0, 11, (6, 5))
    full = _all_positions(model, tokens)
    assert model(tokens).shape == (6, 7)
    assert torch.allclose(model(tokens), full[:, -1], atol=1e-6)


def test_attention_is_causal():
    torch.manual_seed(0)
    attention = CausalSelfAttention(8, 2)
    x = torch.randn(3, 4, 8)
    changed = x.clone()
    changed[:, 2:] = torch.randn(3, 2, 8)  # change positions 2 and 3 only
    before, after = attention(x), attention(changed)
    assert torch.allclose(before[:, :2], after[:, :2])  # positions 0 and 1 never see them
    assert not torch.allclose(before[:, 2:], after[:, 2:])
    # The last-only path is the full path's last row.
    assert torch.allclose(attention(x, last_only=True)[:, 0], before[:, -1], atol=1e-6)


def test_attention_matches_the_matmul_formula():
    torch.manual_seed(0)
    attention = CausalSelfAttention(6, 2)
    x = torch.randn(2, 3, 6)
    q, k, v = (
        f(x).reshape(2, 3, 2, 3).transpose(1, 2)
        for f in (attention.query, attention.key, attention.value)
    )
    scores = q @ k.transpose(-2, -1) / 3**0.5
    scores = scores.masked_fill(torch.triu(torch.ones(3, 3, dtype=torch.bool), 1), -torch.inf)
    expected = attention.out((scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 3, 6))
    assert torch.allclose(attention(x), expected, atol=1e-6)


def test_refuses_bad_shapes():
    with pytest.raises(ValueError, match="multiple"):
        DecoderTransformer(5, 3, 5, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="at most"):
        DecoderTransformer(5, 3, 5, d_model=8, n_heads=2)(torch.zeros(1, 4, dtype=torch.long))
