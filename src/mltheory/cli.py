"""``mlt``: the lab's command line (and ``mlt portal`` for the web portal).

Exit codes: 0 the command completed (claims may have failed; see ``--strict``); 1 a claim
failed under ``--strict``; 2 bad input (nothing ran); 3 the experiment raised an error.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperArgument, TyperGroup

from mltheory.lab.errors import BadInput
from mltheory.lab.threads import HELP as THREADS_HELP

EXIT_OK, EXIT_CLAIM_FAILED, EXIT_BAD_INPUT, EXIT_CRASHED = 0, 1, 2, 3


# Help that names each value (``--scale SCALE``, ``--out DIR``) instead of printing Python types
# (``<str>``, ``<bool>``) beside every option; flags and arguments show no type at all.
METAVARS = {
    "set_": "FIELD=VALUE",
    "grid": "FIELD=V1,V2,...",
    "out": "DIR",
    "seed": "N",
    "seeds": "K",
    "threads": "N",
    "workers": "N",
    "limit": "N",
    "port": "N",
    "fmt": "FORMAT",
    "address": "ADDRESS",
}


def plain_help(command: Any, ctx: Any) -> Any:
    """Give ``command``'s parameters (and its ``--help``) plain metavars, once."""
    if command is None or getattr(command, "_plain_help", False):
        return command
    for param in command.params:
        if isinstance(param, TyperArgument):
            # The usage line names the argument already; its Python type says nothing.
            param.display_type_rich = lambda ctx: None
        elif param.metavar is None:
            flag = getattr(param, "is_flag", False)
            param.metavar = "" if flag else METAVARS.get(param.name, param.name.upper())
    help_option = command.get_help_option(ctx)  # created once and cached by the command
    if help_option is not None:
        help_option.metavar = ""
    command._plain_help = True
    return command


