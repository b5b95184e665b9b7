"""Every config field of the catalog, at its bounds, just beyond them and at absurd values, at
every scale: resolving the config either accepts it or refuses it as bad input (exit 2), never
with another exception (a ZeroDivisionError in a cost estimate was found this way)."""

from __future__ import annotations

import contextlib

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput

CATALOG = [e for e in registry.all_experiments() if e.module.startswith("mltheory.lab.experiments")]


def edge_values(info) -> list:
    if info.annotation in (int, float):
        step = 1 if info.annotation is int else 1e-9
        values = [0, -1, 10**12, 1e-300]
        for m in info.metadata:
            for attr in ("ge", "gt", "le", "lt"):
                bound = getattr(m, attr, None)
                if bound is not None:
                    values += [bound, bound + step, bound - step]
        return values
    if "list" in str(info.annotation):
        return [[], [0], [-1], [1e12], [1, 1], [3, 2, 1], ["x"]]
    return ["", "zzz", 0, None]


@pytest.mark.parametrize("exp", CATALOG, ids=[e.name for e in CATALOG])
def test_config_fields_at_and_beyond_their_bounds_are_accepted_or_bad_input(exp):
    for name, info in exp.config.model_fields.items():
        for scale in ("smoke", "cpu", "paper"):
            for value in edge_values(info):
                with contextlib.suppress(BadInput):
                    runner.resolve_config(exp, scale, {name: value})
