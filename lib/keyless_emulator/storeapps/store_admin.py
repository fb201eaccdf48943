"""store-admin: the store's back-office pages, and its `/api/...` routes to product-service.

Our implementation (port 8081) of what the published image's nginx does: serve the pages, and forward
`/api/products`, `/api/product[/{id}]`, `/api/ai/health` and `/api/ai/generate/description` to
product-service (VUE_APP_PRODUCT_SERVICE_URL, default `http://product-service:3002/`). The pages are the
product part of aks-store-demo's store-admin (its routes `/products`, `/product/add`, `/product/{id}`,
`/product/{id}/edit`); the order pages are left out, since the emulator runs no order or makeline
service, so `/` shows the product list. As there, the form's "Ask AI Assistant" appears when
`/api/ai/health` reports the "description" capability, needs keywords, and fills the description from
ai-service (through product-service); saving POSTs a new product or PUTs an edited one, with the same
validation (a name, a price above 0, a description). Where the original shows an alert, this page writes
the message into its status line, so a test reads it. One self-contained page (no CDN, no external asset)
serves every route and picks its view from the path.

Stable element ids, for browser tests:
- navigation: `nav-products` (the list), `nav-add-product` (the add form); `view-title`: the view's heading
- list (`/`, `/products`): table `product-list`; per product a row `product-<id>`, a link to its page
  `product-<id>-link` (the name) and one to its edit form `product-<id>-edit`
- detail (`/product/<id>`): `product-detail`, with `detail-name`, `detail-price`, `detail-description`;
  the link `edit-product` opens the edit form
- form (`/product/add`, `/product/<id>/edit`): `product-form` with `product-name`, `product-price`,
  `product-tags` (keywords, comma separated), `product-description`, `product-image` and the hidden
  `product-id`; buttons `ask-ai` ("Ask AI Assistant", disabled while it waits, the description reading
  "Thinking...") and `save-product` ("Save Product"); `validation-errors` lists what blocks a save
- `status` (role status): "Description generated." once a description arrived, "Product saved
  successfully" on the product's page after a save; class `error` on a failure, with the HTTP status
  and the service's own message
"""
from __future__ import annotations

import os
import sys

import requests
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from .pod_runtime import resolve_url, serve

DEFAULT_PORT = 8081
DEFAULT_PRODUCT_SERVICE_URL = "http://product-service:3002/"
TIMEOUT = 120

app = FastAPI(title="store-admin", docs_url=None, redoc_url=None, openapi_url=None)


def product_url(path: str) -> str:
    base = os.environ.get("VUE_APP_PRODUCT_SERVICE_URL", DEFAULT_PRODUCT_SERVICE_URL).rstrip("/")
    return resolve_url(base + path)


async def forward(request: Request, path: str) -> Response:
    body = await request.body()
    headers = {"Content-Type": request.headers.get("content-type", "application/json")} if body else {}
    try:
        r = await run_in_threadpool(requests.request, request.method, product_url(path), data=body or None,
                                    headers=headers, timeout=TIMEOUT)
    except requests.RequestException as e:
        return Response(content=f"502 Bad Gateway: {e}", status_code=502, media_type="text/plain")
    return Response(content=r.content, status_code=r.status_code,
                    media_type=r.headers.get("content-type", "application/json"))


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "version": os.environ.get("APP_VERSION", "0.1.0")}


@app.get("/api/products")
async def products(request: Request) -> Response:
    return await forward(request, "/")


@app.api_route("/api/product", methods=["POST", "PUT"])
async def product_write(request: Request) -> Response:
    return await forward(request, "/")


@app.api_route("/api/product/{product_id}", methods=["GET", "DELETE"])
async def product_one(request: Request, product_id: str) -> Response:
    return await forward(request, f"/{product_id}")


@app.get("/api/ai/health")
async def ai_health(request: Request) -> Response:
    return await forward(request, "/ai/health")


@app.post("/api/ai/generate/description")
async def ai_description(request: Request) -> Response:
    return await forward(request, "/ai/generate/description")


