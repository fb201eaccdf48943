"""A learner's journeys through the runbook in JupyterLab, in Debian's Chromium (issue 10, item 9).

Nothing cheaper proves these: what a learner sees — widgets rendered by JupyterLab's widget manager, no
traceback, the form's values carried to the next notebook, a refusal shown as a message — exists only
in a front end; nbclient runs none of it (its kernels are headless and show no form). So each journey
runs notebooks through JupyterLab's own menus. To stay cheap: one JupyterLab and one page load per
module, the session's emulator (instant operations), and the steps a journey is not about done through
the runbook library before the browser takes over.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from kit import wait_for

import keyless
from keyless_emulator import ControlClient, InProcessEmulator

from . import selectors as css
from .conftest import is_loopback
from .jupyterlab import SLOW, LabPage

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NB = {n[:2]: n for n in ("00-before-you-begin.ipynb", "01-enable-workload-identity.ipynb",
                         "02-create-managed-identity.ipynb", "03-create-federated-credential.ipynb",
                         "04-use-workload-identity-on-aks.ipynb", "05-test-the-application.ipynb")}
UP_TO_03 = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
            "create_federated_credential")
KEYLESS_PASSED = "\u2705 keyless"          # how the verify result shows a passed "keyless" check


def runbook(home: Path, emulator: InProcessEmulator, *steps: str) -> keyless.Runbook:
    """The steps a journey is not about, done through the runbook library on the journey's data folder."""
    rb = keyless.init(keyless.Parameters(data_dir=str(home)), emulator=emulator.info)
    for step in steps:
        assert getattr(rb, step)().ok, repr(rb.results[-1])
    return rb


def assert_clean(lab: LabPage) -> None:
    assert lab.errors() == []


def test_chromium_reaches_loopback_only(browser):
    """The launch flags send every non-loopback request to a closed port: it fails, offline or not."""
    context = browser.new_context()
    page = context.new_page()
    outcome = page.evaluate("fetch('https://example.com/', {mode: 'no-cors'}).then(() => 'reached', "
                                "e => 'failed: ' + e)")
    context.close()
    assert outcome.startswith("failed")


@pytest.mark.timeout(900)
def test_in_order_pass_renders_widgets_without_error_output(lab: LabPage, environment: Path, context):
    """00 to 05 in order, each with Run > Restart Kernel and Run All Cells: no cell shows a traceback, stderr
    or "Error displaying widget", 05 proves keyless; and the page asked no host but loopback. (The form's
    widgets rendering and taking input: the two form journeys below.)"""
    for number in ("00", "01", "02", "03", "04", "05"):
        started = time.monotonic()
        lab.open(NB[number])
        lab.restart_and_run_all()
        print(f"{NB[number]}: opened and run in {time.monotonic() - started:.1f}s")
        assert_clean(lab)
    assert KEYLESS_PASSED in lab.text()
    assert "verify: ok" in lab.text()
    foreign = [url for url in context.requested if not is_loopback(url)]
    assert context.requested and foreign == []


def test_a_form_change_in_00_is_the_identity_02_creates(lab: LabPage, environment: Path, node_emulator):
    """The learner types another identity name into 00's form and runs on: 02 creates that identity (read
    back from Resource Manager with azure-mgmt-msi) and says where the value came from."""
    lab.open(NB["00"])
    lab.run_cells(0, 1, 2)
    lab.page.fill(css.FORM_FIELD.format("Managed identity"), "learnerIdentity")
    lab.page.keyboard.press("Tab")
    lab.run_cells(3, 4, clear=False)
    assert_clean(lab)
    rb = runbook(environment, node_emulator, "enable_workload_identity")          # 01, not this journey's point
    lab.open(NB["02"])
    lab.restart_and_run_all()
    assert_clean(lab)
    assert "identity = learnerIdentity (saved from a form)" in lab.text(1)
    created = rb.clients.msi.user_assigned_identities.get("myResourceGroup", "learnerIdentity")
    assert created.name == "learnerIdentity" and created.client_id in lab.text()
    names = [i.name for i in rb.clients.msi.user_assigned_identities.list_by_resource_group("myResourceGroup")]
    assert names == ["learnerIdentity"]


def test_invalid_form_input_shows_a_message_and_no_traceback(lab: LabPage, environment: Path):
    """An identity name the naming rule refuses: the apply cell shows which parameter and rule, the form
    shows it too, no traceback appears, and nothing is saved for the next notebooks."""
    lab.open(NB["00"])
    lab.run_cells(0, 1, 2)
    lab.page.fill(css.FORM_FIELD.format("Managed identity"), "my identity!")
    lab.page.keyboard.press("Tab")
    lab.run_cells(3, clear=False)
    shown = lab.text(3)
    assert "apply-form: failed" in shown and "identity" in shown and "nothing was saved or changed" in shown
    # the form keeps the typed value and names the parameter beside it
    assert lab.page.input_value(css.FORM_FIELD.format("Managed identity")) == "my identity!"
    assert "identity" in lab.text(2)
    assert_clean(lab)
    assert not keyless.params.saved_path(environment, "emulator").exists()


