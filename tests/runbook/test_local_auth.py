"""Notebook 06, lock the door: both keys regenerated, key access turned off, the old key refused with
Azure OpenAI's 403 AuthenticationTypeDisabled, the workload still keyless; a re-run sends nothing; clean-up
turns key access back on and restores the key-based Deployment with the regenerated key (its rollout
finishes: the emulator's deployment controller resolves the template-hash collision a regenerated key causes)."""
from __future__ import annotations

import pytest

import keyless
from keyless.steps.verify import KEYLESS

# clean-up's line for key access, naming what it cannot undo (the regenerated keys)
KEYS_BACK_ON = ("[PASS] key access on myOpenAIAccount: turned back on (the keys 06 regenerated stay: a key cannot be "
                "put back)\n")
UP_TO_04 = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
            "create_federated_credential", "create_service_account", "redeploy_app")


def test_06_before_04_is_refused_and_changes_nothing(rb, admin):
    for step in UP_TO_04[:5]:
        assert getattr(rb, step)().ok
    admin.clear_requests()
    refused = rb.disable_key_access()
    assert refused.get("error") == "PrerequisiteMissing" and refused.hint.startswith("run 04 first")
    assert admin.mutating() == []
    assert rb.clients.cognitive.accounts.get("myResourceGroup", "myOpenAIAccount").properties.disable_local_auth \
        is False


@pytest.mark.slow
def test_keys_regenerated_and_off_old_key_refused_workload_keyless_then_clean_up_turns_keys_back_on(rb, admin):
    for step in UP_TO_04:
        assert getattr(rb, step)().ok, repr(rb.results[-1])
    cognitive = rb.clients.cognitive
    old = cognitive.accounts.list_keys("myResourceGroup", "myOpenAIAccount")
    locked = rb.disable_key_access()
    assert locked.status == "updated" and locked.ok, repr(locked)
    proof = next(c for c in locked.checks if c.name == "the key ai-service used before is refused")
    assert proof.detail == "HTTP 403 AuthenticationTypeDisabled"
    renewed = next(c for c in locked.checks if c.name == "both keys regenerated")
    assert renewed.passed and renewed.detail == "key1 and key2 differ from before: a copy made before is worthless"
    regenerated = [r["path"] for r in admin.requests() if r["method"] == "POST" and "/regenerateKey" in r["path"]]
    assert len(regenerated) == 2, regenerated
    assert old.key1 not in repr(locked) + locked._repr_html_() and old.key1 not in rb.state.path.read_text()
    account = cognitive.accounts.get("myResourceGroup", "myOpenAIAccount")
    assert account.properties.disable_local_auth is True
    verified = rb.verify()
    assert verified.ok and next(c for c in verified.checks if c.name == KEYLESS).passed, repr(verified)

    admin.clear_requests()
    again = keyless.init(rb.params, emulator=rb.clients.emulator).disable_key_access()
    assert again.status == "unchanged" and again.ok and admin.mutating() == []

    done = rb.clean_up()
    assert done.ok and KEYS_BACK_ON in repr(done), repr(done)
    assert "[PASS] Deployment ai-service: restored\n" in repr(done), repr(done)
    assert cognitive.accounts.get("myResourceGroup", "myOpenAIAccount").properties.disable_local_auth is False
    now = cognitive.accounts.list_keys("myResourceGroup", "myOpenAIAccount")
    assert now.key1 != old.key1 and now.key2 != old.key2
    dep = rb.clients._kube["myresourcegroup/myakscluster"].apps.read_namespaced_deployment("ai-service", "default")
    env = {e.name: e.value for e in dep.spec.template.spec.containers[0].env}
    assert env["OPENAI_API_KEY"] == now.key1, "the key-based Deployment is back with the regenerated key"
