"""nbval replays the recorded notebooks (`python -m keyless record`) against a fresh emulator and
compares every cell's output with the recording, through tests/runbook/sanitize.cfg."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_recorded_notebooks_replay_identically(fresh):
    home = Path(fresh.info.home)
    shutil.rmtree(home / "state", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}
    env.update(KEYLESS_HOME=str(home), KEYLESS_HEADLESS="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "--nbval", str(HERE / "recorded"), "--nbval-sanitize-with",
                           str(HERE / "sanitize.cfg"), "-q", "-p", "no:cacheprovider"], env=env, cwd=HERE.parents[1],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_recordings_hold_no_secret_and_no_injected_parameters():
    for path in sorted((HERE / "recorded").glob("*.ipynb")):
        text = path.read_text()
        assert "injected-parameters" not in text and "eyJ" not in text, path.name
        assert "client_secret" not in text.lower()
