"""The emulator tests' real SDK clients, pointed at the kit's `fresh` emulator (tests/kit/fixtures.py)."""
from __future__ import annotations

import pytest

from keyless_emulator import InProcessEmulator

from .clients import Clients


@pytest.fixture
def clients(fresh: InProcessEmulator) -> Clients:
    return Clients(fresh.info)
