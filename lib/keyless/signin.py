"""Signing in with the credentials people bring, read from one environment mapping.

The runbook builds its credential chain itself instead of using DefaultAzureCredential, for three
reasons: the chain reads a given mapping (the process environment on Azure, the emulator's exported
environment on the emulator target), so both targets take this one path; MSAL-based credentials get
instance discovery turned off for an authority MSAL does not know (else it asks the public login
host); and a failed sign-in says which credentials were tried and how to fix each.

Tried in order, each only when its settings are present:

1. a service principal with a client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
   (Azure Pipelines and other CI systems, through the environment);
2. workload identity federation: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE (the AKS
   webhook injects these; a CI job writes its OIDC token, e.g. GitHub Actions', to the file);
3. the Azure CLI's sign-in (`az login`), in the cloud az is set to.

AZURE_TOKEN_CREDENTIALS narrows the chain as it does DefaultAzureCredential's: `prod` (1 and 2), `dev`
(3), or one credential's name (EnvironmentCredential, WorkloadIdentityCredential, AzureCliCredential).
The first credential that answers is kept; one that fails (rather than being unavailable) ends the
chain, so a wrong secret is reported as such instead of being hidden behind a later credential.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import KeylessError, scrub

SERVICE_PRINCIPAL = "EnvironmentCredential"
WORKLOAD_IDENTITY = "WorkloadIdentityCredential"
AZURE_CLI = "AzureCliCredential"
_GROUPS = {"prod": (SERVICE_PRINCIPAL, WORKLOAD_IDENTITY), "dev": (AZURE_CLI,)}


@dataclass(frozen=True)
class Leg:
    """One credential of the chain: what it is called, what it reads, and the fix when it fails."""

    name: str
    label: str
    fix: str


LEGS = {
    SERVICE_PRINCIPAL: Leg(SERVICE_PRINCIPAL,
                           "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
                           "check the tenant id, client id and client secret in the environment (a new secret: "
                           "az ad app credential reset --id <client id>)"),
    WORKLOAD_IDENTITY: Leg(WORKLOAD_IDENTITY, "workload identity federation (AZURE_TENANT_ID, AZURE_CLIENT_ID, "
                                              "AZURE_FEDERATED_TOKEN_FILE)",
                           "check that the identity of AZURE_CLIENT_ID has a federated credential whose issuer, "
                           "subject and audience (api://AzureADTokenExchange) equal the token's, and that the "
                           "token file holds a fresh token"),
    AZURE_CLI: Leg(AZURE_CLI, "Azure CLI (az login)",
                   "sign in with az login (for a cloud az does not know: az cloud register, then az cloud set)"),
}

HOW_TO_SIGN_IN = ("sign in one of these ways: az login; a service principal through AZURE_TENANT_ID, AZURE_CLIENT_ID "
                  "and AZURE_CLIENT_SECRET; or workload identity federation through AZURE_TENANT_ID, AZURE_CLIENT_ID "
                  "and AZURE_FEDERATED_TOKEN_FILE (CI with OIDC, e.g. GitHub Actions)")


def allowed(environment: Mapping[str, str]) -> tuple[str, ...]:
    """The credentials AZURE_TOKEN_CREDENTIALS permits (all when it is unset)."""
    wanted = environment.get("AZURE_TOKEN_CREDENTIALS", "").strip()
    if not wanted:
        return tuple(LEGS)
    if wanted.lower() in _GROUPS:
        return _GROUPS[wanted.lower()]
    for name in LEGS:
        if name.lower() == wanted.lower():
            return (name,)
    raise KeylessError(f"AZURE_TOKEN_CREDENTIALS={wanted} names no credential this runbook uses",
                       f"unset it, or choose prod, dev, {', '.join(LEGS)}", code="SignInSettings")


def _short(error: BaseException | str) -> str:
    """The first meaningful line of a credential's error, without Entra's raw JSON or any token."""
    text = str(error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if "AADSTS" in line), lines[0] if lines else type(error).__name__)
    first = re.sub(r"\s*Content:.*$", "", first)
    first = re.sub(r"\s*(Trace ID|Correlation ID|Timestamp):.*$", "", first)
    return scrub(first)[:400]


class SignIn:
    """A TokenCredential over the chain; the failure is a KeylessError naming every credential tried."""

    def __init__(self, legs: list[tuple[Leg, Any]], authority: str, skipped: list[tuple[Leg, str]] | None = None):
        self.legs = legs
        self.authority = authority
        self.skipped = skipped or []          # credentials left out, and why (named in a failure)
        self.used: str = ""                   # the name of the credential that answered

    def _first(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from azure.identity import CredentialUnavailableError

        if self.used:  # later tokens (other scopes, refreshes) come from the credential that answered
            leg, chosen = next((leg, c) for leg, c in self.legs if leg.name == self.used)
            try:
                return getattr(chosen, method)(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - e.g. an expired federated token: named, with its fix
                raise self._failure([(leg, "failed: " + _short(e))], failed=leg, skipped=False) from None
        tried: list[tuple[Leg, str]] = []
        for leg, credential in self.legs:
            try:
                token = getattr(credential, method)(*args, **kwargs)
            except CredentialUnavailableError as e:
                tried.append((leg, "not available: " + _short(e)))
                continue
            except Exception as e:  # noqa: BLE001 - a credential that fails ends the chain, named
                tried.append((leg, "failed: " + _short(e)))
                raise self._failure(tried, failed=leg) from None
            self.used = leg.name
            return token
        raise self._failure(tried)

    def _failure(self, tried: list[tuple[Leg, str]], failed: Leg | None = None, skipped: bool = True) -> KeylessError:
        listed = "; ".join(f"{leg.label}: {outcome}" for leg, outcome in [*tried, *(self.skipped if skipped else [])])
        return KeylessError(f"sign-in failed (authority {self.authority}); credentials tried: {listed}",
                            failed.fix if failed else HOW_TO_SIGN_IN, code="SignInFailed")

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._first("get_token", *scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return self._first("get_token_info", *scopes, options=options)

    def close(self) -> None:
        for _leg, credential in self.legs:
            close = getattr(credential, "close", None)
            if close:
                close()


def credential(environment: Mapping[str, str], authority: str, verify: Any, known_authority: bool) -> SignIn:
    """The chain for this environment. `authority` is where Entra is (the cloud's, or AZURE_AUTHORITY_HOST);
    `verify` the CA bundle path or True; `known_authority` False turns MSAL's instance discovery off."""
    from azure.identity import AzureCliCredential, ClientSecretCredential, WorkloadIdentityCredential

    names = allowed(environment)
    legs: list[tuple[Leg, Any]] = []
    skipped: list[tuple[Leg, str]] = []

    def settings(leg: str, *variables: str) -> bool:
        if leg not in names:
            skipped.append((LEGS[leg], "left out by AZURE_TOKEN_CREDENTIALS"))
            return False
        missing = [v for v in variables if not environment.get(v)]
        if missing:
            skipped.append((LEGS[leg], f"not set up ({', '.join(missing)} unset)"))
        return not missing

    tenant, client = environment.get("AZURE_TENANT_ID", ""), environment.get("AZURE_CLIENT_ID", "")
    if settings(SERVICE_PRINCIPAL, "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        legs.append((LEGS[SERVICE_PRINCIPAL], ClientSecretCredential(
            tenant, client, environment["AZURE_CLIENT_SECRET"], authority=authority,
            disable_instance_discovery=not known_authority, connection_verify=verify)))
    if settings(WORKLOAD_IDENTITY, "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"):
        legs.append((LEGS[WORKLOAD_IDENTITY], WorkloadIdentityCredential(
            tenant_id=tenant, client_id=client, token_file_path=environment["AZURE_FEDERATED_TOKEN_FILE"],
            authority=authority, connection_verify=verify)))
    if settings(AZURE_CLI):
        legs.append((LEGS[AZURE_CLI], AzureCliCredential()))
    return SignIn(legs, authority, skipped)


def authority_of(environment: Mapping[str, str], cloud_authority: str) -> str:
    """AZURE_AUTHORITY_HOST when set (azure-identity's own rule: a bare host gets https://), else the cloud's."""
    value = environment.get("AZURE_AUTHORITY_HOST", "").strip()
    if not value:
        return cloud_authority.rstrip("/")
    return (value if "://" in value else "https://" + value).rstrip("/")
