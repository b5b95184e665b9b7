"""Hostile input to ``mlt run`` and ``mlt sweep``: random experiment names, config fields, values
and types, seeds, scales and output paths. Whatever comes in, the command exits 0 (ran), 1 (a
claim failed under --strict) or 2 (bad input), never prints a traceback, and writes nothing
outside the ``--out`` it was given (the run store's index lives in the test's own MLT_HOME)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mltheory.cli import app

runner = CliRunner()
FUZZ_EXAMPLES = 60

CATALOG = [
    "min-norm",
    "linear-double-descent",
    "random-labels",
    "deep-double-descent",
    "deep-linear",
    "sparse-parity",
    "simplicity-bias",
]
JUNK_FIELDS = ["", "n ", "__class__", "model_config", "steps.x", "N", "seed"]
# Most examples should get far enough to run, so the usual choices are repeated.
OUT_KINDS = ["new"] * 6 + [
    "nested/new",
    "",
    "file",
    "file/sub",
    "/dev/null",
    "thesis",
    "long",
    "run",
]

numbers = st.one_of(
    st.integers(-3, 200),
    st.integers(-3, 200),
    st.integers(min_value=10**6, max_value=10**30),
    st.integers(max_value=-(10**6)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, 1e-300, -0.0, 1e999]),
)
values = st.one_of(
    numbers.map(json.dumps),
    st.lists(numbers, max_size=4).map(json.dumps),
    st.sampled_from(["[-5]", "[0]", "[]", "[[1]]", "true", "null", '"x"', "{}", "1e999", "nan"]),
    st.text(max_size=12),
)


def config_fields(name: str) -> list[str]:
    from mltheory.lab import registry

    try:
        return list(registry.get(name).config.model_fields)
    except Exception:  # an unknown name: any field will do
        return ["n", "steps"]


def snapshot(root: Path, skip: Path) -> dict[str, int]:
    """Every file under ``root`` outside ``skip``, with its size: what the command may not touch."""
    skip = skip.resolve()
    found = {}
    for p in root.rglob("*"):
        rp = p.resolve()
        if rp == skip or skip in rp.parents:
            continue
        if p.is_file():
            found[str(p.relative_to(root))] = p.stat().st_size
    return found


def sandbox_out(root: Path, kind: str) -> str:
    (root / "file").write_text("user data")
    (root / "thesis").mkdir()
    (root / "thesis" / "thesis.tex").write_text("user data")
    return {
        "new": str(root / "out"),
        "nested/new": str(root / "a" / "b" / "out"),
        "": "",
        "file": str(root / "file"),
        "file/sub": str(root / "file" / "sub"),
        "/dev/null": "/dev/null",
        "thesis": str(root / "thesis"),
        "long": str(root / ("x" * 300)),
        "run": str(root / "out"),  # made a run directory below, then reused
    }[kind]


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(["run", "sweep"]),
    name=st.sampled_from(CATALOG * 3 + ["", "min_norm", "MIN-NORM", "../x", "min-norm\x00"]),
    scale=st.sampled_from(["smoke"] * 8 + ["", "SMOKE", "gpu", "paper "]),
    data=st.data(),
    seed=st.one_of(
        st.integers(0, 5),
        st.integers(-(10**25), 10**25),
        st.sampled_from(["x", "1.5", "", str(2**64)]),
    ),
    out_kind=st.sampled_from(OUT_KINDS),
    fresh=st.booleans(),
    strict=st.booleans(),
    as_json=st.booleans(),
)
def test_hostile_cli_input_exits_0_1_or_2_without_traceback_or_stray_files(
    command, name, scale, data, seed, out_kind, fresh, strict, as_json
):
    fields = st.sampled_from(config_fields(name) * 4 + JUNK_FIELDS)
    sets = data.draw(st.lists(st.tuples(fields, values), max_size=2), label="fields")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = sandbox_out(root, out_kind)
        args = [command, name, "--scale", scale, "--quiet", "--out", out]
        if command == "run":
            args += ["--seed", str(seed)]
            args += [a for f, v in sets for a in ("--set", f"{f}={v}")]
            args += ["--strict"] if strict else []
        else:
            args += ["--seeds", str(seed)]
            args += [a for f, v in sets for a in ("--grid", f"{f}={v}")]
        args += ["--fresh"] if fresh else []
        args += ["--json"] if as_json else []
        if out_kind == "run":
            made = runner.invoke(app, ["run", "min-norm", "--scale", "smoke", "-q", "--out", out])
            assert made.exit_code == 0, made.output
        skip = Path(out) if out and not out.startswith("/dev") else root / "no-out"
        before = snapshot(root, skip)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            res = runner.invoke(app, args)
        finally:
            os.chdir(cwd)
        output = res.stdout + res.stderr
        assert res.exit_code in (0, 1, 2), (args, res.exit_code, output[-2000:])
        assert "Traceback" not in output, (args, output[-2000:])
        assert res.exit_code != 1 or (command == "run" and strict), (args, output[-2000:])
        assert snapshot(root, skip) == before, args
        if as_json and res.exit_code in (0, 1):
            json.loads(res.stdout)  # strict JSON: no NaN or Infinity


@pytest.mark.parametrize(
    "args",
    [
        ["run", "min-norm", "--seed", "18446744073709"],
        ["run", "min-norm", "--seed", str(2**64)],
        ["run", "random-labels", "--set", "hidden=[-5]"],
        ["run", "random-labels", "--set", "hidden=[0]"],
        ["run", "random-labels", "--set", "n_train=100000000"],
        ["run", "linear-double-descent", "--set", "signal_norm=1e300"],
        ["run", "linear-double-descent", "--set", "noise_std=1e-300"],
        ["run", "deep-linear", "--set", "duration=1e9"],
        ["run", "sparse-parity", "--set", "ns=[100000]"],
        ["run", "min-norm", "--set", "noise_std=1e999"],
        ["run", "min-norm", "--set", "init_scale=1e999"],
        ["run", "random-labels", "--set", "weight_decay=1e999"],
        ["sweep", "min-norm", "--seeds", "99999999999999"],
    ],
    ids=lambda a: " ".join(a[1:]),
)
def test_values_probing_found_crashing_or_hanging_are_bad_input(args, tmp_path):
    """The cases issue 8 lists: each used to crash (exit 3), hang or write non-standard JSON."""
    res = runner.invoke(app, [*args, "--scale", "smoke", "--quiet", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output[-2000:]
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()
