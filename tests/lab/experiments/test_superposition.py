"""superposition: smoke run, the geometry helpers, claims that fail without the effect."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.interpretability import superposition as sp

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "dense-pair": "test_sparse_data_at_the_dense_end_fails_the_dense_claims",
    "dense-drops": "test_sparse_data_at_the_dense_end_fails_the_dense_claims",
    "sparse-pentagon": "test_dense_data_at_the_sparse_end_fails_the_pentagon_claims",
    "more-features-when-sparser": "test_dense_data_at_the_sparse_end_fails_the_pentagon_claims",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("superposition", scale="smoke", seed=0, out=tmp_path_factory.mktemp("sp"))


def verdicts_at_cpu(metrics: dict) -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("superposition").evaluate(metrics, "cpu")}


def test_smoke_run_measures_the_geometry(smoke_result):
    # The pentagon forms within 1 000 steps on every seed tried (0–4: at most 1.9° off); the
    # dense pair's lesser features decay slowly and are checked at cpu scale only.
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert [c.id for c in checked] == ["sparse-pentagon"]
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["feature_probabilities"] == [1.0, 0.05]
    assert len(m["losses"]) == 2 and all(len(r) == 2 for r in m["losses"])
    assert m["best_loss"] == [min(r) for r in m["losses"]]
    assert m["n_stored"][-1] == 5
    assert sum(m["sparse_gaps_deg"]) == pytest.approx(360, abs=1e-3)
    assert m["sparse_max_gap_dev_deg"] < 5
    for name in ("feature_directions", "features_vs_sparsity"):
        assert (smoke_result.out_dir / f"{name}.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("superposition", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_neighbour_gaps_of_a_pentagon_and_a_pair():
    pentagon = [17 + 72 * k for k in (3, 0, 4, 1, 2)]  # any order, any rotation
    assert sp.neighbour_gaps(pentagon) == pytest.approx([72] * 5)
    assert sorted(sp.neighbour_gaps([-45.0, 45.0])) == pytest.approx([90, 270])
    assert sp.neighbour_gaps([]) == []
    u, v = torch.tensor([1.0, 1.0]), torch.tensor([-2.0, 2.0])
    assert sp.angle_between_deg(u, v) == pytest.approx(90)
    assert sp.angle_between_deg(u, -u) == pytest.approx(180)


def test_sparse_features_have_the_stated_probability_and_range():
    g = torch.Generator().manual_seed(0)
    x = sp.sparse_features(torch.tensor([1.0, 0.1]), 20_000, 5, g)
    assert x.shape == (2, 20_000, 5)
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    present = (x > 0).float().mean((1, 2))
    assert float(present[0]) == pytest.approx(1.0, abs=1e-3)
    assert float(present[1]) == pytest.approx(0.1, abs=0.005)  # ~5σ of 100 000 draws
    assert float(x[0].mean()) == pytest.approx(0.5, abs=0.01)


def test_a_regular_pentagon_filters_its_interference_and_beats_the_pca_pair():
    """The paper's reason for the pentagon: with sparse features a pentagon whose negative bias
    cuts off the interference (cos 72° ≈ 0.31, cos 144° < 0) loses less than storing two
    features and dropping three; with dense features the pair wins."""
    n, m = 5, 2
    importance = 0.9 ** torch.arange(n, dtype=torch.float32)
    angles = torch.arange(n) * 2 * math.pi / n
    pentagon = torch.stack([angles.cos(), angles.sin()])  # (m, n), unit columns
    pair = torch.zeros(m, n)
    pair[0, 0] = pair[1, 1] = 1.0

    def loss(W: torch.Tensor, b: torch.Tensor, p: float) -> float:
        x = sp.sparse_features(torch.tensor([p]), 200_000, n, torch.Generator().manual_seed(1))
        model = sp.ToyModels(1, n, m, torch.Generator().manual_seed(0))
        with torch.no_grad():
            model.W.copy_(W[None])
            model.b.copy_(b[None])
            return float(sp.weighted_loss(x, model(x), importance))

    pair_bias = torch.tensor([0.0, 0.0, 0.5, 0.5, 0.5])
    pentagon_bias = torch.full((n,), -math.cos(2 * math.pi / n))  # cuts off the neighbours
    assert loss(pentagon, pentagon_bias, 0.05) < 0.6 * loss(pair, pair_bias * 0.05, 0.05)
    assert loss(pair, pair_bias, 1.0) < loss(pentagon, pentagon_bias, 1.0)


def test_sparse_data_at_the_dense_end_fails_the_dense_claims(tmp_path):
    """Negative control for dense-pair and dense-drops: with sparse features in the dense slot
    (1 − S = 0.05 first), features 0 and 1 are pentagon neighbours (72°) and nothing is
    dropped."""
    r = runner.run(
        "superposition",
        scale="smoke",
        seed=0,
        out=tmp_path / "sparse",
        feature_probabilities=[0.05, 0.03],
    )
    verdicts = verdicts_at_cpu(r.metrics)
    assert verdicts["dense-pair"] is False
    assert verdicts["dense-drops"] is False
    assert r.metrics["n_stored"][0] == 5


def test_dense_data_at_the_sparse_end_fails_the_pentagon_claims(tmp_path):
    """Negative control for sparse-pentagon and more-features-when-sparser: with nearly dense
    features at the sparse end (1 − S = 0.9) the model still stores two features, not five."""
    r = runner.run(
        "superposition",
        scale="smoke",
        seed=0,
        out=tmp_path / "dense",
        feature_probabilities=[1.0, 0.9],
    )
    verdicts = verdicts_at_cpu(r.metrics)
    assert r.metrics["n_stored"][-1] < 5
    assert verdicts["sparse-pentagon"] is False
    assert verdicts["more-features-when-sparser"] is False


def test_config_refuses_increasing_or_empty_probabilities():
    with pytest.raises(BadInput, match="feature_probabilities"):
        runner.prepare("superposition", "smoke", overrides={"feature_probabilities": [0.1, 1.0]})
    with pytest.raises(BadInput, match="feature_probabilities"):
        runner.prepare("superposition", "smoke", overrides={"feature_probabilities": [1.0, 0.0]})
    with pytest.raises(BadInput, match="replicas"):
        runner.prepare("superposition", "smoke", overrides={"replicas": 0})
