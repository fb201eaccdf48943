"""Workload identity federation: a client assertion exchanged for an access token.

What Entra does with `client_assertion` (the Kubernetes service-account token), in order:

1. `client_assertion_type` must be the JWT bearer type (else AADSTS90011); the assertion is
   stripped of surrounding whitespace (WorkloadIdentityCredential sends the token file
   verbatim, trailing newline included) and must be a JWT (else AADSTS50027).
2. The identity's federated identity credentials that have propagated (older than the
   `federation_propagation_seconds` setting) are the only ones Entra knows. With none at all
   the answer is the generic AADSTS70021 (what a fresh credential gives while it propagates).
   One of them must name the assertion's issuer, exactly (case- and slash-sensitive) — Entra
   never contacts an issuer it does not trust — else AADSTS700211, naming the issuer.
3. The issuer's discovery document and JWKS are fetched: here, the issuer must be a cluster
   this emulator serves with its OIDC issuer enabled, else AADSTS50166.
4. The signature is checked against that JWKS: unknown `kid` -> AADSTS7000272, bad signature
   -> AADSTS700027; then the validity window -> AADSTS700024.
5. Among the credentials of that issuer, the subject must match exactly -> else AADSTS700213
   naming the subject (AADSTS7002138 when it matches only case-insensitively); then the
   audience -> else AADSTS700212 naming the audience. Entra has named the field that did not
   match since 2024 (as public reports of these codes show); 70021 remains its answer when nothing is
   federated.

On success the token is issued for the identity's service principal, valid 24 hours,
`appidacr` "2" (assertion). Rules only; no HTTP here.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import clusters
from ..backend import Backend
from ..signing import InvalidToken, unverified_claims, verify
from ..state import Principal
from .errors import EntraError
from .tokens import FEDERATED_TOKEN_LIFETIME, IssuedToken, issue

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
PROPAGATION_SETTING = "federation_propagation_seconds"
WORKLOAD_IDENTITY_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
CERTIFICATE_DOCS = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"


@dataclass(frozen=True)
class FederatedCredential:
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class Assertion:
    raw: str
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.claims.get("iss", ""))

    @property
    def subject(self) -> str:
        return str(self.claims.get("sub", ""))

    @property
    def audiences(self) -> tuple[str, ...]:
        aud = self.claims.get("aud")
        if isinstance(aud, list):
            return tuple(str(a) for a in aud)
        return (str(aud),) if aud is not None else ()


# -- errors, with Entra's texts ------------------------------------------------------------

def unexpected_assertion_type() -> EntraError:
    return EntraError(400, "invalid_request", 90011, "Unexpected client assertion type.")


def malformed_assertion() -> EntraError:
    return EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.")


def no_matching_record(assertion: Assertion) -> EntraError:
    return EntraError(400, "invalid_client", 70021,
                      "No matching federated identity record found for presented assertion. "
                      f"Assertion Issuer: '{assertion.issuer}'. Assertion Subject: '{assertion.subject}'. "
                      f"Assertion Audience: '{','.join(assertion.audiences)}'. {WORKLOAD_IDENTITY_DOCS}")


def unknown_issuer(assertion: Assertion) -> EntraError:
    return EntraError(400, "invalid_client", 700211,
                      "No matching federated identity record found for presented assertion issuer "
                      f"'{assertion.issuer}'. Please check your federated identity credential Subject, Audience "
                      f"and Issuer against the presented assertion. {WORKLOAD_IDENTITY_DOCS}")


def unknown_audience(assertion: Assertion) -> EntraError:
    return EntraError(400, "invalid_client", 700212,
                      "No matching federated identity record found for presented assertion audience "
                      f"'{','.join(assertion.audiences)}'. Please check your federated identity credential Subject, "
                      f"Audience and Issuer against the presented assertion. {WORKLOAD_IDENTITY_DOCS}")


def unknown_subject(assertion: Assertion) -> EntraError:
    return EntraError(400, "invalid_client", 700213,
                      "No matching federated identity record found for presented assertion subject "
                      f"'{assertion.subject}'. Check your federated identity credential Subject, Audience and "
                      f"Issuer against the presented assertion. {WORKLOAD_IDENTITY_DOCS}")


def subject_case_mismatch(assertion: Assertion) -> EntraError:
    return EntraError(400, "invalid_client", 7002138,
                      "No matching federated identity record found for presented assertion subject "
                      f"'{assertion.subject}'. The subject matches with case-insensitive comparison, but not with "
                      "case-sensitive comparison. Check your federated identity credential Subject, Audience and "
                      f"Issuer against the presented assertion. See documentation at: {WORKLOAD_IDENTITY_DOCS}.")


def external_oidc_failed() -> EntraError:
    return EntraError(400, "invalid_request", 50166, "Request to External OIDC endpoint failed.")


def unknown_signing_key(kid: str, issuer: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000272,
                      f"The certificate with identifier {kid} used to sign the federated credential could not be "
                      f"found in the metadata of identity provider {issuer}. Please validate that your Identity "
                      "Provider's metadata exposes the key used to sign the incoming token.")


def invalid_signature(kid: str) -> EntraError:
    return EntraError(401, "invalid_client", 700027,
                      "Client assertion contains an invalid signature. [Reason - The provided signature value did "
                      f"not match the expected signature value., Thumbprint of key used by client: '{kid}']")


def outside_valid_time_range(now: float, claims: dict[str, Any]) -> EntraError:
    nbf = claims.get("nbf", claims.get("iat", 0))
    return EntraError(401, "invalid_client", 700024,
                      f"Client assertion is not within its valid time range. Current time: {_entra_time(now)}, "
                      f"assertion valid from {_entra_time(nbf)}, expiry time of assertion "
                      f"{_entra_time(claims.get('exp', 0))}. Review the documentation at {CERTIFICATE_DOCS} .")


def _entra_time(value: Any) -> str:
    try:
        moment = _dt.datetime.fromtimestamp(float(value), _dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        moment = _dt.datetime.fromtimestamp(0, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


# -- the rules -----------------------------------------------------------------------------

def parse_assertion(form: dict[str, str]) -> Assertion:
    if form.get("client_assertion_type", "") != JWT_BEARER:
        raise unexpected_assertion_type()
    raw = form.get("client_assertion", "").strip()
    try:
        header, claims = unverified_claims(raw)
    except InvalidToken:
        raise malformed_assertion() from None
    if not isinstance(claims, dict):
        raise malformed_assertion()
    return Assertion(raw, header, claims)


def _written_at(value: Any) -> float | None:
    """meta["written_at"] as epoch seconds (accepts a number or an ISO 8601 string)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value:
        text = value.rstrip("Z")
        if "." in text:  # Resource Manager writes seven fractional digits; datetime takes six
            whole, frac = text.split(".", 1)
            text = f"{whole}.{frac[:6]}"
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        return moment.timestamp()
    return None


