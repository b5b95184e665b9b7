"""Two-sample distances between point clouds, and their noise under the null.

Two distances between the distributions of samples ``x`` (n points) and ``y`` (m points):

* **energy distance** (Székely & Rizzo 2013), no kernel to choose (:func:`energy_distance`,
  with a batch-means standard error for when the distributions differ,
  :func:`energy_distance_se`):
  ``2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖``, zero if and only if P = Q (for
  distributions with a finite mean);
* **MMD²** with the Gaussian kernel ``k(a, b) = exp(−‖a − b‖² / (2 h²))`` of bandwidth ``h``
  (Gretton et al. 2012): ``E k(X, X') + E k(Y, Y') − 2 E k(X, Y)``.

Both are estimated by U-statistics: the within-sample means leave out each point's pair with
itself (``n(n − 1)`` pairs), so the estimates are unbiased and, when P = Q, scatter around zero
(slightly negative values included). That scatter is the distances' own noise at a sample size;
:func:`permutation_test` measures it by recomputing the statistic after shuffling which points
are called ``x`` and which ``y`` (all points from one distribution under the null), giving a
p-value and quantiles of the null. Every statistic of a permutation is computed from one pooled
matrix of distances (or kernel values) by matrix products, so hundreds of permutations of a few
thousand points cost a fraction of a second.

Both distances are written ``S(M) = M_xx / (n(n−1)) + M_yy / (m(m−1)) − 2 M_xy / (nm)`` for a
matrix ``M`` of pair values with a zero diagonal (``M_xx``: the sum over pairs within x): the
MMD² is ``S(K)`` for the kernel matrix, the energy distance ``S(−D)`` for the distance matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

DISTANCES = ("energy", "mmd")
MAX_POOLED = 20_000  # points in one pooled matrix (20 000² float64 values: 3.2 GB)


def _pooled_matrix(x: torch.Tensor, y: torch.Tensor, distance: str, bandwidth: float | None):
    """The (n+m)×(n+m) matrix of pair values (−distance or kernel), float64, zero diagonal."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need two (points, dim) arrays of one dim; got {x.shape}, {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("each sample needs at least 2 points")
    if len(x) + len(y) > MAX_POOLED:
        raise ValueError(f"at most {MAX_POOLED} points in all; got {len(x) + len(y)}")
    pooled = torch.cat([x, y]).double()
    dist = torch.cdist(pooled, pooled)
    if distance == "energy":
        m = -dist
    elif distance == "mmd":
        if bandwidth is None or not bandwidth > 0:
            raise ValueError("the MMD needs a positive kernel bandwidth")
        m = torch.exp(-(dist**2) / (2 * bandwidth**2))
    else:
        raise ValueError(f"unknown distance {distance!r}; allowed: {', '.join(DISTANCES)}")
    m.fill_diagonal_(0.0)
    return m


def _split_statistics(m: torch.Tensor, in_x: torch.Tensor) -> torch.Tensor:
    """``S(M)`` for each column of the 0/1 matrix ``in_x`` (pooled points × splits) marking
    the points called x; the rest are y."""
    n = in_x.sum(0)
    total = m.shape[0]
    m_count = total - n
    row_sums = m.sum(1)  # M 1
    m_in = m @ in_x  # M a, one column per split
    xx = (in_x * m_in).sum(0)  # aᵀ M a
    x_all = (in_x * row_sums[:, None]).sum(0)  # aᵀ M 1
    xy = x_all - xx  # aᵀ M b
    yy = row_sums.sum() - 2 * x_all + xx  # bᵀ M b
    return xx / (n * (n - 1)) + yy / (m_count * (m_count - 1)) - 2 * xy / (n * m_count)


def _statistic(x: torch.Tensor, y: torch.Tensor, distance: str, bandwidth: float | None) -> float:
    m = _pooled_matrix(x, y, distance, bandwidth)
    in_x = torch.zeros(len(m), 1, dtype=m.dtype)
    in_x[: len(x)] = 1
    return float(_split_statistics(m, in_x)[0])


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased estimate of ``2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖`` from samples ``x``, ``y``
    (rows are points)."""
    return _statistic(x, y, "energy", None)


def energy_distance_se(x: torch.Tensor, y: torch.Tensor, chunks: int = 10) -> float:
    """Batch-means standard error of :func:`energy_distance`: ``x`` and ``y`` are each cut into
    ``chunks`` consecutive parts (their rows must be in random order, as i.i.d. draws are), the
    distance is estimated on each pair of parts, and ``sd(parts) / √chunks`` is returned. When
    the distributions differ the estimate's variance falls like 1/n, so a part's is ``chunks``
    times the whole's; when they agree it falls like 1/n² and this overstates the error
    (conservative)."""
    if chunks < 2 or min(len(x), len(y)) < 2 * chunks:
        raise ValueError("need chunks ≥ 2 and at least 2 points per part")
    parts = [
        energy_distance(a, b)
        for a, b in zip(x.tensor_split(chunks), y.tensor_split(chunks), strict=True)
    ]
    return float(torch.tensor(parts, dtype=torch.float64).std() / chunks**0.5)


def gaussian_mmd2(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> float:
    """Unbiased estimate of the MMD² with the Gaussian kernel of bandwidth ``bandwidth``."""
    return _statistic(x, y, "mmd", bandwidth)


def median_bandwidth(x: torch.Tensor, y: torch.Tensor) -> float:
    """The median heuristic: the median distance between distinct pooled points."""
    pooled = torch.cat([x, y]).double()
    dist = torch.cdist(pooled, pooled)
    upper = dist[torch.triu_indices(len(pooled), len(pooled), offset=1).unbind()]
    return float(upper.median())


@dataclass(frozen=True)
class TwoSampleTest:
    """A distance between two samples and its null distribution under relabelling."""

    distance: str
    statistic: float  # the distance between x and y
    null: torch.Tensor  # the distance after each random relabelling of the pooled points
    p_value: float  # (1 + #{null ≥ statistic}) / (1 + draws)

    def null_quantile(self, q: float) -> float:
        """The ``q`` quantile of the distance between two samples of one distribution."""
        return float(torch.quantile(self.null, q))


def permutation_test(
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    distance: str = "energy",
    bandwidth: float | None = None,
    draws: int = 500,
) -> TwoSampleTest:
    """The distance between ``x`` and ``y`` and its permutation null: ``draws`` random splits
    of the pooled points into groups of the sizes of ``x`` and ``y``, drawn from ``generator``.
    ``distance``: ``"energy"`` or ``"mmd"`` (Gaussian kernel of ``bandwidth``)."""
    if draws < 1:
        raise ValueError("draws must be ≥ 1")
    m = _pooled_matrix(x, y, distance, bandwidth)
    total = len(m)
    observed = torch.zeros(total, 1, dtype=m.dtype)
    observed[: len(x)] = 1
    statistic = float(_split_statistics(m, observed)[0])
    null = []
    chunk = max(1, min(draws, 2_000_000 // total))  # splits per matrix product
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        in_x = torch.zeros(total, k, dtype=m.dtype)
        for j in range(k):
            in_x[torch.randperm(total, generator=generator)[: len(x)], j] = 1
        null.append(_split_statistics(m, in_x))
    null_t = torch.cat(null)
    p = (1 + int((null_t >= statistic).sum())) / (1 + draws)
    return TwoSampleTest(distance, statistic, null_t, p)
