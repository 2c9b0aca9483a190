"""Where blob bytes live: in the database (default) or in a content-addressed directory.

``CLM_BLOB_STORE`` chooses: empty keeps bytes in ``blobs.data``; ``file:///srv/clm/blobs`` keeps
them as ``<root>/ab/cd/<sha256>`` files and ``blobs.data`` empty, so a 100,000-contract archive
need not live in the database. Either way the ``blobs`` row (hash, size, type) is written once
and never changed, and every read checks the bytes against their hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from clm.errors import ClmError

DATABASE, FILE = "db", "file"


class BlobMissingError(ClmError):
    """The bytes of a stored blob cannot be read back intact (a disk was swapped, a file edited)."""

    status = 500


class BlobStore(Protocol):
    """Keeps the bytes of blobs by SHA-256."""

    #: The value of ``Blob.location`` for blobs this store keeps.
    location: str

    def put(self, sha256: str, data: bytes) -> bytes:
        """Keep ``data``; return what the ``blobs.data`` column holds (the bytes, or nothing)."""

    def get(self, sha256: str, stored: bytes | None) -> bytes:
        """Return the bytes of blob ``sha256`` (``stored`` is its ``blobs.data`` column)."""


def verified(sha256: str, data: bytes | None) -> bytes:
    """Return ``data`` if it hashes to ``sha256``; raise BlobMissingError otherwise."""
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        raise BlobMissingError(f"The stored file {sha256[:12]}… is missing or damaged; restore it from backup.")
    return data


class DatabaseStore:
    """Bytes in the ``blobs.data`` column (the default, nothing else to back up)."""

    location = DATABASE

    def put(self, sha256: str, data: bytes) -> bytes:
        return data

    def get(self, sha256: str, stored: bytes | None) -> bytes:
        return verified(sha256, stored)


class FileStore:
    """Bytes in ``root/ab/cd/<sha256>``, written atomically (a temporary file, then rename)."""

    location = FILE

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, data: bytes) -> bytes:
        target = self.path(sha256)
        if target.exists():
            try:
                verified(sha256, target.read_bytes())
                return b""  # the same bytes are already there (content-addressed)
            except BlobMissingError:
                pass  # a damaged copy: replace it with the good bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o440)
            os.replace(temporary, target)  # atomic: readers see no file or the whole file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return b""

    def get(self, sha256: str, stored: bytes | None) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except OSError:
            data = None
        return verified(sha256, data)


def store_for(setting: str) -> BlobStore:
    """Return the store ``CLM_BLOB_STORE`` names; raise ValueError naming the setting otherwise."""
    if not setting or setting == DATABASE:
        return DatabaseStore()
    parsed = urlparse(setting)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/"):
        raise ValueError(f"CLM_BLOB_STORE: expected empty or file:///absolute/path, got {setting!r}")
    return FileStore(unquote(parsed.path))


_current: list[BlobStore] = []


def configure(settings: dict[str, Any]) -> BlobStore:
    """Use the store ``settings["BLOB_STORE"]`` names for new blobs in this process; return it.

    Configuration, not state: every process of an installation reads the same setting.
    """
    store = store_for(str(settings.get("BLOB_STORE") or ""))
    _current[:] = [store]
    return store


def current() -> BlobStore:
    """Return the configured store (from the environment when nothing configured one)."""
    if not _current:
        from clm import config

        configure(config.load())
    return _current[0]


def read(sha256: str, location: str, stored: bytes | None) -> bytes:
    """Return the verified bytes of a blob kept at ``location``."""
    if location == DATABASE:
        return DatabaseStore().get(sha256, stored)
    store = current()
    if store.location != location:
        raise BlobMissingError(f"The stored file {sha256[:12]}… is in a {location} store, but CLM_BLOB_STORE "
                               "does not name one.")
    return store.get(sha256, stored)
