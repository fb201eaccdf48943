"""store-admin: the store's back-office page, and its `/api/...` routes to product-service.

Our implementation (port 8081) of what the published image's nginx does: serve the page, and
forward `/api/products`, `/api/product[/{id}]`, `/api/ai/health` and
`/api/ai/generate/description` to product-service (VUE_APP_PRODUCT_SERVICE_URL, default
`http://product-service:3002/`). The page is self-contained (no CDN, no external asset): it lists
and adds products and, when `/api/ai/health` reports the "description" capability, shows the
"Ask AI Assistant" button that asks ai-service (through product-service) for a description.
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
def page() -> str:
    return PAGE


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Store Admin</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
label{display:block;margin:.6rem 0 .2rem}input,textarea{width:100%;padding:.3rem;box-sizing:border-box}
textarea{height:6rem}button{margin-top:.8rem;margin-right:.5rem;padding:.4rem .9rem}
#status{margin-top:.8rem;color:#555;white-space:pre-wrap}.error{color:#a00!important}
</style></head>
<body>
<h1>Store Admin &mdash; Products</h1>
<table><thead><tr><th>Id</th><th>Name</th><th>Price</th><th>Description</th></tr></thead>
<tbody id="products"><tr><td colspan="4">Loading&hellip;</td></tr></tbody></table>
<h2>Add a product</h2>
<form id="form" onsubmit="return false">
<label for="name">Name</label><input id="name" required>
<label for="price">Price</label><input id="price" type="number" step="0.01" min="0" value="9.99">
<label for="tags">Keywords (comma separated)</label><input id="tags" placeholder="toy, dog, rope">
<label for="description">Description</label><textarea id="description"></textarea>
<button id="ask" type="button" hidden>Ask AI Assistant</button>
<button id="save" type="button">Save Product</button>
</form>
<div id="status"></div>
<script>
const $ = (id) => document.getElementById(id);
function status(text, isError) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
async function loadProducts() {
  const r = await fetch("api/products");
  const rows = $("products"); rows.textContent = "";
  if (!r.ok) { status("Could not load products: " + r.status + " " + await r.text(), true); return; }
  for (const p of await r.json()) {
    const tr = document.createElement("tr");
    [p.id, p.name, Number(p.price).toFixed(2), p.description].forEach(v => tr.appendChild(cell(v)));
    rows.appendChild(tr);
  }
}
async function checkAi() {
  try {
    const r = await fetch("api/ai/health");
    if (!r.ok) return;
    const h = await r.json();
    $("ask").hidden = !(h.status === "ok" && (h.capabilities || []).includes("description"));
  } catch (e) { $("ask").hidden = true; }
}
$("ask").onclick = async () => {
  const name = $("name").value.trim();
  const tags = $("tags").value.split(",").map(t => t.trim()).filter(t => t);
  if (!name) { status("Enter a product name first.", true); return; }
  status("Asking the AI assistant\\u2026"); $("ask").disabled = true;
  try {
    const r = await fetch("api/ai/generate/description", {method: "POST",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({name, tags})});
    const text = await r.text(); let body = null; try { body = JSON.parse(text); } catch (e) {}
    if (r.ok && body && typeof body.description === "string") {
      $("description").value = body.description; status("Description generated.");
    }
    else { status("The AI assistant failed (" + r.status + "): " + ((body && body.detail) || text), true); }
  } finally { $("ask").disabled = false; }
};
$("save").onclick = async () => {
  const product = {name: $("name").value.trim(), price: parseFloat($("price").value || "0"),
                   description: $("description").value};
  if (!product.name) { status("Enter a product name.", true); return; }
  const r = await fetch("api/product", {method: "POST", headers: {"Content-Type": "application/json"},
                                        body: JSON.stringify(product)});
  if (r.ok) { status("Saved."); $("form").reset(); await loadProducts(); }
  else { status("Save failed (" + r.status + "): " + await r.text(), true); }
};
loadProducts(); checkAi();
</script>
</body></html>
"""


def main() -> None:
    serve(app, DEFAULT_PORT)


if __name__ == "__main__":
    sys.exit(main())
