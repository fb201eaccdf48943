"""One code path for every cloud, proven against the emulator: the azure target reads the emulator as
a cloud from its metadata endpoint, signs in with the credentials people bring (a service principal
through the environment, workload identity federation as CI systems provide it), the emulator target
takes exactly that path, and every refusal happens before a credential is sent."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from secretscan import assert_no_secret, emulator_secrets, text_findings

import keyless
from keyless.clouds import fetch
from keyless.kube import connect as kube_connect
from keyless.signin import HOW_TO_SIGN_IN, LEGS, WORKLOAD_IDENTITY, SignIn
from keyless.targets import emulator_metadata_url

RG = "myResourceGroup"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CREDENTIAL_VARIABLES = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
                        "AZURE_AUTHORITY_HOST", "AZURE_SUBSCRIPTION_ID", "AZURE_TOKEN_CREDENTIALS")


@pytest.fixture
def exported(fresh, monkeypatch):
    """The environment `eval "$(python -m keyless_emulator env)"` leaves behind, as a user would have it."""
    for name, value in fresh.info.env().items():
        monkeypatch.setenv(name, value)
    return fresh.info


def azure_params(info, tmp_path: Path, **more) -> keyless.Parameters:
    return keyless.Parameters(target="azure", cloud=emulator_metadata_url(info), data_dir=str(tmp_path / "azure"),
                              rollout_timeout=60, verify_timeout=30, **more)


def token_requests(admin) -> list[dict]:
    return [r for r in admin.requests() if r["path"].endswith("/oauth2/v2.0/token")]


def test_the_emulators_metadata_names_real_audiences_and_its_own_endpoints(fresh):
    """Resource Manager's audience is the real one; Microsoft Graph is the emulator's own (az sends its
    Graph calls to `microsoftGraphResourceId` and asks for tokens with that audience)."""
    info = fresh.info
    cloud = fetch(emulator_metadata_url(info), info.ca_cert)
    assert (cloud.name, cloud.resource_manager, cloud.authority_host) == ("KeylessEmulator", info.url, info.url)
    assert cloud.arm_audience == "https://management.core.windows.net/"
    assert cloud.microsoft_graph == info.url + "/graph/"
    assert not cloud.known_authority  # so MSAL's instance discovery is off
    assert not any(v.startswith(".") for v in cloud.suffixes.values())


def test_the_azure_target_with_a_service_principal_from_the_environment(exported, admin, tmp_path):
    rb = keyless.init(azure_params(exported, tmp_path))
    c = rb.clients
    assert (c.target, c.cloud.name, c.arm_url, c.subscription_id) == (
        "azure", "KeylessEmulator", exported.url, exported.subscription_id)
    assert c.arm_scope == "https://management.core.windows.net//.default"
    assert c.credential.used == "EnvironmentCredential"
    assert rb.discover().ok
    sent = [(r["method"], r["path"]) for r in admin.requests()]
    assert sent[0] == ("GET", "/metadata/endpoints")  # the cloud is read before anything else
    assert ("GET", "/subscriptions") in sent
    assert rb.state.path.name.startswith("azure-")


def test_the_emulator_target_takes_the_azure_path_with_the_emulators_metadata(rb, admin):
    c = rb.clients
    assert c.cloud.source == emulator_metadata_url(c.emulator) and c.cloud.name == "KeylessEmulator"
    assert c.credential.used == "EnvironmentCredential"  # the operator's service principal, as `env` exports it
    assert c.arm_scope == "https://management.core.windows.net//.default"
    admin.clear_requests()
    again = keyless.init(rb.params, emulator=c.emulator)  # a new kernel: the same path again
    sent = [(r["method"], r["path"]) for r in admin.requests()]
    assert sent[0] == ("GET", "/metadata/endpoints") and ("GET", "/subscriptions") in sent
    assert again.clients.subscription_id == c.subscription_id


def test_the_emulators_environment_with_the_public_cloud_is_refused_before_the_secret_leaves(exported, admin,
                                                                                             tmp_path):
    with pytest.raises(keyless.ParameterError) as e:
        keyless.init(keyless.Parameters(target="azure", data_dir=str(tmp_path / "d")))
    assert e.value.name == "cloud"
    assert f"AZURE_AUTHORITY_HOST is {exported.url}" in e.value.rule
    assert f"-p cloud {emulator_metadata_url(exported)}" in e.value.rule
    assert admin.requests() == []


def test_an_unreachable_metadata_endpoint_is_refused_naming_the_parameter(exported, admin, tmp_path):
    with pytest.raises(keyless.ParameterError) as e:
        keyless.init(keyless.Parameters(target="azure", cloud="https://127.0.0.1:9/metadata/endpoints",
                                        data_dir=str(tmp_path / "d")))
    assert e.value.name == "cloud" and "could not be reached (ConnectionError)" in e.value.rule
    with pytest.raises(keyless.ParameterError) as e:
        keyless.init(keyless.Parameters(target="azure", cloud=f"{exported.url}/elsewhere/metadata/endpoints",
                                        data_dir=str(tmp_path / "d")))
    assert e.value.name == "cloud" and "answered HTTP 404" in e.value.rule
    assert not token_requests(admin)


def test_an_untrusted_metadata_endpoint_is_refused_with_the_fix(exported, monkeypatch, tmp_path):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(keyless.ParameterError) as e:
        keyless.init(azure_params(exported, tmp_path))
    assert e.value.name == "cloud" and "point REQUESTS_CA_BUNDLE at a bundle holding its CA" in e.value.rule


def test_a_wrong_secret_names_the_credentials_tried_and_the_fix(exported, monkeypatch, tmp_path):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    with pytest.raises(keyless.KeylessError) as e:
        keyless.init(azure_params(exported, tmp_path))
    err = e.value
    assert err.code == "SignInFailed"
    assert ("service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): failed: Authentication "
            "failed: AADSTS7000215: Invalid client secret provided.") in err.message
    assert "workload identity federation (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE): not set up " \
           "(AZURE_FEDERATED_TOKEN_FILE unset)" in err.message
    assert "Azure CLI (az login): left out by AZURE_TOKEN_CREDENTIALS" in err.message
    assert "client secret" in err.hint
    assert "not-the-secret" not in str(err) and exported.client_secret not in str(err)


def test_without_any_credential_every_way_to_sign_in_is_named(exported, monkeypatch, tmp_path):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-az"))  # no az on this machine
    with pytest.raises(keyless.KeylessError) as e:
        keyless.init(azure_params(exported, tmp_path))
    err = e.value
    assert err.code == "SignInFailed" and err.hint == HOW_TO_SIGN_IN
    assert "Azure CLI (az login): not available: Azure CLI not found on path" in err.message
    assert "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): not set up" in err.message


def test_azure_token_credentials_names_the_one_credential_to_use(exported, monkeypatch, tmp_path):
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential")
    with pytest.raises(keyless.KeylessError) as e:
        keyless.init(azure_params(exported, tmp_path))
    assert e.value.code == "SignInFailed"
    assert "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): left out by " \
           "AZURE_TOKEN_CREDENTIALS" in e.value.message
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "nothing-known")
    with pytest.raises(keyless.KeylessError) as e:
        keyless.init(azure_params(exported, tmp_path))
    assert e.value.code == "SignInSettings"


class ExpiresAfterOneToken:
    """A credential whose second token request fails as an expired federated token does."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        from azure.core.exceptions import ClientAuthenticationError

        self.calls += 1
        if self.calls > 1:
            raise ClientAuthenticationError("AADSTS700024: Client assertion is not within its valid time range.")
        return AccessToken("first", 0)


