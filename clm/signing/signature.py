"""Adopted signatures: a typed name, or a drawn PNG checked, size-capped and re-encoded."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import unicodedata

MAX_NAME_CHARS = 100
#: Decoded bytes of a drawn signature; a 600x200 canvas stroke is typically 5-30 kB.
MAX_DRAWN_BYTES = 200_000
MAX_WIDTH, MAX_HEIGHT = 1600, 800
_DATA_URL_PREFIX = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class BadSignature(ValueError):
    """The signature cannot be adopted; ``str()`` says why, for the signer."""


def clean_name(value: str) -> str:
    """Return a typed signature name without control characters; raise BadSignature if empty or long."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    value = " ".join(value.split())
    if not value:
        raise BadSignature("Type your name to adopt it as your signature.")
    if len(value) > MAX_NAME_CHARS:
        raise BadSignature(f"A typed signature is at most {MAX_NAME_CHARS} characters.")
    return value


def png_from_data_url(value: str) -> bytes:
    """Return the PNG bytes of a drawn signature's data URL, re-encoded; raise BadSignature otherwise.

    Only ``data:image/png;base64,`` is accepted; the size and the declared dimensions are
    checked before Pillow decodes anything, and the image is re-encoded so no chunk the
    browser (or an attacker) put in it survives.
    """
    if not value or not value.startswith(_DATA_URL_PREFIX):
        raise BadSignature("Draw your signature in the box, or choose a typed signature.")
    encoded = value[len(_DATA_URL_PREFIX):]
    if len(encoded) > MAX_DRAWN_BYTES * 4 // 3 + 4:
        raise BadSignature("The drawn signature is too large.")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("The drawn signature is not a PNG image.") from None
    if len(raw) > MAX_DRAWN_BYTES or not raw.startswith(_PNG_MAGIC) or raw[12:16] != b"IHDR":
        raise BadSignature("The drawn signature is not a PNG image.")
    width, height = struct.unpack(">II", raw[16:24])
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise BadSignature("The drawn signature has odd dimensions.")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            image.load()
            converted = image.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise BadSignature("The drawn signature is not a PNG image.") from None
    if converted.getbbox() is None or converted.getchannel("A").getbbox() is None:
        raise BadSignature("The signature box is empty; draw your signature first.")
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()


def to_data_url(png: bytes) -> str:
    """Return ``png`` as a data URL (how a drawn signature is stored and shown)."""
    return _DATA_URL_PREFIX + base64.b64encode(png).decode("ascii")


def png_of(data_url: str) -> bytes:
    """Return the bytes of a stored (already checked) drawn signature."""
    return base64.b64decode(data_url[len(_DATA_URL_PREFIX):])
