"""JupyterLab and Notebook 7 as a learner runs them, and a small driver of their pages.

`start_jupyter` starts `jupyter lab` or `jupyter notebook` the way `make lab` and `make notebook` do (the
kernels find the emulator through the data folder, KEYLESS_HOME), on a free loopback port with token
authentication, on a temporary copy of notebooks/ and with its own settings, workspaces and runtime folders,
so several test processes never share a file. Both front ends are built from JupyterLab's components, so
one driver (`NotebookDriver`) runs cells through their shared menus and reads what the cells show; `LabPage`
opens notebooks from JupyterLab's file browser, `Notebook7Page` in Notebook 7's page of one notebook.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit import wait_for
from kit.processes import OFFLINE

from . import selectors as css

REPO = Path(__file__).resolve().parents[2]
# JupyterLab's settings for the test: no news or update checks (they would call a public host), and the
# notebook's kernel shut down with its tab.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}
SLOW = 120_000   # ms: what a notebook cell may take on a busy 2-core machine (a rollout, a description)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterServer:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    root: Path
    log: Path
    runtime: Path

    def address(self, path: str) -> str:
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.runtime, ignore_errors=True)

    def shut_down_kernels(self) -> None:
        """Every running kernel shut down (through the REST API): the kernels of notebooks done with."""
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")

    def log_tail(self, size: int = 4000) -> str:
        """The end of the server's log (its kernels' output goes there too), the token masked."""
        return self.log.read_text(errors="replace")[-size:].replace(self.token, "<token>")


# What differs between the two front ends' command lines: the subcommand, and JupyterLab's update check.
APP_ARGS = {
    "lab": ["lab", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
    "notebook": ["notebook"],
}


def start_jupyter(base: Path, data_dir: Path, app: str = "lab") -> JupyterServer:
    """`jupyter <app>` (lab or notebook) on a copy of notebooks/, its kernels pointed at the emulator of
    `data_dir`."""
    root = base / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name, values in SETTINGS.items():
        path = base / "lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KEYLESS_", "JUPYTER"))}
    # Kernels talk over IPC sockets, as `make lab` and the runner have them: a TCP port jupyter_client picked
    # could be taken by one of the suite's many loopback connections before the kernel binds it, and the
    # kernel then dies at start. Socket paths are limited to ~107 bytes: the runtime folder is a short one.
    runtime = Path(tempfile.mkdtemp(prefix="kl-lab-"))
    env.update(OFFLINE, KEYLESS_HOME=str(data_dir), JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(runtime), JUPYTERLAB_SETTINGS_DIR=str(base / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "lab-workspaces"),
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO / "lib"), env.get("PYTHONPATH", "")) if p))
    token, port = secrets.token_hex(16), free_port()
    args = [sys.executable, "-m", "jupyter", *APP_ARGS[app], "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--KernelManager.transport=ipc", "--ZMQChannelsWebsocketConnection.kernel_ws_protocol="]
    if os.geteuid() == 0:
        args.append("--allow-root")   # as `make lab` and `make notebook` do for root (containers, Codespaces)
    log = base / f"jupyter-{app}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(args, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = JupyterServer(process, f"http://127.0.0.1:{port}", token, root, log, runtime)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"jupyter {app} exited with {process.returncode}: {log.read_text()[-2000:]}")
        server.api("GET", "status")
        return True

    try:
        wait_for(answers, 120, f"jupyter {app} to answer", interval=0.2, ignoring=(OSError,))
    except BaseException:
        server.stop()
        raise
    return server


class NotebookDriver:
    """The notebook in front, driven through the menus JupyterLab and Notebook 7 share (Edit, Run, Kernel) and
    read from the cells' outputs; the subclasses say how a notebook is opened."""

    def __init__(self, page: Any, server: JupyterServer):
        self.page = page
        self.server = server

    def menu(self, menu: str, item: str) -> None:
        self.page.click(css.MENU.format(menu))
        self.page.click(css.MENU_ITEM.format(item))

    def wait_ready(self) -> None:
        """The notebook in front shows its cells and its kernel has been idle for a second, its connection
        settled: JupyterLab reconnects a new kernel's websocket once or twice in its first second, and a restart
        clicked during that flapping loses the execute requests that follow it (cells left at [*])."""
        self.page.wait_for_selector(css.CODE_CELL, timeout=SLOW)
        self.page.wait_for_selector(css.IDLE, timeout=SLOW)
        self.page.evaluate("window.__keylessIdleSince = null")
        self.page.wait_for_function(
            """([idle, status]) => {
                 const bar = [...document.querySelectorAll(status)].map(e => e.textContent.trim())
                                                                   .filter(t => t.includes(" | "));
                 const settled = document.querySelector(idle) && bar.every(t => t.endsWith("| Idle"));
                 const now = Date.now();
                 if (!settled) { window.__keylessIdleSince = null; return false; }
                 window.__keylessIdleSince = window.__keylessIdleSince || now;
                 return now - window.__keylessIdleSince >= 1000; }""",
            arg=[css.IDLE, css.KERNEL_STATUS], timeout=SLOW, polling=100)

    def cells(self) -> Any:
        return self.page.locator(css.CODE_CELL)

    def prompts(self) -> list[str]:
        return [p.strip() for p in self.page.locator(f"{css.CODE_CELL} {css.PROMPT}").all_inner_texts()]

    def wait_executed(self, cells: list[int]) -> None:
        """Wait until the code cells `cells` (0-based, in the order they were run) show consecutive execution
        counts — each ran once, in that order, after the outputs were cleared — and the kernel is idle."""
        self.page.wait_for_function(
            """([sel, cells]) => { const p = [...document.querySelectorAll(sel)].map(e => e.textContent.trim());
                 const n = cells.map(i => /^\\[(\\d+)\\]:$/.exec(p[i] || "")).map(m => m && Number(m[1]));
                 return n.every((k, j) => k !== null && (j === 0 || k === n[j - 1] + 1)); }""",
            arg=[f"{css.CODE_CELL} {css.PROMPT}", cells], timeout=SLOW * 3)
        self.page.wait_for_selector(css.IDLE, timeout=SLOW)

    def clear_outputs(self) -> None:
        self.menu("Edit", "Clear Outputs of All Cells")

    def restart_and_run_all(self) -> None:
        """Run > Restart Kernel and Run All Cells…: every cell, in order, in a fresh kernel."""
        self.clear_outputs()
        self.menu("Run", "Restart Kernel and Run All Cells…")
        self.page.click(css.DIALOG_ACCEPT)
        self.wait_executed(list(range(self.cells().count())))

    def restart_kernel(self) -> None:
        """Kernel > Restart Kernel…, confirmed; waits until the new kernel is idle."""
        self.menu("Kernel", "Restart Kernel…")
        self.page.click(css.DIALOG_ACCEPT)
        self.page.wait_for_selector(css.IDLE, timeout=SLOW)

    def run_cell(self, index: int) -> None:
        """Select code cell `index` (0-based) and run it with Shift+Enter, as a learner does. The click is
        repeated until that cell is the active one: a cell scrolled to from off screen is laid out only then
        (content-visibility), and the cells around it can move under the pointer as it is."""
        cell = self.cells().nth(index)

        def selected() -> bool:
            cell.locator(css.PROMPT).first.click()
            return css.ACTIVE_CELL in (cell.get_attribute("class") or "").split()

        wait_for(selected, 30, f"code cell {index} to be the active cell", interval=0.2)
        self.page.keyboard.press("Shift+Enter")

    def run_cells(self, *cells: int, clear: bool = True) -> None:
        """Clear the outputs (unless told not to: a form shown above stays), then run `cells` one after the
        other (Shift+Enter each) and wait for them."""
        if clear:
            self.clear_outputs()
        for index in cells:
            self.run_cell(index)
        self.wait_executed(list(cells))

    def text(self, index: int | None = None) -> str:
        """What the notebook in front shows (its cells' outputs), or one code cell's output."""
        if index is None:
            return str(self.page.locator(f"{css.PANEL} .jp-Notebook").inner_text())
        return str(self.cells().nth(index).locator(".jp-OutputArea").inner_text())

    def errors(self) -> list[str]:
        """Error outputs (tracebacks, stderr) and widgets that failed to render, in the notebook in front."""
        found = self.page.locator(css.ERROR_OUTPUT).all_inner_texts()
        # the outputs' text content, not what is laid out: both front ends skip laying out the cells off screen
        # (content-visibility), and their inner text reads empty
        for output in self.page.locator(f"{css.PANEL} {css.OUTPUT}").all_text_contents():
            found += [line for line in output.splitlines() if "Error displaying widget" in line or "Traceback" in line]
        return found


