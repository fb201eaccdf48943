"""The facilitator's dashboard in Chromium (issue 11, item 3): an attendee's step shows up without a
reload, and the row's reset button resets that attendee alone.

The routes behind the page are tested without a browser in tests/emulator/test_dashboard.py; what only a
browser proves is the page's own script: polling, rendering, the key taken from the fragment, the reset
button and its confirmation. The module has an in-process emulator of its own (no kubelet, a second or
so to start): attendees are tenants, and adding them to the session's shared emulator would change how
every later test's reset behaves.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kit.processes import cli

import keyless
from keyless_emulator import EmulatorConfig, InProcessEmulator, start_in_thread

from . import selectors as css
from .conftest import is_loopback
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


def attendee(emu: InProcessEmulator, name: str) -> keyless.Runbook:
    """The runbook acting as attendee `name`, from the profile the facilitator's command wrote."""
    return keyless.init(keyless.Parameters(data_dir=str(Path(emu.info.home) / "attendees" / name)))


def test_the_dashboard_shows_an_attendees_step_live_and_resets_that_attendee_only(browser, workshop):
    context = browser.new_context(ignore_https_errors=True)   # the emulator's own CA is not in Chromium's store
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())          # the reset button asks for confirmation
    try:
        page.goto(f"{workshop.info.url}/_emulator/dashboard#key={workshop.info.admin_key}")
        ana, ben = (page.locator(css.DASHBOARD_ROW.format(name)) for name in ("ana", "ben"))
        ana_wi, ben_wi = (row.locator(css.DASHBOARD_LINK.format("workload_identity")) for row in (ana, ben))
        ana_wi.wait_for(timeout=SLOW)
        assert (ana_wi.get_attribute("class"), ben_wi.get_attribute("class")) == ("todo", "todo")
        assert "#key=" not in page.url                            # the key leaves the address bar at once

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
