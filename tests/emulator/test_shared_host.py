"""A workshop's shared server: `python -m keyless_emulator start --host ADDRESS` on an address other machines
reach. Bound here to 127.0.0.2 (a loopback alias that is not the default 127.0.0.1, so nothing passes by
falling back on the default's names): the certificate names the address, attendees' profiles carry the
shared URL and the CA that verifies it, the start prints what is exposed, every route but the documented
public ones refuses an anonymous caller, and the control API refuses an attendee.

The module's emulator is started through the command line in the background (no kubelet): the warning and
the bind to the address are the command line's, so nothing in-process proves them; one emulator serves
every test here.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.mgmt.resource.resources import ResourceManagementClient
from kit.attendees import credential, emulator_with_attendees, profile
from kit.processes import cli, kill_if_alive

from keyless_emulator import AttendeeProfile, EmulatorConfig, EmulatorInfo, runtime
from keyless_emulator.app import all_routes
from keyless_emulator.exposure import PUBLIC_ROUTES, public_routes
from keyless_emulator.routing import Router
from keyless_emulator.tls import subject_alternative_names

HOST = "127.0.0.2"
ARM_SCOPE = "https://management.azure.com/.default"
GROUP = "myResourceGroup"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, EmulatorInfo, str]]:
    """A background emulator on 127.0.0.2 with two attendees; also what `start` printed on stderr."""
    home = tmp_path_factory.mktemp("shared")
    with emulator_with_attendees(home, ("ada", "bob"), "--host", HOST) as (info, started):
        yield home, info, started.stderr


def token(p: AttendeeProfile) -> str:
    return credential(p).get_token(ARM_SCOPE).token


def test_the_emulator_listens_on_the_address_and_names_it_in_its_url(shared):
    _home, info, _ = shared
    assert re.fullmatch(rf"https://{re.escape(HOST)}:\d+", info.url)
    assert runtime.health(info.url, info.ca_cert)["url"] == info.url
    with pytest.raises(OSError):  # not on the default address
        socket.create_connection(("127.0.0.1", info.port), timeout=2).close()


def test_the_certificate_names_the_address_and_the_loopback_names(shared):
    """Verified with the CA file an attendee is given (the copy beside their profile)."""
    home, info, _ = shared
    context = ssl.create_default_context(cafile=profile(home, "ada").ca_cert)
    with socket.create_connection((HOST, info.port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=HOST) as tls:
        sans = set(tls.getpeercert()["subjectAltName"])
    assert {("IP Address", HOST), ("IP Address", "127.0.0.1"), ("DNS", "localhost")} <= sans
    assert len(sans) == 4  # and ::1


def test_a_name_the_certificate_does_not_carry_fails_verification(shared):
    _home, info, _ = shared
    context = ssl.create_default_context(cafile=info.ca_cert)
    with socket.create_connection((HOST, info.port), timeout=5) as raw, \
            pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        context.wrap_socket(raw, server_hostname="room.example.test")


def test_a_dns_name_goes_into_the_certificate_as_a_dns_name():
    sans = subject_alternative_names("room.example.test")
    assert [n.value for n in sans] == ["localhost", "room.example.test",
                                       ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def test_start_warns_what_is_exposed_and_to_whom(shared):
    _home, info, stderr = shared
    assert f"WARNING: this emulator serves {info.url} to anyone who can reach {HOST} (users of this machine: a " \
           "loopback address)." in stderr
    assert "Credentials are required for Resource Manager, Azure OpenAI, Microsoft Graph" in stderr
    assert f"Give each attendee their own folder only ({info.home}/attendees/<name>: their profile and the CA" in stderr
    assert info.admin_key not in stderr and info.client_secret not in stderr


def test_a_loopback_start_prints_no_warning(tmp_path):
    started = cli(tmp_path, "start", "--no-kubelet")
    pid = runtime.read(tmp_path).pid
    try:
        assert started.returncode == 0, started.stderr
        assert "WARNING" not in started.stderr
    finally:
        cli(tmp_path, "stop")
        kill_if_alive(pid)


def test_profiles_and_the_credential_sheet_carry_the_shared_url(shared):
    home, info, _ = shared
    ada = json.loads((home / "attendees" / "ada" / "profile.json").read_text())
    assert ada["url"] == info.url and ada["ca_cert"] == "ca.pem"
    assert (home / "attendees" / "ada" / "ca.pem").read_bytes() == Path(info.ca_cert).read_bytes()
    assert info.url in (home / "attendees" / "credentials.html").read_text()


def test_an_attendee_signs_in_and_reads_their_tenant_at_the_shared_address(shared):
    home, _info, _ = shared
    p = profile(home, "ada")
    rm = ResourceManagementClient(credential(p), p.subscription_id, base_url=p.url, connection_verify=p.ca_cert)
    assert [g.name for g in rm.resource_groups.list()] == ["myResourceGroup"]


def test_the_public_routes_are_the_documented_ones():
    assert {(r.method, r.path) for r in public_routes(all_routes())} == set(PUBLIC_ROUTES)


def _concrete(path: str, known: dict[str, str]) -> str:
    """The route's template with made-up values, except those that must name something that exists (an API
    server's cluster, an Azure OpenAI endpoint's subdomain: an unknown one answers 404 before any sign-in)."""
    path = re.sub(r"\{[a-zA-Z_]+:path\}", "a/b", path)
    return re.sub(r"\{([a-zA-Z_]+)\}", lambda m: known.get(m.group(1), m.group(1) + "1"), path)


def _existing(info: EmulatorInfo) -> dict[str, str]:
    """The operator's cluster key and account subdomain, read with the SDKs."""
    from .clients import Clients

    c = Clients(info)
    kubeconfig = c.aks().managed_clusters.list_cluster_user_credentials(GROUP, "myAKSCluster").kubeconfigs[0].value
    server = re.search(rb"server: (\S+)", kubeconfig).group(1).decode()
    account = c.cognitive().accounts.get(GROUP, "myOpenAIAccount")
    return {"cluster": server.rsplit("/k8s/", 1)[1], "subdomain": account.properties.custom_sub_domain_name}


