"""`python -m keyless_emulator serve|start|stop|status|env`."""
from __future__ import annotations

import argparse
import json
import logging
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import process, runtime
from .config import DEFAULT_SCENARIO, EmulatorConfig, default_home, is_shared
from .exposure import shared_warning
from .latency import PROFILES


def _config(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(home=Path(args.home) if args.home else default_home(), host=args.host, port=args.port,
                          scenario=args.scenario, seed=args.seed, deterministic=not args.random,
                          latency=args.latency, latency_factor=args.latency_factor, kubelet=not args.no_kubelet,
                          idle_stop=args.idle_stop)


def _add_server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address or DNS name to listen on, named in the server certificate (default 127.0.0.1; a "
                        "LAN or VPN address or name makes a workshop's shared server: every route but the public "
                        "ones then needs credentials, and a warning says what is exposed)")
    p.add_argument("--port", type=int, default=0,
                   help="port (default: the one this data folder used last if free, else any free port)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help=f"starting state (default {DEFAULT_SCENARIO})")
    p.add_argument("--seed", default="keyless", help="seed for deterministic ids (default keyless)")
    p.add_argument("--random", action="store_true", help="random ids instead of deterministic ones")
    p.add_argument("--latency", choices=PROFILES, default="instant", help="long-running operation durations")
    p.add_argument("--latency-factor", type=float, default=0.01, help="scale of the realistic durations")
    p.add_argument("--no-kubelet", action="store_true", help="do not run pods as local processes")
    p.add_argument("--idle-stop", type=float, default=120.0, metavar="SECONDS",
                   help="stop a store app unused for this long; its next request starts it again, its pod stays "
                        "Running (default 120; 0: never)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keyless_emulator",
                                     description="The offline Azure + AKS emulator of keyless.")
    parser.add_argument("--home", help="data folder (default $KEYLESS_HOME or ./.keyless)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_server_options(sub.add_parser("serve", help="serve in the foreground"))
    _add_server_options(sub.add_parser("start", help="start in the background; returns once healthy"))
    sub.add_parser("stop", help="stop the background emulator")
    sub.add_parser("status", help="is it running, and where")
    env = sub.add_parser("env", help="print shell export lines pointing tools at the running emulator")
    env.add_argument("--json", action="store_true", help="print the variables as JSON instead")
    az = sub.add_parser("az", help="set up the Azure CLI for the running emulator in a folder of its own, then print "
                                   "the export lines that select it (eval them)")
    az.add_argument("--print", dest="print_script", action="store_true",
                    help="print the set-up as shell commands instead of running it")
    az.add_argument("--az", dest="az_command", default="az",
                    help="how to run az (default: az on PATH; e.g. '/opt/az/bin/python -m azure.cli')")
    dash = sub.add_parser("dashboard", help="print the facilitator's dashboard address and how to sign in to it")
    dash.add_argument("--password", action="store_true",
                      help="print only the password the browser asks for (the admin key: keep it private), e.g. "
                           "to pipe it to the clipboard")
    att = sub.add_parser("attendees", help="workshop attendees: a tenant, a profile and a credential card each")
    att_sub = att.add_subparsers(dest="action", required=True)
    add = att_sub.add_parser("add", help="create each attendee's tenant (seeded like before-you-begin) and profile")
    add.add_argument("names", nargs="+", metavar="NAME")
    att_sub.add_parser("list", help="the attendees' tenants and profiles")
    rm = att_sub.add_parser("remove", help="remove attendees' tenants (everything in them) and profiles")
    rm.add_argument("names", nargs="+", metavar="NAME")
    rs = att_sub.add_parser("reset", help="put attendees' tenants back to before-you-begin (credentials kept; "
                                          "nobody else is touched)")
    rs.add_argument("names", nargs="+", metavar="NAME")
    for p in att_sub.choices.values():
        p.add_argument("--home", dest="home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    # Options may follow the sub-command too.
    for p in sub.choices.values():
        p.add_argument("--home", dest="home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    home = Path(args.home) if args.home else default_home()

    if args.command in ("serve", "start"):
        try:
            config = _config(args)
        except ValueError as e:  # bad input: refused before anything starts
            print(f"error: {e}\nnothing was started.", file=sys.stderr)
            return 2
    if args.command == "serve":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        from .server import serve_forever

        serve_forever(config)
        return 0
    if args.command == "start":
        started = time.monotonic()
        try:
            info = process.start_background(config)
        except (RuntimeError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"keyless emulator running at {info.url} (pid {info.pid}, scenario {info.scenario}) "
              f"in {time.monotonic() - started:.2f}s")
        if is_shared(urlsplit(info.url).hostname or ""):  # also when an emulator already ran there
            print(shared_warning(info.url, info.ca_cert, info.home), file=sys.stderr)
        print(f"runtime file: {runtime.runtime_path(home)}")
        print("point your tools at it with:  eval \"$(python -m keyless_emulator env)\"")
        return 0
    if args.command == "stop":
        stopped = process.stop(home)
        print("stopped" if stopped else "no emulator was running")
        return 0
    if args.command == "status":
        try:
            info = process.attach(home)
        except runtime.EmulatorNotRunning as e:
            print(f"not running: {e}")
            return 3
        print(f"running at {info.url} (pid {info.pid}, scenario {info.scenario}, data folder {info.home})")
        return 0
    if args.command == "env":
        info = _attached(home)
        if info is None:
            return 3
        variables = info.env()
        if args.json:
            print(json.dumps(variables, indent=2))
        else:
            for k, v in variables.items():
                print(f"export {k}={shlex.quote(v)}")
        return 0
    if args.command == "az":
        return _az(home, args)
    if args.command == "attendees":
        return _attendees(home, args)
    if args.command == "dashboard":
        info = _attached(home)
        if info is None:
            return 3
        if args.password:
            print(info.admin_key)
            return 0
        # The key is in no URL: a link carrying it would end up in shell history, browser history and,
        # as a query string, in the request log. The browser asks for it instead (control/security.py).
        print(f"{info.url}/_emulator/dashboard")
        print("the browser asks for a user name and a password: any user name; the password is the admin key "
              f"(admin_key in {runtime.runtime_path(home)}; `python -m keyless_emulator dashboard --password` "
              "prints it alone)")
        return 0
    return 2


def _attendees(home: Path, args: argparse.Namespace) -> int:
    """`attendees add|list|remove|reset`: the control API with the admin key, profiles and the sheet on disk."""
    from . import attendees
    from .client import ControlClient, ControlError
    from .control.tenants import TENANT_NAME, TENANT_NAME_RULE
    from .scenarios import DEFAULT_TENANT

    names = list(getattr(args, "names", []))
    bad = [n for n in names if not TENANT_NAME.match(n) or n == DEFAULT_TENANT]
    if bad:
        print(f"error: attendee {bad[0]!r}: {TENANT_NAME_RULE}, and not {DEFAULT_TENANT!r} (the emulator's own "
              "tenant)\nnothing was changed.", file=sys.stderr)
        return 2
    info = _attached(home)
    if info is None:
        return 3
    control = ControlClient.of(info)
    failed = 0
    try:
        if args.action == "list":
            known = {p.name: p for p in attendees.profiles(home)}
            for t in control.tenants():
                if t["name"] == DEFAULT_TENANT:
                    continue
                where = attendees.folder(home, t["name"]) if t["name"] in known else "(no profile)"
                print(f"{t['name']:<20} tenant {t['tenant_id']}  subscription {t['subscription_ids'][0]}  {where}")
            return 0
        for name in names:
            try:
                if args.action == "add":
                    created = control.add_tenant(name)
                    attendees.write_profile(home, info.url, Path(info.ca_cert), created)
                    print(f"added {name}: profile {attendees.folder(home, name)}")
                elif args.action == "remove":
                    control.remove_tenant(name)
                    attendees.remove_profile(home, name)
                    print(f"removed {name}")
                elif args.action == "reset":
                    control.reset_tenant(name)
                    print(f"reset {name} to before-you-begin")
            except ControlError as e:
                failed += 1
                code = json.loads(e.body).get("error", {}) if e.body.startswith("{") else {}
                print(f"error: {name}: {code.get('message') or e}", file=sys.stderr)
                if args.action == "remove" and e.status == 404:
                    attendees.remove_profile(home, name)
    finally:
        if args.action in ("add", "remove"):
            print(f"credential sheet: {attendees.write_sheet(home)}")
    return 1 if failed else 0


def _attached(home: Path) -> runtime.EmulatorInfo | None:
    """The running emulator of the data folder; None (after saying so on stderr) when none runs."""
    try:
        return process.attach(home)
    except runtime.EmulatorNotRunning as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _az(home: Path, args: argparse.Namespace) -> int:
    """`az`: the set-up of an isolated az configuration folder for this data folder (see azcli.py)."""
    import shutil

    from .azcli import AzSetup, AzSetupFailed, run_setup

    info = _attached(home)
    if info is None:
        return 3
    setup = AzSetup(info)
    if args.print_script:
        print(setup.script(), end="")
        return 0
    az = shlex.split(args.az_command)
    if not az or shutil.which(az[0]) is None:
        print(f"error: {az[0] if az else 'az'} not found; install azure-cli, pass --az, or use --print",
              file=sys.stderr)
        return 1
    try:
        run_setup(setup, az, log=lambda line: print(line, file=sys.stderr))
    except (AzSetupFailed, OSError, subprocess.TimeoutExpired) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(setup.exports(), end="")
    print(f"# az now uses {setup.config_dir}; kubectl {setup.kubeconfig}. Undo in this shell with: "
          "unset AZURE_CONFIG_DIR KUBECONFIG REQUESTS_CA_BUNDLE", file=sys.stderr)
    return 0


def run() -> None:
    """Entry point of `python -m keyless_emulator` (and of its alias `python -m keyless.emulator`)."""
    sys.exit(main())
