"""product-service: the store's product catalogue, and the path from store-admin to ai-service.

Our implementation of the aks-store-demo service's HTTP behaviour (port 3002):
- `GET /health` -> `{"status": "ok", "version": APP_VERSION}`
- `GET /` all products, `GET /{id}`, `POST /` add, `PUT /` update, `DELETE /{id}` (in memory)
- `GET /ai/health` -> ai-service's `/health` body on 2xx, 404 with an empty body otherwise,
  500 with the error text when ai-service cannot be reached
- `POST /ai/generate/description` -> forwarded to ai-service's `/generate/description`; its
  status and body are passed through (500 with the error text when unreachable)
`AI_SERVICE_URL` (default `http://ai-service:5001/`) names ai-service; a trailing slash is
dropped before the path is appended (whether the original sends `//health` is unconfirmed).
"""
from __future__ import annotations

import os
import sys
import threading

import requests
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .pod_runtime import resolve_url, serve

DEFAULT_PORT = 3002
DEFAULT_AI_SERVICE_URL = "http://ai-service:5001/"
AI_TIMEOUT = 120


class Product(BaseModel):
    id: int = 0
    name: str
    price: float
    description: str = ""
    image: str = "/placeholder.png"


SEED = [
    Product(id=1, name="Wagging Trail Mix", price=8.99, description="Crunchy training treats in three flavours."),
    Product(id=2, name="Catnap Cloud Bed", price=34.5, description="A round, washable bed for cats who nap a lot."),
    Product(id=3, name="Fetch-o-Matic Ball", price=12.0, description="A bouncy rubber ball that glows in the dark."),
    Product(id=4, name="Aquarium Starter Plants", price=15.25, description="Five easy plants for a new tank."),
]


class Catalogue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items = {p.id: p.model_copy() for p in SEED}

    def all(self) -> list[Product]:
        with self._lock:
            return [self._items[k] for k in sorted(self._items)]

    def get(self, product_id: int) -> Product | None:
        with self._lock:
            return self._items.get(product_id)

    def add(self, product: Product) -> Product:
        with self._lock:
            product = product.model_copy(update={"id": max(self._items, default=0) + 1})
            self._items[product.id] = product
            return product

    def update(self, product: Product) -> Product | None:
        with self._lock:
            if product.id not in self._items:
                return None
            self._items[product.id] = product
            return product

    def delete(self, product_id: int) -> bool:
        with self._lock:
            return self._items.pop(product_id, None) is not None


catalogue = Catalogue()
app = FastAPI(title="product-service")


def ai_url(path: str) -> str:
    return resolve_url(os.environ.get("AI_SERVICE_URL", DEFAULT_AI_SERVICE_URL).rstrip("/") + path)


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "version": os.environ.get("APP_VERSION", "0.1.0")}


@app.get("/ai/health")
def ai_health() -> Response:
    try:
        r = requests.get(ai_url("/health"), timeout=10)
    except requests.RequestException as e:
        return Response(content=str(e), status_code=500, media_type="text/plain")
    if r.ok:
        return Response(content=r.content, status_code=r.status_code, media_type="application/json")
    return Response(status_code=404)


@app.post("/ai/generate/description")
async def ai_description(request: Request) -> Response:
    body = await request.body()
    try:
        r = await _post(ai_url("/generate/description"), body)
    except requests.RequestException as e:
        return Response(content=str(e), status_code=500, media_type="text/plain")
    return Response(content=r.content, status_code=r.status_code,
                    media_type=r.headers.get("content-type", "application/json"))


async def _post(url: str, body: bytes) -> requests.Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(requests.post, url, data=body, timeout=AI_TIMEOUT,
                                   headers={"Content-Type": "application/json"})


@app.get("/")
def list_products() -> list[Product]:
    return catalogue.all()


@app.get("/{product_id}")
def get_product(product_id: int) -> Product:
    product = catalogue.get(product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return product


@app.post("/")
def add_product(product: Product) -> Product:
    return catalogue.add(product)


@app.put("/")
def update_product(product: Product) -> Product:
    updated = catalogue.update(product)
    if updated is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return updated


@app.delete("/{product_id}")
def delete_product(product_id: int) -> JSONResponse:
    if not catalogue.delete(product_id):
        raise HTTPException(status_code=404, detail="Product not found")
    return JSONResponse({"deleted": product_id})


def main() -> None:
    serve(app, DEFAULT_PORT)


if __name__ == "__main__":
    sys.exit(main())
