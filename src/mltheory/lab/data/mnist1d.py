"""MNIST-1D (Greydanus 2020), generated offline by the ``mnist1d`` package and cached.

The package's procedural generator makes the dataset from its built-in templates, so nothing is
downloaded. The result is cached as ``.npz`` in the user's cache directory.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from platformdirs import user_cache_dir

from mltheory.lab.data.arrays import ClassificationData


def cache_dir() -> Path:
    d = Path(user_cache_dir("mltheory", "mltheory")) / "datasets"
    d.mkdir(parents=True, exist_ok=True)
    return d


MNIST1D_SEED = 42  # the seed of MNIST-1D's own published dataset


# The generator's nuisance parameters that may be changed to make a shifted version of the data
# set (same templates, same process, other spread of its transformations and noise).
GENERATOR_PARAMS = (
    "scale_coeff",
    "max_translation",
    "corr_noise_scale",
    "iid_noise_scale",
    "shear_scale",
)


def load_mnist1d(
    num_samples: int = 5000,
    train_split: float = 0.8,
    seed: int = MNIST1D_SEED,
    **generator: float,
) -> ClassificationData:
    """MNIST-1D: 40-dimensional 1-D signals of the 10 digits (defaults: the paper's 4000/1000
    split of the dataset generated with seed 42). ``num_samples`` is rounded down to a multiple
    of 10 (the generator makes as many of each digit).

    ``generator`` overrides the package's nuisance parameters (:data:`GENERATOR_PARAMS`, e.g.
    ``shear_scale=1.2``): the same digits drawn with another spread of shear, scale, translation
    or noise, a natural distribution shift of the data set."""
    import random

    from mnist1d.data import get_dataset_args, make_dataset

    unknown = sorted(set(generator) - set(GENERATOR_PARAMS))
    if unknown:
        raise ValueError(
            f"unknown MNIST-1D generator parameters {unknown}; allowed: {GENERATOR_PARAMS}"
        )
    args = get_dataset_args()
    args.num_samples, args.train_split, args.seed = num_samples, train_split, seed
    for name, value in generator.items():
        setattr(args, name, type(getattr(args, name))(value))
    key = hashlib.sha1(json.dumps(sorted(vars(args).items()), default=str).encode()).hexdigest()[
        :12
    ]
    path = cache_dir() / f"mnist1d-{key}.npz"
    if path.exists():
        d = np.load(path)
    else:
        # The generator reseeds Python's and NumPy's global RNGs: put them back, so that a run
        # that generated the data (cache miss) goes on exactly like one that read it from cache.
        py_state, np_state = random.getstate(), np.random.get_state()
        try:
            made = make_dataset(args)
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
        d = {k: made[k] for k in ("x", "y", "x_test", "y_test")}
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **d)
        tmp.replace(path)
    return ClassificationData.from_numpy("mnist1d", d["x"], d["y"], d["x_test"], d["y_test"], 10)


def load_mnist1d_split(n_train: int, n_test: int, seed: int = MNIST1D_SEED) -> ClassificationData:
    """MNIST-1D generated with ``seed``, with exactly ``n_train`` training and ``n_test`` test
    examples (4000/1000 with seed 42 is the published dataset)."""
    total = -(-(n_train + n_test) // 10) * 10  # a multiple of 10, at least n_train + n_test
    data = load_mnist1d(num_samples=total, train_split=(n_train + 0.5) / total, seed=seed)
    return data.subset(n_train, n_test)
