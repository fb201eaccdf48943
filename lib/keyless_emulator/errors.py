"""The base of every error the emulator answers with.

Each surface has its own wire shape (ARM error body, Entra OAuth error, Kubernetes Status,
Azure OpenAI error); each defines a subclass that knows how to render itself.
"""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response


class EmulatorError(Exception):
    status: int = 500

    def __init__(self, message: str = "", *, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})

    def body(self) -> Any:
        return {"error": {"code": type(self).__name__, "message": self.message}}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)
