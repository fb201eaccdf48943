"""store-admin as the learner meets it: its pages at the address the cluster reports, and the product
journeys of aks-store-demo's store-admin (list, add, edit, "Ask AI Assistant"), over HTTP against the
store the seeded cluster runs (store-admin → product-service → ai-service → Azure OpenAI)."""
from __future__ import annotations

import re

import pytest
import requests
from kit import wait_for

from keyless_emulator import ControlClient, InProcessEmulator

from .conftest import Cluster

# the element ids the module docstring promises (browser tests drive the page by them)
STABLE_IDS = ("nav-products", "nav-add-product", "view-title", "status", "product-list", "product-detail",
              "detail-name", "detail-price", "detail-description", "edit-product", "product-form",
              "validation-errors", "product-id", "product-name", "product-price", "product-tags",
              "product-description", "product-image", "ask-ai", "save-product")


@pytest.fixture(scope="module")
def store(node_emulator: InProcessEmulator) -> tuple[str, ControlClient]:
    """store-admin's address on this machine, as the cluster's load balancer reports it, and the control
    client. Module scope: resetting the cluster restarts every pod (seconds each time); these tests only
    add, edit and delete products of their own, so one reset serves them all."""
    control = ControlClient.of(node_emulator.info)
    control.quiet()
    section = node_emulator.backend.state.sections["kubernetes"]
    doc = node_emulator.backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")[0]
    cluster = Cluster(node_emulator, section, section.store_for(doc))
    for app in ("ai-service", "product-service", "store-admin"):
        cluster.ready_pod(app)
    url = wait_for(lambda: (cluster.store.find("services", "default", "store-admin")["metadata"].get("annotations")
                            or {}).get("keyless.emulator/local-url"), what="store-admin's address")
    return url, control


@pytest.fixture
def store_admin(store: tuple[str, ControlClient]) -> str:
    return store[0]


@pytest.fixture
def product(store_admin):
    """A product of this test's own (the catalogue lives as long as product-service's pod), deleted after."""
    made = requests.post(store_admin + "/api/product", json={"name": "Rope Toy", "price": 4.5,
                                                             "description": "A knotted rope."})
    assert made.status_code == 200, made.text
    yield made.json()
    requests.delete(f"{store_admin}/api/product/{made.json()['id']}")


PAGES = ("/", "/products", "/product/add", "/product/1", "/product/1/edit")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_store_admin_is_the_self_contained_document_with_its_stable_ids(store_admin, path):
    r = requests.get(store_admin + path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    ids = set(re.findall(r'id="([^"]+)"', r.text))
    assert set(STABLE_IDS) <= ids, set(STABLE_IDS) - ids
    assert ">Ask AI Assistant<" in r.text and ">Save Product<" in r.text
    assert not re.search(r'(src|href)="(https?:)?//', r.text) and "http" not in r.text.split("<script>")[1], \
        "the page loads nothing from elsewhere"


def test_add_a_product_then_it_is_listed_and_readable(store_admin, product):
    listed = requests.get(store_admin + "/api/products").json()
    assert {"id": product["id"], "name": "Rope Toy", "price": 4.5, "description": "A knotted rope."}.items() <= \
        next(p for p in listed if p["id"] == product["id"]).items()
    assert requests.get(f"{store_admin}/api/product/{product['id']}").json()["name"] == "Rope Toy"


def test_edit_a_product_and_read_it_back(store_admin, product):
    edited = {**product, "name": "Rope Toy XL", "price": 6.25, "description": "A longer knotted rope."}
    r = requests.put(store_admin + "/api/product", json=edited)
    assert r.status_code == 200 and r.json()["id"] == product["id"]
    back = requests.get(f"{store_admin}/api/product/{product['id']}").json()
    assert (back["name"], back["price"], back["description"]) == ("Rope Toy XL", 6.25, "A longer knotted rope.")
    assert [p["name"] for p in requests.get(store_admin + "/api/products").json()].count("Rope Toy XL") == 1


def test_editing_a_product_that_does_not_exist_is_404(store_admin):
    r = requests.put(store_admin + "/api/product", json={"id": 999999, "name": "Ghost", "price": 1.0})
    assert (r.status_code, r.json()) == (404, {"detail": "Product not found"})


def test_ask_ai_assistant_generates_a_description_through_azure_openai_and_it_is_saved(store, product):
    store_admin, control = store
    mark = control.openai_calls()["last_seq"]
    assert requests.get(store_admin + "/api/ai/health").json()["capabilities"] == ["description"]
    r = requests.post(store_admin + "/api/ai/generate/description", json={"name": "Rope Toy", "tags": ["dog", "rope"]})
    assert r.status_code == 200, r.text
    description = r.json()["description"]
    assert isinstance(description, str) and description.strip()
    calls = control.openai_calls(since=mark)["calls"]
    assert [(c["deployment"], c["credential"], c["status"]) for c in calls] == [("gpt-4o-mini", "api-key", 200)], \
        "before the runbook, ai-service calls Azure OpenAI with the prerequisite article's key"
    saved = requests.put(store_admin + "/api/product", json={**product, "description": description})
    assert saved.status_code == 200
    assert requests.get(f"{store_admin}/api/product/{product['id']}").json()["description"] == description
