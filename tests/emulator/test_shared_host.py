"""A workshop's shared server: `python -m keyless_emulator start --host ADDRESS` on an address other machines
reach. Bound here to 127.0.0.2 (a loopback alias that is not the default 127.0.0.1, so nothing passes by
falling back on the default's names): the certificate names the address, attendees' profiles carry the
shared URL and the CA that verifies it, the start prints what is exposed and how to open the dashboard,
every route but the documented public ones (the list in exposure.py, the table in README.md) refuses an
anonymous caller — the dashboard's page too: a browser signs in with HTTP Basic — nothing else the
emulator runs listens on the address, and the control API refuses an attendee.

The module's emulator is started through the command line in the background (no kubelet): the warning and
the bind to the address are the command line's, so nothing in-process proves them; one emulator serves
every test here.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from kit.attendees import credential, emulator_with_attendees, profile
from kit.processes import cli, kill_if_alive

from keyless_emulator import AttendeeProfile, EmulatorConfig, EmulatorInfo, runtime
from keyless_emulator.app import all_routes
from keyless_emulator.control.security import CHALLENGE
from keyless_emulator.exposure import PUBLIC_ROUTES, public_routes
from keyless_emulator.kubelet.loadbalancer import address_for
from keyless_emulator.kubelet.network import LOCAL_IP
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
    assert f"The dashboard: open {info.url}/_emulator/dashboard; the browser asks for a user name (any) and a" \
           in stderr
    assert f"`python -m keyless_emulator --home {info.home} dashboard --password` prints." in stderr
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
    assert ("GET", "/_emulator/dashboard") not in PUBLIC_ROUTES


def test_the_readme_lists_the_public_routes_each_with_a_reason():
    """README's table under *A shared server* names exactly the routes of exposure.py, each with a reason."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("Served without credentials on a shared server", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:]]
    listed = {tuple(cell.strip().strip("`").split(" ", 1)) for cell, _ in rows}
    assert listed == set(PUBLIC_ROUTES)
    assert all(len(reason.strip()) > 10 for _, reason in rows)


def test_nothing_else_the_emulator_runs_listens_beyond_loopback():
    """The store apps' LoadBalancer addresses (every one in 127.64.0.0/10..127.191.x.x), their NodePort and
    pod listeners (127.0.0.1): none is the shared address, so none is reachable from another machine."""
    addresses = {address_for(f"cluster{i}", ns, name) for i in range(50) for ns in ("default", "pets")
                 for name in ("store-admin", "store-front", "ai-service")}
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses | {LOCAL_IP})
    assert HOST not in addresses


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
    """Each route that is not public, at a path only it matches, answers 401 with its surface's code; the
    control API's (the dashboard's page among them) with the Basic challenge a browser answers."""
    _home, info, _ = shared
    router, public, known = Router(all_routes()), set(PUBLIC_ROUTES), _existing(info)
    answers, checked = {}, set()
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
            checked.add((route.method, route.path))
            r = session.request(method, info.url + path, verify=info.ca_cert, json={} if method != "GET" else None)
            surface = next(prefix for prefix in ANONYMOUS if path.startswith(prefix))
            expected = "" if method == "HEAD" else ANONYMOUS[surface]  # a HEAD answer has no body
            challenge = r.headers.get("WWW-Authenticate") == CHALLENGE if surface == "/_emulator/" else True
            answers[(route.method, route.path)] = (r.status_code, _code(r), expected, challenge)
    wrong = {k: v for k, v in answers.items() if v[0] != 401 or v[1] != v[2] or not v[3]}
    assert wrong == {}
    assert len(checked) >= len(all_routes()) - len(public) - 5
    assert ("GET", "/_emulator/dashboard") in checked


def test_the_control_api_and_the_dashboards_data_refuse_an_attendee(shared):
    home, info, _ = shared
    bearer = {"Authorization": f"Bearer {token(profile(home, 'ada'))}"}
    for method, path in (("GET", "/_emulator/tenants"), ("GET", "/_emulator/dashboard/progress"),
                         ("POST", "/_emulator/tenants/bob/reset"), ("GET", "/_emulator/snapshot")):
        r = requests.request(method, info.url + path, headers=bearer, verify=info.ca_cert)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "Forbidden"), path
    r = requests.get(info.url + "/_emulator/tenants", headers={"x-emulator-admin-key": "guess"}, verify=info.ca_cert)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "InvalidAdminKey")


