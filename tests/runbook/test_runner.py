"""keyless.runner: how notebooks are executed."""
from __future__ import annotations


def test_the_runner_talks_to_kernels_over_local_sockets_not_tcp():
    from keyless.runner import _ipc_kernel_manager

    assert _ipc_kernel_manager()().transport == "ipc"
