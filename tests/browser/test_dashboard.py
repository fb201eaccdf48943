"""The facilitator's dashboard in Chromium (issue 11, items 3 and 5): the browser signs in with HTTP Basic
when the page's 401 challenges it, an attendee's step shows up without a reload, the row's reset button
resets that attendee alone, and without credentials the browser gets the 401 and no data.

The routes behind the page are tested without a browser in tests/emulator/test_dashboard.py; what only a
browser proves is the sign-in (Chromium answering the Basic challenge, then sending the same credentials
with the page's own polling and reset requests) and the page's own script: polling, rendering, the reset
button and its confirmation, over verified HTTPS: the module's Chromium trusts exactly the emulator's
serving certificate (its key's SPKI hash in --ignore-certificate-errors-spki-list), and without that hash
the same Chromium refuses the page. The module has an in-process emulator of its own (no kubelet, a second or
so to start): attendees are tenants, and adding them to the session's shared emulator would change how
every later test's reset behaves.
"""
from __future__ import annotations

import base64
import hashlib
import ssl
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from kit.processes import cli
from playwright.sync_api import Browser, Error, Playwright

import keyless
from keyless_emulator import EmulatorConfig, InProcessEmulator, start_in_thread

from . import selectors as css
from .conftest import LOOPBACK_ONLY, is_loopback
from .jupyterlab import SLOW

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """An emulator with two attendees, added with the facilitator's command."""
    home = tmp_path_factory.mktemp("workshop")
    emu = start_in_thread(EmulatorConfig(home=home, kubelet=False), write_runtime=True)
    try:
        added = cli(home, "attendees", "add", "ana", "ben")
        assert added.returncode == 0, added.stderr
        yield emu
    finally:
        emu.stop()


def spki_hash(url: str) -> str:
    """Base64 SHA-256 of the public key (SubjectPublicKeyInfo) of the certificate the server at `url`
    presents: the form Chromium's --ignore-certificate-errors-spki-list takes."""
    parts = urllib.parse.urlsplit(url)
    pem = ssl.get_server_certificate((parts.hostname, parts.port))
    spki = x509.load_pem_x509_certificate(pem.encode()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium: str, workshop: InProcessEmulator) -> Iterator[Browser]:
    """Chromium trusting exactly the workshop emulator's serving certificate (by its key's hash), and no
    other certificate the system does not: the emulator's own CA is not in Chromium's store, and the page
    must work over verified HTTPS, not with certificate errors ignored."""
    launched = playwright.chromium.launch(executable_path=chromium, args=[
        *LOOPBACK_ONLY, f"--ignore-certificate-errors-spki-list={spki_hash(workshop.info.url)}"])
    yield launched
    launched.close()


def attendee(emu: InProcessEmulator, name: str) -> keyless.Runbook:
    """The runbook acting as attendee `name`, from the profile the facilitator's command wrote."""
    return keyless.init(keyless.Parameters(data_dir=str(Path(emu.info.home) / "attendees" / name)))


def test_the_dashboard_shows_an_attendees_step_live_and_resets_that_attendee_only(browser, workshop):
    key = workshop.info.admin_key                             # typed into the browser's prompt, any user name
    context = browser.new_context(http_credentials={"username": "facilitator", "password": key,
                                                    "origin": workshop.info.url})   # certificate errors: not ignored
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())          # the reset button asks for confirmation
    try:
        opened = page.goto(f"{workshop.info.url}/_emulator/dashboard")
        assert opened is not None and opened.status == 200
        ana, ben = (page.locator(css.DASHBOARD_ROW.format(name)) for name in ("ana", "ben"))
        ana_wi, ben_wi = (row.locator(css.DASHBOARD_LINK.format("workload_identity")) for row in (ana, ben))
        ana_wi.wait_for(timeout=SLOW)
        assert (ana_wi.get_attribute("class"), ben_wi.get_attribute("class")) == ("todo", "todo")
        assert key not in page.content()                          # the page never holds the key

        for name in ("ana", "ben"):                               # each attendee enables workload identity
            rb = attendee(workshop, name)
            assert rb.discover().ok and rb.enable_workload_identity().ok
        page.wait_for_selector(f"{css.DASHBOARD_ROW.format('ana')} {css.DASHBOARD_LINK.format('workload_identity')}"
                               ".done", timeout=SLOW)             # no reload: the page polls
        page.wait_for_selector(f"{css.DASHBOARD_ROW.format('ben')} {css.DASHBOARD_LINK.format('workload_identity')}"
                               ".done", timeout=SLOW)
        assert ana.locator(css.DASHBOARD_LINK.format("identity")).get_attribute("class") == "todo"

        ana.locator(css.DASHBOARD_RESET).click()
        page.wait_for_selector(f"{css.DASHBOARD_ROW.format('ana')} {css.DASHBOARD_LINK.format('workload_identity')}"
                               ".todo", timeout=SLOW)
        assert page.inner_text(css.DASHBOARD_STATUS).startswith(("reset ana", "updated"))
        assert ben_wi.get_attribute("class") == "done"            # nobody else was touched
        cluster = attendee(workshop, "ben").clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
        assert cluster.security_profile.workload_identity.enabled
    finally:
        context.close()
    assert [url for url in requested if not is_loopback(url)] == []
    assert [url for url in requested if key in url] == []     # the key is in no URL the browser asked for


def test_without_credentials_the_browser_gets_401_and_no_data(browser, workshop):
    """With nothing to answer the challenge: the 401 and its challenge arrive, and headless Chromium (which
    has no prompt to show) ends the navigation with ERR_INVALID_AUTH_CREDENTIALS; with a wrong password it
    shows the 401's error body. Either way the page's script never runs: nothing asks for the progress and
    no attendee appears."""
    url = f"{workshop.info.url}/_emulator/dashboard"
    for credentials in (None, {"username": "facilitator", "password": "a-guess", "origin": workshop.info.url}):
        context = browser.new_context(http_credentials=credentials)
        answers: list[tuple[str, int, str | None]] = []
        context.on("response",
                   lambda r, seen=answers: seen.append((r.url, r.status, r.headers.get("www-authenticate"))))
        try:
            page = context.new_page()
            if credentials is None:
                with pytest.raises(Error) as refused:
                    page.goto(url)
                assert "net::ERR_INVALID_AUTH_CREDENTIALS" in refused.value.message
            else:
                shown = page.goto(url)
                assert shown is not None and shown.status == 401
                assert shown.json()["error"]["code"] == "InvalidAdminKey"
            assert page.locator(css.DASHBOARD_ROW.format("ana")).count() == 0 and "ana" not in page.content()
        finally:
            context.close()
        assert answers == [(url, 401, 'Basic realm="keyless emulator", charset="UTF-8"')], credentials


def test_without_the_certificates_hash_chromium_refuses_the_dashboard(playwright, chromium, workshop):
    """The other side of the trust above: the same Chromium without the hash refuses the emulator's
    certificate, so the dashboard test's page loads because that one certificate is trusted."""
    plain = playwright.chromium.launch(executable_path=chromium, args=LOOPBACK_ONLY)
    try:
        page = plain.new_page()
        with pytest.raises(Error) as refused:
            page.goto(f"{workshop.info.url}/_emulator/dashboard")
        assert "net::ERR_CERT_AUTHORITY_INVALID" in refused.value.message
    finally:
        plain.close()
