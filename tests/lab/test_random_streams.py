"""Named random streams: derived from the run's one seed, distinct by construction, no overflow."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mltheory.lab.context import (
    MAX_SEED,
    RunContext,
    numpy_stream,
    stream_int_seed,
    stream_seed_sequence,
    torch_stream,
)


def test_a_stream_is_a_function_of_seed_name_and_keys(tmp_path):
    ctx = RunContext(tmp_path, seed=3, quiet=True)
    a = ctx.rng("labels", 2).standard_normal(5)
    assert np.array_equal(a, numpy_stream(3, "labels", 2).standard_normal(5))
    assert np.array_equal(a, ctx.rng("labels", 2).standard_normal(5))  # a fresh generator
    t = torch.randn(5, generator=ctx.torch_rng("order", 1))
    assert torch.equal(t, torch.randn(5, generator=torch_stream(3, "order", 1)))
    assert ctx.int_seed("init", 0) == stream_int_seed(3, "init", 0) < 2**63


def test_streams_that_old_offsets_made_collide_are_distinct():
    """``seed * 1_000_003 + offset`` made (seed 0, offset 1_000_003) and (seed 1, offset 0) the
    same stream; named streams encode (name, keys) injectively in the spawn key."""
    keys = [
        (0, "labels", ()),
        (1, "labels", ()),
        (0, "labels", (1,)),
        (0, "labels", (1, 0)),
        (0, "label", (115,)),  # "labels" is "label" + byte 115: the length prefix tells them apart
        (0, "order", (1,)),
        (0, "numpy", (1_000_003,)),
        (1, "numpy", (0,)),
    ]
    spawn = [stream_seed_sequence(s, n, *k).spawn_key for s, n, k in keys]
    states = {tuple(stream_seed_sequence(s, n, *k).generate_state(4)) for s, n, k in keys}
    assert len(states) == len(keys)
    assert (
        stream_seed_sequence(0, "label", 115).spawn_key
        != stream_seed_sequence(0, "labels").spawn_key
    )
    assert len(set(spawn[2:4])) == 2


def test_the_largest_seed_works_and_larger_ones_are_refused(tmp_path):
    ctx = RunContext(tmp_path, seed=MAX_SEED - 1, quiet=True)
    torch.randn(2, generator=ctx.torch_rng("init"))  # no overflow anywhere in the derivation
    assert 0 <= ctx.int_seed("init", 2**40) < 2**63
    with pytest.raises(ValueError, match="2\\*\\*32"):
        stream_seed_sequence(MAX_SEED, "x")
    with pytest.raises(ValueError, match="non-negative integer keys"):
        stream_seed_sequence(0, "x", -1)
    with pytest.raises(ValueError, match="non-empty name"):
        stream_seed_sequence(0, "")


def test_experiments_use_named_streams_not_integer_offsets():
    """No experiment derives seeds by arithmetic on the run's seed any more."""
    from pathlib import Path

    import mltheory.lab.experiments as pkg

    for path in Path(pkg.__path__[0]).rglob("*.py"):
        text = path.read_text()
        for old in ("derived_seed", "ctx.generator(", "numpy_rng(", "1_000_003", "1000 * n"):
            assert old not in text, f"{path.name} still uses {old}"
