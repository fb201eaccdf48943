"""The learner's form: ipywidgets prefilled from the parameters, live suggestions from the
subscription, typed values always accepted (Combobox), nothing waits for a click.

The next cell reads the form's current values (`rb.apply(form)`); headless (papermill, nbval)
the same cells print a plain summary instead and the parameters cell stays the only source.
Checked text never goes through an Output widget or clear_output.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from .params import Parameters

FIELDS = (
    ("resource_group", "Resource group"),
    ("cluster", "AKS cluster"),
    ("openai_account", "Azure OpenAI account"),
    ("openai_deployment", "Model deployment"),
    ("identity", "Managed identity"),
    ("federated_credential", "Federated credential"),
    ("namespace", "Namespace"),
    ("service_account", "Service account"),
)


def summary(params: Parameters) -> str:
    """The deterministic plain-text view of the parameters that will be used."""
    width = max(len(n) for n, _ in FIELDS) + 1
    lines = [f"target: {params.target}"]
    for name, _label in FIELDS:
        value = getattr(params, name)
        lines.append(f"{name + ':':<{width}} {value if value else '(discover)'}")
    lines.append(f"{'subject:':<{width}} {params.subject}")
    return "\n".join(lines)


def display_with_text(widget: Any, text: str) -> Any:
    """Display `widget` with `text` as its plain-text fallback, and return the display handle. A front end
    without widget support (VS Code without its Jupyter extension's widget renderer, a notebook reopened after
    its widget models are gone) shows the fallback, and ipywidgets' own is the widget's traits
    (`VBox(children=(Combobox(value=…`, `HTML(value='<div…`), which tells a learner nothing."""
    from IPython.display import display

    bundle = dict(widget._repr_mimebundle_())
    bundle["text/plain"] = text
    return display(bundle, raw=True, display_id=True)


class ParameterForm:
    """A Combobox per parameter; `suggest` fills the options from the live subscription."""

    def __init__(self, params: Parameters, suggest: Callable[[str, dict[str, str]], list[str]] | None = None):
        import ipywidgets as w

        self.params = params
        self._suggest = suggest
        self.fields: dict[str, Any] = {}
        for name, label in FIELDS:
            self.fields[name] = w.Combobox(value=str(getattr(params, name)), options=[], description=label,
                                           ensure_option=False, placeholder="(discover)",
                                           style={"description_width": "12em"},
                                           layout=w.Layout(width="38em"))
        self.error = w.HTML(value="")
        self.widget = w.VBox([*self.fields.values(), self.error])
        self.fields["resource_group"].observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def show(self) -> None:
        self.handle = display_with_text(self.widget, summary(self.params) + "\n(this front end shows no form: "
                                        "set the values in the parameters cell at the top and run the notebook again)")

    def freeze(self, params: Parameters) -> None:
        """Once applied, the form's output becomes the values as plain HTML (what a reopened notebook shows
        where the widget's model is gone); running the form's cell again brings the form back."""
        handle = getattr(self, "handle", None)
        if handle is not None:
            handle.update({"text/html": self.applied_html(params),
                           "text/plain": "Values applied (run the form's cell again to change them):\n"
                                         + summary(params)}, raw=True)

    def applied_html(self, params: Parameters) -> str:
        rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(label)}</th>"
                       f"<td style='text-align:left'><code>{html.escape(str(getattr(params, name)) or '(discover)')}"
                       "</code></td></tr>" for name, label in FIELDS)
        return f"<p>Values applied (run the form's cell again to change them):</p><table>{rows}</table>"

    def values(self) -> dict[str, str]:
        return {name: f.value.strip() for name, f in self.fields.items()}

    def refresh(self) -> None:
        """Re-read suggestions (a failure leaves the typed values usable)."""
        if self._suggest is None:
            return
        current = self.values()
        for name, f in self.fields.items():
            try:
                f.options = tuple(self._suggest(name, current))
            except Exception:  # noqa: BLE001 - suggestions are optional; typing always works
                f.options = ()

    def parameters(self) -> Parameters:
        """The form's values as validated Parameters (raises ParameterError naming the field)."""
        from .params import ParameterError

        try:
            params = self.params.replace(**self.values())
        except ParameterError as e:
            self.error.value = f"<span style='color:#cf222e'>{html.escape(str(e))}</span>"
            raise
        self.error.value = ""
        return params


