"""The HTML rendering of a run's executed notebooks, in a process of its own beside the runner.

nbconvert's HTML export is CPU work (templates, Markdown, syntax highlighting) of a few tenths of a second
per notebook, plus about a second to import. On a worker thread of the runner it held the runner's GIL while
the runner relayed the kernel's messages, which slowed every notebook's cells; in its own process it runs
on another core, or in the gaps. `Renderer` starts `python -m keyless.rendering`, hands it each executed
notebook as it is written (one path a line on stdin) and collects, at the end, what it rendered or why it
could not (one JSON line each on stdout)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import IO, Any


def html(executed: Path, exporter: Any = None) -> Path:
    """Write `<stem>.html` beside an executed notebook (with `exporter`, an nbconvert HTMLExporter to reuse)."""
    import nbformat

    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter()
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target = executed.with_suffix(".html")
    target.write_text(body)
    return target


def serve(paths: IO[str], answers: IO[str]) -> None:
    """Render each notebook named on `paths` and answer, per notebook, {"notebook", "html"} or {"notebook",
    "error"}: a rendering problem is reported, never the end of the others. One exporter serves them all,
    its templates compiled once, ahead of the first notebook (a third of a second per notebook, then a
    tenth)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))
    for line in paths:
        executed = line.rstrip("\n")
        if not executed:
            continue
        answer: dict[str, Any] = {"notebook": executed}
        try:
            answer["html"] = str(html(Path(executed), exporter))
        except Exception as e:  # noqa: BLE001 - reported to the runner, which says so and goes on
            answer["error"] = f"{type(e).__name__}: {e}"
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


class Renderer:
    """The rendering process of one run: `submit` each executed notebook, then `results` once (it closes
    the process's input and waits for its answers)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._sent: list[str] = []

    def start(self) -> None:
        """Start the process now (else at the first `submit`): its imports and its exporter's templates, about
        3 s of CPU, then overlap the first notebooks instead of lengthening the run's end."""
        if self._proc is None:
            self._proc = subprocess.Popen([sys.executable, "-m", "keyless.rendering"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True)

    def submit(self, executed: Path) -> None:
        self.start()
        assert self._proc is not None and self._proc.stdin is not None
        self._sent.append(str(executed))
        self._proc.stdin.write(f"{executed}\n")
        self._proc.stdin.flush()

    def results(self) -> dict[str, str | Exception]:
        """Per notebook submitted: the HTML file's path, or the error that kept it from being rendered."""
        if self._proc is None:
            return {}
        if not self._sent:  # started, then handed nothing (the first notebook wrote none): nothing to wait for
            self._proc.kill()
            self._proc.communicate()
            return {}
        out, _ = self._proc.communicate()
        found: dict[str, str | Exception] = {}
        for line in out.splitlines():
            answer = json.loads(line)
            found[answer["notebook"]] = answer["html"] if "html" in answer else RuntimeError(answer["error"])
        for sent in self._sent:
            found.setdefault(sent, RuntimeError(f"the rendering process ended ({self._proc.returncode}) first"))
        return found


if __name__ == "__main__":
    import os
    import signal

    # Ctrl-C reaches the runner's whole process group: the runner decides; this renders what it was sent and
    # ends when the runner closes its input (or exits)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # background work: its imports and templates (most of a second of CPU) start beside the kernel's boot and
    # the runner's own imports, which the run waits for; at a lower priority they take only a free core
    os.nice(10)
    # as `python -m keyless` does: jsonschema's iri checker (rfc3987_syntax, ~1.5 s of CPU) is not needed here
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    serve(sys.stdin, sys.stdout)
    # every answer is written and flushed, every file closed: the interpreter's own teardown (a tenth of a
    # second with nbconvert loaded, at the run's end, where the runner waits for this process) is skipped
    sys.stdout.flush()
    os._exit(0)
