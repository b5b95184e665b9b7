"""The synthetic protected-group data set (mltheory.lab.data.groups) is what its docstring says."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab.data.groups import protected_groups


def test_group_shares_base_rates_and_noise_are_as_documented():
    d = protected_groups(
        200_000,
        np.random.default_rng(0),
        group1_fraction=0.3,
        base_rates=(0.2, 0.7),
        noise_stds=(1.0, 3.0),
    )
    assert d.x.shape == (200_000, 4) and len(d) == 200_000
    assert d.a.mean() == pytest.approx(0.3, abs=0.005)
    for a, rate, noise in ((0, 0.2, 1.0), (1, 0.7, 3.0)):
        g = d.a == a
        assert d.y[g].mean() == pytest.approx(rate, abs=0.01)
        for y, sign in ((0, -1.0), (1, 1.0)):
            x = d.x[g & (d.y == y)]
            assert x[:, 0].mean() == pytest.approx(sign, abs=0.05)
            assert x[:, 1].mean() == pytest.approx(0.5 * sign, abs=0.05)
            assert x[:, 0].std() == pytest.approx(noise, rel=0.03)
        assert d.x[g, 2].mean() == pytest.approx(a, abs=0.03)  # the proxy of the group
    assert abs(np.corrcoef(d.x[:, 3], d.y)[0, 1]) < 0.01  # the irrelevant feature


def test_same_generator_same_data_and_bad_parameters_refused():
    one = protected_groups(100, np.random.default_rng(3))
    two = protected_groups(100, np.random.default_rng(3))
    assert np.array_equal(one.x, two.x) and np.array_equal(one.y, two.y)
    with pytest.raises(ValueError):
        protected_groups(10, np.random.default_rng(0), base_rates=(0.0, 0.5))
    with pytest.raises(ValueError):
        protected_groups(10, np.random.default_rng(0), group1_fraction=1.0)
