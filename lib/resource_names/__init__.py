"""The naming rules of every resource the runbook names, in one table.

Both the runbook (`keyless.params`, which refuses a bad parameter before anything is sent) and
the emulator (`keyless_emulator`, which answers a bad name as the real service does) check names
here, so the two cannot drift apart: a name the runbook accepts is a name the emulator accepts,
and both follow the documented rule. This package uses the standard library only and imports
neither of them (an import-linter contract in pyproject.toml).

Sources:

- Azure: the resource-name-rules article and the ARM template reference of each type
  (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules,
  learn.microsoft.com/azure/templates/microsoft.cognitiveservices/accounts); the federated
  identity credential pattern is the REST spec's path pattern (Microsoft.ManagedIdentity
  2024-11-30).
- Kubernetes: apimachinery's `IsDNS1123Label`, `IsDNS1123Subdomain` and `IsDNS1035Label`
  (object names; namespaces are DNS-1123 labels, Services DNS-1035 labels).

Each rule keeps the length apart from the shape because kube-apiserver reports them as two
different errors ("must be no more than 63 characters" before the regex message).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "COGNITIVE_SERVICES_ACCOUNT",
    "COGNITIVE_SERVICES_DEPLOYMENT",
    "DNS1035_LABEL",
    "DNS1123_LABEL",
    "DNS1123_SUBDOMAIN",
    "FEDERATED_IDENTITY_CREDENTIAL",
    "MANAGED_CLUSTER",
    "RESOURCE_GROUP",
    "RULES",
    "USER_ASSIGNED_IDENTITY",
    "NameRule",
]


@dataclass(frozen=True)
class NameRule:
    """One naming rule: a length range, a shape (a regular expression for the whole name) and the
    rule in words, as its documentation states it."""

    kind: str
    min_length: int
    max_length: int
    shape: str
    text: str
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.shape))

    def has_valid_length(self, name: str) -> bool:
        return self.min_length <= len(name) <= self.max_length

    def has_valid_shape(self, name: str) -> bool:
        """Whether the characters and their order follow the rule (length aside); never matches a
        trailing newline, unlike a `$`-anchored `re.match`."""
        return self._compiled.fullmatch(name) is not None

    def matches(self, name: str) -> bool:
        return self.has_valid_length(name) and self.has_valid_shape(name)


_ALNUM = "a-zA-Z0-9"

RESOURCE_GROUP = NameRule(
    "Microsoft.Resources/resourceGroups", 1, 90, r"[-\w.()]*[-\w()]",
    "a resource group name is 1-90 letters, digits, '_', '-', '.', '(' or ')' and does not end with '.'")
MANAGED_CLUSTER = NameRule(
    "Microsoft.ContainerService/managedClusters", 1, 63, rf"[{_ALNUM}](?:[-_{_ALNUM}]*[{_ALNUM}])?",
    "an AKS cluster name is 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit")
COGNITIVE_SERVICES_ACCOUNT = NameRule(
    "Microsoft.CognitiveServices/accounts", 2, 64, rf"[{_ALNUM}](?:[-{_ALNUM}]*[{_ALNUM}])?",
    "an Azure OpenAI (Cognitive Services) account name is 2-64 letters, digits or '-', starting and ending with a "
    "letter or digit")
COGNITIVE_SERVICES_DEPLOYMENT = NameRule(
    "Microsoft.CognitiveServices/accounts/deployments", 1, 64, rf"[{_ALNUM}][-_.{_ALNUM}]*",
    "an Azure OpenAI deployment name is 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit")
USER_ASSIGNED_IDENTITY = NameRule(
    "Microsoft.ManagedIdentity/userAssignedIdentities", 3, 128, rf"[{_ALNUM}][-_{_ALNUM}]*",
    "a user-assigned managed identity name is 3-128 letters, digits, '-' or '_', starting with a letter or digit")
FEDERATED_IDENTITY_CREDENTIAL = NameRule(
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials", 3, 120,
    rf"[{_ALNUM}][-_{_ALNUM}]*",
    "a federated identity credential name matches ^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$ (3-120 characters)")
DNS1123_LABEL = NameRule(
    "DNS-1123 label", 1, 63, r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?",
    "a DNS-1123 label: 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit")
DNS1123_SUBDOMAIN = NameRule(
    "DNS-1123 subdomain", 1, 253, r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*",
    "a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' or '.', each part starting and ending with "
    "a letter or digit")
DNS1035_LABEL = NameRule(
    "DNS-1035 label", 1, 63, r"[a-z](?:[-a-z0-9]*[a-z0-9])?",
    "a DNS-1035 label: 1-63 lower-case letters, digits or '-', starting with a letter and ending with a letter or "
    "digit")

RULES: dict[str, NameRule] = {rule.kind: rule for rule in (
    RESOURCE_GROUP, MANAGED_CLUSTER, COGNITIVE_SERVICES_ACCOUNT, COGNITIVE_SERVICES_DEPLOYMENT,
    USER_ASSIGNED_IDENTITY, FEDERATED_IDENTITY_CREDENTIAL, DNS1123_LABEL, DNS1123_SUBDOMAIN, DNS1035_LABEL)}
