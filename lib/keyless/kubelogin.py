"""`python -m keyless.kubelogin`: a kubectl exec credential plugin for clusters with Microsoft Entra
integration, obtained with azure-identity through the runbook's own sign-in chain (`keyless.signin`).

AKS hands out, for such a cluster, a kubeconfig whose user runs `kubelogin get-token --server-id
6dae42f8-4368-4678-94ff-3960e28e3630 ...`; kubelogin is a Go binary the Python package index does not
carry. This module does the same two jobs for the flags the runbook's users need:

    python -m keyless.kubelogin convert-kubeconfig [--kubeconfig FILE] [-l azurecli|spn|workloadidentity]
        rewrites every kubelogin exec user of the kubeconfig to run this module instead (what
        `kubelogin convert-kubeconfig -l azurecli` does for the real kubelogin, which works as well);
    python -m keyless.kubelogin get-token --server-id ID [--login ...] [--tenant-id ...]
        prints a `client.authentication.k8s.io` ExecCredential holding an access token for
        `ID/.default` (the AKS server application), for kubectl to send as its bearer token.

The credential is the runbook's chain read from the process environment (kubectl passes its own to the
plugin): a service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), workload identity
federation, or the Azure CLI's sign-in; `--login` narrows it (azurecli, spn, workloadidentity) as
kubelogin's login modes do. AZURE_AUTHORITY_HOST (else `--environment`'s cloud) is where Entra is, and
REQUESTS_CA_BUNDLE the CA it is trusted with. Interactive modes (devicecode, interactive) are not offered:
the plugin never prompts. A failure is one line on stderr naming the credentials tried, exit 1; the
token is only ever written to stdout, for kubectl.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from . import signin
from .clouds import is_known_authority
from .errors import KeylessError

AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
EXEC_API_VERSION = "client.authentication.k8s.io/v1"
# kubelogin's login modes -> the runbook's credentials (AZURE_TOKEN_CREDENTIALS values)
LOGINS = {"azurecli": signin.AZURE_CLI, "spn": signin.SERVICE_PRINCIPAL, "workloadidentity": signin.WORKLOAD_IDENTITY}
# kubelogin's --environment names -> where Entra signs in (when AZURE_AUTHORITY_HOST does not say)
ENVIRONMENTS = {"azurepubliccloud": "https://login.microsoftonline.com",
                "azureusgovernmentcloud": "https://login.microsoftonline.us",
                "azurechinacloud": "https://login.chinacloudapi.cn"}
MODULE = "keyless.kubelogin"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    get = sub.add_parser("get-token", help="print an ExecCredential for kubectl")
    get.add_argument("--server-id", default=AKS_SERVER_ID, help="the API server's Entra application id")
    get.add_argument("-l", "--login", default="", help=f"one of {', '.join(LOGINS)} (default: the whole chain)")
    get.add_argument("--tenant-id", default="", help="kept for kubelogin compatibility; AZURE_TENANT_ID decides")
    get.add_argument("--client-id", default="", help="kept for kubelogin compatibility; AZURE_CLIENT_ID decides")
    get.add_argument("--environment", default="AzurePublicCloud", help="the cloud, when AZURE_AUTHORITY_HOST is unset")
    conv = sub.add_parser("convert-kubeconfig", help="make a kubeconfig's kubelogin users run this module")
    conv.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config")))
    conv.add_argument("-l", "--login", default="azurecli", help=f"one of {', '.join(LOGINS)}")
    return p


def _login(value: str) -> str:
    if value and value.lower() not in LOGINS:
        raise KeylessError(f"--login {value[:40]} is not a login mode this plugin offers",
                           f"use one of {', '.join(LOGINS)} (the plugin never prompts)", code="KubeloginLogin")
    return value.lower()


def exec_api_version(environment: Mapping[str, str]) -> str:
    """The ExecCredential version kubectl asked for (KUBERNETES_EXEC_INFO), else v1."""
    try:
        info = json.loads(environment.get("KUBERNETES_EXEC_INFO", "") or "{}")
    except ValueError:
        info = {}
    version = info.get("apiVersion") if isinstance(info, dict) else None
    return str(version) if version else EXEC_API_VERSION


def exec_credential(token: str, expires_on: int, api_version: str = EXEC_API_VERSION) -> dict[str, Any]:
    expiry = _dt.datetime.fromtimestamp(expires_on, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": "ExecCredential", "apiVersion": api_version, "spec": {"interactive": False},
            "status": {"token": token, "expirationTimestamp": expiry}}


def get_token(server_id: str, login: str, environment: Mapping[str, str], cloud: str = "AzurePublicCloud") -> Any:
    """An access token for the API server application `server_id`, from the runbook's sign-in chain."""
    env = dict(environment)
    if login:
        env["AZURE_TOKEN_CREDENTIALS"] = LOGINS[login]
    default = ENVIRONMENTS.get(cloud.lower(), ENVIRONMENTS["azurepubliccloud"])
    where = signin.authority_of(env, default)
    credential = signin.credential(env, where, env.get("REQUESTS_CA_BUNDLE") or True,
                                   known_authority=is_known_authority(where))
    try:
        return credential.get_token(f"{server_id}/.default")
    finally:
        credential.close()


def convert(config: dict[str, Any], login: str = "azurecli", python: str = sys.executable) -> int:
    """Point every kubelogin exec user of `config` at this module (in place); answers how many changed."""
    login = _login(login) or "azurecli"
    changed = 0
    for entry in config.get("users") or []:
        user = entry.get("user") or {}
        exe = user.get("exec") or {}
        command = Path(str(exe.get("command", ""))).name
        args = [str(a) for a in exe.get("args") or []]
        if command != "kubelogin" and MODULE not in args:
            continue
        server_id = args[args.index("--server-id") + 1] if "--server-id" in args[:-1] else AKS_SERVER_ID
        user["exec"] = {"apiVersion": EXEC_API_VERSION, "command": python,
                        "args": ["-m", MODULE, "get-token", "--server-id", server_id, "--login", login],
                        "env": None, "provideClusterInfo": False, "interactiveMode": "Never",
                        "installHint": "the keyless runbook's credential plugin: pip install the keyless project"}
        entry["user"] = user
        changed += 1
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "convert-kubeconfig":
            path = Path(args.kubeconfig)
            config = yaml.safe_load(path.read_text()) or {}
            changed = convert(config, args.login)
            text = yaml.safe_dump(config, sort_keys=False)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            path.chmod(0o600)  # a kubeconfig stays private to its owner
            print(f"{changed} user(s) of {path} now run python -m {MODULE}", file=sys.stderr)
            return 0
        token = get_token(args.server_id, _login(args.login), os.environ, args.environment)
        json.dump(exec_credential(token.token, int(token.expires_on), exec_api_version(os.environ)), sys.stdout)
        sys.stdout.write("\n")
        return 0
    except KeylessError as e:
        print(f"keyless.kubelogin: {e.message}" + (f" (what to do: {e.hint})" if e.hint else ""), file=sys.stderr)
        return 1
    except (OSError, yaml.YAMLError) as e:
        print(f"keyless.kubelogin: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
