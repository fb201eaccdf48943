"""keyless.statefile: what was discovered and created, per target, subscription and resource group."""
from __future__ import annotations

import json

import pytest

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


def _answer(status: int):
    from kubernetes.client.exceptions import ApiException
    return ApiException(status=status, reason="x")


def test_intent_is_on_disk_before_the_change_is_sent(tmp_path):
    state = StateFile(tmp_path / "s.json")
    with state.intent("service_account", {"namespace": "default", "name": "sa"}):
        on_disk = json.loads((tmp_path / "s.json").read_text())  # what a kill at this moment leaves
        assert on_disk["created"]["service_account"] == {"namespace": "default", "name": "sa"}
    assert StateFile(tmp_path / "s.json").created["service_account"]["name"] == "sa"


@pytest.mark.parametrize("failure,kept", [(_answer(403), False), (_answer(409), False), (_answer(500), True),
                                          (_answer(429), True), (ConnectionResetError(104, "reset"), True),
                                          (KeyboardInterrupt(), True)],
                         ids=["403", "409", "500", "429", "reset", "interrupt"])
def test_only_a_definite_refusal_takes_the_intent_back(tmp_path, failure, kept):
    state = StateFile(tmp_path / "s.json")
    with pytest.raises(type(failure)), state.intent("identity", "/subscriptions/s/x/myIdentity"):
        raise failure
    assert ("identity" in StateFile(tmp_path / "s.json").created) is kept


def test_a_record_from_an_earlier_run_survives_a_refused_retry(tmp_path):
    state = StateFile(tmp_path / "s.json")
    state.record_created("identity", "/subscriptions/s/x/myIdentity")
    with pytest.raises(type(_answer(403))), state.intent("identity", "/subscriptions/s/x/myIdentity"):
        raise _answer(403)
    assert StateFile(tmp_path / "s.json").created["identity"] == "/subscriptions/s/x/myIdentity"


def test_a_pending_operation_survives_a_restart_and_an_older_file_gains_the_section(tmp_path):
    s = StateFile.for_environment(tmp_path, "emulator", "SUB", "myResourceGroup")
    s.remember_pending("cluster_update", {"cluster": "c", "purpose": "enable", "notebook": "01", "token": "t"})
    assert StateFile(s.path).pending["cluster_update"]["token"] == "t"
    s.forget_pending("cluster_update")
    assert StateFile(s.path).pending == {}
    older = tmp_path / "older.json"   # written before the section existed
    older.write_text(json.dumps({"version": 1, "discovered": {}, "created": {"identity": "/id"}, "original": {}}))
    loaded = StateFile(older)
    assert loaded.pending == {} and loaded.created == {"identity": "/id"}
