"""The `cloud` parameter and Resource Manager metadata documents, without a network: the three public
clouds' documents, a custom cloud's (Azure Stack Hub shape), and malformed documents and URLs."""
from __future__ import annotations

import copy

import pytest

import keyless
from keyless.clouds import (
    PUBLIC_DOCUMENTS,
    CloudError,
    cloud_problem,
    metadata_url_for,
    normalized_metadata_url,
    parse,
    resolve,
)

STACK_HUB = {
    "name": "AzureStackHub-contoso",
    "resourceManager": "https://management.local.azurestack.external/",
    "authentication": {"loginEndpoint": "https://login.microsoftonline.com/",
                       "audiences": ["https://management.contoso.onmicrosoft.com/4de154de-f8a8-4017-af41-df619da68155"],
                       "tenant": "common", "identityProvider": "AAD"},
    "graph": "https://graph.windows.net/", "microsoftGraphResourceId": "https://graph.microsoft.com/",
    "suffixes": {"storage": "local.azurestack.external", "keyVaultDns": "vault.local.azurestack.external"},
}
STACK_URL = "https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01"


@pytest.mark.parametrize("name, resource_manager, audience, scope, authority, graph", [
    ("AzureCloud", "https://management.azure.com", "https://management.core.windows.net/",
     "https://management.core.windows.net//.default", "https://login.microsoftonline.com",
     "https://graph.microsoft.com/"),
    ("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net",
     "https://management.core.usgovcloudapi.net/.default", "https://login.microsoftonline.us",
     "https://graph.microsoft.us/"),
    ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn",
     "https://management.core.chinacloudapi.cn/.default", "https://login.chinacloudapi.cn",
     "https://microsoftgraph.chinacloudapi.cn"),
])
def test_public_clouds_documents_give_resource_manager_its_own_audience_and_authority(
        name, resource_manager, audience, scope, authority, graph):
    cloud = resolve(name)
    assert (cloud.name, cloud.resource_manager, cloud.arm_audience, cloud.arm_scope, cloud.authority_host,
            cloud.microsoft_graph) == (name, resource_manager, audience, scope, authority, graph)
    assert cloud.known_authority and cloud.source == "built in"
    assert cloud.suffixes["storage"].startswith("core.")


def test_a_custom_clouds_document_is_read_as_it_is_written():
    cloud = parse(STACK_HUB, source=STACK_URL)
    assert cloud.name == "AzureStackHub-contoso"
    assert cloud.resource_manager == "https://management.local.azurestack.external"
    assert cloud.arm_audience == "https://management.contoso.onmicrosoft.com/4de154de-f8a8-4017-af41-df619da68155"
    assert cloud.authority_host == "https://login.microsoftonline.com" and cloud.known_authority
    assert cloud.suffixes == {"storage": "local.azurestack.external", "keyVaultDns": "vault.local.azurestack.external"}
    assert cloud.source == STACK_URL


def test_a_document_without_resource_manager_means_the_server_that_served_it():
    doc = {k: v for k, v in STACK_HUB.items() if k not in ("resourceManager", "name")}
    cloud = parse(doc, source="https://arm.contoso.example:8443/prefix/metadata/endpoints?api-version=2022-09-01")
    assert cloud.resource_manager == "https://arm.contoso.example:8443/prefix"
    assert cloud.name == "arm.contoso.example:8443"


def test_an_unknown_authority_host_turns_instance_discovery_off():
    doc = copy.deepcopy(STACK_HUB)
    doc["authentication"]["loginEndpoint"] = "https://adfs.local.azurestack.external/adfs"
    assert not parse(doc, source=STACK_URL).known_authority


def _broken(change) -> dict:
    doc = copy.deepcopy(PUBLIC_DOCUMENTS["AzureCloud"])
    change(doc)
    return doc


@pytest.mark.parametrize("document, reason", [
    ([PUBLIC_DOCUMENTS["AzureCloud"]], "lists several clouds (an api-version older than 2022-09-01)"),
    ("<html>", "is not a JSON object"),
    (_broken(lambda d: d.pop("authentication")), "has no authentication section"),
    (_broken(lambda d: d["authentication"].pop("loginEndpoint")), "has no authentication.loginEndpoint"),
    (_broken(lambda d: d["authentication"].update(loginEndpoint="http://login.example")),
     "authentication.loginEndpoint 'http://login.example' must be an https:// URL"),
    (_broken(lambda d: d["authentication"].update(audiences=[])), "authentication.audiences must list"),
    (_broken(lambda d: d["authentication"].update(audiences="https://management.core.windows.net/")),
     "authentication.audiences must list"),
    (_broken(lambda d: d.update(resourceManager="")), "has no resourceManager"),
    (_broken(lambda d: d.update(resourceManager="management.azure.com")), "must be an https:// URL"),
    (_broken(lambda d: d.update(suffixes=["core.windows.net"])), "suffixes must be an object"),
])
def test_malformed_documents_are_refused_with_the_reason(document, reason):
    with pytest.raises(CloudError) as e:
        parse(document, source="https://arm.example/metadata/endpoints?api-version=2022-09-01")
    assert reason in str(e.value)


def test_a_built_in_document_without_resource_manager_is_refused():
    with pytest.raises(CloudError, match="has no resourceManager"):
        parse(_broken(lambda d: d.pop("resourceManager")))


@pytest.mark.parametrize("value", ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud", STACK_URL,
                                   "https://127.0.0.1:8443/metadata/endpoints",
                                   "https://arm.example/prefix/metadata/endpoints/?api-version=2022-09-01"])
def test_names_and_metadata_urls_are_accepted(value):
    assert cloud_problem(value) is None
    assert keyless.Parameters(target="azure", cloud=value).cloud == value


@pytest.mark.parametrize("value, reason", [
    ("AzureGermanCloud", "must be one of AzureCloud, AzureUSGovernment, AzureChinaCloud, or the URL of a "
                         "Resource Manager metadata endpoint"),
    ("", "must be one of"),
    ("http://127.0.0.1:8443/metadata/endpoints", "must be an https:// URL"),
    ("https:///metadata/endpoints", "has no host"),
    ("https://user:pw@arm.example/metadata/endpoints", "must not carry a user name or password"),
    ("https://arm.example:99999/metadata/endpoints", "has an invalid port"),
    ("https://management.azure.com/", "path must end with /metadata/endpoints"),
    ("https://arm.example/metadata/endpoints#x", "must not have a #fragment"),
])
def test_a_bad_cloud_is_refused_naming_the_parameter_before_anything_is_sent(value, reason):
    with pytest.raises(keyless.ParameterError) as e:
        keyless.Parameters(target="azure", cloud=value)
    assert e.value.name == "cloud" and reason in e.value.rule


def test_a_metadata_url_without_api_version_asks_for_2022_09_01():
    assert (normalized_metadata_url("https://arm.example/metadata/endpoints")
            == "https://arm.example/metadata/endpoints?api-version=2022-09-01")
    assert normalized_metadata_url(STACK_URL) == STACK_URL
    assert (metadata_url_for("https://127.0.0.1:8443/")
            == "https://127.0.0.1:8443/metadata/endpoints?api-version=2022-09-01")
