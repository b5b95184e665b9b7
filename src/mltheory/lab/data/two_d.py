"""Two-dimensional targets for generative models, each drawn from an explicit generator.

* :func:`ring_of_gaussians`: ``n_modes`` equal-weight isotropic Gaussians of std ``std`` whose
  means sit evenly on a circle of radius ``radius`` (the mode-collapse benchmark of the
  unrolled-GAN paper, Metz et al. 2017, and of VEEGAN and PacGAN after it); one mode sits at
  ``(radius, 0)``. With ``n_modes=1`` it is a single Gaussian there.
* :func:`swiss_roll`: the 2-D Swiss roll (``t cos t, t sin t`` for ``t`` uniform on
  ``[1.5π, 4.5π]``, as scikit-learn's ``make_swiss_roll`` without its third coordinate), scaled
  to about unit spread and blurred by Gaussian noise (the diffusion paper of Sohl-Dickstein et
  al. 2015 learns it).
* :func:`standard_gaussian`: N(0, I) in the plane.

:func:`make_target` picks one by name (``TARGETS``); :func:`mixture_log_density` gives a
mixture's log density for contour plots.
"""

from __future__ import annotations

import math

import torch

TARGETS = ("ring", "swiss-roll", "gaussian")

SWISS_ROLL_SCALE = 0.15  # x = 0.15·t·cos t: spread (std per coordinate) about 1


def ring_centres(n_modes: int, radius: float) -> torch.Tensor:
    """The ``(n_modes, 2)`` means at angles ``2πk/n_modes`` on the circle of ``radius``."""
    angles = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    return (radius * torch.stack([angles.cos(), angles.sin()], -1)).float()


def gaussian_mixture(
    n: int, centres: torch.Tensor, std: float, generator: torch.Generator
) -> torch.Tensor:
    """``n`` points of the equal-weight mixture of N(centre, std² I) over the rows of
    ``centres``."""
    which = torch.randint(len(centres), (n,), generator=generator)
    return centres[which] + std * torch.randn(n, centres.shape[1], generator=generator)


def ring_of_gaussians(
    n: int,
    generator: torch.Generator,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
) -> torch.Tensor:
    """``n`` points of the ring of ``n_modes`` Gaussians (std ``std``, means on a circle of
    ``radius``)."""
    return gaussian_mixture(n, ring_centres(n_modes, radius), std, generator)


def swiss_roll(n: int, generator: torch.Generator, noise: float = 0.05) -> torch.Tensor:
    """``n`` points of the 2-D Swiss roll, ``0.15 · (t cos t, t sin t)`` with ``t`` uniform on
    ``[1.5π, 4.5π]``, plus N(0, noise² I)."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    roll = SWISS_ROLL_SCALE * torch.stack([t * t.cos(), t * t.sin()], -1)
    return roll + noise * torch.randn(n, 2, generator=generator)


def standard_gaussian(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` points of N(0, I) in the plane."""
    return torch.randn(n, 2, generator=generator)


def make_target(name: str, n: int, generator: torch.Generator, **kwargs: float) -> torch.Tensor:
    """``n`` points of the target ``name`` (one of ``TARGETS``); ``kwargs`` go to its sampler."""
    if name == "ring":
        return ring_of_gaussians(n, generator, **kwargs)  # type: ignore[arg-type]
    if name == "swiss-roll":
        return swiss_roll(n, generator, **kwargs)
    if name == "gaussian":
        return standard_gaussian(n, generator)
    raise ValueError(f"unknown 2-D target {name!r}; allowed: {', '.join(TARGETS)}")


def mixture_log_density(x: torch.Tensor, centres: torch.Tensor, std: float) -> torch.Tensor:
    """Log density at the rows of ``x`` of the equal-weight mixture of N(centre, std² I)."""
    d = x.shape[-1]
    sq = torch.cdist(x.double(), centres.double()) ** 2
    log_norm = -0.5 * d * math.log(2 * math.pi * std**2) - math.log(len(centres))
    return (torch.logsumexp(-sq / (2 * std**2), -1) + log_norm).to(x.dtype)
