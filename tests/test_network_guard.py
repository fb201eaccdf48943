"""The suite reaches loopback only: pytest-socket guards connections, and no credential can fall
back to a cloud endpoint or the instance metadata service."""
from __future__ import annotations

import os
import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_connections_are_guarded():
    # pytest-socket replaces connect with its guard when allow-hosts is set (tests/conftest.py)
    assert socket.socket.connect.__name__ != "connect", "pytest-socket's guard is not active"


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")
def test_a_non_loopback_address_is_refused_before_any_packet_leaves():
    assert socket.socket.connect.__name__ != "connect"  # never try this without the guard
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(SocketConnectBlockedError):
        s.connect(("192.0.2.1", 443))  # TEST-NET-1, documentation-only


def test_loopback_is_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_no_ambient_azure_configuration_and_no_imds():
    assert os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"].startswith("http://127.0.0.1:")
    assert not any(k in os.environ for k in ("AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT",
                                             "IDENTITY_ENDPOINT", "REQUESTS_CA_BUNDLE"))


def test_default_credential_cannot_leave_the_machine():
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    with pytest.raises(ClientAuthenticationError):
        DefaultAzureCredential().get_token("https://management.azure.com/.default")
