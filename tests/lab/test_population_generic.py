"""Population training of any module: each path equals training the members one by one, and
``from_models`` refuses what a path cannot represent."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mltheory.lab.nn import MLP, SmallCNN, TinyTransformer
from mltheory.lab.population import (
    PopulationMLP,
    PopulationModule,
    population_from_models,
    train_population,
)
from mltheory.lab.train import train_classifier

ATOL = 1e-5
STEPS, BATCH, EVAL = 25, 8, 10


def _small_cnn() -> nn.Module:
    model = SmallCNN(in_channels=1, n_classes=3, width=3, hidden=8)
    model(torch.zeros(1, 1, 8, 8))  # materialise the lazy layer
    return model


ARCHITECTURES = {
    # name: (make a member, inputs (n, ...), classes)
    "relu-mlp": (lambda: MLP(6, [10, 7], 3), lambda g: torch.randn(40, 6, generator=g), 3),
    "tanh-mlp": (
        lambda: MLP(6, [10, 7], 3, activation=nn.Tanh),
        lambda g: torch.randn(40, 6, generator=g),
        3,
    ),
    "cnn": (_small_cnn, lambda g: torch.randn(40, 1, 8, 8, generator=g), 3),
    "transformer": (
        lambda: TinyTransformer(vocab_size=5, seq_len=6, n_classes=3, d_model=8, n_heads=2),
        lambda g: torch.randint(0, 5, (40, 6), generator=g),
        3,
    ),
}


def _members(make, seeds):
    models = []
    for s in seeds:
        torch.manual_seed(s)
        models.append(make())
    return models


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_each_path_equals_members_trained_one_by_one(name):
    make, inputs, classes = ARCHITECTURES[name]
    g = torch.Generator().manual_seed(0)
    x = inputs(g)
    labels = torch.randint(0, classes, (3, x.shape[0]), generator=g)  # a label draw per member
    seeds, lrs, moms, wds = [0, 1, 2], [0.05, 0.1, 0.02], [0.9, 0.0, 0.5], [0.0, 1e-3, 1e-2]

    pop = population_from_models(_members(make, seeds))
    assert isinstance(pop, PopulationMLP) == (name == "relu-mlp")  # the fast path when it fits
    paths = [pop]
    if name == "relu-mlp":  # the generic path must agree too
        paths.append(PopulationModule.from_models(_members(make, seeds)))
    for path in paths:
        hist = train_population(
            path,
            x,
            labels,
            steps=STEPS,
            batch_size=BATCH,
            lr=lrs,
            momentum=moms,
            weight_decay=wds,
            generators=[torch.Generator().manual_seed(10 + i) for i in range(3)],
            eval_every=EVAL,
        )
        for i, model in enumerate(_members(make, seeds)):
            alone = train_classifier(
                model,
                x,
                labels[i],
                steps=STEPS,
                batch_size=BATCH,
                lr=lrs[i],
                momentum=moms[i],
                weight_decay=wds[i],
                generator=torch.Generator().manual_seed(10 + i),
                eval_every=EVAL,
            )
            member = path.member(i)
            mine = member.state_dict().values()
            for (k, a), b in zip(model.state_dict().items(), mine, strict=True):
                assert torch.allclose(a, b, atol=ATOL), (type(path).__name__, k)
            assert hist.member(i).train_loss == pytest.approx(alone.train_loss, abs=ATOL)


def test_generic_path_takes_one_input_set_per_member():
    make, inputs, _ = ARCHITECTURES["cnn"]
    g = torch.Generator().manual_seed(1)
    xs = torch.stack([inputs(g)[:20] for _ in range(2)])  # (M, n, 1, 8, 8)
    ys = torch.randint(0, 3, (2, 20), generator=g)
    pop = PopulationModule.from_models(_members(make, [0, 1]))
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    train_population(
        pop, xs, ys, steps=6, batch_size=5, lr=0.1, generators=gens, member_inputs=True
    )
    for i, model in enumerate(_members(make, [0, 1])):
        train_classifier(
            model,
            xs[i],
            ys[i],
            steps=6,
            batch_size=5,
            lr=0.1,
            generator=torch.Generator().manual_seed(i),
        )
        assert torch.allclose(pop.member(i)(xs[i]), model(xs[i]), atol=ATOL)


def test_from_models_refuses_what_a_path_cannot_represent():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="Tanh where the ReLU MLP has a ReLU"):
        PopulationMLP.from_models([MLP(4, [5], 2, activation=nn.Tanh)])
    with pytest.raises(ValueError, match="SmallCNN, not a mltheory.lab.nn.MLP"):
        PopulationMLP.from_models([_small_cnn()])
    with pytest.raises(ValueError, match="TinyTransformer"):
        PopulationMLP.from_models([TinyTransformer(5, 4, 2, d_model=8, n_heads=2)])
    with pytest.raises(ValueError, match="no biases"):
        PopulationMLP.from_models([MLP(4, [5], 2, bias=False)])
    with pytest.raises(ValueError, match="lazy: run one forward pass"):
        PopulationModule.from_models([SmallCNN(in_channels=1, width=2, hidden=4)])
    with pytest.raises(ValueError, match="BatchNorm1d"):
        PopulationModule.from_models([nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))])
    with pytest.raises(ValueError, match="Dropout"):
        PopulationModule.from_models([nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1))])
    with pytest.raises(ValueError, match="differs from model 0"):
        PopulationModule.from_models([MLP(4, [5], 2), MLP(4, [6], 2)])
    # The fast path's check is what population_from_models uses: a tanh MLP goes generic.
    assert isinstance(
        population_from_models([MLP(4, [5], 2, activation=nn.Tanh)]), PopulationModule
    )


def test_generic_init_matches_manual_seed_and_leaves_global_rng_alone():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    make = ARCHITECTURES["transformer"][0]
    pop = PopulationModule.init(make, [4, 5])
    assert torch.equal(before, torch.get_rng_state())
    for i, model in enumerate(_members(make, [4, 5])):
        for a, b in zip(model.parameters(), pop.member(i).parameters(), strict=True):
            assert torch.equal(a, b)


def test_generic_population_killed_and_resumed_ends_bit_identical(tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    make, inputs, _ = ARCHITECTURES["transformer"]
    x = inputs(torch.Generator().manual_seed(0))
    y = torch.randint(0, 3, (x.shape[0],), generator=torch.Generator().manual_seed(1))

    def train(ctx: RunContext) -> PopulationModule:
        pop = PopulationModule.init(make, [0, 1])
        gens = [ctx.generator(i) for i in range(2)]
        train_population(pop, x, y, steps=12, batch_size=8, lr=0.1, generators=gens, ctx=ctx)
        return pop

    whole = train(RunContext(tmp_path / "whole", seed=2, quiet=True))
    ctx = RunContext(tmp_path / "killed", seed=2, quiet=True, checkpoint_every_s=0)
    original = ctx.checkpoint

    def checkpoint_then_die(stateful, force=False):
        written = original(stateful, force)
        if stateful.state.step == 7:
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(ctx, "checkpoint", checkpoint_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(ctx)
    resumed_ctx = RunContext(tmp_path / "killed", seed=2, quiet=True)
    resumed = train(resumed_ctx)
    assert resumed_ctx.resumed_from is not None
    for a, b in zip(whole.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)
