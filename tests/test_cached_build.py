"""tests/cached_build.py: a tool is built once into the cache, and a failed build leaves nothing behind."""
from __future__ import annotations

import pytest
from cached_build import MARKER, built


def test_a_tool_is_built_once_and_found_built_afterwards(tmp_path):
    runs = []

    def build(folder):
        folder.mkdir()
        (folder / "tool").write_text("ok")
        runs.append(folder.name)

    target = tmp_path / "tool-1.0"
    assert built(target, "1.0", build) == target and built(target, "1.0", build) == target
    assert len(runs) == 1 and runs[0].startswith("tool-1.0.partial-")  # built under another name, then renamed
    assert (target / "tool").read_text() == "ok" and (target / MARKER).read_text() == "1.0\n"


def test_a_failed_build_leaves_no_folder_and_the_next_use_builds_again(tmp_path):
    def broken(folder):
        folder.mkdir()
        (folder / "half").write_text("")
        raise RuntimeError("npm install failed")

    target = tmp_path / "tool-1.0"
    with pytest.raises(RuntimeError, match="npm install failed"):
        built(target, "1.0", broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tool-1.0.lock"]
    assert built(target, "1.0", lambda folder: folder.mkdir()) == target and (target / MARKER).exists()