@app.get("/", response_class=HTMLResponse)
@app.get("/products", response_class=HTMLResponse)
@app.get("/product/add", response_class=HTMLResponse)
@app.get("/product/{product_id}", response_class=HTMLResponse)
@app.get("/product/{product_id}/edit", response_class=HTMLResponse)
def page() -> str:
    """Every page is the one document; its script picks the view from the path."""
    return PAGE


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Store Admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{background:#1f2937;padding:.7rem 2rem}nav a{color:#fff;margin-right:1.5rem;text-decoration:none;font-weight:600}
main{margin:1.5rem 2rem;max-width:60rem}h2{font-size:1.3rem}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input,textarea{width:100%;padding:.4rem;box-sizing:border-box}
textarea{height:8rem}button,a.button{margin-top:.8rem;margin-right:.5rem;padding:.4rem .9rem;font-size:1rem}
a.button{display:inline-block;border:1px solid #888;border-radius:3px;color:#222;text-decoration:none}
dt{font-weight:600;margin-top:.6rem}dd{margin:.2rem 0 0 0;white-space:pre-wrap}
#status{margin-top:1rem;color:#155724;white-space:pre-wrap}#status.error{color:#a00}
#validation-errors{color:#a00}[hidden]{display:none!important}
</style></head>
<body>
<nav><a id="nav-products" href="/products">Products</a><a id="nav-add-product" href="/product/add">Add Product</a></nav>
<main>
<h2 id="view-title">Products</h2>
<div id="status" role="status" aria-live="polite"></div>
<table id="product-list" hidden><thead><tr><th>Id</th><th>Name</th><th>Price</th><th>Description</th><th></th></tr>
</thead><tbody></tbody></table>
<section id="product-detail" hidden><dl>
<dt>Name</dt><dd id="detail-name"></dd><dt>Price</dt><dd id="detail-price"></dd>
<dt>Description</dt><dd id="detail-description"></dd></dl>
<a id="edit-product" class="button" href="#">Edit Product</a></section>
<form id="product-form" hidden onsubmit="return false">
<ul id="validation-errors" hidden></ul>
<input id="product-id" type="hidden" value="0">
<label for="product-name">Name</label><input id="product-name" placeholder="Product Name">
<label for="product-price">Price</label><input id="product-price" type="number" step="0.01" placeholder="Product Price">
<label for="product-tags">Keywords</label><input id="product-tags" placeholder="Product Keywords (comma separated)">
<label for="product-description">Description</label>
<textarea id="product-description" placeholder="Product Description"></textarea>
<button id="ask-ai" type="button" hidden>Ask AI Assistant</button>
<label for="product-image">Image</label>
<input id="product-image" placeholder="Product Image URL" value="/placeholder.png">
<button id="save-product" type="button">Save Product</button>
</form>
</main>
<script>
const $ = (id) => document.getElementById(id);
const JSON_TYPE = {"Content-Type": "application/json"};
const AI_FAILED = "Error occurred while generating product description";
function say(text, isError) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
function link(id, href, text) {
  const a = document.createElement("a"); a.id = id; a.href = href; a.textContent = text; return a;
}
function money(v) { return Number(v).toFixed(2); }
async function failure(what, r) {
  const text = await r.text(); let body = null; try { body = JSON.parse(text); } catch (e) {}
  const detail = body && (typeof body.detail === "string" ? body.detail : body.error) || text;
  say(what + " (HTTP " + r.status + "): " + detail, true);
}
async function showList() {
  $("view-title").textContent = "Products"; $("product-list").hidden = false;
  const r = await fetch("/api/products");
  if (!r.ok) { await failure("Could not load the products", r); return; }
  const rows = $("product-list").tBodies[0]; rows.textContent = "";
  for (const p of await r.json()) {
    const tr = document.createElement("tr"); tr.id = "product-" + p.id;
    const page = "/product/" + p.id;
    const name = document.createElement("td"); name.appendChild(link("product-" + p.id + "-link", page, p.name));
    const edit = document.createElement("td");
    edit.appendChild(link("product-" + p.id + "-edit", page + "/edit", "Edit"));
    tr.append(cell(p.id), name, cell(money(p.price)), cell(p.description), edit);
    rows.appendChild(tr);
  }
}
async function readProduct(id) {
  const r = await fetch("/api/product/" + encodeURIComponent(id));
  if (r.ok) return await r.json();
  await failure("Could not load product " + id, r); return null;
}
async function showDetail(id) {
  $("view-title").textContent = "Product " + id;
  if (new URLSearchParams(location.search).get("saved")) say("Product saved successfully");
  const p = await readProduct(id); if (!p) return;
  $("view-title").textContent = p.name;
  $("detail-name").textContent = p.name; $("detail-price").textContent = money(p.price);
  $("detail-description").textContent = p.description;
  $("edit-product").href = "/product/" + p.id + "/edit"; $("product-detail").hidden = false;
}
let editing = false;
async function showForm(id) {
  editing = id !== null;
  $("view-title").textContent = editing ? "Edit Product" : "Add Product";
  if (editing) {
    const p = await readProduct(id); if (!p) return;
    $("product-id").value = p.id; $("product-name").value = p.name; $("product-price").value = p.price;
    $("product-description").value = p.description; $("product-image").value = p.image || "";
  }
  $("product-form").hidden = false;
  try {
    const r = await fetch("/api/ai/health"); const h = r.ok ? await r.json() : {};
    $("ask-ai").hidden = !(h.status === "ok" && (h.capabilities || []).includes("description"));
  } catch (e) { $("ask-ai").hidden = true; }
}
function problems() {
  const out = [];
  if (!$("product-name").value.trim()) out.push("Please enter a value for the name field");
  if (!(parseFloat($("product-price").value) > 0)) out.push("Please enter a value greater than 0 for the price field");
  if (!$("product-description").value.trim()) out.push("Please enter a value for the description field");
  return out;
}
$("ask-ai").onclick = async () => {
  const tags = $("product-tags").value.split(",").map(t => t.trim()).filter(t => t);
  if (!tags.length) { say("Please enter a value for the keywords field", true); return; }
  say(""); $("ask-ai").disabled = true; $("product-description").value = "Thinking...";
  try {
    const r = await fetch("/api/ai/generate/description", {method: "POST", headers: JSON_TYPE,
      body: JSON.stringify({name: $("product-name").value.trim(), tags})});
    if (!r.ok) { $("product-description").value = ""; await failure(AI_FAILED, r); return; }
    const body = await r.json();
    $("product-description").value = body.description; say("Description generated.");
  } catch (e) { $("product-description").value = ""; say(AI_FAILED + ": " + e, true); }
  finally { $("ask-ai").disabled = false; }
};
$("save-product").onclick = async () => {
  const list = problems(); const ul = $("validation-errors"); ul.textContent = "";
  for (const p of list) { const li = document.createElement("li"); li.textContent = p; ul.appendChild(li); }
  ul.hidden = !list.length; if (list.length) return;
  const product = {id: parseInt($("product-id").value || "0", 10), name: $("product-name").value.trim(),
                   price: parseFloat($("product-price").value), description: $("product-description").value,
                   image: $("product-image").value};
  const r = await fetch("/api/product", {method: editing ? "PUT" : "POST", headers: JSON_TYPE,
                                         body: JSON.stringify(product)});
  if (!r.ok) { await failure("Error occurred while saving product", r); return; }
  const saved = await r.json(); location.assign("/product/" + saved.id + "?saved=1");
};
const parts = location.pathname.split("/").filter(p => p);
if (parts.length === 0 || (parts.length === 1 && parts[0] === "products")) showList();
else if (parts[0] === "product" && parts.length === 2 && parts[1] === "add") showForm(null);
else if (parts[0] === "product" && parts.length === 2) showDetail(decodeURIComponent(parts[1]));
else if (parts[0] === "product" && parts.length === 3 && parts[2] === "edit") showForm(decodeURIComponent(parts[1]));
else { $("view-title").textContent = "Page not found"; }
</script>
</body></html>
"""


def main() -> None:
    serve(app, DEFAULT_PORT)


if __name__ == "__main__":
    sys.exit(main())
