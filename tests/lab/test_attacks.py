"""FGSM and PGD (mltheory.lab.attacks): the threat model is respected, and on a linear model,
where the worst perturbation is known in closed form, both attacks find it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from mltheory.lab.attacks import Attack, attack_model, fgsm, pgd, project


def _mlp(seed: int = 0, d: int = 16) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 3))


def _batch(seed: int = 0, n: int = 64, d: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g), torch.randint(0, 3, (n,), generator=g)


@settings(max_examples=25, deadline=None)
@given(
    eps=st.floats(0.0, 0.6),
    steps=st.integers(0, 6),
    step_size=st.floats(0.0, 2.0),
    random_start=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_pgd_never_leaves_the_ball_or_the_input_range(eps, steps, step_size, random_start, seed):
    model = _mlp(seed % 7)
    x, y = _batch(seed)
    g = torch.Generator().manual_seed(seed)
    x_adv = pgd(
        model, x, y, eps, steps=steps, step_size=step_size, random_start=random_start, generator=g
    )
    assert (x_adv - x).abs().max() <= eps + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    x_fgsm = fgsm(model, x, y, eps)
    assert (x_fgsm - x).abs().max() <= eps + 1e-6
    assert x_fgsm.min() >= 0 and x_fgsm.max() <= 1


def test_project_is_the_nearest_point_of_ball_and_range():
    x = torch.tensor([0.0, 0.5, 0.95])
    far = torch.tensor([-1.0, 0.9, 2.0])
    assert torch.allclose(project(far, x, 0.1, (0.0, 1.0)), torch.tensor([0.0, 0.6, 1.0]))
    assert torch.allclose(project(far, x, 0.1, None), torch.tensor([-0.1, 0.6, 1.05]))


def _linear_two_class(seed: int, d: int = 20) -> tuple[nn.Linear, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Linear(d, 2)
    x, _ = _batch(seed, n=50, d=d)
    with torch.no_grad():
        y = model(x).argmax(1)  # attack the model's own predictions
    return model, x, y


def _worst_margin(model: nn.Linear, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """The smallest margin (logit of y minus the other logit) over the ε-ball ∩ [0, 1]: the
    margin is linear, dᵀx' + c with d = w_y − w_other, so each coordinate goes to the end of its
    interval [max(0, x − ε), min(1, x + ε)] that lowers it."""
    w, b = model.weight.detach(), model.bias.detach()
    sign = 1 - 2 * y.float()  # y = 0: w0 − w1; y = 1: w1 − w0
    d = sign[:, None] * (w[0] - w[1])[None, :]
    c = sign * (b[0] - b[1])
    lo, hi = (x - eps).clamp(min=0), (x + eps).clamp(max=1)
    x_star = torch.where(d > 0, lo, hi)
    return (d * x_star).sum(1) + c


def _margin(model: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        z = model(x)
    return z.gather(1, y[:, None]).squeeze(1) - z.gather(1, (1 - y)[:, None]).squeeze(1)


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.5])
def test_on_a_linear_model_fgsm_and_pgd_find_the_known_optimum(eps):
    model, x, y = _linear_two_class(1)
    best = _worst_margin(model, x, y, eps)
    x_fgsm = fgsm(model, x, y, eps)
    # Enough travel (steps × step size ≥ 2ε) to cross the ball from any random start.
    x_pgd = pgd(model, x, y, eps, steps=20, step_size=eps / 5, generator=torch.Generator())
    assert torch.allclose(_margin(model, x_fgsm, y), best, atol=1e-5)
    assert torch.allclose(_margin(model, x_pgd, y), best, atol=1e-5)
    # Hence PGD is at least as strong as FGSM, example by example.
    with torch.no_grad():
        loss_fgsm = F.cross_entropy(model(x_fgsm), y, reduction="none")
        loss_pgd = F.cross_entropy(model(x_pgd), y, reduction="none")
    assert (loss_pgd >= loss_fgsm - 1e-5).all()


def test_pgd_with_a_short_path_is_weaker_than_the_optimum_on_a_linear_model():
    """A check that the closed form can tell attacks apart: one tiny step from a random start
    stays far from the worst case."""
    model, x, y = _linear_two_class(2)
    best = _worst_margin(model, x, y, 0.3)
    weak = pgd(model, x, y, 0.3, steps=1, step_size=0.01, generator=torch.Generator())
    assert (_margin(model, weak, y) - best).mean() > 0.1


def test_zero_radius_returns_the_input_and_zero_steps_the_random_start():
    model = _mlp()
    x, y = _batch()
    assert torch.equal(fgsm(model, x, y, 0.0), x)
    assert torch.equal(pgd(model, x, y, 0.0, steps=5, step_size=0.1), x)
    start = pgd(model, x, y, 0.1, steps=0, step_size=0.1, generator=torch.Generator())
    assert 0 < (start - x).abs().max() <= 0.1 + 1e-6


def test_attacks_leave_parameters_gradients_and_mode_alone_and_are_seeded():
    model = _mlp()
    model.train()
    x, y = _batch()
    atk = Attack.pgd(0.1, 5, 0.03)
    r1 = attack_model(model, x, y, atk, generator=torch.Generator().manual_seed(3))
    r2 = attack_model(model, x, y, atk, generator=torch.Generator().manual_seed(3))
    assert torch.equal(r1.correct, r2.correct)
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert r1.violation(0.1) < 1e-6 and 0.09 < r1.max_perturbation <= 0.1 + 1e-6
    assert attack_model(model, x, y, Attack.clean()).max_perturbation == 0.0


def test_attack_descriptions_and_bad_input():
    assert Attack.pgd(0.3, 40, 0.01).describe() == "PGD ε=0.3, 40 steps of 0.01, random start"
    assert Attack.fgsm(0.25).describe() == "FGSM ε=0.25 (1 step of 0.25)"
    assert Attack.fgsm(0.25).as_dict()["step_size"] == 0.25
    with pytest.raises(ValueError, match="unknown attack"):
        Attack("cw", 0.1)
    with pytest.raises(ValueError, match="eps"):
        Attack.fgsm(-0.1)
    with pytest.raises(ValueError, match="step_size"):
        Attack("pgd", 0.1, 5, None)
