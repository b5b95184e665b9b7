"""PAC-Bayes bounds for classifiers: the binary kl, its inverse, and a diagonal Gaussian posterior.

Used by the ``pac-bayes`` experiment (Dziugaite & Roy 2017) and by students' own bound
computations. The bounds are the ones the paper states:

* Langford–Seeger / Maurer: with probability ≥ 1 − δ over the m training examples, for every
  posterior Q, ``kl(ê_S(Q) ‖ e(Q)) ≤ (KL(Q ‖ P) + ln(2√m/δ)) / m``; so
  ``e(Q) ≤ kl⁻¹(ê_S(Q), (KL + ln(2√m/δ)) / m)``.
* Langford–Caruana (sample convergence): the empirical error of Q is itself estimated from N
  draws of Q; with probability ≥ 1 − δ′, ``ê_S(Q) ≤ kl⁻¹(ê_N, ln(2/δ′) / N)``.

``kl⁻¹(q, c) = sup {p ∈ [q, 1] : kl(q ‖ p) ≤ c}``, found by bisection (the kl is increasing in
p above q).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def binary_kl(q: float, p: float) -> float:
    """kl(q ‖ p) between Bernoulli(q) and Bernoulli(p), with 0·ln 0 = 0."""
    if not (0 <= q <= 1 and 0 <= p <= 1):
        raise ValueError(f"kl needs probabilities, got q={q}, p={p}")
    out = 0.0
    for a, b in ((q, p), (1 - q, 1 - p)):
        if a > 0:
            if b == 0:
                return math.inf
            out += a * math.log(a / b)
    return out


def kl_inverse(q: float, c: float, tol: float = 1e-12) -> float:
    """The largest p ≥ q with kl(q ‖ p) ≤ c (the upper kl-inverse); 1.0 if every p qualifies."""
    if c < 0:
        raise ValueError(f"the right-hand side must be ≥ 0, got {c}")
    lo, hi = q, 1.0
    if binary_kl(q, hi) <= c:
        return 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if binary_kl(q, mid) <= c:
            lo = mid
        else:
            hi = mid
    return lo


def sample_convergence_bound(mean_error: float, n_samples: int, delta: float) -> float:
    """Langford–Caruana: an upper bound, with probability ≥ 1 − δ, on the expected empirical
    error of Q from the mean error of ``n_samples`` independent draws of Q."""
    return kl_inverse(mean_error, math.log(2 / delta) / n_samples)


def pac_bayes_kl_bound(
    empirical_error: float, kl_divergence: float, m: int, delta: float, extra_log_cost: float = 0
) -> float:
    """Langford–Seeger / Maurer: e(Q) ≤ kl⁻¹(ê, (KL + ln(2√m/δ) + extra) / m), with probability
    ≥ 1 − δ; ``extra_log_cost`` pays for a union bound (e.g. over a grid of priors)."""
    return kl_inverse(
        empirical_error, (kl_divergence + math.log(2 * math.sqrt(m) / delta) + extra_log_cost) / m
    )


class DiagonalGaussian(nn.Module):
    """A posterior N(μ, diag σ²) over a flat parameter vector, σ = exp(log_sigma), and the
    isotropic prior N(w₀, λ I) it is compared with (λ = exp(log_lambda), learned too)."""

    def __init__(self, mean: torch.Tensor, sigma: float, prior_variance: float) -> None:
        super().__init__()
        self.mean = nn.Parameter(mean.detach().clone())
        self.log_sigma = nn.Parameter(torch.full_like(mean, math.log(sigma)))
        self.log_lambda = nn.Parameter(torch.tensor(math.log(prior_variance), dtype=mean.dtype))

    def sample(self, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn(self.mean.shape, generator=generator, dtype=self.mean.dtype)
        return self.mean + torch.exp(self.log_sigma) * noise

    def kl_to_prior(self, prior_mean: torch.Tensor, prior_variance: torch.Tensor) -> torch.Tensor:
        """KL(N(μ, diag σ²) ‖ N(w₀, λ I)) in nats."""
        var = torch.exp(2 * self.log_sigma)
        return (
            0.5
            * (
                (var + (self.mean - prior_mean) ** 2) / prior_variance
                - 1
                - torch.log(var / prior_variance)
            ).sum()
        )
