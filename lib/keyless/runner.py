"""`python -m keyless run | plan | check`: the notebooks in order with papermill, headless.

For each notebook: execute it with the parameters injected, keep the executed notebook and an
HTML rendering, collect the steps each one ran (a JSON-lines log the kernel appends to, echoed
to the log as each step finishes), and stop at the first failing notebook, naming it, its cell
and its step. On the emulator target the background emulator of the data folder is started or
reused (and, for `run`, reset to `before-you-begin`); it is left running for the next run
unless `stop_emulator` is asked for. `plan` and `check` run the same notebooks with
`dry_run=True`, so every step reports what it would change and sends nothing that changes.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from .params import ParameterError, Parameters
from .recording import SANITIZE_CONFIG
from .rendering import Renderer
from .report import NotebookRun, RunReport, step_lines, unexpected

KERNEL = "python3"
DEFAULT_SCENARIO = "before-you-begin"  # the emulator's starting state a run resets to (the article's)
CLEAN_UP = "99"  # the teardown notebook: `check` leaves it out (its plan is the teardown, not drift)
# Start from nothing (`run --from-scratch`): these run before and after the runbook, on an emulator reset to
# `empty`; they are not in the runbook's numbered order, so a plain `run` never creates or deletes them.
PREREQUISITES, TEARDOWN = "prerequisites", "teardown"
FROM_SCRATCH_SCENARIO = "empty"


class UnknownNotebook(ValueError):
    """An --only entry that names no notebook (a usage error: nothing is run)."""

    def __init__(self, entries: list[str], available: list[str]):
        self.entries = entries
        super().__init__(f"--only {', '.join(entries)}: no such notebook (choose from {', '.join(available)})")


def _ipc_kernel_manager(started: list[Any] | None = None) -> type:
    """Kernels talk to the runner over local sockets (IPC), not TCP ports on loopback: nothing else
    on a shared workshop machine can connect to them, and ipykernel has nothing to warn about.
    Each manager made is appended to `started`, so a notebook timeout can end its kernel. The manager
    hands out one client for the life of its kernel (`RunClient`): papermill asks for a client per
    notebook, and a new client's channels and readiness check cost about half a second each time."""
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class RunClient(AsyncKernelClient):
        """The kernel's one client. Its channels start once and stay open until the kernel is shut down
        (`close`), however often papermill starts or stops them; the kernel is waited for once. Replies and
        outputs of one notebook's requests are told apart by their parent message id, so nothing a notebook
        sent before can be mistaken for the next one's."""

        _ready = False

        def start_channels(self, *args: Any, **kwargs: Any) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self._ready:
                await self._async_wait_for_ready(timeout=timeout)
                self._ready = True

        def stop_channels(self) -> None:
            """Kept open for the next notebook; `close` stops them."""

        def close(self) -> None:
            super().stop_channels()

    class IpcKernelManager(AsyncKernelManager):
        transport = "ipc"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.client_factory = RunClient
            self.shared: RunClient | None = None
            if started is not None:
                started.append(self)

        def client(self, **kwargs: Any) -> Any:
            if self.shared is None:
                made = super().client(**kwargs)
                assert isinstance(made, RunClient)
                self.shared = made
            return self.shared

        def close_client(self) -> None:
            if self.shared is not None:
                self.shared.close()
                self.shared = None

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            """A kernel being shut down is looked at every 5 ms, not jupyter_client's 100 ms: a killed kernel is
            gone within a few, and the run's end waited out the rest (0.1 s a run)."""
            await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    return IpcKernelManager


