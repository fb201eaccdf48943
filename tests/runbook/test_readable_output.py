"""Readable output: values wrap instead of being clipped, URLs are links, never the word None, kubectl
equivalents say which kubeconfig, long operations show their hint, state and elapsed time, and widget
outputs end as plain HTML a reopened notebook can show without the widget's model."""
from __future__ import annotations

import re

from kit import wait_for

import keyless
from keyless.results import StepResult
from keyless.steps.verify import pod_checks
from keyless.widgets import ParameterForm, ProgressLine


def test_values_wrap_urls_are_links_and_none_is_never_shown():
    r = StepResult("verify", "ok", "fine", values={"store_admin_url": "http://127.0.0.5 (on this machine: "
                                                   "http://127.0.0.5:30080)", "principal_id": None})
    page = r._repr_html_()
    assert "<a href='http://127.0.0.5' target='_blank' rel='noopener'>http://127.0.0.5</a>" in page
    assert "<a href='http://127.0.0.5:30080'" in page
    assert "word-break:break-all" in page and "None" not in page and "None" not in repr(r)
    assert "principal_id: (none)" in repr(r)


def test_an_unlabelled_pod_says_so_without_none():
    pod = {"metadata": {"name": "ai-service-1", "labels": {}}, "spec": {"containers": [{"env": []}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    label = next(c for c in pod_checks(pod, keyless.Parameters(), "cid") if c.name.startswith("pod labelled"))
    assert (label.ok, label.detail) == (False, "not labelled") and "run 04 first" in label.hint


def test_kubectl_equivalents_start_with_the_kubeconfig_to_use(rb):
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential"):
        assert getattr(rb, step)().ok
    sa = rb.create_service_account()
    first = sa.command.splitlines()[0]
    path = rb.params.home / "kubeconfig-myAKSCluster"
    assert first == f"export KUBECONFIG={path}" and path.exists()
    assert "<pre style='font-family:monospace" in sa._repr_html_()
    assert "KUBECONFIG" not in rb.results[1].command                # az only: nothing to add


def test_progress_keeps_the_hint_and_shows_state_and_elapsed_time():
    line = ProgressLine()
    line("updating myAKSCluster: enabling the OIDC issuer and workload identity (this can take minutes on Azure)")
    line("  still updating myAKSCluster (InProgress, 5s)", detail=True)
    line("  still updating myAKSCluster (InProgress, 10s)", detail=True)
    shown = line.widget.value
    assert "this can take minutes on Azure" in shown and "InProgress, 10s" in shown and "InProgress, 5s" not in shown
    assert "elapsed " in shown
    assert "took " in line.html(final=True) and "this can take minutes" in line.html(final=True)
    line.done()                                                      # the output becomes plain HTML


def test_an_applied_form_becomes_plain_html_of_the_values():
    form = ParameterForm(keyless.Parameters())
    form.show()
    form.freeze(keyless.Parameters(identity="learnerIdentity"))     # without a front end: nothing to replace
    page = form.applied_html(keyless.Parameters(identity="learnerIdentity"))
    assert page.startswith("<p>Values applied (run the form's cell again to change them):</p>")
    assert "<th style='text-align:left;padding-right:1em'>Managed identity</th><td style='text-align:left'><code>" \
           "learnerIdentity</code>" in page and "<code>(discover)</code>" in page


def test_progress_is_shown_when_the_step_starts_and_its_clock_ticks_without_news():
    """A front end's step shows its progress line before the step sends anything (the first output of
    the cell, above the result); the elapsed time moves on while a long wait reports nothing."""
    from keyless.notebook import Runbook
    from keyless.results import StepResult

    rb = Runbook(keyless.Parameters(), clients=None, state=None, interactive=True)  # type: ignore[arg-type]
    seen = {}

    def step(clients, params, state, progress):
        line = rb._progress_line
        seen["at start"] = line.widget.value
        progress("updating myAKSCluster (this can take minutes on Azure)")
        line.started -= 100                                  # as if 100 s passed with no news
        seen["ticked"] = wait_for(lambda: re.search(r"elapsed 1\d\ds", line.widget.value) and line.widget.value,
                                  10, "the clock to tick on its own")
        seen["line"] = line
        return StepResult("enable-workload-identity", "updated", "enabled")

    rb._with_kubeconfig = lambda result: None                     # no state file here
    result = rb._run("enable-workload-identity", step, progress=rb.progress)
    assert result.status == "updated"
    assert seen["at start"].startswith("<div class='keyless-progress'><div><b>enable-workload-identity</b></div>")
    assert "working… elapsed 0s" in seen["at start"]
    assert "this can take minutes on Azure" in seen["ticked"]
    final = seen["line"].html(final=True)
    assert re.search(r"updated, took 1\d\ds", final) and "this can take minutes on Azure" in final
    assert seen["line"]._stop.is_set()