# What each surface answers a caller without credentials: the real services' codes (see each security module;
# Azure OpenAI's is the string "401").
ANONYMOUS = {"/_emulator/": "Unauthenticated", "/aoai/": "401", "/k8s/": "Unauthorized",
             "/graph/": "InvalidAuthenticationToken", "/": "AuthenticationFailed"}


def _code(r: requests.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:80]
    error = body.get("error", body)
    return error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), str) else body.get("reason")


def test_every_other_route_refuses_an_anonymous_caller(shared):
    """Each route that is not public, at a path only it matches, answers 401 with its surface's code."""
    _home, info, _ = shared
    router, public, known = Router(all_routes()), set(PUBLIC_ROUTES), _existing(info)
    answers, checked = {}, 0
    with requests.Session() as session:
        session.trust_env = False
        for route in all_routes():
            if (route.method, route.path) in public:
                continue
            path = _concrete(route.path, known)
            method = "GET" if route.method == "*" else route.method
            match = router.match(method, path)
            if match is None or match.route is not route:
                continue  # shadowed by an earlier route at this made-up path: that one is checked on its own
            checked += 1
            r = session.request(method, info.url + path, verify=info.ca_cert, json={} if method != "GET" else None)
            surface = next(prefix for prefix in ANONYMOUS if path.startswith(prefix))
            expected = "" if method == "HEAD" else ANONYMOUS[surface]  # a HEAD answer has no body
            answers[(route.method, route.path)] = (r.status_code, _code(r), expected)
    wrong = {k: v for k, v in answers.items() if v[0] != 401 or v[1] != v[2]}
    assert wrong == {}
    assert checked >= len(all_routes()) - len(public) - 5


def test_the_control_api_and_the_dashboards_data_refuse_an_attendee(shared):
    home, info, _ = shared
    bearer = {"Authorization": f"Bearer {token(profile(home, 'ada'))}"}
    for method, path in (("GET", "/_emulator/tenants"), ("GET", "/_emulator/dashboard/progress"),
                         ("POST", "/_emulator/tenants/bob/reset"), ("GET", "/_emulator/snapshot")):
        r = requests.request(method, info.url + path, headers=bearer, verify=info.ca_cert)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "Forbidden"), path
    r = requests.get(info.url + "/_emulator/tenants", headers={"x-emulator-admin-key": "guess"}, verify=info.ca_cert)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "InvalidAdminKey")


def test_the_dashboard_page_holds_no_data_and_its_data_needs_the_admin_key(shared):
    _home, info, _ = shared
    page = requests.get(info.url + "/_emulator/dashboard", verify=info.ca_cert)
    assert page.status_code == 200 and "ada" not in page.text and info.admin_key not in page.text
    data = requests.get(info.url + "/_emulator/dashboard/progress", verify=info.ca_cert)
    assert (data.status_code, data.json()["error"]["code"]) == (401, "Unauthenticated")
    with_key = requests.get(info.url + "/_emulator/dashboard/progress", verify=info.ca_cert,
                            headers={"x-emulator-admin-key": info.admin_key})
    assert with_key.status_code == 200 and "ada" in with_key.text


@pytest.mark.parametrize("host, why", [
    ("0.0.0.0", "got '0.0.0.0'"), ("::", "got '::'"), ("224.0.0.1", "got '224.0.0.1'"),
    ("https://room.example", "is neither an IP address nor a DNS name"),
    ("room_1", "is neither an IP address nor a DNS name"), ("", "is neither an IP address nor a DNS name"),
])
def test_a_host_that_is_not_one_address_or_name_is_refused(host, why):
    with pytest.raises(ValueError) as refused:
        EmulatorConfig(home=Path("/nonexistent"), host=host)
    assert str(refused.value).startswith("host (--host) must be one IP address or DNS name of this machine")
    assert why in str(refused.value)


def test_the_command_line_refuses_a_wildcard_host_before_starting(tmp_path):
    result = cli(tmp_path, "start", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.startswith("error: host (--host) must be one IP address or DNS name")
    assert result.stderr.rstrip().endswith("nothing was started.")
    assert not runtime.runtime_path(tmp_path).exists()