def propagated_credentials(backend: Backend, principal: Principal) -> list[FederatedCredential]:
    """The identity's federated credentials Entra already knows about."""
    if not principal.resource_id:
        return []
    state = backend.state
    delay = float(state.settings.get(PROPAGATION_SETTING, 0) or 0)
    now = backend.clock.time()
    out = []
    for doc in state.resources.under(principal.resource_id, FIC_TYPE):
        written = _written_at(state.resources.meta(doc["id"]).get("written_at"))
        if delay > 0 and written is not None and now - written < delay:
            continue
        props = doc.get("properties") or {}
        out.append(FederatedCredential(name=doc.get("name", ""), issuer=str(props.get("issuer", "")),
                                       subject=str(props.get("subject", "")),
                                       audiences=tuple(str(a) for a in props.get("audiences") or ())))
    return out


def issuer_jwks(backend: Backend, issuer: str) -> list[dict[str, str]]:
    """The JWKS the issuer publishes, as Entra would fetch it (raises AADSTS50166 if it cannot)."""
    if not issuer.startswith(backend.base_url + "/oidc/") or not issuer.endswith("/"):
        raise external_oidc_failed()
    issuer_id = urlsplit(issuer).path.rstrip("/").rsplit("/", 1)[-1]
    doc = clusters.cluster_by_issuer(backend.state, issuer_id)
    if doc is None or not clusters.oidc_enabled(doc) or clusters.issuer_url(backend, doc) != issuer:
        raise external_oidc_failed()
    return backend.keys.jwks(clusters.issuer_key_name(issuer_id))["keys"]


def verify_assertion(backend: Backend, assertion: Assertion, jwks: list[dict[str, str]]) -> None:
    kid = str(assertion.header.get("kid", ""))
    if not any(k.get("kid") == kid for k in jwks):
        raise unknown_signing_key(kid, assertion.issuer)
    now = backend.clock.time()
    try:
        verify(assertion.raw, jwks, now=now, audiences=None, leeway=0)
    except InvalidToken as e:
        if e.reason in ("expired", "not_yet_valid"):
            raise outside_valid_time_range(now, assertion.claims) from None
        if e.reason == "malformed":
            raise malformed_assertion() from None
        raise invalid_signature(kid) from None


def matching_credential(assertion: Assertion, credentials: list[FederatedCredential]) -> FederatedCredential:
    """Subject, then audience, compared exactly among the credentials naming the assertion's issuer
    (exact matching since 2024-08); the first field that matches nothing is the one Entra names."""
    same_subject = [fic for fic in credentials if fic.subject == assertion.subject]
    if not same_subject:
        if any(fic.subject.lower() == assertion.subject.lower() for fic in credentials):
            raise subject_case_mismatch(assertion)
        raise unknown_subject(assertion)
    for fic in same_subject:
        if any(a in assertion.audiences for a in fic.audiences):
            return fic
    raise unknown_audience(assertion)


def exchange(backend: Backend, principal: Principal, form: dict[str, str], resource: str) -> IssuedToken:
    """Validate a federated client assertion for `principal` and issue its access token."""
    assertion = parse_assertion(form)
    known = propagated_credentials(backend, principal)
    if not known:
        raise no_matching_record(assertion)
    credentials = [c for c in known if c.issuer == assertion.issuer]
    if not credentials:
        raise unknown_issuer(assertion)
    jwks = issuer_jwks(backend, assertion.issuer)
    verify_assertion(backend, assertion, jwks)
    matching_credential(assertion, credentials)
    return issue(backend, principal, resource, lifetime=FEDERATED_TOKEN_LIFETIME, auth_method="2")