def live_suggestions(clients: Any) -> Callable[[str, dict[str, str]], list[str]]:
    """Options for each field from the subscription (read-only calls)."""

    def suggest(name: str, values: dict[str, str]) -> list[str]:
        group = values.get("resource_group", "")
        if name == "resource_group":
            return sorted(g.name for g in clients.resources.resource_groups.list())
        if not group:
            return []
        if name == "cluster":
            return sorted(c.name for c in clients.aks.managed_clusters.list_by_resource_group(group))
        if name == "openai_account":
            return sorted(a.name for a in clients.cognitive.accounts.list_by_resource_group(group)
                          if a.kind in ("OpenAI", "AIServices"))
        if name == "openai_deployment" and values.get("openai_account"):
            return sorted(d.name for d in clients.cognitive.deployments.list(group, values["openai_account"]))
        if name == "identity":
            return sorted(i.name for i in clients.msi.user_assigned_identities.list_by_resource_group(group))
        return []

    return suggest


class ProgressLine:
    """Progress of a long operation, as learners need it: what is being done and why it takes long (the
    milestones, which stay), the operation's latest state, and the elapsed time. Shown when the step
    starts, so it is the first thing in the step's output (above anything the step prints and above its
    result), and the clock ticks on its own (`tick` seconds) while a long wait sends no news. An HTML
    widget updated in place, never an Output widget; `done()` stops the clock and replaces it by the same
    text as plain HTML, so the saved notebook shows it even where the widget's model is gone (reopened,
    another front end)."""

    def __init__(self, title: str = "", tick: float = 1.0) -> None:
        import threading
        import time

        import ipywidgets as w

        self.started = time.monotonic()
        self.title = title
        self.milestones: list[str] = []
        self.latest = ""
        self.outcome = ""
        self._stop = threading.Event()
        self.widget = w.HTML(value=self.html())
        self.handle = display_with_text(self.widget, f"{title or 'working'}: in progress (the live progress line needs "
                                        "widget support; its final text replaces this when the step ends)")
        if tick > 0:
            threading.Thread(target=self._tick, args=(tick,), name="keyless-progress", daemon=True).start()

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            self.widget.value = self.html()

    def html(self, final: bool = False) -> str:
        import time

        elapsed = time.monotonic() - self.started
        title = f"<div><b>{html.escape(self.title)}</b></div>" if self.title else ""
        lines = "".join(f"<div><code>{html.escape(m)}</code></div>" for m in self.milestones)
        state = f"<div style='color:#57606a'><code>{html.escape(self.latest)}</code></div>" if self.latest else ""
        if final:
            clock = f"{html.escape(self.outcome)}, took {elapsed:.0f}s" if self.outcome else f"took {elapsed:.0f}s"
        else:
            clock = f"working… elapsed {elapsed:.0f}s"
        return f"<div class='keyless-progress'>{title}{lines}{state}<div style='color:#57606a'>{clock}</div></div>"

    def __call__(self, message: str, detail: bool = False) -> None:
        if detail:
            self.latest = message.strip()
        else:
            self.milestones.append(message)
        self.widget.value = self.html()

    def done(self, outcome: str = "") -> None:
        """Stop the clock; the output becomes plain HTML ending with `outcome` (the step's status) and the time."""
        self._stop.set()
        self.outcome = outcome
        if self.handle is not None:
            self.handle.update({"text/html": self.html(final=True), "text/plain": self.text()}, raw=True)

    def text(self) -> str:
        """The final line as plain text (the fallback of a front end that shows no HTML)."""
        import time

        elapsed = time.monotonic() - self.started
        clock = f"{self.outcome}, took {elapsed:.0f}s" if self.outcome else f"took {elapsed:.0f}s"
        return "\n".join([*([self.title] if self.title else []), *self.milestones,
                          *([self.latest] if self.latest else []), clock])
