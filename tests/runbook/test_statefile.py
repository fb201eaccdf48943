"""keyless.statefile: what was discovered and created, per target, subscription and resource group."""
from __future__ import annotations

from keyless.statefile import StateFile


def test_state_file_survives_a_restart_and_keeps_the_first_original(tmp_path):
    s = StateFile.for_environment(tmp_path, "emulator", "SUB", "myResourceGroup")
    s.remember(cluster="c")
    s.record_created("identity", "/id")
    s.record_original("deployment", {"v": 1})
    s.record_original("deployment", {"v": 2})
    again = StateFile.for_environment(tmp_path, "emulator", "SUB", "myResourceGroup")
    assert again.discovered["cluster"] == "c" and again.created == {"identity": "/id"}
    assert again.original["deployment"] == {"v": 1}
    assert again.path.name == "emulator-sub-myresourcegroup.json"
    assert oct(again.path.stat().st_mode & 0o777) == "0o600"


def test_state_files_are_per_environment(tmp_path):
    a = StateFile.for_environment(tmp_path, "azure", "s1", "rg")
    b = StateFile.for_environment(tmp_path, "azure", "s2", "rg")
    a.record_created("identity", "/x")
    assert b.created == {} and a.path != b.path