class LabGroup(TyperGroup):
    """``mlt``: every command it resolves (any command, without a ``cls=``) gets plain help."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return plain_help(super().get_command(ctx, cmd_name), ctx)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


app = typer.Typer(
    cls=LabGroup,
    help="mltheory lab: run checked reproductions of ML-theory papers.\n\n"
    "Exit codes: 0 completed; 1 a claim failed (with --strict); 2 bad input; "
    "3 the experiment crashed.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
out_console = Console()
err_console = Console(stderr=True)


def fail_bad_input(err: Exception) -> typer.Exit:
    message = str(err).rstrip()
    if not message.endswith((".", "?", "!")):
        message += "."  # every message ends with a full stop
    # One line, never wrapped: the message names paths that must stay copyable.
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


ThreadsOption = Annotated[
    int | None, typer.Option("--threads", help=THREADS_HELP, show_default=False)
]


def use_threads(threads: int | None) -> None:
    from mltheory.lab import threads as lab_threads

    try:
        lab_threads.set_for_runs(threads)
    except BadInput as e:
        raise fail_bad_input(e) from None


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command("list")
def list_cmd(
    topic: Annotated[str | None, typer.Option(help="only experiments of this topic")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON on stdout")] = False,
) -> None:
    """List every experiment by topic (name, title, paper, number of claims), then any module that could not be imported, with its error."""
    from mltheory.lab import registry
    from mltheory.lab.report import catalog_table

    catalog = registry.catalog()
    if topic is not None and topic not in catalog.topics():
        from mltheory.lab.errors import unknown

        raise fail_bad_input(unknown("topic", topic, catalog.topics()))
    infos = [e for e in catalog.sorted() if topic is None or e.topic == topic]
    if as_json:
        print_json([{**e.data, "missing": e.missing()} for e in infos])
        for b in catalog.broken:  # stdout stays the list of experiments
            err_console.print(f"broken experiment module {b.origin}: {b.error}", highlight=False)
        return
    out_console.print(catalog_table(infos))
    for e in infos:
        if e.missing():
            out_console.print(
                f"{e.name} needs {', '.join(e.missing())}; install it with:\n"
                f"  {registry.install_command(e.missing())}",
                highlight=False,
                soft_wrap=True,
            )
    for b in catalog.broken:
        out_console.print(
            f"[bold red]broken[/bold red] (cannot be imported; the others are unaffected):\n"
            f"  {b.origin}\n  {b.error}" + (f"\n  install: {b.install}" if b.install else ""),
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def show(
    name: Annotated[
        str, typer.Argument(help="experiment name (see `mlt list`), or a .py file that defines one")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON on stdout")] = False,
) -> None:
    """Show an experiment: its paper, config fields (type, default, bounds), scales and claims."""
    from mltheory.lab import registry
    from mltheory.lab.report import print_experiment

    try:
        info = registry.info(name)
    except BadInput as e:
        raise fail_bad_input(e) from None
    if as_json:
        print_json(info.data)
        return
    print_experiment(info, out_console)


def _overrides(sets: list[str] | None) -> dict[str, Any]:
    from mltheory.lab.runner import parse_override

    return dict(parse_override(s) for s in sets or [])


@app.command(
    "run",
    epilog="Examples:\n\n"
    "mlt run min-norm --scale smoke\n\n"
    "mlt run deep-double-descent --seed 1 --set label_noise=0.2 --out runs/ddd\n\n"
    "mlt run path/to/my_experiment.py --scale smoke   (a file of your own)\n\n"
    "mlt show NAME lists the fields --set accepts, with their types and bounds.\n\n"
    "Threads: one by default; --threads 0 (or MLT_THREADS=0) gives torch's default.",
)
def run_cmd(
    name: Annotated[
        str,
        typer.Argument(help="experiment name (see `mlt list`), or a .py file that defines one"),
    ],
    scale: Annotated[
        str, typer.Option(help="smoke (seconds), cpu (minutes on a laptop), paper (GPU)")
    ] = "cpu",
    seed: Annotated[int, typer.Option(help="seed for Python, NumPy and torch")] = 0,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="override a config field: FIELD=VALUE (repeatable)"),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="run directory (default: a new one in the run store); "
            "an interrupted run resumes when given the same --out"
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda (default: cuda when present)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print result.json on stdout (nothing else)")
    ] = False,
    strict: Annotated[bool, typer.Option(help="exit 1 if a checked claim fails")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            help="discard the run files --out holds instead of resuming (only a run "
            "directory's files; any other directory is refused)"
        ),
    ] = False,
    seeds: Annotated[
        int | None,
        typer.Option(
            help="run seeds 0..K-1 (each in DIR/cells/seed=S) and report each claim's pass rate "
            "and each measured value's mean with a 95% confidence interval"
        ),
    ] = None,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="train nothing: print the resolved config, the data needed and where, the "
            "parameter count and estimated memory and time on CPU and GPU",
        ),
    ] = False,
    threads: ThreadsOption = None,
) -> None:
    """Run one experiment, check its claims, write DIR/result.json, metrics.jsonl and figures."""
    use_threads(threads)
    from mltheory.lab import runner
    from mltheory.lab.report import print_result

    if plan:
        from mltheory.lab import estimate

        try:
            the_plan = estimate.plan(name, scale, **_overrides(set_))
        except BadInput as e:
            raise fail_bad_input(e) from None
        if as_json:
            print_json(the_plan.as_dict())
        else:
            estimate.print_plan(the_plan, out_console)
        return
    if seeds is not None:
        _run_over_seeds(name, scale, seed, seeds, set_, out, device, as_json, strict, quiet, fresh)
        return
    try:
        prep = runner.prepare(name, scale, seed, _overrides(set_), out, device, fresh)
    except BadInput as e:
        raise fail_bad_input(e) from None
    try:
        result = runner.execute(prep, quiet=quiet or as_json)
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted; rerun with --out {prep.out_dir} to resume from the last checkpoint"
        )
        raise typer.Exit(130) from None
    except BadInput as e:
        raise fail_bad_input(e) from None
    except Exception:
        err_console.print(traceback.format_exc(), highlight=False)
        err_console.print(f"[bold red]{name} crashed[/bold red]; partial output in {prep.out_dir}")
        raise typer.Exit(EXIT_CRASHED) from None
    if as_json:
        print_json(result.as_dict())
    else:
        print_result(result, out_console)
    if strict and not result.passed:
        raise typer.Exit(EXIT_CLAIM_FAILED)


def _run_over_seeds(
    name: str,
    scale: str,
    seed: int,
    seeds: int,
    sets: list[str] | None,
    out: Path | None,
    device: str | None,
    as_json: bool,
    strict: bool,
    quiet: bool,
    fresh: bool,
) -> None:
    """``mlt run NAME --seeds K``: see :mod:`mltheory.lab.verdicts`."""
    from mltheory.lab import verdicts

    try:
        if seed != 0:
            raise BadInput("--seed and --seeds together: --seeds K runs seeds 0..K-1; give one")
        plan = verdicts.prepare_seeds(name, scale, seeds, _overrides(sets), out, device, fresh)
    except BadInput as e:
        raise fail_bad_input(e) from None
    try:
        summary = verdicts.run_seeds(plan, quiet=quiet or as_json, console=err_console)
    except KeyboardInterrupt:
        err_console.print(f"interrupted; rerun with --out {plan.out} to run the unfinished seeds")
        raise typer.Exit(130) from None
    except BadInput as e:
        raise fail_bad_input(e) from None
    if as_json:
        print_json(summary)
    else:
        verdicts.print_seeds(summary, out_console)
    if summary["crashed"]:
        raise typer.Exit(EXIT_CRASHED)
    if strict and not verdicts.all_reproduced(summary):
        raise typer.Exit(EXIT_CLAIM_FAILED)


@app.command()
def reproduce(
    scale: Annotated[str, typer.Option(help="smoke, cpu or paper")] = "cpu",
    topic: Annotated[str | None, typer.Option(help="only experiments of this topic")] = None,
    out: Annotated[
        str,
        typer.Option(
            help="output directory; rerunning with the same --out skips finished experiments"
        ),
    ] = "reproduction",
    seed: Annotated[int, typer.Option(help="seed for every experiment")] = 0,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda (default: cuda when present)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print summary.json on stdout")] = False,
    strict: Annotated[
        bool, typer.Option(help="exit 1 if any claim failed or any experiment crashed")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")] = False,
    seeds: Annotated[
        int | None,
        typer.Option(help="run seeds 0..K-1 of every experiment; report pass rates over seeds"),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="NAME",
            help="only this experiment (repeatable); the summary keeps the other experiments' "
            "entries from an earlier run into the same --out",
        ),
    ] = None,
    threads: ThreadsOption = None,
) -> None:
    """Run the catalog (or one topic) and write DIR/summary.json and a self-contained DIR/report.html."""
    use_threads(threads)
    from mltheory.lab.reproduce import reproduce_catalog

    try:
        summary = reproduce_catalog(
            scale=scale,
            topic=topic,
            out=out,
            seed=seed,
            device=device,
            quiet=quiet or as_json,
            console=err_console if as_json else out_console,
            seeds=seeds,
            only=only,
        )
    except BadInput as e:
        raise fail_bad_input(e) from None
    if as_json:
        print_json(summary)
    if strict and any(
        e["status"] != "completed" or e.get("failed") for e in summary["experiments"]
    ):
        raise typer.Exit(EXIT_CLAIM_FAILED)


@app.command(
    epilog="Examples:\n\n"
    "mlt sweep min-norm --scale smoke --grid n=10,20,40 --grid noise_std=0,0.5 --seeds 3\n\n"
    "mlt sweep deep-double-descent --grid label_noise=0,0.1,0.2 --seeds 3 --out sweeps/ddd\n\n"
    "Rerun with the same --out to finish an interrupted sweep. Clusters: docs/sweeps.md.",
)
def sweep(
    name: Annotated[str, typer.Argument(help="experiment name (see `mlt list`)")],
    grid: Annotated[
        list[str] | None,
        typer.Option(help="swept field and its values: FIELD=V1,V2,... (repeatable)"),
    ] = None,
    seeds: Annotated[int, typer.Option(help="seeds 0..K-1 for every grid point")] = 1,
    scale: Annotated[str, typer.Option(help="smoke, cpu or paper")] = "cpu",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="fixed override for every cell: FIELD=VALUE (repeatable)"),
    ] = None,
    executor: Annotated[
        str, typer.Option(help="local (this process) or ray (Ray tasks; a cluster with --address)")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster to use (HOST:PORT, ray://HOST:PORT or auto; default $RAY_ADDRESS, "
            "else a local Ray instance)"
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="CPUs of the local Ray instance (default: all)")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="sweep directory (default: sweeps/NAME-SCALE-HASH); rerunning with the same "
            "--out runs only the unfinished cells"
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda (default: cuda when present)")
    ] = None,
    batch: Annotated[
        bool, typer.Option(help="run cells that differ only in batchable fields as one population")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="print sweep.json on stdout (nothing else)")
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            help="discard the sweep that --out holds instead of resuming it (only a sweep "
            "directory's files; any other directory is refused)"
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress output")] = False,
    threads: ThreadsOption = None,
) -> None:
    """Run an experiment over a grid of config values × seeds: DIR/sweep.json and figures.

    DIR/sweep.json holds the mean, std, min and max of every metric per grid point; one figure per metric plots it against each swept field. Exit 3 if a cell crashed."""
    use_threads(threads)
    from mltheory.lab import sweep as sweeps

    try:
        plan = sweeps.prepare_sweep(
            name, grid or [], seeds, scale, set_ or [], out, device, executor, address, fresh
        )
    except BadInput as e:
        raise fail_bad_input(e) from None
    try:
        summary = sweeps.run_sweep(
            plan,
            executor=executor,
            address=address,
            batch=batch,
            workers=workers,
            quiet=quiet or as_json,
            console=err_console,
        )
    except KeyboardInterrupt:
        err_console.print(f"interrupted; rerun with --out {plan.out} to run the unfinished cells")
        raise typer.Exit(130) from None
    except BadInput as e:  # e.g. a Ray cluster that cannot be reached
        raise fail_bad_input(e) from None
    if as_json:
        print_json(summary)
    else:
        sweeps.print_summary(summary, plan.out, out_console)
    if summary["cells"]["error"]:
        raise typer.Exit(EXIT_CRASHED)


@app.command()
def evidence(
    check: Annotated[
        bool, typer.Option(help="change nothing; exit 1 if a file disagrees with evidence/")
    ] = False,
) -> None:
    """Rewrite the README's catalog table and each experiment docstring's evidence section
    from evidence/*/summary.json (see mltheory.lab.evidence)."""
    from mltheory.lab import evidence as ev

    try:
        files = ev.stale() if check else ev.write()
    except ValueError as e:
        raise fail_bad_input(e) from None
    for f in files:
        out_console.print(
            f"{'out of date' if check else 'rewrote'}: {f}", highlight=False, soft_wrap=True
        )
    if check and files:
        raise typer.Exit(EXIT_CLAIM_FAILED)
    if any(f.suffix == ".py" for f in files):
        # The manifest that `mlt list`/`show` read holds each module's docstring and source hash.
        from mltheory.lab import manifest

        manifest.main([])


@app.command()
def report(
    path: Annotated[
        Path,
        typer.Argument(
            help="a run directory (result.json), a run over seeds (seeds.json) or a reproduce "
            "directory"
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="table, markdown, html or json")] = "table",
) -> None:
    """Show a finished run's verdicts again, or rebuild a reproduce directory's report.html."""
    from mltheory.lab import report as rep
    from mltheory.lab.runner import Result

    if fmt not in ("table", "markdown", "html", "json"):
        raise fail_bad_input(
            BadInput(f"unknown --format {fmt!r}; allowed: table, markdown, html, json")
        )
    if (path / "seeds.json").exists():  # a run over seeds (mlt run --seeds K)
        from mltheory.lab import verdicts

        try:
            seeds_summary = json.loads((path / "seeds.json").read_text())
            if not isinstance(seeds_summary, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as err:
            raise fail_bad_input(
                BadInput(f"{path / 'seeds.json'} cannot be read as a run over seeds ({err}).")
            ) from None
        if fmt == "json":
            print_json(seeds_summary)
        elif fmt == "markdown":
            sys.stdout.write(verdicts.seeds_markdown(seeds_summary))
        elif fmt == "html":
            sys.stdout.write(verdicts.seeds_html(seeds_summary))
        else:
            verdicts.print_seeds(seeds_summary, out_console)
        return
    if (path / "summary.json").exists():
        from mltheory.lab.reproduce import write_report

        try:
            html_path = write_report(path)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise fail_bad_input(
                BadInput(f"{path / 'summary.json'} cannot be read as a reproduction ({err}).")
            ) from None
        out_console.print(f"report: {html_path}", highlight=False, soft_wrap=True)
        return
    if not (path / "result.json").exists():
        raise fail_bad_input(
            BadInput(f"{path} holds neither result.json (a run) nor summary.json (a reproduction)")
        )
    try:
        result = Result.load(path)
    except BadInput as e:
        raise fail_bad_input(e) from None
    if fmt == "json":
        print_json(result.as_dict())
    elif fmt == "markdown":
        sys.stdout.write(rep.result_markdown(result))
    elif fmt == "html":
        sys.stdout.write(rep.result_html(result))
    else:
        rep.print_result(result, out_console)


@app.command()
def runs(
    experiment: Annotated[str | None, typer.Option(help="only runs of this experiment")] = None,
    status: Annotated[
        str | None, typer.Option(help="running, completed or interrupted-or-failed")
    ] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON on stdout")] = False,
) -> None:
    """List runs recorded in the run store's index."""
    from mltheory.lab.store import RunIndex

    try:
        rows = RunIndex().query(experiment, status, limit)
    except BadInput as e:
        raise fail_bad_input(e) from None
    if as_json:
        print_json(rows)
        return
    t = Table(title="runs (newest first; their directories below the table)")
    t.add_column("#", justify="right", no_wrap=True)
    for col in ("started (UTC)", "experiment", "scale", "seed", "status", "pass/fail"):
        t.add_column(col, no_wrap=col != "status")
    for i, r in enumerate(rows, 1):
        pf = "" if r["claims_passed"] is None else f"{r['claims_passed']}/{r['claims_failed']}"
        t.add_row(
            str(i),
            r["started"][:16].replace("T", " "),  # to the minute (UTC), as it fits 80 columns
            r["experiment"],
            r["scale"],
            str(r["seed"]),
            r["status"],
            pf,
        )
    out_console.print(t)
    # Directories on lines of their own, never wrapped, so that they can be copied.
    for i, r in enumerate(rows, 1):
        out_console.print(f"{i:>3}  {r['dir']}", highlight=False, soft_wrap=True)


PORTAL_ACTIONS = ("demo", "createstaff")


@app.command()
def portal(
    what: Annotated[
        str | None,
        typer.Argument(
            help="`demo` loads the Spring 2021 offering first; `createstaff` creates a staff "
            "account (asks for what --email/--password do not give) instead of serving"
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[bool, typer.Option(help="load the Spring 2021 demo offering")] = False,
    email: Annotated[
        str | None, typer.Option(help="createstaff: the account's email address")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="createstaff: its password (or MLT_PORTAL_STAFF_PASSWORD; asked)"),
    ] = None,
) -> None:
    """Start the web portal locally (SQLite in your data directory, email printed to the console),
    or create a staff account in it (`mlt portal createstaff`)."""
    if what not in (None, *PORTAL_ACTIONS):
        raise fail_bad_input(
            BadInput(f"unknown argument {what!r}; allowed: {', '.join(PORTAL_ACTIONS)}.")
        )
    try:
        from mltheory.portal import server
    except ImportError as e:
        raise fail_bad_input(
            BadInput(f"the portal needs its extra: pip install 'mltheory[portal]' ({e})")
        ) from None
    if what == "createstaff":
        _portal_create_staff(server, email, password)
        return
    server.serve(host=host, port=port, demo=demo or what == "demo")


def _portal_create_staff(server, email: str | None, password: str | None) -> None:
    """``mlt portal createstaff``: the portal's ``createstaff`` command on the local database."""
    server.setup_django(local=True)
    server.prepare_database(verbosity=0)
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("createstaff", email=email, password=password, interactive=True)
    except CommandError as e:
        raise fail_bad_input(BadInput(str(e))) from None


@app.command()
def worker(
    queue: Annotated[str, typer.Option(help="which runs to take: gpu or cpu")] = "cpu",
    device: Annotated[
        str | None, typer.Option(help="torch device for the runs, e.g. cuda:0 (default: auto)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="this worker's name in the portal (default: host-queue-pid)")
    ] = None,
    batch: Annotated[bool, typer.Option(help="exit once the queue is empty")] = False,
) -> None:
    """Run the portal's compute worker: take students' lab runs off the queue and run them.

    One worker per GPU or CPU slot, on any machine that reaches the portal's database
    (DATABASE_URL). See docs/compute.md.
    """
    if queue not in ("gpu", "cpu"):
        raise fail_bad_input(BadInput(f"unknown queue {queue!r}; allowed: gpu, cpu"))
    try:
        from mltheory.portal.compute import run_worker
    except ImportError as e:
        raise fail_bad_input(
            BadInput(f"the worker needs the portal's extra: pip install 'mltheory[portal]' ({e})")
        ) from None
    try:
        run_worker(queue=queue, device=device, name=name, batch=batch)
    except BadInput as e:
        raise fail_bad_input(e) from None


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
