"""Population regression: each member trains as it would alone; a killed run resumes exactly."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab.context import RunContext
from mltheory.lab.nn import MLP
from mltheory.lab.population import PopulationMLP
from mltheory.lab.population_regression import member_mse, train_population_mse

STEPS, M, B, D = 25, 3, 8, 3


def _batches(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(STEPS, M, B, D, generator=g), torch.randn(STEPS, M, B, generator=g)


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_members_train_as_if_alone(schedule):
    xs, ys = _batches()
    seeds = [0, 1, 2]
    pop = PopulationMLP.init(D, [5], 1, seeds)
    train_population_mse(
        pop, lambda s: (xs[s.step], ys[s.step]), steps=STEPS, lr=0.05, schedule=schedule
    )
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)
        net = MLP(D, [5], 1)
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
        for t in range(STEPS):
            loss = ((net(xs[t, i])[:, 0] - ys[t, i]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if schedule == "cosine":
                sched.step()
        for a, b in zip(net.parameters(), pop.member(i).parameters(), strict=True):
            assert torch.allclose(a, b, atol=1e-5)
    assert not any(p.requires_grad for p in pop.parameters())


def test_only_the_trained_tensors_move_and_the_loss_falls():
    xs, ys = _batches(1)
    pop = PopulationMLP.init(D, [16], 1, [3, 4, 5])
    frozen = pop.weights[0].clone()
    before = member_mse(pop, xs[0], ys[0])
    train_population_mse(
        pop,
        lambda s: (xs[0], ys[0]),
        steps=60,
        lr=0.05,
        trained=[pop.biases[0], pop.weights[1], pop.biases[1]],
    )
    assert torch.equal(pop.weights[0], frozen)
    assert (member_mse(pop, xs[0], ys[0]) < before).all()
    with pytest.raises(ValueError, match="trained"):
        train_population_mse(pop, lambda s: (xs[0], ys[0]), steps=1, lr=0.1, trained=[frozen])


def _train_in_ctx(ctx: RunContext) -> PopulationMLP:
    def phase(width: int) -> PopulationMLP:
        pop = PopulationMLP.init(D, [width], 1, [0, 1, 2])

        def draw(state):
            x = torch.randn(M, B, D, generator=state.data)
            return x, x.sum(-1).sin()

        train_population_mse(
            pop, draw, steps=30, lr=0.05, ctx=ctx, carry={"data": ctx.torch_rng("data", width)}
        )
        return pop

    return ctx.run_phases([3, 5], phase)[5]


def test_killed_run_resumes_exactly(tmp_path, monkeypatch):
    whole = _train_in_ctx(RunContext(tmp_path / "whole", seed=1, quiet=True))

    ctx = RunContext(tmp_path / "killed", seed=1, quiet=True, checkpoint_every_s=0)
    saves = {"n": 0}
    original = ctx.checkpoint

    def save_then_die(stateful, force=False):
        written = original(stateful, force)
        saves["n"] += 1
        if saves["n"] == 45:  # in the second phase (30 saves in the first), mid-training
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(ctx, "checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _train_in_ctx(ctx)

    resumed_ctx = RunContext(tmp_path / "killed", seed=1, quiet=True)
    resumed = _train_in_ctx(resumed_ctx)
    assert resumed_ctx.resumed_from is not None
    for a, b in zip(whole.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)
