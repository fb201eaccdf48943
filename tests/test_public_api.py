"""keyless's public API: every advertised name resolves, and the emulator's start stays light."""
from __future__ import annotations

import subprocess
import sys

import keyless


def test_every_public_name_resolves():
    for name in keyless.__all__:
        assert getattr(keyless, name) is not None, name


def test_an_unknown_name_is_an_attribute_error():
    try:
        keyless.no_such_thing  # noqa: B018
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_emulator_does_not_import_the_runbook_or_the_management_sdks():
    code = ("import sys, keyless.emulator; "
            "print(sorted(m for m in sys.modules if m.startswith(('keyless.steps', 'keyless.targets', 'azure.mgmt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
