"""Guards before changes, and a verification that tells the truth: a notebook run out of order stops
with "run 0N first" before any mutating request, and "keyless" passes only when proven — from Azure
OpenAI's record of the call on the emulator, from the account's disableLocalAuth where no record is
readable (the Azure path), otherwise "not proven"."""
from __future__ import annotations

import pytest

import keyless
from keyless.steps.verify import CALL, KEYLESS, keyless_from_record

UP_TO_03 = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
            "create_federated_credential")


def run(rb: keyless.Runbook, *steps: str) -> None:
    for step in steps:
        assert getattr(rb, step)().ok, repr(rb.results[-1])


def check(result, name):
    return next(c for c in result.checks if c.name == name)


def test_05_before_04_changes_nothing_shows_no_keyless_pass_and_names_04(rb, admin):
    run(rb, *UP_TO_03)
    admin.clear_requests()
    # notebook 05's cells, in order
    first = rb.verify()
    exercise = rb.remove_pod_label()
    expected = rb.verify(timeout=5, expect_failure=True)
    mend = rb.redeploy_app()
    last = rb.verify()
    assert admin.mutating() == []                                    # nothing changed, nothing sent to ai-service
    for verified in (first, expected, last):
        assert verified.status == "failed"
        assert not check(verified, KEYLESS).passed and check(verified, KEYLESS).detail.startswith("not proven")
        assert "[PASS] keyless" not in repr(verified) and "&#9989; keyless" not in verified._repr_html_()
        assert verified.hint.startswith("first failing link: ServiceAccount ai-service-account annotated")
        assert "run 04 first" in verified.hint and "notebook 03" not in verified.hint
    assert check(first, CALL).detail == "not asked: the request is sent only once every link above holds"
    for refused in (exercise, mend):
        assert (refused.status, refused.get("error")) == ("failed", "PrerequisiteMissing")
        assert "nothing was changed" in refused.summary
        assert refused.hint == ("run 04 first (notebook 04-use-workload-identity-on-aks), then run this cell again")


def test_04_before_03_is_refused_naming_03(rb, admin):
    run(rb, "discover", "enable_workload_identity", "create_managed_identity")
    admin.clear_requests()
    sa, redeploy = rb.create_service_account(), rb.redeploy_app()
    assert admin.mutating() == []
    for refused in (sa, redeploy):
        assert refused.get("error") == "PrerequisiteMissing"
        assert refused.hint.startswith("run 03 first (notebook 03-create-federated-credential)")
    assert "Cognitive Services OpenAI User for myIdentity at the account's scope" in sa.summary


def test_03_before_02_is_refused_naming_02(rb, admin):
    run(rb, "discover", "enable_workload_identity")
    admin.clear_requests()
    role, fic = rb.assign_openai_role(), rb.create_federated_credential()
    assert admin.mutating() == []
    for refused in (role, fic):
        assert refused.get("error") == "PrerequisiteMissing" and refused.hint.startswith("run 02 first")
        assert "managed identity myIdentity exists" in refused.summary


@pytest.mark.slow
def test_in_order_keyless_is_proven_from_azure_openais_record(rb):
    run(rb, *UP_TO_03, "create_service_account", "redeploy_app")
    verified = rb.verify()
    assert verified.status == "ok" and check(verified, CALL).passed, repr(verified)
    proof = check(verified, KEYLESS)
    assert proof.passed and proof.detail.startswith("Azure OpenAI's record: ")
    assert f"each with myIdentity's Entra token (client id {rb.state.discovered['client_id']}), none with a key" \
        in proof.detail
    # where no record can be read (Azure), the same run is "not proven" until the account refuses keys
    rb.clients.emulator, emulator = None, rb.clients.emulator
    try:
        unproven = rb.verify()
        assert unproven.status == "ok" and not check(unproven, KEYLESS).passed
        assert "[NOT PROVEN] keyless" in repr(unproven) and "disableLocalAuth is off" in repr(unproven)
        assert "not proven" in unproven.summary
        rb.clients.cognitive.accounts.begin_update("myResourceGroup", "myOpenAIAccount",
                                                   {"properties": {"disableLocalAuth": True}}).result()
        proven = rb.verify()
        assert check(proven, KEYLESS).passed and "disableLocalAuth=true" in check(proven, KEYLESS).detail
    finally:
        rb.clients.emulator = emulator


def test_a_call_made_with_the_key_is_never_keyless():
    calls = [{"account": "myOpenAIAccount", "credential": "api-key", "principal": "key1", "status": 200,
              "client_id": ""}]
    got = keyless_from_record(calls, "myOpenAIAccount", "cid", "myIdentity")
    assert not got.ok and got.detail == "Azure OpenAI's record: 1 of 1 call(s) made with an API key (key1)"
    assert "run 04 first" in got.hint
    other = [{"account": "myOpenAIAccount", "credential": "entra-token", "principal": "someone", "status": 200,
              "client_id": "other"}]
    assert not keyless_from_record(other, "myOpenAIAccount", "cid", "myIdentity").ok
    assert keyless_from_record([], "myOpenAIAccount", "cid", "myIdentity").detail.startswith("not proven")