class LabPage(NotebookDriver):
    """The JupyterLab page of one browser tab: notebooks opened from its file browser, each in a tab."""

    def load(self) -> None:
        self.page.goto(self.server.address("/lab?reset"))
        self.page.wait_for_selector(css.FILE.format("00-before-you-begin.ipynb"), timeout=SLOW)

    def open(self, notebook: str) -> None:
        """Open `notebook` from the file browser (or bring its tab to the front) and wait for its kernel."""
        self.page.dblclick(css.FILE.format(notebook))
        self.page.wait_for_selector(css.CURRENT_TAB.format(notebook), timeout=SLOW)
        self.wait_ready()


class Notebook7Page(NotebookDriver):
    """Notebook 7 as a learner uses it: the file list (/tree) in one browser tab, and each notebook opened from
    it in a browser tab of its own (`page`), as Notebook 7 opens them."""

    def __init__(self, tree: Any, server: JupyterServer):
        super().__init__(tree, server)
        self.tree = tree

    def load(self) -> None:
        self.tree.goto(self.server.address("/tree"))
        self.tree.wait_for_selector(css.FILE.format("00-before-you-begin.ipynb"), timeout=SLOW)

    def open(self, notebook: str) -> None:
        """Double-click `notebook` in the file list; the notebook's own tab becomes the one driven. The tab of
        the notebook before it is closed and its kernel shut down, as File > Close and Shut Down Notebook
        does (a closed Notebook 7 tab alone leaves its kernel running)."""
        if self.page is not self.tree:
            self.page.close()
            self.server.shut_down_kernels()
        with self.tree.context.expect_page(timeout=SLOW) as opened:
            self.tree.dblclick(css.FILE.format(notebook))
        self.page = opened.value
        self.page.wait_for_selector(css.NOTEBOOK7_TITLE.format(notebook.removesuffix(".ipynb")), timeout=SLOW)
        self.wait_ready()