def basic(user: str, password: str) -> dict[str, str]:
    """The Authorization header a browser sends after its user name and password prompt."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


DASHBOARD = ("/_emulator/dashboard", "/_emulator/dashboard/progress")


def test_the_dashboard_asks_a_browser_for_credentials(shared):
    _home, info, _ = shared
    for path in DASHBOARD:
        r = requests.get(info.url + path, verify=info.ca_cert)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "Unauthenticated"), path
        assert r.headers["WWW-Authenticate"] == 'Basic realm="keyless emulator", charset="UTF-8"'
        assert "ada" not in r.text and "<table" not in r.text


@pytest.mark.parametrize("user", ["facilitator", ""])
def test_the_dashboard_opens_with_any_user_name_and_the_admin_key_as_password(shared, user):
    _home, info, _ = shared
    page = requests.get(info.url + DASHBOARD[0], headers=basic(user, info.admin_key), verify=info.ca_cert)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert info.admin_key not in page.text and "ada" not in page.text  # the page holds neither key nor data
    data = requests.get(info.url + DASHBOARD[1], headers=basic(user, info.admin_key), verify=info.ca_cert)
    assert data.status_code == 200 and {"ada", "bob"} <= {t["name"] for t in data.json()["tenants"]}


def test_the_dashboard_opens_with_the_operators_token_as_password(shared):
    _home, info, _ = shared
    operator = ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                      disable_instance_discovery=True, connection_verify=info.ca_cert)
    r = requests.get(info.url + DASHBOARD[1], headers=basic("x", operator.get_token(ARM_SCOPE).token),
                     verify=info.ca_cert)
    assert r.status_code == 200


def test_a_wrong_password_is_asked_again_and_an_attendees_token_is_refused(shared):
    home, info, _ = shared
    for path in DASHBOARD:
        wrong = requests.get(info.url + path, headers=basic("facilitator", "guess"), verify=info.ca_cert)
        assert (wrong.status_code, wrong.json()["error"]) == (401, {
            "code": "InvalidAdminKey", "message": "The Basic password does not match the runtime file's admin_key."})
        assert wrong.headers["WWW-Authenticate"] == CHALLENGE
        attendee = requests.get(info.url + path, headers=basic("ada", token(profile(home, "ada"))),
                                verify=info.ca_cert)
        assert (attendee.status_code, attendee.json()["error"]["code"]) == (403, "Forbidden"), path
        assert "WWW-Authenticate" not in attendee.headers  # asking again would not help
        mangled = requests.get(info.url + path, headers={"Authorization": "Basic not-base64!"}, verify=info.ca_cert)
        assert (mangled.status_code, mangled.json()["error"]["code"]) == (401, "InvalidAuthorization")


def test_the_admin_key_stays_out_of_the_request_log(shared):
    """After the dashboard was opened with it: the log records who (`admin-key`), never the credential."""
    _home, info, _ = shared
    requests.get(info.url + DASHBOARD[0], headers=basic("facilitator", info.admin_key), verify=info.ca_cert)
    log = requests.get(info.url + "/_emulator/requests", headers={"x-emulator-admin-key": info.admin_key},
                       verify=info.ca_cert)
    encoded = base64.b64encode(f"facilitator:{info.admin_key}".encode()).decode()
    assert log.status_code == 200 and info.admin_key not in log.text and encoded not in log.text
    opened = [e for e in log.json()["requests"] if e["path"] == DASHBOARD[0] and e["status"] == 200]
    assert opened and opened[-1]["principal"] == "admin-key" and opened[-1]["query"] in ("", None)


def test_the_dashboard_command_prints_the_address_without_the_key(shared):
    home, info, _ = shared
    printed = cli(home, "dashboard")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines()[0] == f"{info.url}/_emulator/dashboard"
    assert "any user name; the password is the admin key" in printed.stdout
    assert info.admin_key not in printed.stdout + printed.stderr
    password = cli(home, "dashboard", "--password")
    assert (password.returncode, password.stdout) == (0, info.admin_key + "\n")


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