# Run before every notebook but the first in the run's one kernel: an empty namespace and a new
# session (execution counts from 1 again), as in a kernel of its own; imported modules stay loaded. What
# survives the reset (modules, the run's one connection) is then moved out of the collector's sight
# (gc.freeze): the reset's own full collection walked all of it, 0.2-0.6 s per notebook with the SDKs loaded.
FRESH_SESSION = "get_ipython().reset(new_session=True); __import__('gc').freeze()"
# Sent to the run's kernel as soon as it is started, before the first notebook: what every notebook's first
# cell imports and the SDKs its steps import on first use (the Kubernetes client on a thread of its own, while
# the Azure notebooks run), so the kernel spends its start, while the runner still loads papermill, there.
# Silent (no output, no execution count) and binding no name, so the first executed notebook reads as if it
# ran alone.
PRELOAD = "__import__('keyless.notebook').notebook.preload(background=True, methods={methods!r})"
CALL = re.compile(r"\brb\.(\w+)\(")  # a runbook method called in a notebook's cell
# What nbclient passes to a kernel it starts itself (no history file written); the run's kernel gets the same.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


class RunKernel:
    """One kernel for a whole run. Starting a kernel, importing the SDKs and tearing it down again
    cost more than most notebooks' own work, so the notebooks of a run share one kernel (started by
    `start` before the first notebook, or else by papermill with it) and one client, each notebook in a
    fresh IPython session: its namespace is emptied and its execution count restarts, so every executed
    notebook reads as if it ran alone. Every notebook still runs alone (`--only`), in a kernel of its own."""

    def __init__(self, started: list[Any], sockets: Path):
        self.manager = _ipc_kernel_manager(started)(kernel_name=KERNEL)
        # IPC socket paths are relative to each process's working directory unless made absolute: the
        # kernel runs in the output folder, the runner's own clients from wherever it was started.
        self.manager.ip = str(sockets / "kernel")
        self.sockets = sockets
        self._used = False

    def start(self, env: dict[str, str], books: Iterable[Path]) -> None:
        """Start the kernel now, with environment `env`, and have it import what the notebooks `books` need
        (`PRELOAD`) without waiting for it: it boots while the runner prepares the target and loads papermill,
        and the first notebook finds it started and its imports done, or waits for the rest. It starts in its
        sockets' folder; `enter` moves it to the run's output folder once that may be written."""
        from jupyter_core.utils import run_sync

        run_sync(self.manager.start_kernel)(cwd=str(self.sockets), env=env, extra_arguments=list(KERNEL_ARGUMENTS))
        client = self.manager.client()
        client.start_channels()
        methods = sorted({m for book in books for m in CALL.findall(book.read_text())})  # (no nbformat: not yet)
        client.execute(PRELOAD.format(methods=methods), silent=True, store_history=False)

    def enter(self, folder: Path) -> None:
        """The kernel's working directory becomes `folder` (the run's output folder, where a notebook's relative
        paths point, as papermill's `cwd` would have it), before the first notebook's cells: sent now, run
        after the preload."""
        self.manager.client().execute(f"__import__('os').chdir({str(folder)!r})", silent=True, store_history=False)

    def next_notebook(self) -> Any:
        """The kernel manager to hand papermill for the next notebook, its session made fresh."""
        from jupyter_core.utils import run_sync

        if self._used and self.manager.has_kernel:
            run_sync(self._fresh_session)()
        self._used = True
        return self.manager

    async def _fresh_session(self) -> None:
        client = self.manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(FRESH_SESSION, silent=True, store_history=False)
        while True:
            reply = await client.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"the kernel could not start a fresh session: {reply['content'].get('evalue')}")

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        self.manager.close_client()
        if not self.manager.has_kernel:
            return
        try:
            run_sync(self.manager.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already gone (a notebook timeout ends it): nothing to stop
            pass
        finally:
            run_sync(self.manager.cleanup_resources)()


def notebooks_dir() -> Path:
    """The repository's notebooks folder (editable install), else ./notebooks."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def select(folder: Path, only: Iterable[str] = ()) -> list[Path]:
    """The notebooks to run, in order; an --only entry that matches none raises UnknownNotebook."""
    books = sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
    wanted = [o.strip() for o in only if o.strip()]
    unknown = [w for w in wanted if not any(b.name.startswith(w) for b in books)]
    if unknown:
        raise UnknownNotebook(unknown, [b.stem for b in books])
    if wanted:
        books = [b for b in books if any(b.name.startswith(w) for w in wanted)]
    return books


def from_scratch_books(folder: Path, only: Iterable[str] = (), runbook: bool = True) -> list[Path]:
    """prerequisites, the runbook's notebooks (`only` narrows them; none when not `runbook`), teardown."""
    return [folder / f"{PREREQUISITES}.ipynb", *(select(folder, only) if runbook else []),
            folder / f"{TEARDOWN}.ipynb"]


def costs_refused(params: Parameters) -> ParameterError | None:
    """`run --from-scratch` on Azure creates billed resources: refused, before anything is sent, unless
    `confirm_costs` is True (the prerequisites notebook checks the same again)."""
    if params.target == "azure" and not params.confirm_costs:
        return ParameterError("confirm_costs", params.confirm_costs,
                              "--from-scratch on Azure creates billed resources (an AKS cluster, an Azure OpenAI "
                              "account and deployment, a public IP): read the cost notice in README.md, then pass "
                              "-p confirm_costs True (the teardown notebook deletes them again)")
    return None


def steps_of(book: Path) -> list[str]:
    """The steps a notebook runs, in order, read from its cells (`rb.<method>(...)`)."""
    import nbformat

    from .notebook import STEP_METHODS

    nb = nbformat.read(book, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += [STEP_METHODS[m] for m in CALL.findall(cell.source) if m in STEP_METHODS]
    return found


def _steps(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


class StepEcho:
    """Follows the run's step log while a notebook runs and echoes each step as it finishes (a failing
    step with its failing checks, their fix and what to do), so a pipeline's log shows it live. The
    log is the run's (one kernel writes it for every notebook): the steps before `start` are earlier
    notebooks'; `steps()` are this notebook's."""

    def __init__(self, log: Path, echo: Callable[[str], Any], interval: float = 0.2, start: int = 0):
        self.log, self.echo, self.interval, self.start = log, echo, interval, start
        self._done = threading.Event()
        self._seen = start
        self._thread = threading.Thread(target=self._follow, name="keyless-step-echo", daemon=True)

    def __enter__(self) -> StepEcho:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        self._thread.join()
        self._flush()  # whatever the kernel wrote last

    def _follow(self) -> None:
        while not self._done.wait(self.interval):
            self._flush()

    def _flush(self) -> None:
        steps = _steps(self.log)
        for step in steps[self._seen:]:
            for line in step_lines(step):
                self.echo(line)
        self._seen = max(self._seen, len(steps))

    def steps(self) -> list[dict[str, Any]]:
        return _steps(self.log)[self.start:]


def failing_cell(executed: Path, source: Path) -> tuple[int | None, str | None]:
    """The failing cell as (index in the runbook's notebook, id), found by its error output in the
    executed notebook. Papermill's PapermillExecutionError.cell_index cannot be used: it counts the
    injected-parameters cell, and the executed file gains papermill's error banner cell on top."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
        ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    except (OSError, ValueError):
        return None, None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                  and not (o.get("ename") == "SystemExit" and o.get("evalue") in ("", "0"))]
        papermill = cell.get("metadata", {}).get("papermill", {})
        if errors or papermill.get("exception") is True or papermill.get("status") == "running":
            cell_id = cell.get("id")
            return (ids.index(cell_id) if cell_id in ids else None), cell_id
    return None, None


def prepare_target(params: Parameters, reset: bool = True, scenario: str = DEFAULT_SCENARIO, echo: Any = print,
                   attendee: str = "") -> Any:
    """Emulator: start or reuse it (saying so when it starts one) and reset the tenant the run acts as to the
    article's starting point (or `scenario`; an attendee's tenant: theirs alone, through the facilitator's
    runtime file in `params.home`). Azure: read the cloud's metadata, so a bad or unreachable endpoint is
    refused (ParameterError) before any notebook runs. A `location` is checked against the subscription's
    locations on both."""
    if params.target != "emulator":
        from .targets import check_cloud, connect_azure

        check_cloud(params)
        if params.location:  # checked against the subscription's list: needs a sign-in
            connect_azure(params)
        return None
    from .errors import KeylessError
    from .targets import connect, emulator_info, reset_emulator

    try:
        info = emulator_info(params.home, start=not attendee, echo=echo)
    except KeylessError as e:
        if attendee and e.code == "EmulatorNotRunning":  # an attendee's own machine, the server elsewhere
            raise KeylessError(f"no emulator runs for the data folder {params.home}, so the tenant of attendee "
                               f"{attendee} cannot be reset from here (that takes the facilitator's admin key)",
                               "on your own machine, with the workshop's server elsewhere, add --no-reset; the "
                               "facilitator resets a tenant (the dashboard's reset button, or `python -m "
                               f"keyless_emulator attendees reset {attendee}`)", code="EmulatorNotRunning") from None
        raise
    if params.location:
        connect(params, info)
    if reset:
        reset_emulator(info, scenario, attendee=attendee)
    return info


def clear_previous(out: Path) -> None:
    """A reused output folder holds only the latest run: the files an earlier run wrote there go."""
    stems = ("[0-9][0-9]-*", PREREQUISITES, TEARDOWN)
    for pattern in ("report.json", *(f"{stem}{ext}" for stem in stems for ext in (".ipynb", ".html", ".steps.jsonl"))):
        for old in out.glob(pattern):
            old.unlink()


class _NotebookTimer:
    """Ends the notebook's kernel when its time is up: nbclient then reports the kernel as dead and
    papermill stops, with the executed notebook saved up to the cell that was running."""

    def __init__(self, seconds: float | None, kernels: list[Any]):
        self.seconds, self.kernels, self.fired = seconds, kernels, False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _NotebookTimer:
        if self.seconds:
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _fire(self) -> None:
        import signal

        self.fired = True
        for km in self.kernels:
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def __exit__(self, *exc: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _apply(environment: MutableMapping[str, str], changes: dict[str, str]) -> MutableMapping[str, str]:
    """`environment` with `changes` made in place: a name given an empty value is removed."""
    for name, value in changes.items():
        if value:
            environment[name] = value
        else:
            environment.pop(name, None)
    return environment


def _with(environment: Mapping[str, str], changes: dict[str, str]) -> dict[str, str]:
    """A copy of `environment` with `changes` made (`_apply`)."""
    return dict(_apply(dict(environment), changes))


def _papermill_log(echo_output: bool) -> Callable[[], None]:
    """--log-output: papermill logs each cell's output on its `papermill` logger; show it on stdout."""
    if not echo_output:
        return lambda: None
    logger = logging.getLogger("papermill")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    return restore


def run(params: Parameters, out: Path, only: Iterable[str] = (), reset: bool = True,
        folder: Path | None = None, echo: Any = print, cell_timeout: int = 1800, *, mode: str = "run",
        timeout: float | None = None, log_output: bool = False, stop_emulator: bool = False,
        scenario: str = DEFAULT_SCENARIO, from_scratch: bool = False, runbook: bool = True,
        attendee: str = "") -> RunReport:
    """Run the notebooks; `mode` "plan" or "check" is a dry run (`dry_run=True`, the emulator is not
    reset: a plan is about the environment as it is). `timeout`: seconds per notebook. `scenario`: the
    emulator's starting state a run resets to. `from_scratch`: prerequisites, the runbook and teardown,
    on the emulator reset to `empty` (on Azure only with `confirm_costs`; refused with ParameterError
    otherwise, before anything is sent); without `runbook` only prerequisites and teardown (how their
    outputs are recorded). `attendee`: act as that workshop attendee (their profile, data folder and
    tenant; the reset touches their tenant alone)."""
    only = list(only)
    attendee = attendee if params.target == "emulator" else ""
    workshop = params  # the facilitator's data folder: its runtime file (admin key) resets the attendee's tenant
    if attendee:
        from .targets import for_attendee

        if from_scratch:
            raise ParameterError("attendee", attendee[:60], "an attendee's tenant starts from before-you-begin; "
                                 "--from-scratch resets the whole emulator to 'empty' (run it without --attendee)")
        params = for_attendee(params, attendee)  # refuses a bad name or a missing profile before anything runs
        workshop = params.replace(data_dir=str(params.home.parents[1]))
    if from_scratch:
        refused = costs_refused(params)
        if refused is not None:
            raise refused
        books = from_scratch_books(folder or notebooks_dir(), only, runbook)
    else:
        books = select(folder or notebooks_dir(), only)
    if mode == "check" and not [o for o in only if o.strip()]:
        books = [b for b in books if not b.name.startswith(CLEAN_UP)]
    if mode != "run":
        params, reset = params.replace(dry_run=True), False
    out = Path(out).resolve()  # the kernels run inside it, so every path handed to them is absolute
    injected = {**params.to_dict(), "data_dir": str(params.home)}
    report = RunReport(params.target, injected, str(out), mode=mode)
    restore_log = _papermill_log(log_output)
    with tempfile.TemporaryDirectory(prefix="keyless-run-") as scratch:
        kernels: list[Any] = []
        kernel = RunKernel(kernels, Path(scratch))
        log = Path(scratch) / "steps.jsonl"  # the run's step log: the kernel appends every notebook's steps
        html = Renderer()
        rendered: list[tuple[NotebookRun, str]] = []
        # what the kernel's notebooks read: headless, stop on failure, where to log steps, one sign-in for the
        # run; and they act as the run does (an attendee or not), whatever the calling shell had set
        kernel_env = {"KEYLESS_HEADLESS": "1", "KEYLESS_STOP_ON_FAILURE": "1", "KEYLESS_HOME": str(params.home),
                      "KEYLESS_STEP_LOG": str(log), "KEYLESS_REUSE_CONNECTION": "1", "KEYLESS_ATTENDEE": attendee}
        saved_env = {k: os.environ.get(k) for k in kernel_env}  # put back as they were when the run ends
        try:
            if books:  # started first: it boots and imports while the target is prepared (an emulator started,
                # reset) and papermill loads here; a refusal below shuts it down, with nothing written
                kernel.start(_with(os.environ, kernel_env), books)
            if not attendee or reset:  # refusals (cloud, location) come before anything is written
                prepare_target(workshop, reset, FROM_SCRATCH_SCENARIO if from_scratch else scenario, echo=echo,
                               attendee=attendee)
            _apply(os.environ, kernel_env)  # also for a kernel papermill starts if that one dies
            out.mkdir(parents=True, exist_ok=True)
            clear_previous(out)
            if books:
                kernel.enter(out)
                html.start()
            for book in books:
                entry = NotebookRun(book.stem)
                report.notebooks.append(entry)
                if report.failed:
                    entry.status = "skipped"
                    continue
                executed = _run_one(book, out, injected, entry, echo, cell_timeout, timeout, log_output, kernel, log,
                                    kernels)
                if executed is not None:  # rendered in its own process while the next notebook runs
                    html.submit(executed)
                    rendered.append((entry, str(executed)))
        finally:
            kernel.shutdown()
            restore_log()
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            try:
                pages = html.results()
            except Exception as e:  # noqa: BLE001 - a rendering problem must not hide the run's result
                pages = {path: e for _, path in rendered}
            for entry, path in rendered:
                page = pages.get(path)
                if isinstance(page, str):
                    entry.html = page
                else:
                    echo(f"  (HTML rendering of {entry.name}.ipynb failed: {page})")
            if stop_emulator and params.target == "emulator":
                from .targets import stop_emulator as stop

                stop(workshop.home)
    report.finish()
    report.write(out / "report.json")
    return report


def _run_one(book: Path, out: Path, injected: dict[str, Any], entry: NotebookRun, echo: Any, cell_timeout: int,
             timeout: float | None, log_output: bool, kernel: RunKernel, log: Path,
             kernels: list[Any]) -> Path | None:
    """Execute one notebook in the run's kernel; returns the executed notebook, if one was written."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .engine import register

    executed = out / book.name
    echo(f"running {book.name} ...")
    started = time.monotonic()
    per_cell = max(1, int(min(cell_timeout, timeout))) if timeout else cell_timeout
    with StepEcho(log, echo, start=len(_steps(log))) as steps, _NotebookTimer(timeout, kernels) as timer:
        try:
            papermill.execute_notebook(str(book), str(executed), parameters=injected, kernel_name=KERNEL,
                                       cwd=str(out), progress_bar=False, log_output=log_output,
                                       execution_timeout=per_cell, report_mode=False, km=kernel.next_notebook(),
                                       engine_name=register())
            entry.status = "passed"
        except PapermillExecutionError as e:
            entry.status = "failed"
            entry.error = f"{e.ename}: {e.evalue}".strip()
        except Exception as e:  # noqa: BLE001 - kernel death, timeouts: still a report
            entry.status = "failed"
            entry.error = f"{type(e).__name__}: {e}"
        if timer.fired:
            entry.status = "failed"
            entry.error = f"NotebookTimeout: {book.stem} did not finish within {timeout:g}s (--timeout)"
    entry.duration_s = round(time.monotonic() - started, 2)
    entry.steps = steps.steps()
    (out / f"{book.stem}.steps.jsonl").write_text("".join(json.dumps(step) + "\n" for step in entry.steps))
    if executed.exists():
        entry.output = str(executed)
        if entry.status == "failed":
            entry.failed_cell, entry.failed_cell_id = failing_cell(executed, book)
    if entry.status == "failed":
        entry.failed_step = next((s["step"] for s in reversed(entry.steps) if unexpected(s)), None)
        echo(f"  FAILED at {entry.where or 'notebook level'}: {entry.error}")
    echo(f"  {entry.status} in {entry.duration_s:.1f}s")
    return executed if executed.exists() else None


# nbval's sanitizers: a notebook whose new recording differs only there is left as committed
SANITIZERS = SANITIZE_CONFIG


def record(params: Parameters, folder: Path | None = None, echo: Any = print) -> RunReport:
    """Run every notebook headless on a fresh deterministic emulator and write the outputs back into
    the notebooks themselves (sources untouched, see keyless.recording), so the committed notebooks
    show the expected result of every step and nbval can replay them. Without `data_dir` a new
    emulator in a temporary data folder is started and stopped; with it, that folder's emulator is
    used (it must run in deterministic mode) after a reset, with the instant latency profile a fresh
    emulator starts with. Then prerequisites and teardown are recorded the same way from the `empty`
    scenario (they run before and after the runbook, never on its starting point). Nothing is written if
    a notebook fails."""
    from .errors import KeylessError
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
            if not report.failed and (folder / f"{PREREQUISITES}.ipynb").exists():
                pair = run(params, Path(tmp) / "out-scratch", folder=folder, echo=echo, from_scratch=True,
                           runbook=False)
                report.notebooks += pair.notebooks
        finally:
            if own_emulator:
                stop_emulator(params.home)
        report.out = str(folder)  # the executed copies go away with the temporary folder; see `keyless run`
        if report.failed:
            return report
        books = [(book, Path(tmp) / "out") for book in select(folder)]
        if (folder / f"{PREREQUISITES}.ipynb").exists():
            books += [(book, Path(tmp) / "out-scratch") for book in from_scratch_books(folder, runbook=False)]
        write_recordings(books, echo)
    return report


def write_recordings(books: Iterable[tuple[Path, Path]], echo: Any = print) -> int:
    """Write the outputs of a passed run's executed notebooks into the notebooks themselves, sources
    untouched: each pair is (notebook, the folder holding its executed copy of the same name). A notebook
    whose only change is a sanitized field is left alone. Returns how many notebooks changed. `record`
    ends here; a test reuses it on a run it already has."""
    import nbformat

    from .recording import sanitizers, with_outputs, write

    changed, folders = 0, set()
    for book, executed in books:
        folders.add(str(book.parent))
        recorded = with_outputs(nbformat.read(book, as_version=4), nbformat.read(executed / book.name, as_version=4))
        if write(recorded, book, sanitizers(SANITIZERS)):
            changed += 1
            echo(f"recorded {book.name}")
    if not changed:
        echo(f"the notebooks in {', '.join(sorted(folders))} are up to date (only sanitized fields would change)")
    return changed
