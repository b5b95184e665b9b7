"""A small transformer classifier over token sequences (pre-norm blocks, mean pooling)."""

from __future__ import annotations

import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention, written out (no fused kernels): it runs
    under ``torch.func.vmap`` for population training, and every step is readable."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        # (b, t, d) → (b, heads, t, d / heads)
        q, k, v = (z.reshape(b, t, self.n_heads, -1).transpose(1, 2) for z in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
        return self.out((weights @ v).transpose(1, 2).reshape(b, t, d))


class TransformerBlock(nn.Module):
    """``x + attention(norm(x))`` then ``x + mlp(norm(x))`` (pre-norm, GELU MLP)."""

    def __init__(self, d_model: int, n_heads: int, d_mlp: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attention = SelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_mlp), nn.GELU(), nn.Linear(d_mlp, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    """Tokens ``(B, T)`` → logits ``(B, n_classes)``: token and learned position embeddings,
    ``n_layers`` transformer blocks, a final norm, the mean over positions, a linear read-out."""

    def __init__(
        self,
        vocab_size: int,
        seq_len: int,
        n_classes: int,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 1,
        d_mlp: int | None = None,
    ) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model)
        self.positions = nn.Parameter(torch.randn(seq_len, d_model) * 0.02)
        self.blocks = nn.Sequential(
            *[TransformerBlock(d_model, n_heads, d_mlp or 4 * d_model) for _ in range(n_layers)]
        )
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, n_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.tokens(tokens) + self.positions[: tokens.shape[1]])
        return self.readout(self.norm(h).mean(1))
