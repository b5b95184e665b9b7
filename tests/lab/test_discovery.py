"""Discovery: listing never imports experiments, a broken module breaks nothing else, missing
packages are named with their pip command, a student's file runs directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import manifest, registry

runner = CliRunner()

STUDENT_EXPERIMENT = '''
"""A student's own experiment: the mean of Gaussian samples is near zero."""

from pydantic import Field

from mltheory.lab import Claim, ExperimentConfig, Paper, RunContext, experiment


class Config(ExperimentConfig):
    n: int = Field(1000, ge=1, description="samples")


@experiment(
    "my-mean",
    title="sample mean of N(0, 1)",
    topic="students",
    paper=Paper(title="Folklore", authors="Gauss", year=1809, reproduces="the law of large numbers"),
    config=Config,
    scales={"smoke": {"n": 200}, "cpu": {}, "paper": {}},
    claims=[Claim("near-zero", "the mean is near 0", "|mean| < 0.5",
                  lambda m: (m["mean"], abs(m["mean"]) < 0.5))],
    requires=REQUIRES,
)
def run(cfg: Config, ctx: RunContext) -> dict:
    x = ctx.numpy_rng().standard_normal(cfg.n)
    return {"mean": float(x.mean())}


if __name__ == "__main__":
    from mltheory.lab import main

    main(__file__)
