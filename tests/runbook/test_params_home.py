"""keyless.params: where the data folder is (Parameters.home). It belongs with tests/runbook/test_params.py;
it stays apart while that file changes."""
from __future__ import annotations

import keyless


def test_the_data_folder_is_found_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("KEYLESS_HOME", raising=False)
    (tmp_path / ".keyless").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert keyless.Parameters().home == tmp_path / ".keyless"
    monkeypatch.setenv("KEYLESS_HOME", str(tmp_path / "elsewhere"))
    assert keyless.Parameters().home == tmp_path / "elsewhere"
    assert keyless.Parameters(data_dir=str(tmp_path / "d")).home == tmp_path / "d"
