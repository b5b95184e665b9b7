"""A decoder-style transformer that predicts from its last token (Nanda et al. 2023's grokking
model: causal attention, ReLU MLP, no LayerNorm by default, logits read at the final position).

Where :class:`~mltheory.lab.nn.transformer.TinyTransformer` classifies a whole sequence (mean
pooling), this model answers "what comes after these tokens": tokens ``(B, T)`` → logits
``(B, n_classes)`` from the residual stream at position ``T − 1``. Because only that position is
read, the last layer computes its attention query and MLP at that position alone (its keys and
values still come from every position); the other positions of the last layer would be
discarded, so the output is the same as computing them all, at a fraction of the cost.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention in which position ``i`` sees positions ``≤ i``.

    ``last_only=True`` computes the output for the final position only (one query against every
    key), which is all a last-token read-out needs from the last layer."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
        self.n_heads = n_heads
        self.query = nn.Linear(d_model, d_model, bias=False)
        self.key = nn.Linear(d_model, d_model, bias=False)
        self.value = nn.Linear(d_model, d_model, bias=False)
        self.out = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        b, t, d = x.shape
        q = self.query(x[:, -1:] if last_only else x)
        k, v = self.key(x), self.value(x)
        tq = q.shape[1]
        # (b, t, d) → (b, heads, t, d / heads)
        q, k, v = (
            z.reshape(b, -1, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v)
        )
        # Products and sums over broadcast axes rather than batched matmuls: for the short
        # sequences this model is meant for, thousands of tiny matmuls cost far more than their
        # arithmetic.
        scores = (q[:, :, :, None] * k[:, :, None]).sum(-1) / math.sqrt(d // self.n_heads)
        # Query i (at absolute position t − tq + i) may attend to keys j ≤ its own position.
        q_pos = torch.arange(t - tq, t, device=x.device)[:, None]
        scores = scores.masked_fill(torch.arange(t, device=x.device)[None, :] > q_pos, -math.inf)
        weights = torch.softmax(scores, dim=-1)  # (b, heads, tq, t)
        mixed = (weights[..., None] * v[:, :, None]).sum(-2)  # (b, heads, tq, d / heads)
        return self.out(mixed.transpose(1, 2).reshape(b, tq, d))


class DecoderBlock(nn.Module):
    """``x + attention(norm(x))`` then ``x + mlp(norm(x))``, ReLU MLP; ``norm`` is the identity
    unless ``layer_norm`` (Nanda et al.'s grokking model has none)."""

    def __init__(self, d_model: int, n_heads: int, d_mlp: int, layer_norm: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model) if layer_norm else nn.Identity()
        self.norm2 = nn.LayerNorm(d_model) if layer_norm else nn.Identity()
        self.attention = CausalSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_mlp), nn.ReLU(), nn.Linear(d_mlp, d_model))

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        x = (x[:, -1:] if last_only else x) + self.attention(self.norm1(x), last_only)
        return x + self.mlp(self.norm2(x))


class DecoderTransformer(nn.Module):
    """Tokens ``(B, T)`` → logits ``(B, n_classes)`` read at the last position: token and learned
    position embeddings (``N(0, 1/d_model)``, as Nanda et al.), ``n_layers`` causal blocks,
    an optional final norm, a linear unembedding without bias. ``embedding_matrix`` is the
    token embedding (``vocab_size × d_model``), for interpretability measurements."""

    def __init__(
        self,
        vocab_size: int,
        seq_len: int,
        n_classes: int,
        d_model: int = 128,
        n_heads: int = 4,
        n_layers: int = 1,
        d_mlp: int | None = None,
        layer_norm: bool = False,
    ) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.tokens = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.tokens.weight, std=1 / math.sqrt(d_model))
        self.positions = nn.Parameter(torch.randn(seq_len, d_model) / math.sqrt(d_model))
        self.blocks = nn.ModuleList(
            DecoderBlock(d_model, n_heads, d_mlp or 4 * d_model, layer_norm)
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model) if layer_norm else nn.Identity()
        self.unembed = nn.Linear(d_model, n_classes, bias=False)

    @property
    def embedding_matrix(self) -> torch.Tensor:
        return self.tokens.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.shape[1] > self.seq_len:
            raise ValueError(f"sequences of {tokens.shape[1]} tokens; at most {self.seq_len}")
        x = self.tokens(tokens) + self.positions[: tokens.shape[1]]
        for i, block in enumerate(self.blocks):
            x = block(x, last_only=i == len(self.blocks) - 1)
        return self.unembed(self.norm(x[:, -1]))
