"""The training engine: four kinds of training on one loop, and a killed loop resumed from its
checkpoint ends bit-identical (on CPU) to one that was never interrupted."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mltheory.lab.context import RunContext
from mltheory.lab.engine import (
    LoaderBatches,
    NotCheckpointable,
    TensorBatches,
    TrainState,
    make_loader,
    make_optimizer,
    make_scheduler,
    supervised_step,
    train_loop,
)
from mltheory.lab.train import train_classifier


class Killed(Exception):
    """Stands for the process being killed: raised after the engine's checkpoint at a step."""


def _kill_at(step: int):
    def hook(state: TrainState) -> None:
        if state.step == step:
            raise Killed

    return hook


def _whole_and_resumed(tmp_path, build, kill_at: int):
    """Run the loop that ``build(ctx, hooks)`` makes once uninterrupted, once killed at step
    ``kill_at`` (checkpointing after every step) and resumed in a fresh context: returns both
    final states and run directories."""
    never = 1e9  # seconds: only the killed run writes checkpoints (every step)
    whole = RunContext(tmp_path / "whole", seed=3, quiet=True, checkpoint_every_s=never)
    whole_state = build(whole, ())
    killed = RunContext(tmp_path / "killed", seed=3, quiet=True, checkpoint_every_s=0)
    with pytest.raises(Killed):
        build(killed, (_kill_at(kill_at),))
    assert killed.checkpoint_path.exists()
    resumed = RunContext(tmp_path / "killed", seed=3, quiet=True, checkpoint_every_s=never)
    resumed_state = build(resumed, ())
    assert resumed.resumed_from is not None
    return whole_state, resumed_state


