"""The real SDK clients, pointed at an emulator and trusting only its CA."""
from __future__ import annotations

from functools import cached_property
from typing import Any

from azure.identity import ClientSecretCredential

from keyless_emulator import ControlClient, EmulatorInfo


class Clients:
    def __init__(self, info: EmulatorInfo):
        self.info = info
        self.sub = info.subscription_id
        self.verify = info.ca_cert

    def credential(self, tenant_id: str | None = None, client_id: str | None = None,
                   client_secret: str | None = None) -> ClientSecretCredential:
        return ClientSecretCredential(tenant_id or self.info.tenant_id, client_id or self.info.client_id,
                                      client_secret or self.info.client_secret, authority=self.info.url,
                                      disable_instance_discovery=True, connection_verify=self.verify)

    @cached_property
    def cred(self) -> ClientSecretCredential:
        return self.credential()

    def _mgmt(self, cls: Any, credential: Any = None, subscription: str | None = None) -> Any:
        return cls(credential or self.cred, subscription or self.sub, base_url=self.info.url,
                   connection_verify=self.verify, polling_interval=30)

    def resources(self, **kw: Any) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient
        return self._mgmt(ResourceManagementClient, **kw)

    def aks(self, **kw: Any) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient
        return self._mgmt(ContainerServiceClient, **kw)

    def msi(self, **kw: Any) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient
        return self._mgmt(ManagedServiceIdentityClient, **kw)

    def auth(self, **kw: Any) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient
        return self._mgmt(AuthorizationManagementClient, **kw)

    def cognitive(self, **kw: Any) -> Any:
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
        return self._mgmt(CognitiveServicesManagementClient, **kw)

    @cached_property
    def control(self) -> ControlClient:
        """The emulator's control API (`/_emulator/...`), through its one client."""
        return ControlClient.of(self.info)

    def group_id(self, group: str = "myResourceGroup") -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{group}"
