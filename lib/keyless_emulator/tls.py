"""A local certificate authority and the server certificate it signs.

The CA is made once per data folder and kept, so a user trusts it once; the server
certificate is re-issued at every start for the names the emulator hands out: the loopback names, and
the address or name it listens on (`--host`: a workshop's shared server on a LAN or VPN is reached by
that name, and attendees who trust the CA file verify it like any other). A CA bundle
(certifi's roots plus ours) serves tools that replace the default trust store
(REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    ca_bundle: Path
    server_cert: Path
    server_key: Path


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "keyless emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "keyless emulator local CA")])
    now = _dt.datetime.now(_dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1)).not_valid_after(now + _dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(folder / "ca-key.pem", _key_pem(key))
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_or_make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if cert.not_valid_after_utc > _dt.datetime.now(_dt.UTC) + _dt.timedelta(days=30):
            return cert, key  # type: ignore[return-value]
    return _make_ca(folder)


def subject_alternative_names(host: str) -> list[x509.GeneralName]:
    """The names the server certificate carries: the loopback names and addresses, plus `host`."""
    names, addresses = list(SERVER_NAMES), list(SERVER_ADDRESSES)
    try:
        address = str(ipaddress.ip_address(host))
        addresses += [] if address in addresses else [address]
    except ValueError:
        names += [] if host in names else [host]
    return ([x509.DNSName(n) for n in names]
            + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses])


def ensure_tls(folder: Path, host: str = "127.0.0.1") -> TlsFiles:
    """Make (or reuse) the CA and issue a fresh server certificate for `host` under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _load_or_make_ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _dt.datetime.now(_dt.UTC)
    sans = subject_alternative_names(host)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1)).not_valid_after(now + _dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False, data_encipherment=False,
                                         key_agreement=True, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    server_cert, server_key = folder / "server.pem", folder / "server-key.pem"
    server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(server_key, _key_pem(key))
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    bundle = folder / "ca-bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n\n# keyless emulator local CA\n" + ca_pem)
    return TlsFiles(ca_cert=folder / "ca.pem", ca_bundle=bundle, server_cert=server_cert, server_key=server_key)
