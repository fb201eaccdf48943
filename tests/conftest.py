"""Test-wide guards (loopback only, no ambient Azure configuration) and the kit's shared fixtures."""
from __future__ import annotations

import os

import pytest

# The shared emulator fixtures (emulator, node_emulator, control, fresh): tests/kit/fixtures.py.
pytest_plugins = ("kit.fixtures",)

# Nothing in the suite may use ambient Azure settings or fall back to a cloud endpoint.
for _name in list(os.environ):
    if _name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_")) or _name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        del os.environ[_name]
os.environ["AZURE_TOKEN_CREDENTIALS"] = "prod"  # keeps DefaultAzureCredential away from developer tools
# ...and its managed identity leg away from the link-local IMDS address: a closed loopback port.
os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:9"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


def pytest_configure(config: pytest.Config) -> None:
    # pytest-socket: every test may connect to loopback only (all of 127.0.0.0/8: load balancers
    # get their own loopback address).
    config.option.allow_hosts = "127.0.0.0/8,::1,localhost"
