"""RS256 signing keys, their JWKS, and JWT minting and verification.

Entra signs access tokens with one key ring; every cluster's OIDC issuer has its own. Keys
are kept as PEM files in the data folder (`keys/<name>.pem`), made on first use, so tokens
and federated trust survive a restart; they are never part of a snapshot.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    name: str
    private_key: rsa.RSAPrivateKey

    @property
    def kid(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:20]).rstrip(b"=").decode()

    def jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, "typ": typ})


class KeyRing:
    """Named signing keys, persisted under one folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._keys: dict[str, SigningKey] = {}
        self._lock = threading.Lock()

    def key(self, name: str) -> SigningKey:
        with self._lock:
            if name not in self._keys:
                self._keys[name] = self._load_or_make(name)
            return self._keys[name]

    def _load_or_make(self, name: str) -> SigningKey:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        path = self.folder / f"{safe}.pem"
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return SigningKey(name, key)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        tmp.chmod(0o600)
        tmp.replace(path)
        return SigningKey(name, key)

    def jwks(self, name: str) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.key(name).jwk()]}


class InvalidToken(Exception):
    """A JWT that is malformed, badly signed, expired or for another audience.

    `reason` is one of: malformed, signature, expired, not_yet_valid, audience, issuer.
    """

    def __init__(self, reason: str, message: str, claims: dict[str, Any] | None = None):
        super().__init__(message)
        self.reason = reason
        self.claims = claims or {}


def unverified_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT without checking anything (raises InvalidToken if malformed)."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as e:
        raise InvalidToken("malformed", f"The token is not a well-formed JWT: {e}") from e
    return header, claims


def verify(token: str, jwks: list[dict[str, str]], *, now: float, audiences: tuple[str, ...] | None = None,
           leeway: int = 0) -> dict[str, Any]:
    """Verify signature (against the given JWKS), expiry, not-before and audience."""
    header, claims = unverified_claims(token)
    if header.get("alg") != "RS256":
        raise InvalidToken("signature", f"Unsupported signing algorithm {header.get('alg')!r}.", claims)
    keys = [k for k in jwks if k.get("kid") == header.get("kid")]
    if not keys:
        raise InvalidToken("signature", f"No key with identifier {header.get('kid')!r} is published by the issuer.",
                           claims)
    public_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(keys[0]))
    try:
        jwt.decode(token, public_key, algorithms=["RS256"],  # type: ignore[arg-type]
                   options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False})
    except jwt.PyJWTError as e:
        raise InvalidToken("signature", f"The token signature is invalid: {e}", claims) from e
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or now > exp + leeway:
        raise InvalidToken("expired", "The token is expired.", claims)
    if isinstance(nbf, (int, float)) and now + leeway < nbf:
        raise InvalidToken("not_yet_valid", "The token is not yet valid.", claims)
    if audiences is not None:
        aud = claims.get("aud")
        token_auds = aud if isinstance(aud, list) else [aud]
        if not any(a in audiences for a in token_auds):
            raise InvalidToken("audience", f"The audience {aud!r} is invalid.", claims)
    return claims
