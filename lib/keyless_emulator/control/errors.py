"""Errors of the control API: {"error": {"code", "message"}}."""
from __future__ import annotations

from ..errors import EmulatorError


class ControlError(EmulatorError):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message, status=status, headers=headers)
        self.code = code

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}
