"""The installation's sealing identity: a private key and a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import os

KEY_FILE = "signing-key.pem"
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
