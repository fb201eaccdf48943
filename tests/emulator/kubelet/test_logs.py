"""Container log files in the CRI format: current and previous instance, dropped with the pod."""
from __future__ import annotations

import re

from keyless_emulator.kubelet.logs import ContainerLogs

KEY = ("cluster", "default", "pod", "c")
CRI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) F (.*)$")


def lines(path):
    return [CRI.match(line).groups() for line in path.read_text().splitlines()]


def test_lines_are_written_in_the_cri_format(tmp_path):
    logs = ContainerLogs()
    logs.open(KEY, tmp_path / "c")
    logs.write(KEY, "INFO:     Started server process [7]\n", "stderr")
    logs.write(KEY, "hello", "stdout")
    assert lines(logs.path(KEY)) == [("stderr", "INFO:     Started server process [7]"), ("stdout", "hello")]


def test_previous_exists_once_an_instance_terminated(tmp_path):
    logs = ContainerLogs()
    logs.open(KEY, tmp_path / "c")
    assert logs.path(KEY) is not None and logs.path(KEY).read_text() == ""
    assert logs.path(KEY, previous=True) is None
    logs.write(KEY, "first run")
    logs.terminated(KEY)  # crashed: during the back-off both name the crashed instance
    assert lines(logs.path(KEY, previous=True)) == lines(logs.path(KEY)) == [("stdout", "first run")]
    logs.restart(KEY)
    logs.write(KEY, "second run")
    assert lines(logs.path(KEY, previous=True)) == [("stdout", "first run")]
    assert lines(logs.path(KEY)) == [("stdout", "second run")]


def test_unknown_and_dropped_containers_have_no_file(tmp_path):
    logs = ContainerLogs()
    assert logs.path(KEY) is None
    logs.open(KEY, tmp_path / "c")
    logs.drop_pod("cluster", "default", "pod")
    assert logs.path(KEY) is None
    logs.write(KEY, "ignored")  # a late line of a stopped process goes nowhere
