"""`python -m keyless run | plan | check | record`: the runbook's notebooks, headless, for people and pipelines.

    run     execute the notebooks in order (the emulator is reset to before-you-begin first)
    plan    the same notebooks with dry_run=True: every step says what it would change; nothing is changed
    check   plan without 99-clean-up, as a drift check: exit 3 when anything would change
    record  re-record the committed notebooks' outputs on a fresh deterministic emulator
    handout the runbook as one offline HTML bundle (prose and each step's result), for attendees
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import fields
from pathlib import Path

from .errors import KeylessError
from .params import ParameterError, Parameters, load

# `import papermill` reaches nbformat -> jsonschema, whose format checkers import rfc3987_syntax when it
# is installed (JupyterLab's jupyter-events brings it): a grammar compiled at import, about 1.5 s of CPU,
# the largest part of the runner's start. Nothing this process validates uses the "iri" format that
# checker is for, so the command goes without it (an ImportError that jsonschema expects and skips).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # a None entry blocks the import

EXIT_CODES = """exit status:
  0  passed (check: and the environment matches the runbook's end state)
  1  a notebook failed: named with its cell id and step (report.json, --junit, stderr)
  2  bad parameters or usage, e.g. an unknown --only entry (nothing was sent anywhere)
  3  check only: something would change (drift); the changes are listed"""

# what each parameter means, for --help (the notebooks' parameters cell says the same)
MEANING = {
    "target": "emulator (offline) or azure",
    "resource_group": "the prerequisite article's resource group",
    "cluster": "AKS cluster; empty: the only one in the group",
    "openai_account": "Azure OpenAI account; empty: the only one",
    "openai_deployment": "model deployment; empty: the only one",
    "identity": "user-assigned managed identity to create",
    "federated_credential": "federated identity credential to create",
    "namespace": "Kubernetes namespace of ai-service",
    "service_account": "ServiceAccount to create",
    "app": "Deployment to redeploy",
    "store_admin_service": "Service of the store admin site",
    "location": "empty: the resource group's",
    "subscription": "empty: the only or default one",
    "cloud": "AzureCloud, AzureUSGovernment, AzureChinaCloud, or a Resource Manager metadata URL",
    "data_dir": "state, kubeconfig, emulator; empty: $KEYLESS_HOME, else the nearest .keyless",
    "rollout_timeout": "seconds to wait for the ai-service rollout",
    "verify_timeout": "seconds to wait for a generated description",
    "exercise": "05's exercise (takes the app down on purpose, then repairs it); False skips it",
    "restore_deployment": "clean-up puts the original ai-service Deployment back",
    "dry_run": "every step only reports what it would change (plan/check set it)",
}


def parameters_help() -> str:
    defaults = Parameters()
    lines = ["parameters (-p NAME VALUE or -f params.yaml; default in brackets):"]
    for f in fields(Parameters):
        lines.append(f"  {f.name:<21} {MEANING.get(f.name, '')} [{getattr(defaults, f.name)!r}]")
    return "\n".join(lines)


def _epilog(extra: str = "") -> str:
    return "\n\n".join(x for x in (parameters_help(), EXIT_CODES, extra) if x)


EMULATOR_RULE = ("the emulator: run/plan/check start the data folder's background emulator if it is not running and "
                 "leave it running for the next run; --stop-emulator stops it at the end (or: python -m "
                 "keyless_emulator --home DATA_DIR stop)")


def _run_options(sub: argparse.ArgumentParser, reset: bool) -> None:
    sub.add_argument("--target", choices=("emulator", "azure"), help="where to run (default: emulator)")
    sub.add_argument("-f", "--file", action="append", default=[], metavar="PARAMS.yaml",
                     help="a YAML file of NAME: VALUE parameters (may repeat; later wins)")
    sub.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="one parameter (may repeat; wins over -f; VALUE may start with '-')")
    sub.add_argument("--out", type=Path, help="output folder (default: out/<timestamp>); a reused folder holds only "
                                              "the latest run")
    sub.add_argument("--only", default="", help="comma-separated notebook prefixes, e.g. 00,01 (default: all; check: "
                                                "all but 99-clean-up)")
    sub.add_argument("--list", action="store_true", help="list the notebooks and their steps, run nothing")
    sub.add_argument("--timeout", type=float, metavar="SECONDS",
                     help="per notebook: stop it and fail when it runs longer (default: no limit; 1800s per cell)")
    sub.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML: one test case per step")
    sub.add_argument("--log-output", action="store_true", help="stream every cell's output to stdout")
    sub.add_argument("--stop-emulator", action="store_true", help="stop the data folder's emulator at the end")
    sub.add_argument("--attendee", metavar="NAME", default=os.environ.get("KEYLESS_ATTENDEE", ""),
                     help="emulator: act as this workshop attendee (their profile under DATA_DIR/attendees/NAME; "
                          "the reset touches their tenant alone; default $KEYLESS_ATTENDEE)")
    if reset:
        sub.add_argument("--no-reset", action="store_true",
                         help="emulator: keep its current state instead of resetting to before-you-begin")
        sub.add_argument("--scenario", default="before-you-begin",
                         help="emulator: the starting state to reset to (default before-you-begin; "
                              "before-you-begin-entra: a cluster with Microsoft Entra integration, Azure RBAC and "
                              "local accounts disabled)")
        sub.add_argument("--from-scratch", action="store_true",
                         help="start from nothing: run prerequisites (builds the prerequisite article's end state), "
                              "the runbook, then teardown (deletes it again); the emulator is reset to 'empty'; on "
                              "Azure only with -p confirm_costs True (billed resources)")
    sub.add_argument("--notebooks", type=Path, help="the notebooks folder (default: the repository's)")


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m keyless", description=__doc__, formatter_class=fmt,
                                     epilog=_epilog(EMULATOR_RULE))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the runbook's notebooks in order with papermill (headless)",
                         formatter_class=fmt, epilog=_epilog(EMULATOR_RULE),
                         description="Run the notebooks in order with papermill; write the executed notebooks, "
                                     "their HTML and report.json to --out.")
    _run_options(run, reset=True)
    plan = sub.add_parser("plan", help="dry run: what every step would change (nothing is changed)",
                          formatter_class=fmt, epilog=_epilog(EMULATOR_RULE),
                          description="Run the notebooks with dry_run=True: every step reads the target and reports "
                                      "what it would change; no request that changes anything is sent (the "
                                      "verification's call to ai-service and the exercise are skipped). The emulator "
                                      "is not reset.")
    _run_options(plan, reset=False)
    check = sub.add_parser("check", help="drift check: exit 3 when anything would change, 0 when it matches",
                           formatter_class=fmt, epilog=_epilog(EMULATOR_RULE),
                           description="plan, without 99-clean-up (its plan is the teardown, not drift): exit 0 when "
                                       "the target matches the runbook's end state, 3 when a step would change "
                                       "something (listed), 1 when a step failed.")
    _run_options(check, reset=False)
    hand = sub.add_parser("handout",
                          help="write the runbook as one offline HTML bundle (index + one page per notebook)")
    hand.add_argument("--out", type=Path, default=Path("out") / "handout", help="folder to write (default out/handout)")
    hand.add_argument("--notebooks", type=Path, help="notebooks to render: the repository's recorded ones (default), "
                                                     "or a run's output folder")
    rec = sub.add_parser("record", help="re-record the outputs of notebooks/*.ipynb on a fresh deterministic emulator "
                                        "(the expected results nbval compares)")
    rec.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="one parameter (data_dir: use that folder's running emulator instead of a fresh one)")
    return parser


def _take_pairs(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Lift `-p NAME VALUE` out before argparse, so a VALUE may start with '-' (e.g. a bad name)."""
    rest, pairs, i = [], [], 0
    while i < len(argv):
        if argv[i] in ("-p", "--parameter"):
            if len(argv) - i < 3:
                rest.append(argv[i])  # let argparse report the missing values
                i += 1
                continue
            pairs.append((argv[i + 1], argv[i + 2]))
            i += 3
        else:
            rest.append(argv[i])
            i += 1
    return rest, pairs


def _list(folder: Path | None, only: list[str], from_scratch: bool = False) -> int:
    from .runner import from_scratch_books, notebooks_dir, select, steps_of

    books = from_scratch_books(folder or notebooks_dir(), only) if from_scratch else select(folder or notebooks_dir(),
                                                                                           only)
    for book in books:
        print(book.stem)
        for step in steps_of(book):
            print(f"    {step}")
    return 0


def _execute(args: argparse.Namespace, params: Parameters) -> int:
    from .runner import UnknownNotebook, run

    only = [o for o in args.only.split(",") if o.strip()]
    try:
        if args.list:
            return _list(args.notebooks, only, getattr(args, "from_scratch", False))
        scenario = getattr(args, "scenario", "before-you-begin")
        if getattr(args, "from_scratch", False) and scenario != "before-you-begin":
            print(f"error: --scenario {scenario} and --from-scratch: pick one (--from-scratch always starts from "
                  "the 'empty' scenario)\nnothing was run.", file=sys.stderr)
            return 2
        out = args.out or Path("out") / time.strftime("%Y%m%d-%H%M%S")
        report = run(params, out, only=only, reset=not getattr(args, "no_reset", False), folder=args.notebooks,
                     mode=args.command, timeout=args.timeout, log_output=args.log_output,
                     stop_emulator=args.stop_emulator, scenario=scenario,
                     from_scratch=getattr(args, "from_scratch", False), attendee=args.attendee)
    except UnknownNotebook as e:
        print(f"error: {e}\nnothing was run.", file=sys.stderr)
        return 2
    except ParameterError as e:  # e.g. a cloud whose metadata endpoint cannot be read
        print(f"error: {e}\nnothing was changed.", file=sys.stderr)
        return 2
    except KeylessError as e:
        print(f"error: {e.message}\nwhat to do: {e.hint}", file=sys.stderr)
        return 1
    if args.junit:
        from .junit import write_junit

        write_junit(report, args.junit)
    print(report.summary())
    failed = report.failed
    if failed:
        where = f", {failed.where}" if failed.where else ""
        print(f"FAILED: notebook {failed.name}{where}: {failed.error}", file=sys.stderr)
        return 1
    if args.command == "check" and report.drift():
        print(f"DRIFT: {len(report.drift())} change(s) would be made (exit 3)", file=sys.stderr)
        return 3
    return 0


def _handout(args: argparse.Namespace) -> int:
    from .handout import write_handout
    from .runner import notebooks_dir

    try:
        written = write_handout(args.out, args.notebooks or notebooks_dir())
    except FileNotFoundError as e:
        print(f"error: --notebooks: {e}", file=sys.stderr)
        return 2
    print(f"handout: {len(written) - 2} pages in {args.out} (open {args.out / 'index.html'})")
    return 0


def main(argv: list[str] | None = None) -> int:
    rest, pairs = _take_pairs(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(rest)
    if args.command == "handout":
        return _handout(args)
    if getattr(args, "timeout", None) is not None and args.timeout <= 0:
        print("error: --timeout must be a positive number of seconds\nnothing was run.", file=sys.stderr)
        return 2
    overrides = {"target": args.target} if getattr(args, "target", None) else {}
    try:
        params = load(getattr(args, "file", []), pairs, **overrides)
    except ParameterError as e:
        print(f"error: {e}\nnothing was changed.", file=sys.stderr)
        return 2
    if args.command == "record":
        from .runner import record

        try:
            report = record(params.replace(target="emulator"))
        except KeylessError as e:
            print(f"error: {e.message}\nwhat to do: {e.hint}", file=sys.stderr)
            return 1
        print(report.summary())
        return 1 if report.failed else 0
    return _execute(args, params)


def finish(code: int) -> None:
    """End the process with `code` once everything is written: every process the command started has ended (the
    kernel, the renderer; an emulator it started is meant to outlive it), so the interpreter's own teardown of
    the SDKs it loaded (about 0.1 s, after the summary, before a pipeline's next step) is skipped."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    finish(main())
