"""The NTK building blocks: empirical kernel, closed-form limit, linearized predictions, and the
three parameterizations of the MLP."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab.nn import ParameterizedMLP
from mltheory.lab.ntk import (
    _relu_expectations,
    empirical_ntk,
    linearized_predictions,
    relu_ntk,
)


def _sphere(n: int, d: int, seed: int) -> torch.Tensor:
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return x / x.norm(dim=1, keepdim=True) * math.sqrt(d)


def test_empirical_ntk_is_the_jacobian_gram_matrix():
    torch.manual_seed(0)
    net = ParameterizedMLP(3, [5, 4], 1).double()
    x1, x2 = _sphere(4, 3, 1), _sphere(2, 3, 2)
    params = tuple(net.parameters())

    def outputs(x):
        def f(*p):
            return torch.func.functional_call(
                net, dict(zip([k for k, _ in net.named_parameters()], p, strict=True)), (x,)
            ).squeeze(-1)

        jac = torch.autograd.functional.jacobian(f, params)
        return torch.cat([j.reshape(len(x), -1) for j in jac], dim=1)

    expected = outputs(x1) @ outputs(x2).T
    assert torch.allclose(empirical_ntk(net, x1, x2), expected, atol=1e-12)
    assert torch.allclose(empirical_ntk(net, x1), outputs(x1) @ outputs(x1).T, atol=1e-12)


def test_arc_cosine_expectations_match_monte_carlo():
    g = torch.Generator().manual_seed(0)
    cov = torch.tensor([[1.5, 0.6], [0.6, 0.8]], dtype=torch.float64)
    z = torch.randn(2_000_000, 2, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(cov).T
    value, derivative = _relu_expectations(cov[0, 0], cov[0, 1], cov[1, 1])
    relu = z.clamp(min=0)
    assert float(value) == pytest.approx(float((relu[:, 0] * relu[:, 1]).mean()), rel=5e-3)
    step = (z > 0).double()
    assert float(derivative) == pytest.approx(float((step[:, 0] * step[:, 1]).mean()), rel=5e-3)


@pytest.mark.parametrize("depth,width", [(1, 20000), (2, 1500)])
def test_wide_empirical_ntk_approaches_the_closed_form(depth, width):
    x = _sphere(5, 3, 0)
    torch.manual_seed(0)
    net = ParameterizedMLP(3, [width] * depth, 1).double()
    limit = relu_ntk(x, x, depth)
    assert float((empirical_ntk(net, x) - limit).norm() / limit.norm()) < 0.05
    assert torch.allclose(limit, limit.T)
    assert float(torch.linalg.eigvalsh(limit).min()) > 0


def test_linearized_predictions_follow_gradient_descent_on_the_linear_model():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(9, 9, generator=g, dtype=torch.float64)
    theta = a @ a.T + 0.1 * torch.eye(9, dtype=torch.float64)
    train, test = theta[:6, :6], theta[6:, :6]
    y = torch.randn(6, generator=g, dtype=torch.float64)
    f0 = torch.randn(9, generator=g, dtype=torch.float64)
    n, lr, steps = 6, 0.5 * 6 / float(torch.linalg.eigvalsh(train).max()), 40
    # The linearized network under GD: f ← f − (η/n) Θ(·, X)(f(X) − y).
    f = f0.clone()
    for _ in range(steps):
        f = f - lr / n * theta[:, :6] @ (f[:6] - y)
    got = linearized_predictions(train, test, f0[:6], f0[6:], y, lr, steps)
    assert torch.allclose(got, f[6:], atol=1e-10)
    krr = f0[6:] + test @ torch.linalg.solve(train, y - f0[:6])
    assert torch.allclose(linearized_predictions(train, test, f0[:6], f0[6:], y, lr, None), krr)


def test_parameterizations_agree_at_initialization_and_differ_in_scale():
    x = _sphere(7, 4, 0)
    nets = {}
    for p in ("ntk", "standard", "mean-field"):
        torch.manual_seed(3)
        nets[p] = ParameterizedMLP(4, [64], 1, p).double()
    with torch.no_grad():
        f = {p: net(x) for p, net in nets.items()}
    assert torch.allclose(f["ntk"], f["standard"])
    assert torch.allclose(f["mean-field"], f["ntk"] / 8)
    # The standard parameterization's kernel is dominated by the last layer: about width times
    # the NTK one's last-layer part; the mean-field one is the NTK one over the width.
    k = {p: empirical_ntk(net, x) for p, net in nets.items()}
    assert torch.allclose(k["mean-field"], k["ntk"] / 64)
    assert float(k["standard"].trace()) > 10 * float(k["ntk"].trace())
    with pytest.raises(ValueError, match="parameterization"):
        ParameterizedMLP(4, [8], 1, "muP")
