"""The shared secret scanner finds each kind of secret, names the file and kind, never the value."""
from __future__ import annotations

import pytest
from secretscan import assert_no_secret, findings, jwt_shaped, pod_logs, text_findings

JWT = jwt_shaped({"sub": "system:sa"})
CLIENT_SECRET = "abc8Q~" + "x" * 34


@pytest.mark.parametrize("text, kind", [
    (f"token={JWT}", "a JWT"),
    (f'"client_secret": "{CLIENT_SECRET}"', "an Entra client secret"),
])
def test_each_shape_is_found(text, kind):
    assert text_findings("f", text) == [f"f: {kind}"]


def test_known_values_are_found_without_being_repeated(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "report.json").write_text('{"key": "k3y-value-123"}')
    found = findings([tmp_path], ["k3y-value-123", "other"])
    assert found == [f"{tmp_path / 'sub' / 'report.json'}: a known secret (#1 of 2)"]
    assert "k3y-value-123" not in " ".join(found)
    with pytest.raises(AssertionError, match=r"report\.json: a known secret"):
        assert_no_secret([tmp_path], ["k3y-value-123"])


def test_clean_text_and_lookalikes_pass(tmp_path):
    (tmp_path / "a.txt").write_text("eyJ alone, an id 8Q~ too short, /subscriptions/x/resourceGroups/y")
    assert assert_no_secret([tmp_path, tmp_path / "missing.log"], ["not-there"]) == 1


def test_pod_logs_leave_token_volumes_out(tmp_path):
    pod = tmp_path / "pods" / "c1" / "default" / "ai-service-1"
    (pod / "logs" / "ai-service").mkdir(parents=True)
    (pod / "logs" / "ai-service" / "0.log").write_text("started\n")
    (pod / "volumes" / "kube-api-access-x").mkdir(parents=True)
    (pod / "volumes" / "kube-api-access-x" / "token").write_text(JWT)
    assert pod_logs(tmp_path) == [pod / "logs" / "ai-service" / "0.log"]


def test_a_file_removed_between_listing_and_reading_is_passed_over(tmp_path, monkeypatch):
    """A pod's log the kubelet removes (its cluster deleted) while the scan runs holds nothing to leak."""
    import secretscan

    gone, kept = tmp_path / "0.log", tmp_path / "report.json"
    kept.write_text('{"key": "k3y-value-123"}')
    monkeypatch.setattr(secretscan, "files_under", lambda paths: [gone, kept])  # listed while it still existed
    assert findings([tmp_path], ["k3y-value-123"]) == [f"{kept}: a known secret (#1 of 1)"]
