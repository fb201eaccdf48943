"""`python -m keyless run`: the notebooks in order with papermill, headless.

For each notebook: execute it with the parameters injected, keep the executed notebook and an
HTML rendering, collect the steps each one ran (a JSON-lines log the kernel appends to), and
stop at the first failing notebook, naming it and its cell. On the emulator target the
background emulator of the data folder is started or reused and reset to `before-you-begin`.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .params import Parameters
from .recording import SANITIZE_CONFIG
from .report import NotebookRun, RunReport

KERNEL = "python3"


def _ipc_kernel_manager() -> type:
    """Kernels talk to the runner over local sockets (IPC), not TCP ports on loopback: nothing else
    on a shared workshop machine can connect to them, and ipykernel has nothing to warn about."""
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        transport = "ipc"

    return IpcKernelManager


def notebooks_dir() -> Path:
    """The repository's notebooks folder (editable install), else ./notebooks."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def select(folder: Path, only: Iterable[str] = ()) -> list[Path]:
    books = sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
    wanted = [o.strip() for o in only if o.strip()]
    if wanted:
        books = [b for b in books if any(b.name.startswith(w) for w in wanted)]
    return books


def _steps(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _html(executed: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    target = executed.with_suffix(".html")
    target.write_text(body)
    return target


def _failed_cell(executed: Path, index: int | None) -> str | None:
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
        return nb.cells[index].get("id") if index is not None else None
    except (OSError, IndexError, ValueError):
        return None


def prepare_target(params: Parameters, reset: bool = True) -> Any:
    """Emulator: start or reuse it and reset it to the article's starting point. Azure: read the cloud's
    metadata, so a bad or unreachable endpoint is refused (ParameterError) before any notebook runs."""
    if params.target != "emulator":
        from .targets import check_cloud

        check_cloud(params)
        return None
    from .targets import emulator_info, reset_emulator

    info = emulator_info(params.home, start=True)
    if reset:
        reset_emulator(info)
    return info


def run(params: Parameters, out: Path, only: Iterable[str] = (), reset: bool = True,
        folder: Path | None = None, echo: Any = print, cell_timeout: int = 1800) -> RunReport:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out = Path(out).resolve()  # the kernels run inside it, so every path handed to them is absolute
    books = select(folder or notebooks_dir(), only)
    report = RunReport(params.target, params.to_dict(), str(out))
    if not books:
        report.notebooks.append(NotebookRun("(none)", "failed", error=f"no notebook matches --only {','.join(only)}"))
        report.finish()
        return report
    out.mkdir(parents=True, exist_ok=True)
    prepare_target(params, reset)
    injected = {**params.to_dict(), "data_dir": str(params.home)}
    saved_env = {k: os.environ.get(k) for k in ("KEYLESS_HEADLESS", "KEYLESS_STOP_ON_FAILURE", "KEYLESS_STEP_LOG",
                                                "KEYLESS_HOME")}
    try:
        os.environ.update({"KEYLESS_HEADLESS": "1", "KEYLESS_STOP_ON_FAILURE": "1", "KEYLESS_HOME": str(params.home)})
        for book in books:
            entry = NotebookRun(book.stem)
            report.notebooks.append(entry)
            if report.failed:
                entry.status = "skipped"
                continue
            executed = out / book.name
            log = out / f"{book.stem}.steps.jsonl"
            log.unlink(missing_ok=True)
            os.environ["KEYLESS_STEP_LOG"] = str(log)
            echo(f"running {book.name} ...")
            started = time.monotonic()
            try:
                papermill.execute_notebook(str(book), str(executed), parameters=injected, kernel_name=KERNEL,
                                           cwd=str(out), progress_bar=False, log_output=False,
                                           execution_timeout=cell_timeout, report_mode=False,
                                           kernel_manager_class=_ipc_kernel_manager())
                entry.status = "passed"
            except PapermillExecutionError as e:
                entry.status = "failed"
                entry.failed_cell = e.cell_index
                entry.failed_cell_id = _failed_cell(executed, e.cell_index)
                entry.error = f"{e.ename}: {e.evalue}".strip()
            except Exception as e:  # noqa: BLE001 - kernel death, timeouts: still a report
                entry.status = "failed"
                entry.error = f"{type(e).__name__}: {e}"
            entry.duration_s = round(time.monotonic() - started, 2)
            entry.steps = _steps(log)
            entry.output = str(executed)
            if executed.exists():
                try:
                    entry.html = str(_html(executed))
                except Exception as e:  # noqa: BLE001 - a rendering problem must not hide the run's result
                    entry.html = f"(HTML rendering failed: {e})"
            echo(f"  {entry.status} in {entry.duration_s:.1f}s")
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    report.finish()
    report.write(out / "report.json")
    return report


# nbval's sanitizers: a notebook whose new recording differs only there is left as committed
SANITIZERS = SANITIZE_CONFIG


def record(params: Parameters, folder: Path | None = None, echo: Any = print) -> RunReport:
    """Run every notebook headless on a fresh deterministic emulator and write the outputs back into
    the notebooks themselves (sources untouched, see keyless.recording), so the committed notebooks
    show the expected result of every step and nbval can replay them. Without `data_dir` a new
    emulator in a temporary data folder is started and stopped; with it, that folder's emulator is
    used (it must run in deterministic mode) after a reset, with the instant latency profile a fresh
    emulator starts with. Nothing is written if a notebook fails."""
    import tempfile

    import nbformat

    from .errors import KeylessError
    from .recording import sanitizers, with_outputs, write
    from .targets import emulator_control, stop_emulator

    if params.target != "emulator":
        raise ValueError("recording runs on the deterministic emulator only (target=emulator)")
    folder = Path(folder or notebooks_dir())
    with tempfile.TemporaryDirectory(prefix="keyless-record-") as tmp:
        own_emulator = not params.data_dir
        if own_emulator:
            params = params.replace(data_dir=str(Path(tmp) / "data"))
        try:
            info = prepare_target(params, reset=False)
            if not info.deterministic:
                raise KeylessError(f"the emulator of {params.home} runs with random ids; recordings need "
                                   "deterministic mode", "restart it without --random, or record without data_dir "
                                   "(a fresh emulator is started)", code="EmulatorNotDeterministic")
            emulator_control(info).latency("instant")  # as a fresh one starts
            report = run(params, Path(tmp) / "out", folder=folder, echo=echo)
        finally:
            if own_emulator:
                stop_emulator(params.home)
        report.out = str(folder)  # the executed copies go away with the temporary folder; see `keyless run`
        if report.failed:
            return report
        changed = 0
        for book in select(folder):
            recorded = with_outputs(nbformat.read(book, as_version=4),
                                    nbformat.read(Path(tmp) / "out" / book.name, as_version=4))
            if write(recorded, book, sanitizers(SANITIZERS)):
                changed += 1
                echo(f"recorded {book.name}")
        if not changed:
            echo(f"the notebooks in {folder} are up to date (only sanitized fields would change)")
    return report
