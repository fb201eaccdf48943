"""The assembly (keyless_emulator.assembly) wires the Kubernetes side in one place: these tests
check that a started emulator is put together the way that module says, with nothing else
registering itself."""
from __future__ import annotations

from keyless_emulator.kubelet.bind import StoreClusterAPI
from keyless_emulator.kubelet.kubelet import Kubelet
from keyless_emulator.kubernetes import webhook
from keyless_emulator.kubernetes.controllers import ControllerManager
from keyless_emulator.storeapps.seed import seed_store_workload


def test_the_section_is_attached_to_the_backend_and_the_state(fresh, section):
    backend = fresh.backend
    assert backend.kubernetes is section
    assert backend.state.on_removed == section.resources_removed


def test_the_pod_admission_chain_ends_with_the_workload_identity_webhook(section):
    assert section.admission_plugins == [webhook.admission_plugin]


def test_the_store_workload_is_the_only_seeder(section):
    assert section.seeders == [seed_store_workload]


def test_each_cluster_api_server_has_its_controllers_and_the_kubelet_as_its_node(section, store):
    assert isinstance(store.controllers, ControllerManager) and store.controllers.store is store
    assert isinstance(section.kubelet, Kubelet)
    assert isinstance(store.node, StoreClusterAPI) and store.node.store is store
    assert section.kubelet.api_of(store.cluster_key) is store.node


def test_the_kubelet_answers_for_the_service_proxy_pod_proxy_and_logs(section):
    assert section.endpoint_resolver == section.kubelet.service_address
    assert section.pod_resolver == section.kubelet.pod_address
    assert section.log_provider == section.kubelet.log_file