def _assert_identical(a, b) -> None:
    """Bit for bit: tensors equal, nested containers equal element by element."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_identical(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_identical(x, y)
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b)
    else:
        assert a == b


# --- 1. supervised: exact resume with dropout, AdamW and a schedule -----------------------------


def _supervised(ctx: RunContext, hooks) -> TrainState:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, 5, generator=g), torch.randint(0, 3, (50,), generator=g)
    torch.manual_seed(1)
    # Dropout draws from the global RNG: the checkpoint must carry it.
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = make_optimizer(model, "adamw", lr=0.01, weight_decay=0.1)
    sched = make_scheduler(opt, "warmup-cosine", 30, warmup_steps=5)
    state = TrainState(model=model, optimizer=opt, scheduler=sched)

    def evaluate(state: TrainState) -> dict:
        with torch.no_grad():
            return {"loss": F.cross_entropy(state.model(x), y).item()}

    return train_loop(
        state,
        supervised_step(lambda s, b: F.cross_entropy(s.model(b[0]), b[1]), scheduler="scheduler"),
        steps=30,
        batches=TensorBatches(x, y, batch_size=8, generator=ctx.generator(1)),
        ctx=ctx,
        evaluate=evaluate,
        eval_every=7,
        log_every=5,
        hooks=hooks,
    )


def test_killed_loop_resumes_bit_identical(tmp_path):
    whole, resumed = _whole_and_resumed(tmp_path, _supervised, kill_at=13)
    _assert_identical(whole.model.state_dict(), resumed.model.state_dict())
    _assert_identical(whole.optimizer.state_dict(), resumed.optimizer.state_dict())
    _assert_identical(whole.scheduler.state_dict(), resumed.scheduler.state_dict())
    _assert_identical(whole.evaluations, resumed.evaluations)
    assert resumed.step == 30 and [e["step"] for e in whole.evaluations] == [0, 7, 14, 21, 28, 30]
    # The metric log too: the rows after the checkpoint were cut and written again, once.
    assert (tmp_path / "whole/metrics.jsonl").read_text() == (
        tmp_path / "killed/metrics.jsonl"
    ).read_text()


def test_schedule_and_decoupled_weight_decay():
    w = nn.Parameter(torch.ones(3))
    opt = make_optimizer([w], "adamw", lr=0.1, weight_decay=0.5)
    w.grad = torch.zeros(3)
    opt.step()  # zero gradient: AdamW still shrinks w by lr·wd (decoupled), Adam would not
    assert torch.allclose(w.detach(), torch.full((3,), 1 - 0.1 * 0.5))
    sched = make_scheduler(make_optimizer([w], "sgd", lr=1.0), "cosine", 10)
    lrs = []
    for _ in range(10):
        sched.optimizer.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12) and lrs[4] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="allowed: sgd, adam, adamw"):
        make_optimizer([w], "rmsprop", lr=0.1)
    with pytest.raises(ValueError, match="allowed: constant, cosine"):
        make_scheduler(opt, "exp", 10)


def test_train_classifier_takes_adamw_and_a_schedule():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 4, generator=g), torch.randint(0, 2, (64,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    hist = train_classifier(
        model,
        x,
        y,
        steps=200,
        batch_size=16,
        lr=0.01,
        generator=g,
        optimizer="adamw",
        weight_decay=0.01,
        scheduler="cosine",
        eval_every=50,
    )
    assert hist.train_acc[-1] > hist.train_acc[0] + 0.2


# --- 2. two models with alternating steps: a GAN on 2-D data ------------------------------------

DATA_MEAN = torch.tensor([2.0, -1.0])


def _gan(ctx: RunContext, hooks, steps: int = 60) -> TrainState:
    torch.manual_seed(0)
    gen = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    disc = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    g = ctx.generator(5)
    state = TrainState(
        generator_net=gen,
        discriminator=disc,
        g_opt=make_optimizer(gen, "adam", lr=0.01, betas=(0.5, 0.999)),
        d_opt=make_optimizer(disc, "adam", lr=0.01, betas=(0.5, 0.999)),
        rng=g,
    )
    ones, zeros = torch.ones(32, 1), torch.zeros(32, 1)

    def gan_step(state: TrainState, real: torch.Tensor) -> dict:
        # The discriminator's step, then the generator's, each on its own optimizer.
        fake = state.generator_net(torch.randn(32, 2, generator=state.rng))
        d_loss = F.binary_cross_entropy_with_logits(
            state.discriminator(real), ones
        ) + F.binary_cross_entropy_with_logits(state.discriminator(fake.detach()), zeros)
        state.d_opt.zero_grad()
        d_loss.backward()
        state.d_opt.step()
        g_loss = F.binary_cross_entropy_with_logits(state.discriminator(fake), ones)
        state.g_opt.zero_grad()
        g_loss.backward()
        state.g_opt.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def gap(state: TrainState) -> dict:
        with torch.no_grad():
            fake = state.generator_net(torch.randn(512, 2, generator=torch.Generator()))
        return {"mean_gap": float((fake.mean(0) - DATA_MEAN).norm())}

    return train_loop(
        state,
        gan_step,
        steps=steps,
        batches=lambda: DATA_MEAN + 0.3 * torch.randn(32, 2, generator=g),
        ctx=ctx,
        evaluate=gap,
        eval_every=20,
        log_every=10,
        hooks=hooks,
    )


def test_gan_alternating_steps_learn_and_resume_exactly(tmp_path):
    trained = _gan(RunContext(tmp_path / "long", seed=3, quiet=True), (), steps=300)
    gaps = [e["mean_gap"] for e in trained.evaluations]
    assert gaps[-1] < 0.3 * gaps[0]  # the generated mean moved to the data's
    whole, resumed = _whole_and_resumed(tmp_path, _gan, kill_at=27)
    for name in ("generator_net", "discriminator", "g_opt", "d_opt"):
        _assert_identical(getattr(whole, name).state_dict(), getattr(resumed, name).state_dict())


# --- 3. Opacus: DP-SGD with a Poisson-sampled loader; the accountant is checkpointed ------------


def _private(ctx: RunContext, hooks) -> TrainState:
    opacus = pytest.importorskip("opacus")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 4, generator=g), torch.randint(0, 2, (64,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    loader = make_loader((x, y), batch_size=16, generator=ctx.generator(2))
    engine = opacus.PrivacyEngine(accountant="rdp")
    noise = ctx.generator(3)
    model, opt, dp_loader = engine.make_private(
        module=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        data_loader=loader,
        noise_multiplier=1.1,
        max_grad_norm=1.0,
        poisson_sampling=True,
        noise_generator=noise,
    )
    state = TrainState(model=model, optimizer=opt, accountant=engine.accountant, noise=noise)
    return train_loop(
        state,
        supervised_step(lambda s, b: F.cross_entropy(s.model(b[0]), b[1])),
        steps=20,  # 5 epochs of 4 Poisson batches: resumes mid-epoch
        batches=LoaderBatches(dp_loader),  # Poisson batches drawn from the loader's generator
        ctx=ctx,
        evaluate=lambda s: {"epsilon": s.accountant.get_epsilon(delta=1e-5)},
        eval_every=10,
        hooks=hooks,
    )


@pytest.mark.filterwarnings("ignore:Secure RNG turned off")
@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_opacus_dp_sgd_resumes_with_the_same_epsilon(tmp_path):
    whole, resumed = _whole_and_resumed(tmp_path, _private, kill_at=9)
    eps = whole.accountant.get_epsilon(delta=1e-5)
    assert math.isfinite(eps) and eps > 0
    assert len(whole.accountant.history) > 0  # the accountant did count the steps
    assert resumed.accountant.get_epsilon(delta=1e-5) == eps
    assert resumed.accountant.history == whole.accountant.history
    _assert_identical(whole.model.state_dict(), resumed.model.state_dict())


# --- 4. an environment loop: tabular Q-learning on a chain MDP ----------------------------------


class Chain:
    """States 0..n−1; action 1 moves right, 0 left (each slips the other way with probability
    ``slip``); reaching n−1 pays 1 and restarts the episode at 0. Checkpointable."""

    def __init__(self, n: int, slip: float, seed: int) -> None:
        self.n, self.slip, self.position = n, slip, 0
        self.rng = np.random.default_rng(seed)

    def step(self, action: int) -> tuple[int, float, int]:
        move = 1 if action == 1 else -1
        if self.rng.random() < self.slip:
            move = -move
        before = self.position
        self.position = min(max(self.position + move, 0), self.n - 1)
        reward = float(self.position == self.n - 1)
        after = self.position
        if reward:
            self.position = 0
        return before, reward, after

    def state_dict(self) -> dict:
        return {"position": self.position, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, saved: dict) -> None:
        self.position = saved["position"]
        self.rng.bit_generator.state = saved["rng"]


def _q_learning(ctx: RunContext, hooks, env=None, resumable: bool = True) -> TrainState:
    env = env if env is not None else Chain(6, slip=0.1, seed=ctx.seed)
    state = TrainState(env=env, q=torch.zeros(6, 2), explore=np.random.default_rng(ctx.seed + 1))

    def q_step(state: TrainState, _: None) -> dict:
        s = state.env.position
        greedy = int(state.q[s].argmax()) if state.q[s, 0] != state.q[s, 1] else 1
        a = int(state.explore.integers(2)) if state.explore.random() < 0.3 else greedy
        s, r, s_next = state.env.step(a)
        target = r + 0.9 * state.q[s_next].max() * (r == 0)
        state.q[s, a] += 0.2 * (target - state.q[s, a])
        return {"reward": r}

    return train_loop(
        state,
        q_step,
        steps=400,
        ctx=ctx,
        evaluate=lambda s: {"goes_right": int((s.q[:-1, 1] > s.q[:-1, 0]).sum())},
        eval_every=100,
        hooks=hooks,
        resumable=resumable,
    )


def test_q_learning_environment_loop_learns_and_resumes_exactly(tmp_path):
    whole, resumed = _whole_and_resumed(tmp_path, _q_learning, kill_at=40)
    assert whole.evaluations[-1]["goes_right"] == 5  # the greedy policy walks to the reward
    assert whole.evaluations[0]["goes_right"] == 0
    _assert_identical(whole.q, resumed.q)
    _assert_identical(whole.env.state_dict(), resumed.env.state_dict())


class OpaqueChain(Chain):
    """An environment the engine cannot save (as many third-party ones)."""

    state_dict = None  # type: ignore[assignment]
    load_state_dict = None  # type: ignore[assignment]


def test_an_unsaveable_environment_is_named_or_declared_not_resumable(tmp_path, capsys):
    # Said before the first step, not at the first checkpoint (which may come much later).
    ctx = RunContext(tmp_path / "a", seed=0, quiet=True, checkpoint_every_s=1e9)
    with pytest.raises(NotCheckpointable, match="field 'env' \\(OpaqueChain\\).*resumable=False"):
        _q_learning(ctx, (_kill_at(1),), env=OpaqueChain(6, 0.1, 0))

    def build(ctx: RunContext, hooks) -> TrainState:
        return _q_learning(ctx, hooks, env=OpaqueChain(6, 0.1, 0), resumable=False)

    killed = RunContext(tmp_path / "b", seed=0, quiet=True)
    with pytest.raises(Killed):
        build(killed, (_kill_at(40),))
    resumed = RunContext(tmp_path / "b", seed=0)
    again = build(resumed, ())
    assert "not resumable" in capsys.readouterr().err
    whole = build(RunContext(tmp_path / "c", seed=0, quiet=True), ())
    _assert_identical(whole.q, again.q)  # trained again from the start, to the same end


def test_a_checkpoint_is_never_loaded_into_another_loop(tmp_path):
    ctx = RunContext(tmp_path, seed=0, quiet=True, checkpoint_every_s=0)
    with pytest.raises(Killed):
        _q_learning(ctx, (_kill_at(5),))
    other = RunContext(tmp_path, seed=0, quiet=True)
    state = TrainState(w=torch.zeros(1))
    with pytest.raises(RuntimeError, match="belongs to the training loop 'training', not 'other'"):
        train_loop(state, lambda s, b: None, steps=3, ctx=other, description="other")


def test_loader_batches_resume_mid_epoch_of_a_shuffling_loader():
    data = torch.utils.data.TensorDataset(torch.arange(24))

    def batches() -> LoaderBatches:
        return LoaderBatches(
            make_loader(data, batch_size=4, generator=torch.Generator().manual_seed(0))
        )

    first = batches()
    for _ in range(9):  # one epoch (6 batches) and half of the next
        next(first)
    saved = first.state_dict()
    rest = [next(first)[0] for _ in range(8)]
    again = batches()
    again.load_state_dict(saved)
    assert again.epoch == 1 and again.taken == 3
    _assert_identical(rest, [next(again)[0] for _ in range(8)])
    with pytest.raises(ValueError, match="needs the generator the loader draws from"):
        LoaderBatches(torch.utils.data.DataLoader(data, batch_size=4))


def test_a_checkpoint_from_before_the_engine_says_to_start_fresh(tmp_path):
    ctx = RunContext(tmp_path, seed=0, quiet=True)
    ctx._write_checkpoint(inner={"model": {}, "step": 3}, force=True)  # the old closures' shape
    resumed = RunContext(tmp_path, seed=0, quiet=True)
    with pytest.raises(RuntimeError, match="not written by the training engine.*--fresh"):
        train_loop(TrainState(w=torch.zeros(1)), lambda s, b: None, steps=3, ctx=resumed)
