"""Container logs: current and previous instance, tail, timestamps, follow."""
from __future__ import annotations

import asyncio
import re

import pytest

from keyless.emulator.kubelet.logs import LogNotFound, LogStore

KEY = ("cluster", "default", "pod", "c")


def test_read_tail_and_timestamps():
    logs = LogStore()
    for i in range(5):
        logs.write(KEY, f"line {i}\n")
    assert logs.read(KEY) == "".join(f"line {i}\n" for i in range(5))
    assert logs.read(KEY, tail_lines=2) == "line 3\nline 4\n"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 0\n", logs.read(KEY, timestamps=True))


def test_previous_after_restart_and_not_before():
    logs = LogStore()
    logs.write(KEY, "first run")
    with pytest.raises(LogNotFound):
        logs.read(KEY, previous=True)
    logs.restart(KEY)
    logs.write(KEY, "second run")
    assert logs.read(KEY, previous=True) == "first run\n"
    assert logs.read(KEY) == "second run\n"


def test_unknown_container_is_not_found():
    with pytest.raises(LogNotFound):
        LogStore().read(KEY)


def test_follow_streams_new_lines_until_the_pod_goes():
    logs = LogStore()
    logs.write(KEY, "a")

    async def scenario():
        got = []

        async def reader():
            async for chunk in logs.follow(KEY, poll=0.01):
                got.append(chunk)

        task = asyncio.create_task(reader())
        await asyncio.sleep(0.05)
        logs.write(KEY, "b")
        await asyncio.sleep(0.05)
        logs.drop_pod("cluster", "default", "pod")
        await asyncio.wait_for(task, 1)
        return got

    assert asyncio.run(scenario()) == ["a\n", "b\n"]