'''


def student_file(path, requires=()):
    path.write_text(STUDENT_EXPERIMENT.replace("REQUIRES", repr(tuple(requires))))
    return path


@pytest.fixture
def broken_modules(tmp_path, monkeypatch):
    """Two broken experiment modules beside the lab's fixtures: one imports a package that is
    not installed, one raises while it is imported."""
    missing = tmp_path / "needs_missing_package.py"
    missing.write_text("import opacus_is_not_installed_here  # noqa\n")
    raises = tmp_path / "raises_on_import.py"
    raises.write_text("raise RuntimeError('this module is broken on purpose')\n")
    modules = [os.environ["MLT_EXPERIMENT_MODULES"], str(missing), str(raises)]
    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", os.pathsep.join(modules))
    return missing, raises


def test_manifest_matches_the_real_modules():
    """The manifest says what importing every experiment module says (else regenerate it)."""
    assert manifest.render(manifest.build()) == registry.MANIFEST_PATH.read_text(), (
        "src/mltheory/lab/experiments/manifest.json is out of date; "
        "run: python -m mltheory.lab.manifest"
    )


def test_manifest_covers_every_catalog_module():
    data = registry.read_manifest()
    assert set(data["modules"]) == set(registry.builtin_modules())
    assert all(m["experiments"] for m in data["modules"].values())


def _imports_after(argv: list[str], mlt_env: dict[str, str]) -> dict:
    code = textwrap.dedent(
        f"""
        import json, sys
        from mltheory.cli import app
        try:
            app({argv!r})
        except SystemExit as e:
            code = e.code
        heavy = ["torch", "sklearn", "matplotlib", "mnist1d"]
        print(json.dumps({{
            "exit": code,
            "heavy": [m for m in heavy if m in sys.modules],
            "experiments": [m for m in sys.modules if m.startswith("mltheory.lab.experiments.")],
        }}))
        """
    )
    env = {k: v for k, v in mlt_env.items() if k != "MLT_EXPERIMENT_MODULES"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv", [["--help"], ["list"], ["list", "--json"], ["show", "sparse-parity"], ["run", "--help"]]
)
def test_listing_and_help_import_neither_torch_nor_experiments(argv, mlt_env):
    seen = _imports_after(argv, mlt_env)
    assert seen["exit"] in (0, None)
    assert seen["heavy"] == [], f"mlt {' '.join(argv)} imported {seen['heavy']}"
    assert seen["experiments"] == []


def test_a_changed_module_is_imported_instead_of_trusting_its_manifest_entry(monkeypatch):
    """A stale manifest costs speed, never correctness: its hash no longer matches."""
    stale = json.loads(registry.MANIFEST_PATH.read_text())
    entry = stale["modules"]["mltheory.lab.experiments.generalization.min_norm"]
    entry["sha256"] = "0" * 64
    entry["experiments"][0]["title"] = "a stale title"
    monkeypatch.setattr(registry, "read_manifest", lambda: stale)
    registry._builtin_catalog.cache_clear()
    try:
        assert registry.info("min-norm").data["title"] != "a stale title"
    finally:
        registry._builtin_catalog.cache_clear()


def test_broken_modules_are_listed_with_their_error_and_break_nothing_else(
    broken_modules, tmp_path
):
    res = runner.invoke(app, ["list"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert "min-norm" in text and "test-train" in text
    assert "broken" in text
    assert "No module named 'opacus_is_not_installed_here'" in text
    assert "pip install opacus_is_not_installed_here" in text
    assert "RuntimeError: this module is broken on purpose" in text
    for path in broken_modules:  # on a line of its own, whole, to be copied
        assert str(path) in text.splitlines() or f"  {path}" in text.splitlines()

    listed = runner.invoke(app, ["list", "--json"])
    assert listed.exit_code == 0
    assert "min-norm" in {e["name"] for e in json.loads(listed.stdout)}
    assert "this module is broken on purpose" in listed.stderr

    ran = runner.invoke(
        app, ["run", "min-norm", "--scale", "smoke", "--quiet", "--out", str(tmp_path / "r")]
    )
    assert ran.exit_code == 0, ran.output


def test_unknown_name_mentions_broken_modules(broken_modules):
    res = runner.invoke(app, ["run", "opacus-thing"])
    assert res.exit_code == 2
    message = " ".join(res.stderr.split())
    assert "2 experiment module(s) could not be imported; `mlt list` shows why." in message


def test_a_missing_required_package_exits_2_with_the_pip_command(tmp_path):
    path = student_file(tmp_path / "needs_pkg.py", requires=("surely-not-installed-pkg",))
    res = runner.invoke(app, ["run", str(path), "--scale", "smoke", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2, res.output
    message = " ".join(res.stderr.split())
    assert "my-mean needs surely-not-installed-pkg" in message
    assert "pip install surely-not-installed-pkg" in message
    assert not (tmp_path / "r").exists()


def test_a_file_whose_import_fails_on_a_missing_package_exits_2_with_the_pip_command(tmp_path):
    path = tmp_path / "imports_missing.py"
    path.write_text("import surely_not_installed_module\n")
    res = runner.invoke(app, ["run", str(path)])
    assert res.exit_code == 2
    assert "pip install surely_not_installed_module" in " ".join(res.stderr.split())


def test_the_install_command_names_our_extra_when_one_provides_the_package():
    assert registry.install_command(["ray"]) == "pip install 'mltheory[ray]'"
    assert registry.install_command(["opacus"]) == "pip install 'mltheory[privacy]'"
    assert registry.install_command(["not-a-pkg-x"]) == "pip install not-a-pkg-x"


def test_requirements_are_in_the_manifest_and_checked_before_importing(monkeypatch):
    entry = registry.info("min-norm")
    assert entry.requires == []
    fake = registry.ExperimentInfo({**entry.data, "name": "needs-x", "requires": ["not-a-pkg-x"]})
    assert fake.missing() == ["not-a-pkg-x"]
    with pytest.raises(registry.BadInput, match="pip install not-a-pkg-x"):
        registry.check_requirements(fake.name, fake.requires)


def test_mlt_run_takes_a_students_file(tmp_path):
    path = student_file(tmp_path / "my_experiment.py")
    out = tmp_path / "r"
    res = runner.invoke(app, ["run", str(path), "--scale", "smoke", "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["experiment"] == "my-mean" and result["claims"][0]["passed"] is True
    assert (out / "result.json").exists()


def test_mlt_show_takes_a_students_file(tmp_path):
    res = runner.invoke(app, ["show", str(student_file(tmp_path / "my_experiment.py")), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["name"] == "my-mean" and data["config"][0]["name"] == "n"


def test_a_students_file_runs_itself_with_python(tmp_path, mlt_env):
    path = student_file(tmp_path / "my_experiment.py")
    out = tmp_path / "r"
    env = {k: v for k, v in mlt_env.items() if k != "MLT_EXPERIMENT_MODULES"}
    proc = subprocess.run(
        [sys.executable, str(path), "--scale", "smoke", "--json", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["experiment"] == "my-mean"
    bad = subprocess.run(
        [sys.executable, str(path), "--scale", "huge"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2 and "unknown scale 'huge'" in bad.stderr


OTHER_EXPERIMENT = """
@experiment(
    "my-other",
    title="a second experiment in the same file",
    topic="students",
    paper=Paper(title="Folklore", authors="Gauss", year=1809, reproduces="nothing"),
    config=Config,
    scales={"smoke": {}, "cpu": {}, "paper": {}},
    claims=[],
)
def run_other(cfg: Config, ctx: RunContext) -> dict:
    return {}
"""


def test_a_file_with_several_experiments_asks_which(tmp_path):
    path = tmp_path / "two.py"
    path.write_text(STUDENT_EXPERIMENT.replace("REQUIRES", "()") + OTHER_EXPERIMENT)
    res = runner.invoke(app, ["run", str(path), "--scale", "smoke"])
    assert res.exit_code == 2 and "my-mean, my-other" in res.stderr
    ok = runner.invoke(
        app, ["run", f"{path}:my-other", "--scale", "smoke", "--out", str(tmp_path / "r")]
    )
    assert ok.exit_code == 0, ok.output


def test_a_missing_file_is_bad_input(tmp_path):
    res = runner.invoke(app, ["run", str(tmp_path / "nope.py")])
    assert res.exit_code == 2 and "no experiment file" in res.stderr
