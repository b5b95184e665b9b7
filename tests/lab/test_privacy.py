"""DP-SGD on the engine (mltheory.lab.privacy): every example's gradient is clipped, the ε is
Opacus' accountant's, and a killed run resumes bit-identical with the same ε."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState

pytest.importorskip("opacus")

from mltheory.lab.privacy import train_private_classifier  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:Secure RNG turned off"),
    pytest.mark.filterwarnings("ignore:Full backward hook is firing"),
]


class Killed(Exception):
    pass


def _data(n: int = 64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 5, generator=g)
    return x, (x[:, 0] > 0).long()


def _train(ctx, steps=12, hooks=(), **kw):
    x, y = _data()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    args = dict(
        steps=steps,
        batch_size=32,
        lr=0.1,
        noise_multiplier=1.0,
        max_grad_norm=1.0,
        delta=1e-5,
        sampling_generator=torch.Generator().manual_seed(2),
        noise_generator=torch.Generator().manual_seed(3),
        ctx=ctx,
        x_test=x,
        y_test=y,
        eval_every=4,
        hooks=hooks,
    )
    return train_private_classifier(model, x, y, **{**args, **kw})


def test_every_example_gradient_is_clipped(tmp_path):
    """q = 1 (every example in every batch), no noise, a clipping norm far below every
    gradient: one step of lr 1 moves the weights by the mean of 64 vectors of norm C, so by
    at most C (and by nearly C: the examples' gradients mostly agree)."""
    x, y = _data()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(5, 2))
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    clip = 1e-4
    run = train_private_classifier(
        model,
        x,
        y,
        steps=1,
        batch_size=64,
        lr=1.0,
        noise_multiplier=0.0,
        max_grad_norm=clip,
        delta=1e-5,
        sampling_generator=torch.Generator().manual_seed(2),
        noise_generator=torch.Generator().manual_seed(3),
        eval_every=1,
    )
    after = torch.cat([p.detach().flatten() for p in run.model.parameters()])
    moved = float((after - before).norm())
    assert run.sample_rate == 1.0
    assert 0.3 * clip < moved <= clip * (1 + 1e-5)


def test_epsilon_is_opacus_rdp_for_the_steps_taken(tmp_path):
    from opacus.accountants import RDPAccountant

    run = _train(RunContext(tmp_path, seed=0, quiet=True))
    fresh = RDPAccountant()
    fresh.history = [(1.0, 0.5, 12)]  # σ, q = 1 / (64 / 32 batches per epoch), steps
    assert run.sample_rate == 0.5 and run.steps == 12
    assert run.epsilon == pytest.approx(fresh.get_epsilon(delta=1e-5), rel=1e-12)
    # ε spent grows along training, from 0 before the first step.
    eps = run.history.extra["epsilon"]
    assert eps[0] == 0.0 and all(b > a for a, b in zip(eps, eps[1:], strict=False))


def test_killed_private_run_resumes_with_the_same_weights_and_epsilon(tmp_path):
    never = 1e9
    whole = _train(RunContext(tmp_path / "whole", seed=0, quiet=True, checkpoint_every_s=never))

    def kill(state: TrainState) -> None:
        if state.step == 7:
            raise Killed

    killed = RunContext(tmp_path / "killed", seed=0, quiet=True, checkpoint_every_s=0)
    with pytest.raises(Killed):
        _train(killed, hooks=(kill,))
    resumed_ctx = RunContext(tmp_path / "killed", seed=0, quiet=True, checkpoint_every_s=never)
    resumed = _train(resumed_ctx)
    assert resumed_ctx.resumed_from is not None
    assert resumed.epsilon == whole.epsilon
    assert resumed.history == whole.history
    for a, b in zip(whole.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_unknown_accountant_is_refused(tmp_path):
    with pytest.raises(ValueError, match="accountant"):
        _train(None, accountant="moments")
