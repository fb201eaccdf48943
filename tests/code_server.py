"""A pinned code-server (VS Code in the browser, from the npm registry) in a cached folder outside the repository.

VS Code itself is not in the registries this project may use; code-server is on npm, with VS Code inside it.
Its own install script downloads ripgrep from GitHub and fetches Node's headers from nodejs.org, neither
reachable offline, so it is installed without scripts and the native modules are built here: Node's headers
from the machine's Node (`npm_config_nodedir`, Debian's nodejs ships them), ripgrep from its npm package, and
the links code-server's post-install script would make. The Kerberos headers one module builds against come
from Debian's libkrb5-dev (the Makefile's `build-headers` target installs it).

It lives in `$KEYLESS_CACHE` (default `~/.cache/keyless`) as `code-server-<version>/`, built once (about a
minute, 320 MB; tests/cached_build.py: under another name first and renamed when done, one process at a time).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from cached_build import built, cache_root

CODE_SERVER_VERSION = "4.100.3"  # the last release for Node.js 20, the machine's Node
RIPGREP_PACKAGE = "@vscode/ripgrep-linux-x64@1.18.0"
NATIVE_MODULES = ("@vscode/spdlog", "@vscode/deviceid", "@parcel/watcher", "kerberos", "native-watchdog", "node-pty")


def install_dir(version: str = CODE_SERVER_VERSION) -> Path:
    return cache_root() / f"code-server-{version}"


def entry_point(version: str = CODE_SERVER_VERSION) -> Path:
    """code-server's entry script (run with `node`), built first when missing."""
    target = built(install_dir(version), version, lambda folder: _build(folder, version))
    return target / "node_modules" / "code-server" / "out" / "node" / "entry.js"


def _npm(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["npm", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and done.returncode != 0:
        raise RuntimeError(f"npm {' '.join(args)} failed in {cwd}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def _build(partial: Path, version: str) -> None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        raise RuntimeError("code-server needs Node.js 20 and npm on PATH")
    partial.mkdir(parents=True)
    env = {**os.environ, "npm_config_nodedir": str(Path(node).resolve().parents[1]), "npm_config_fund": "false",
           "npm_config_audit": "false", "npm_config_update_notifier": "false"}
    (partial / "package.json").write_text('{"name": "keyless-code-server", "private": true}\n')
    _npm(["install", "--ignore-scripts", f"code-server@{version}"], partial, env)
    _npm(["rebuild", "argon2"], partial, {**env, "npm_config_build_from_source": "true"})
    vscode = partial / "node_modules" / "code-server" / "lib" / "vscode"
    _npm(["install", "--omit=dev", "--ignore-scripts"], vscode, env)
    # node-pty's own script ends with an npx call that cannot be made offline, after its module is built
    _npm(["rebuild", *NATIVE_MODULES], vscode, env, check=False)
    if not (vscode / "node_modules" / "node-pty" / "build" / "Release" / "pty.node").exists():
        _npm(["rebuild", *NATIVE_MODULES], vscode, env)  # raises with npm's own words
    packed = _npm(["pack", RIPGREP_PACKAGE, "--pack-destination", str(partial)], partial, env).stdout.split()[-1]
    with tarfile.open(partial / packed) as archive:
        archive.extract("package/bin/rg", partial / "ripgrep", filter="data")
    rg = vscode / "node_modules" / "@vscode" / "ripgrep" / "bin" / "rg"
    rg.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(partial / "ripgrep" / "package" / "bin" / "rg", rg)
    (vscode / "node_modules.asar").symlink_to("node_modules")  # what code-server's post-install script links
    (vscode / "bin" / "remote-cli" / "code-server").symlink_to("code-linux.sh")
    (vscode / "bin" / "helpers" / "browser.sh").symlink_to("browser-linux.sh")
    _npm(["install", "--omit=dev"], vscode / "extensions", env)
