"""The installation's sealing identity: a private key and a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

KEY_FILE = "signing-key.pem"
#: The audit chain's HMAC key when CLM_AUDIT_KEY is not set.
AUDIT_KEY_FILE = "audit.key"
CERT_FILE = "signing-cert.pem"
CERT_YEARS = 10


def ensure_signing_identity(instance_path: str, organisation: str = "clm") -> tuple[str, str]:
    """Return (key_path, cert_path) in ``instance_path``, generating both on first use.

    The key is written with 0600 permissions and never overwritten: a sealed PDF stays
    verifiable against the certificate that sealed it. When two processes race, the one
    that loses the O_EXCL create waits for the winner's files.
    """
    key_path = os.path.join(instance_path, KEY_FILE)
    cert_path = os.path.join(instance_path, CERT_FILE)
    if os.path.exists(key_path) and os.path.exists(cert_path):
        return key_path, cert_path
    os.makedirs(instance_path, exist_ok=True)
    key_pem, cert_pem = _generate(organisation)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _wait_for(cert_path)
        return key_path, cert_path
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    # Written to a temporary name and renamed, so a reader never sees half a certificate.
    tmp = f"{cert_path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(cert_pem)
    os.chmod(tmp, 0o644)
    os.replace(tmp, cert_path)
    return key_path, cert_path


def _wait_for(path: str, seconds: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise OSError(f"{path} did not appear; remove a half-written signing key and retry")
        time.sleep(0.05)


def _generate(organisation: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} document seal"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
        # Self-signed: it is its own trust root, so it must be allowed to certify itself.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(certificate: bytes) -> str:
    """Return the SHA-256 fingerprint of a certificate (DER or PEM bytes) as ``AB:CD:...`` (64 hex digits)."""
    import hashlib

    if certificate.lstrip().startswith(b"-----BEGIN"):
        certificate = load_certificates(certificate)[0]
    digest = hashlib.sha256(certificate).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def parse_fingerprint(text: str) -> str:
    """Return a SHA-256 fingerprint as typed (any case, with or without colons or spaces) in ``AB:CD:...`` form.

    Raise ValueError when it is not 64 hex digits.
    """
    digits = "".join(ch for ch in text if ch not in ": \t").upper()
    if len(digits) != 64 or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise ValueError(f"{text.strip()[:100]!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return ":".join(digits[i:i + 2] for i in range(0, 64, 2))


def load_certificates(data: bytes) -> list[bytes]:
    """Return the DER certificates in ``data``: one DER certificate, or one or more PEM blocks (a trust store).

    Raise ValueError when there is none.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return [cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(data)]
        return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]
    except ValueError:
        raise ValueError("not a certificate (PEM or DER)") from None


def installation_fingerprint(instance_path: str) -> str | None:
    """Return the fingerprint of this installation's sealing certificate, or None before it exists."""
    path = os.path.join(instance_path, CERT_FILE)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return fingerprint(handle.read())


def audit_key(settings: Mapping[str, Any]) -> bytes:
    """Return the key that MACs the audit chain: ``CLM_AUDIT_KEY``, else ``audit.key`` in the
    instance folder, created (0600, 256 random bits) on first use.

    It is kept outside the database on purpose: whoever can write the database must not be
    able to recompute the chain. Every process of an installation needs the same key.
    """
    configured = str(settings.get("AUDIT_KEY") or "")
    if configured:
        return configured.encode()
    instance = str(settings["INSTANCE_PATH"])
    path = os.path.join(instance, AUDIT_KEY_FILE)
    try:
        with open(path, "rb") as handle:
            key = handle.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    import secrets

    os.makedirs(instance, mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _wait_for(path)
        import time

        for _ in range(100):  # the creator writes right after creating it
            with open(path, "rb") as handle:
                key = handle.read().strip()
            if key:
                return key
            time.sleep(0.05)
        raise OSError(f"{path} is empty; remove it and retry") from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
