"""keyless's public API: every advertised name resolves, and both packages stay light to import."""
from __future__ import annotations

import subprocess
import sys

import keyless


def test_every_public_name_resolves():
    for name in keyless.__all__:
        assert getattr(keyless, name) is not None, name


def test_all_lists_exactly_the_public_names():
    for name in keyless.__all__:  # each is imported on first use (PEP 562)
        getattr(keyless, name)
    public = {n for n in vars(keyless) if not n.startswith("_") and n not in ("annotations",)}
    modules = {n for n in public if type(getattr(keyless, n)).__name__ == "module"}
    assert sorted(public - modules) == sorted(keyless.__all__)


def test_importing_the_runbook_does_not_import_the_heavy_sdks():
    code = ("import sys, keyless; "
            "print(sorted({m.split('.')[0] + '.' + m.split('.')[1] if m.startswith('azure.') else m.split('.')[0] "
            "for m in sys.modules if m.startswith(('azure.mgmt', 'azure.identity', 'kubernetes', 'openai', "
            "'ipywidgets', 'papermill', 'keyless_emulator'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_importing_the_emulator_does_not_import_the_runbook_or_the_management_sdks():
    code = ("import sys, keyless_emulator; "
            "print(sorted(m for m in sys.modules if m.startswith(('keyless.steps', 'keyless.targets', 'azure.mgmt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
