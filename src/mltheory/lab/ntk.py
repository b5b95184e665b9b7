"""Neural tangent kernels: the empirical one of any network (``torch.func``), the infinite-width
one of a ReLU network in closed form, and the linearized network's predictions.

* :func:`empirical_ntk` — ``Θ(x, x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ`` for a scalar-output module,
  from per-example Jacobians (``torch.func.vmap`` of ``torch.func.jacrev`` of
  ``functional_call``), contracted parameter tensor by parameter tensor.
* :func:`relu_ntk` — Jacot, Gabriel, Hongler (2018), Theorem 1: the limit of the empirical NTK of
  a ReLU network in the NTK parameterization (``nn.ParameterizedMLP``) as every width → ∞, by
  the layer recursion ``Θ⁽ˡ⁺¹⁾ = Θ⁽ˡ⁾ Σ̇⁽ˡ⁺¹⁾ + Σ⁽ˡ⁺¹⁾`` with the arc-cosine expectations of
  ReLU (Cho & Saul 2009).
* :func:`linearized_predictions` — the network linearized around its initialization and trained
  by full-batch gradient descent on ½·mean squared error, in closed form (Lee et al. 2019,
  eq. 9–10): ``f_t(x) = f_0(x) + Θ(x, X) Θ⁻¹ (I − (I − ηΘ/n)^t)(y − f_0(X))``; ``t = None`` gives
  its limit, kernel regression from ``f_0``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap


def empirical_ntk(
    model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None
) -> torch.Tensor:
    """The empirical NTK ``(len(x1), len(x2))`` of a module with one output per example, at its
    current parameters (all of them, as ``model.named_parameters()``)."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (x[None],)).reshape(())

    def jacobian(x: torch.Tensor) -> dict[str, torch.Tensor]:
        return vmap(jacrev(f), in_dims=(None, 0))(params, x)

    j1 = jacobian(x1)
    j2 = j1 if x2 is None else jacobian(x2)
    return sum(a.flatten(1) @ b.flatten(1).T for a, b in zip(j1.values(), j2.values(), strict=True))


def _relu_expectations(
    s11: torch.Tensor, s12: torch.Tensor, s22: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``E[relu(u) relu(v)]`` and ``E[relu'(u) relu'(v)]`` for ``(u, v)`` centred Gaussian with
    variances ``s11``, ``s22`` and covariance ``s12`` (the arc-cosine kernels of degree 1 and 0)."""
    norms = torch.sqrt(s11 * s22)
    cos = (s12 / norms).clamp(-1.0, 1.0)
    theta = torch.arccos(cos)
    value = norms / (2 * math.pi) * (torch.sin(theta) + (math.pi - theta) * cos)
    derivative = (math.pi - theta) / (2 * math.pi)
    return value, derivative


def relu_ntk(
    x1: torch.Tensor,
    x2: torch.Tensor,
    depth: int,
    sigma_w: float = math.sqrt(2),
    sigma_b: float = 0.1,
) -> torch.Tensor:
    """The infinite-width NTK of a ReLU network with ``depth`` hidden layers in the NTK
    parameterization (layers ``σ_w W z/√fan_in + σ_b b``, every parameter trained)."""
    d = x1.shape[1]

    def first(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return sigma_w**2 * (a * b).sum(-1) / d + sigma_b**2

    s12 = sigma_w**2 * x1 @ x2.T / d + sigma_b**2  # Σ⁽¹⁾: first-layer pre-activations
    s11, s22 = first(x1, x1)[:, None], first(x2, x2)[None, :]
    theta = s12
    for _ in range(depth):
        value, derivative = _relu_expectations(s11, s12, s22)
        # The diagonal variances follow the same map (θ = 0: E relu(u)² = s/2).
        s11, s22 = sigma_w**2 * s11 / 2 + sigma_b**2, sigma_w**2 * s22 / 2 + sigma_b**2
        s12 = sigma_w**2 * value + sigma_b**2
        theta = theta * sigma_w**2 * derivative + s12
    return theta


def linearized_predictions(
    theta_train: torch.Tensor,
    theta_cross: torch.Tensor,
    f0_train: torch.Tensor,
    f0_eval: torch.Tensor,
    y_train: torch.Tensor,
    lr: float,
    steps: int | None,
) -> torch.Tensor:
    """Outputs at the evaluation points of the linearized network after ``steps`` of full-batch
    GD with step ``lr`` on ``½ mean (f − y)²`` over the ``n`` training points (``None``: the
    limit, kernel regression). ``theta_train``: ``Θ(X, X)``; ``theta_cross``: ``Θ(x_eval, X)``.

    Written through the eigendecomposition ``Θ = V Λ Vᵀ``: ``Θ⁻¹(I − (I − ηΘ/n)^t)`` is
    ``V g(Λ) Vᵀ`` with ``g(λ) = (1 − (1 − ηλ/n)^t)/λ``, finite (→ ηt/n) as λ → 0."""
    n = len(y_train)
    lam, vec = torch.linalg.eigh(theta_train)
    lam = lam.clamp(min=0)
    if steps is None:
        g = torch.where(lam > lam.max() * 1e-12, 1 / lam, torch.zeros_like(lam))
    else:
        decay = (1 - lr * lam / n) ** steps
        small = lam < 1e-12 * lam.max()
        g = torch.where(small, torch.full_like(lam, lr * steps / n), (1 - decay) / lam)
    residual = y_train - f0_train
    return f0_eval + theta_cross @ (vec @ (g * (vec.T @ residual)))
