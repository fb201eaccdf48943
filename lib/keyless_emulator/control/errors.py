"""Errors of the control API: {"error": {"code", "message"}}."""
from __future__ import annotations

from ..errors import EmulatorError


class ControlError(EmulatorError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, status=status)
        self.code = code

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}
