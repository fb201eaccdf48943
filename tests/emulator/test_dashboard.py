"""The facilitator's dashboard: the page (a data-less shell, nothing loaded from elsewhere) and the progress
route, both behind the control API's credentials (a browser's: HTTP Basic), a change made by an attendee
showing up, and the reset it offers.

The page's script (polling, rendering, the reset button) runs in Chromium in tests/browser/test_dashboard.py;
here its routes are called directly (the same requests, with the same Basic credentials a browser sends).
The same routes on a shared address: tests/emulator/test_shared_host.py."""
from __future__ import annotations

import pytest
import requests
from kit import enable_workload_identity

from .clients import Clients

ARM_SCOPE = "https://management.azure.com/.default"
LINKS = ["workload_identity", "identity", "role", "federated_credential", "service_account", "redeploy",
         "description"]


@pytest.fixture
def attendee(clients: Clients) -> Clients:
    created = clients.control.add_tenant("fabrikam")
    b = Clients(clients.info)
    b.sub = created["subscription_id"]
    b.cred = b.credential(created["tenant_id"], created["client_id"], created["client_secret"])
    return b


def progress(clients: Clients) -> dict[str, dict]:
    answer = clients.control.call("GET", "/dashboard/progress")
    assert [link["name"] for link in answer["links"]] == LINKS
    return {t["name"]: t for t in answer["tenants"]}


def test_the_page_is_a_shell_without_data_or_foreign_requests(clients, attendee):
    r = requests.get(clients.info.url + "/_emulator/dashboard", auth=("facilitator", clients.info.admin_key),
                     verify=clients.verify)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "fabrikam" not in r.text and attendee.sub not in r.text and clients.info.admin_key not in r.text
    assert "/_emulator/dashboard/progress" in r.text and 'credentials: "same-origin"' in r.text
    assert "x-emulator-admin-key" not in r.text and "#key" not in r.text  # the script never holds the key
    assert "http://" not in r.text and "https://" not in r.text and "<script src" not in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    for label in ("workload identity on", "federated credential", "service account", "keyless description"):
        assert f"<th>{label}</th>" in r.text


@pytest.mark.parametrize("path", ["/_emulator/dashboard", "/_emulator/dashboard/progress"])
def test_the_page_and_its_data_ask_for_credentials(clients, path):
    r = requests.get(clients.info.url + path, verify=clients.verify)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "Unauthenticated")
    assert r.headers["WWW-Authenticate"] == 'Basic realm="keyless emulator", charset="UTF-8"'


def test_progress_needs_the_admin_key_or_the_operators_token(clients, attendee):
    url = clients.info.url + "/_emulator/dashboard/progress"
    assert requests.get(url, verify=clients.verify).status_code == 401
    token = attendee.cred.get_token(ARM_SCOPE).token
    refused = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=clients.verify)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "Forbidden")
    as_password = requests.get(url, auth=("fabrikam", token), verify=clients.verify)  # typed into the prompt
    assert (as_password.status_code, as_password.json()["error"]["code"]) == (403, "Forbidden")
    operator = requests.get(url, headers={"Authorization": f"Bearer {clients.cred.get_token(ARM_SCOPE).token}"},
                            verify=clients.verify)
    assert operator.status_code == 200 and {t["name"] for t in operator.json()["tenants"]} == {"contoso", "fabrikam"}


def test_an_attendees_change_shows_link_by_link_and_the_reset_clears_it(clients, attendee):
    start = progress(clients)["fabrikam"]
    assert start["links"] == dict.fromkeys(LINKS, False) and (start["done"], start["total"]) == (0, 7)
    enable_workload_identity(attendee.aks(), "myResourceGroup", "myAKSCluster")
    identity = attendee.msi().user_assigned_identities.create_or_update("myResourceGroup", "myIdentity",
                                                                         {"location": "eastus"})
    attendee.msi().federated_identity_credentials.create_or_update(
        "myResourceGroup", "myIdentity", "myFedIdentity",
        {"issuer": "https://example.invalid/issuer", "subject": "system:serviceaccount:default:ai-service-account",
         "audiences": ["api://AzureADTokenExchange"]})
    now = progress(clients)
    assert now["fabrikam"]["links"] == {**dict.fromkeys(LINKS, False), "workload_identity": True, "identity": True,
                                        "federated_credential": True}
    assert now["fabrikam"]["done"] == 3 and now["contoso"]["done"] == 0  # nobody else moved
    assert identity.principal_id
    clients.control.reset_tenant("fabrikam")                              # what the page's reset button sends
    assert progress(clients)["fabrikam"]["done"] == 0


def test_a_change_with_a_browsers_credentials_is_accepted_only_from_the_emulators_own_pages(clients, attendee):
    """Basic credentials a browser cached ride along on a form another site posts: such a change is refused
    before anything happens, while the page's own POST (Origin: this server) and a script's header pass."""
    reset = clients.info.url + "/_emulator/tenants/fabrikam/reset"
    browser = ("anyone", clients.info.admin_key)
    enable_workload_identity(attendee.aks(), "myResourceGroup", "myAKSCluster")
    for origin in ("https://evil.example", None, "null"):
        headers = {} if origin is None else {"Origin": origin}
        refused = requests.post(reset, auth=browser, headers=headers, verify=clients.verify)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "CrossSiteRequest")
    assert progress(clients)["fabrikam"]["links"]["workload_identity"] is True  # nothing was reset
    own = clients.info.url.rstrip("/")
    assert requests.post(reset, auth=browser, headers={"Origin": own}, verify=clients.verify).status_code == 200
    assert progress(clients)["fabrikam"]["links"]["workload_identity"] is False
    listed = requests.get(clients.info.url + "/_emulator/dashboard/progress", auth=browser, verify=clients.verify)
    assert listed.status_code == 200  # reading needs no Origin: a cross-site page cannot read the answer
