"""`python -m keyless handout`: the runbook as one offline HTML bundle an attendee keeps.

    <out>/index.html        every section, by its real title, with its opening paragraph
    <out>/NN-....html       one page per notebook: the article's prose, each step's call and its result
    <out>/style.css         the one style sheet every page links to (relative)

Read from the committed notebooks (the recorded results of a deterministic run) or from a run's output
folder (`--notebooks out/<timestamp>`). nbconvert's own templates are not used: they load require.js and
MathJax from a public CDN, so a page opened without network stays blank. Here nothing is requested from
any host: no script at all, one local style sheet. The parameters cell (and papermill's injected copy of
it) is left out, every filesystem path of the machine that made the notebooks is replaced by a
placeholder, and commands stay in monospace (`<pre>`/`<code>`).
"""
from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARAMETER_TAGS = {"parameters", "injected-parameters"}
STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.5;color:#1f2328}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f6f8fa;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}
.call{border-left:3px solid #8c959f;margin:1em 0 .3em}.call pre{margin:0}
.result{margin:0 0 1.2em 1em}.result table{border-collapse:collapse}
nav{margin:1em 0 2em}nav a{margin-right:1em}
a.anchor-link{display:none}"""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SCRIPT = re.compile(r"<\s*(script|iframe|link|img|object|embed)\b", re.IGNORECASE)
# Roots of a machine's filesystem a notebook's output could name; a handout holds none of them.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/-])/(?:tmp|home|root|work|Users|var|opt|usr|mnt|private)/[\w.@%+~-]")


@dataclass
class Page:
    file: str
    title: str
    summary: str


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def title_of(nb: Any, fallback: str) -> str:
    """The notebook's real title: the first Markdown heading of its first Markdown cell."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in _text(cell.source).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
            break
    return fallback


def _summary(nb: Any) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            paragraphs = [p for p in _text(cell.source).split("\n\n") if p.strip() and not p.startswith("#")]
            return paragraphs[0].strip() if paragraphs else ""
    return ""


class Scrubber:
    """Replaces the paths of the machine that made the notebooks (its folders, the data folder) by words."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()):
        roots = [*extra, (str(Path.cwd()), "."), (str(Path(tempfile.gettempdir())), "[temporary folder]"),
                 (os.path.expanduser("~"), "~")]
        self.roots = sorted(((r, w) for r, w in roots if r and r != "/"), key=lambda rw: -len(rw[0]))

    def __call__(self, text: str) -> str:
        for root, word in self.roots:
            text = text.replace(root, word)
        return ABSOLUTE_PATH.sub(lambda m: "[path]/" + m.group(0)[-1], text)


def _markdown(source: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return str(markdown2html_mistune(source))


def _output(output: Any, scrub: Scrubber) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(scrub(_ANSI.sub('', _text(output.get('text')))))}</pre>"
    if kind == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return f"<pre>{html.escape(scrub(_ANSI.sub('', text)))}</pre>"
    data = output.get("data", {})
    rich = _text(data.get("text/html"))
    if rich and not _SCRIPT.search(rich):  # a step's result as learners see it (inline styles, no script)
        return scrub(rich)
    if "text/plain" in data:
        return f"<pre>{html.escape(scrub(_text(data['text/plain'])))}</pre>"
    return ""


def _page(title: str, body: str, nav: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="style.css"></head><body>\n{nav}\n{body}\n{nav}\n</body></html>\n')


def render_notebook(nb: Any, scrub: Scrubber) -> str:
    """The body of one notebook's page: prose as HTML, each call in monospace, then its result."""
    parts = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & PARAMETER_TAGS:
            continue
        if cell.cell_type == "markdown":
            parts.append(scrub(_markdown(_text(cell.source))))
        elif cell.cell_type == "code":
            source = _text(cell.source).strip()
            if source:
                parts.append(f'<div class="call"><pre><code>{html.escape(scrub(source))}</code></pre></div>')
            outputs = [_output(o, scrub) for o in cell.get("outputs", [])]
            if any(outputs):
                parts.append('<div class="result">' + "\n".join(o for o in outputs if o) + "</div>")
    return "\n".join(parts)


def write_handout(out: Path, notebooks: Path, scrub: Scrubber | None = None) -> list[Path]:
    """Write the bundle into `out` (made if needed); returns the files written."""
    import nbformat

    scrub = scrub or Scrubber([(str(notebooks.resolve()), "notebooks"), (str(out.resolve()), ".")])
    books = sorted(notebooks.glob("[0-9][0-9]-*.ipynb"))
    if not books:
        raise FileNotFoundError(f"no notebooks (NN-*.ipynb) in {notebooks}")
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "style.css"]
    (out / "style.css").write_text(STYLE + "\n")
    pages = []
    for i, book in enumerate(books):
        nb = nbformat.read(book, as_version=4)
        page = Page(book.stem + ".html", title_of(nb, book.stem), _summary(nb))
        pages.append(page)
        prev = f'<a href="{books[i - 1].stem}.html">&larr; previous</a>' if i else ""
        nxt = f'<a href="{books[i + 1].stem}.html">next &rarr;</a>' if i + 1 < len(books) else ""
        nav = f'<nav><a href="index.html">contents</a>{prev}{nxt}</nav>'
        (out / page.file).write_text(_page(page.title, render_notebook(nb, scrub), nav))
        written.append(out / page.file)
    items = "\n".join(f'<li><a href="{p.file}">{html.escape(p.title)}</a><br>{scrub(_markdown(p.summary))}</li>'
                      for p in pages)
    body = ("<h1>Secure access to Azure OpenAI from AKS with Microsoft Entra Workload ID</h1>\n"
            "<p>The runbook's sections, with the result of every step as recorded on the offline emulator.</p>\n"
            f"<ol>\n{items}\n</ol>")
    (out / "index.html").write_text(_page("keyless handout", body, ""))
    written.append(out / "index.html")
    return written
