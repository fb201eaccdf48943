"""What a step hands back: a small result with a stable plain-text form and an HTML form.

`__repr__` is deterministic (no timings, no random ids beyond what the target returns) so
nbval can compare it and logs stay readable; `_repr_html_` is the learner's view, with the
equivalent `az`/`kubectl` command beside the result.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

# status words, in the order a reader cares about
CREATED, UPDATED, UNCHANGED, DELETED, ABSENT, OK, FAILED, SKIPPED, PLANNED = (
    "created", "updated", "unchanged", "deleted", "absent", "ok", "failed", "skipped", "planned")
_GOOD = {CREATED, UPDATED, UNCHANGED, DELETED, ABSENT, OK, PLANNED, SKIPPED}


_URL = re.compile(r"https?://[^\s()<>]+")
# Values a learner must copy (ids, URLs) wrap instead of being clipped by a narrow output area.
_CELL = "word-break:break-all;white-space:pre-wrap"


def as_text(value: Any) -> str:
    """A value as text: None is '(none)', never the word None."""
    return "(none)" if value is None else str(value)


def linked(text: str) -> str:
    """HTML-escaped text whose http(s) URLs are links (the store-admin address a learner opens)."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out += [html.escape(text[last:m.start()]),
                f"<a href='{html.escape(m.group(0))}' target='_blank' rel='noopener'>{html.escape(m.group(0))}</a>"]
        last = m.end()
    return "".join(out) + html.escape(text[last:])


@dataclass
class Check:
    """One verification: what was checked, whether it held, and what was seen."""

    name: str
    ok: bool
    detail: str = ""
    hint: str = ""
    # False for a check that is no failure but could not be proven (e.g. "keyless" on Azure while the
    # account still accepts keys): shown as NOT PROVEN, never as passed, with its hint.
    proven: bool = True

    @property
    def passed(self) -> bool:
        return self.ok and self.proven

    def line(self) -> str:
        mark = "PASS" if self.passed else "NOT PROVEN" if self.ok else "FAIL"
        text = f"[{mark}] {self.name}"
        if self.detail:
            text += f": {self.detail}"
        if not self.passed and self.hint:
            text += f"\n       fix: {self.hint}"
        return text


@dataclass
class StepResult:
    step: str                                   # e.g. "enable-workload-identity"
    status: str                                 # one of the status words above
    summary: str                                # one sentence for people
    values: dict[str, Any] = field(default_factory=dict)   # what later steps need (ids, urls)
    command: str = ""                           # the az/kubectl equivalent
    checks: list[Check] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)        # resources created/changed/removed
    hint: str = ""                              # what to do next when not ok
    changes: list[str] = field(default_factory=list)        # dry run: what the step would change

    @property
    def ok(self) -> bool:
        return self.status in _GOOD and all(c.ok for c in self.checks)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def to_json(self) -> dict[str, Any]:
        """The step log's entry (report.json, JUnit): a step whose checks fail counts as failed, and a
        failure carries its fix, so a pipeline's log says what to do without opening the notebook."""
        return {"step": self.step, "status": self.status if self.ok or self.status == FAILED else FAILED,
                "summary": self.summary, "touched": list(self.touched), "changes": list(self.changes),
                "hint": "" if self.ok else self.hint,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail, "hint": "" if c.passed else c.hint,
                            **({} if c.proven else {"proven": False})} for c in self.checks]}

    def __repr__(self) -> str:
        lines = [f"{self.step}: {self.status} - {self.summary}"]
        for key, value in self.values.items():
            lines.append(f"  {key}: {as_text(value)}")
        lines += ["  " + c.line() for c in self.checks]
        shown = {str(v) for v in self.values.values()}  # clean-up's plan lists its changes as numbered values
        lines += [f"  would: {change}" for change in self.changes if change not in shown]
        if self.hint and not self.ok:
            lines.append(f"  next: {self.hint}")
        if self.command:
            lines.append("  equivalent:")
            lines += ["    " + line for line in self.command.splitlines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        rows = "".join(f"<tr><th style='text-align:left;padding-right:1em;vertical-align:top'>{html.escape(str(k))}"
                       f"</th><td style='text-align:left;{_CELL}'><code style='{_CELL}'>{linked(as_text(v))}</code>"
                       "</td></tr>" for k, v in self.values.items())
        checks = "".join(f"<li>{'&#9989;' if c.passed else '&#9888;&#65039;' if c.ok else '&#10060;'} "
                         f"{html.escape(c.name)}{': ' + html.escape(c.detail) if c.detail else ''}"
                         f"{'<br><em>fix: ' + html.escape(c.hint) + '</em>' if (not c.passed and c.hint) else ''}"
                         "</li>"
                         for c in self.checks)
        shown = {str(v) for v in self.values.values()}
        checks += "".join(f"<li>would: {html.escape(change)}</li>" for change in self.changes if change not in shown)
        hint = (f"<p><strong>Next:</strong> {html.escape(self.hint)}</p>" if self.hint and not self.ok else "")
        command = (f"<details open><summary>Equivalent command</summary><pre style='font-family:monospace;"
                   f"white-space:pre-wrap;word-break:break-all'>{html.escape(self.command)}</pre>"
                   "</details>" if self.command else "")
        return (f"<div style='border-left:4px solid {colour};padding:0.3em 0.8em'>"
                f"<p><strong>{html.escape(self.step)}</strong>: <span style='color:{colour}'>"
                f"{html.escape(self.status)}</span> &mdash; {html.escape(self.summary)}</p>"
                f"{'<table>' + rows + '</table>' if rows else ''}"
                f"{'<ul>' + checks + '</ul>' if checks else ''}{hint}{command}</div>")
