"""The shared naming table against the documented Azure and Kubernetes rules, and both of its users.

The runbook (`keyless.params`) and the emulator check names with the same table; these cases are
the documented rules (Azure resource-name rules and ARM template reference; Kubernetes
apimachinery validation), so a drift on either side fails here.
"""
from __future__ import annotations

import pytest

import resource_names as rn
from keyless.params import RULES, ParameterError, load

# (rule, valid names, invalid names)
CASES = [
    (rn.RESOURCE_GROUP, ["myResourceGroup", "rg_1", "a", "(rg)-x.y", "é" * 90],
     ["", "rg.", "my group", "r" * 91, "rg/1", "rg\n"]),
    (rn.MANAGED_CLUSTER, ["a", "myAKSCluster", "aks_1-x", "a" * 63],
     ["", "-aks", "aks-", "aks_", "my.aks", "a" * 64, "aks\n"]),
    (rn.COGNITIVE_SERVICES_ACCOUNT, ["ab", "my-account", "MyAccount1", "a" * 64],
     ["a", "my.account", "acc_1", "-acc", "acc-", "a" * 65, "my account", "acc\n"]),
    (rn.COGNITIVE_SERVICES_DEPLOYMENT, ["g", "gpt-4o-mini", "gpt_4.1", "model.", "a" * 64],
     ["", ".gpt", "-gpt", "gpt 4", "a" * 65]),
    (rn.USER_ASSIGNED_IDENTITY, ["myIdentity", "abc", "id_1-x", "a" * 128],
     ["ab", "_identity", "my.identity", "a" * 129]),
    (rn.FEDERATED_IDENTITY_CREDENTIAL, ["myFedIdentity", "abc", "f-1_", "f" * 120],
     ["fi", "-fed", "_fed", "fed.1", "f" * 121]),
    (rn.DNS1123_LABEL, ["default", "a", "123-abc", "a" * 63],
     ["", "Default", "a-", "-a", "a.b", "a_b", "a" * 64, "a\n"]),
    (rn.DNS1123_SUBDOMAIN, ["ai-service-account", "example.com", "1.2", "a" * 253],
     ["", "AI_Service", "sa-", ".a", "a..b", "a.-b", "a" * 254]),
    (rn.DNS1035_LABEL, ["store-admin", "a", "abc-123", "a" * 63],
     ["", "1svc", "Store", "svc-", "a.b", "a" * 64]),
]


@pytest.mark.parametrize("rule,valid,invalid", CASES, ids=[rule.kind for rule, _, _ in CASES])
def test_each_rule_accepts_the_documented_names_and_refuses_the_rest(rule, valid, invalid):
    assert [name for name in valid if not rule.matches(name)] == []
    assert [name for name in invalid if rule.matches(name)] == []


def test_every_rule_in_the_table_is_covered_by_a_case():
    assert {rule.kind for rule, _, _ in CASES} == set(rn.RULES)


def test_length_is_reported_apart_from_shape_as_kube_apiserver_does():
    too_long = "a" * 64
    assert rn.DNS1123_LABEL.has_valid_shape(too_long) and not rn.DNS1123_LABEL.has_valid_length(too_long)


# the parameter the runbook validates with each rule
PARAMETERS = {
    rn.RESOURCE_GROUP: "resource_group", rn.MANAGED_CLUSTER: "cluster", rn.COGNITIVE_SERVICES_ACCOUNT: "openai_account",
    rn.COGNITIVE_SERVICES_DEPLOYMENT: "openai_deployment", rn.USER_ASSIGNED_IDENTITY: "identity",
    rn.FEDERATED_IDENTITY_CREDENTIAL: "federated_credential", rn.DNS1123_LABEL: "namespace",
    rn.DNS1123_SUBDOMAIN: "service_account", rn.DNS1035_LABEL: "store_admin_service",
}


@pytest.mark.parametrize("rule,valid,invalid", CASES, ids=[rule.kind for rule, _, _ in CASES])
def test_the_runbook_refuses_exactly_what_the_rule_refuses(rule, valid, invalid):
    parameter = PARAMETERS[rule]
    for name in valid:
        assert getattr(load(pairs=[(parameter, name)]), parameter) == name
    for name in invalid:
        if name == "" and RULES[parameter].allow_empty:
            continue  # an empty cluster, account or deployment means "discover it"
        with pytest.raises(ParameterError) as e:
            load(pairs=[(parameter, name)])
        assert e.value.name == parameter and rule.text in str(e.value)
