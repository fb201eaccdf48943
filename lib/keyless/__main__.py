"""`python -m keyless run [--target emulator|azure] [-f params.yaml] [-p NAME VALUE] [--out DIR] [--only 01,02]`

Exit status: 0 all notebooks passed; 1 a notebook failed (named, with its cell); 2 bad
parameters or usage (nothing was sent anywhere).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import KeylessError
from .params import ParameterError, load


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m keyless", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the runbook's notebooks in order with papermill (headless)")
    run.add_argument("--target", choices=("emulator", "azure"), help="where to run (default: emulator)")
    run.add_argument("-f", "--file", action="append", default=[], metavar="PARAMS.yaml",
                     help="a YAML file of NAME: VALUE parameters (may repeat; later wins)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="one parameter (may repeat; wins over -f; VALUE may start with '-')")
    run.add_argument("--out", type=Path, help="output folder (default: out/<timestamp>)")
    run.add_argument("--only", default="", help="comma-separated notebook prefixes, e.g. 00,01")
    run.add_argument("--no-reset", action="store_true",
                     help="emulator: keep its current state instead of resetting to before-you-begin")
    run.add_argument("--notebooks", type=Path, help="the notebooks folder (default: the repository's)")
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


def main(argv: list[str] | None = None) -> int:
    rest, pairs = _take_pairs(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(rest)
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
    out = args.out or Path("out") / time.strftime("%Y%m%d-%H%M%S")
    from .runner import run

    try:
        report = run(params, out, only=args.only.split(","), reset=not args.no_reset, folder=args.notebooks)
    except ParameterError as e:  # e.g. a cloud whose metadata endpoint cannot be read
        print(f"error: {e}\nnothing was changed.", file=sys.stderr)
        return 2
    except KeylessError as e:
        print(f"error: {e.message}\nwhat to do: {e.hint}", file=sys.stderr)
        return 1
    print(report.summary())
    failed = report.failed
    if failed:
        where = f", {failed.where}" if failed.where else ""
        print(f"FAILED: notebook {failed.name}{where}: {failed.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
