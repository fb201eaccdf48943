"""keyless.results: a step's result as stable plain text (nbval, logs) and HTML (learners)."""
from __future__ import annotations

from keyless.results import Check, StepResult


def test_result_repr_is_plain_stable_text_with_the_equivalent_command():
    r = StepResult("create-managed-identity", "created", "created the identity myIdentity",
                   values={"client_id": "c1"}, command="az identity create -g rg -n myIdentity")
    assert repr(r) == ("create-managed-identity: created - created the identity myIdentity\n"
                       "  client_id: c1\n  equivalent:\n    az identity create -g rg -n myIdentity")
    assert repr(r) == repr(StepResult(**{**r.__dict__}))
    html = r._repr_html_()
    assert ">az identity create -g rg -n myIdentity</pre>" in html and "created" in html
    assert "<pre style='font-family:monospace" in html


def test_a_failing_check_makes_the_result_not_ok_and_shows_the_fix():
    r = StepResult("verify", "ok", "x", checks=[Check("pod ready", False, "Pending", "kubectl describe pod")])
    assert not r.ok
    assert "[FAIL] pod ready: Pending\n       fix: kubectl describe pod" in repr(r)
    assert r.to_json()["status"] == "failed"