def test_05_before_04_is_refused_with_no_mutating_request(lab: LabPage, environment: Path, node_emulator):
    """Notebooks 00-03 done, 04 not: running all of 05 (the verification, the exercise, the mend) sends no
    request that changes anything, and the refusals say to run 04 first."""
    runbook(environment, node_emulator, *UP_TO_03)
    control = ControlClient.of(node_emulator.info)
    control.clear_requests()
    lab.open(NB["05"])
    lab.restart_and_run_all()
    assert control.mutating_requests() == []
    shown = lab.text()
    assert "run 04 first (notebook 04-use-workload-identity-on-aks)" in shown and "nothing was changed" in shown
    assert_clean(lab)


def test_skipping_04_then_05_shows_no_keyless_pass(lab: LabPage, environment: Path, node_emulator):
    """04 skipped: 05's verification shows keyless as not proven, never with a green tick, and names 04."""
    runbook(environment, node_emulator, *UP_TO_03)
    lab.open(NB["05"])
    lab.run_cells(0, 1, 2)
    shown = lab.text(2)
    assert "verify: failed" in shown and "not proven" in shown and "run 04 first" in shown
    assert KEYLESS_PASSED not in shown and "\u2705 product description generated" not in shown
    assert_clean(lab)


def test_a_kernel_restart_in_the_middle_of_03_then_continuing(lab: LabPage, environment: Path, node_emulator):
    """03's first step done, then Kernel > Restart; the learner runs the init cell again and goes on: the
    federated credential is created from the state file's record, with no error."""
    rb = runbook(environment, node_emulator, "discover", "enable_workload_identity", "create_managed_identity")
    lab.open(NB["03"])
    lab.run_cells(0, 1, 2)
    assert "assign-openai-role" in lab.text(2) and "failed" not in lab.text(2)
    lab.restart_kernel()
    lab.run_cells(1, 3)
    assert_clean(lab)
    assert "create-federated-credential" in lab.text(3) and "failed" not in lab.text(3)
    credential = rb.clients.msi.federated_identity_credentials.get("myResourceGroup", "myIdentity", "myFedIdentity")
    assert credential.subject == "system:serviceaccount:default:ai-service-account"


def test_store_admin_generates_a_description_and_saves_the_product(lab: LabPage, environment: Path, node_emulator,
                                                                     context):
    """After 04, 05 prints the store-admin address; there the page lists the products, "Ask AI Assistant"
    fills in a description (ai-service through the workload identity) and "Save Product" adds the product."""
    runbook(environment, node_emulator, *UP_TO_03, "create_service_account", "redeploy_app")
    lab.open(NB["05"])
    lab.run_cells(0, 1, 2)
    shown = lab.text(2)
    assert KEYLESS_PASSED in shown
    address = re.search(r"on this machine: (http://[0-9.:]+)", shown)
    assert address, shown
    store = context.new_page()
    try:
        store.goto(address.group(1) + "/")
        rows = store.locator(css.STORE_PRODUCT_ROWS)
        wait_for(lambda: rows.count() > 1, 60, "the product list")
        before = rows.count()
        store.click(css.STORE_NAV_ADD)
        store.fill(css.STORE_NAME, "Browser Test Rope")
        store.fill(css.STORE_PRICE, "9.99")
        store.fill(css.STORE_TAGS, "dog, rope")
        store.click(css.STORE_ASK_AI, timeout=SLOW)
        store.wait_for_function("sel => document.querySelector(sel).value.length > 20", arg=css.STORE_DESCRIPTION,
                                timeout=SLOW)
        assert store.inner_text(css.STORE_STATUS) == "Description generated."
        description = store.input_value(css.STORE_DESCRIPTION)
        store.click(css.STORE_SAVE)
        wait_for(lambda: "Product saved successfully" in store.inner_text(css.STORE_STATUS), 60, "the saved product")
        # the page says "saved" as it opens, then reads the product: its name is there once that answer arrives
        wait_for(lambda: store.inner_text(css.STORE_DETAIL_NAME), 60, "the saved product's page")
        assert store.inner_text(css.STORE_DETAIL_NAME) == "Browser Test Rope"
        assert store.inner_text(css.STORE_DETAIL_DESCRIPTION).startswith(description[:40])
        store.goto(address.group(1) + "/")
        wait_for(lambda: rows.count() == before + 1, 60, "the saved product in the list")
    finally:
        store.close()