def test_a_credential_that_fails_after_answering_is_named_with_its_fix():
    chain = SignIn([(LEGS[WORKLOAD_IDENTITY], ExpiresAfterOneToken())], "https://login.example")
    assert chain.get_token("scope-a").token == "first" and chain.used == WORKLOAD_IDENTITY
    with pytest.raises(keyless.KeylessError) as e:
        chain.get_token("scope-b")
    assert e.value.code == "SignInFailed" and e.value.hint == LEGS[WORKLOAD_IDENTITY].fix
    assert e.value.message.endswith("credentials tried: workload identity federation (AZURE_TENANT_ID, "
                                    "AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE): failed: AADSTS700024: Client "
                                    "assertion is not within its valid time range.")


# ---- workload identity federation, as a CI job signs in --------------------------------------

def ci_identity(rb, tmp_path: Path) -> tuple[str, Path]:
    """A CI runner's identity: a managed identity federated with a cluster's issuer, Owner of the
    resource group, and an OIDC token for it in a file (what a CI job writes from its OIDC provider)."""
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
    from kubernetes import client as k8s

    assert rb.enable_workload_identity().ok
    cluster = rb.clients.aks.managed_clusters.get(RG, "myAKSCluster")
    runner = rb.clients.msi.user_assigned_identities.create_or_update(RG, "ciRunner", {"location": "eastus"})
    rb.clients.msi.federated_identity_credentials.create_or_update(
        RG, "ciRunner", "ci-runner", {"issuer": cluster.oidc_issuer_profile.issuer_url,
                               "subject": "system:serviceaccount:default:ci-runner",
                               "audiences": ["api://AzureADTokenExchange"]})
    group = rb.clients.resources.resource_groups.get(RG).id
    rb.clients.authorization.role_assignments.create(group, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{rb.clients.subscription_id}/providers/Microsoft.Authorization/"
                           f"roleDefinitions/{OWNER}",
        principal_id=runner.principal_id, principal_type="ServicePrincipal"))
    kube = kube_connect(rb.clients, RG, "myAKSCluster", rb.params.home)
    kube.core.create_namespaced_service_account("default", k8s.V1ServiceAccount(
        metadata=k8s.V1ObjectMeta(name="ci-runner")))
    answer = kube.core.create_namespaced_service_account_token("ci-runner", "default", k8s.AuthenticationV1TokenRequest(
        spec=k8s.V1TokenRequestSpec(audiences=["api://AzureADTokenExchange"], expiration_seconds=3600)))
    token_file = tmp_path / "federated-token"
    token_file.write_text(answer.status.token)
    return runner.client_id, token_file


def test_workload_identity_federation_runs_the_runbooks_steps(rb, admin, monkeypatch, tmp_path):
    client_id, token_file = ci_identity(rb, tmp_path)
    info = rb.clients.emulator
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info.ca_bundle)
    monkeypatch.setenv("AZURE_TENANT_ID", info.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", client_id)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    admin.clear_requests()

    ci = keyless.init(azure_params(info, tmp_path))
    assert ci.clients.credential.used == "WorkloadIdentityCredential"
    for step in (ci.discover, ci.create_managed_identity, ci.assign_openai_role, ci.create_federated_credential):
        result = step()
        assert result.ok, repr(result)
    runner = rb.clients.msi.user_assigned_identities.get(RG, "ciRunner")
    writes = [r for r in admin.requests() if r.get("mutating")]
    assert writes and {r["principal_id"] for r in writes} == {runner.principal_id}
    secrets = [*emulator_secrets(info), token_file.read_text()]
    assert text_findings("results", "\n".join(repr(r) for r in ci.results), secrets) == []
    assert assert_no_secret([ci.params.home / "state"], secrets) >= 1
