"""Uploads through a real HTTP server: the body arrives in chunks, as from a browser or curl.

Werkzeug's test client hands the whole body over at once, so a form-parsing limit that only
bites on a streamed body (real .docx files with a logo were refused as "larger than the upload
limit") passes there and fails for every user.
"""

from __future__ import annotations

import io
import random
from typing import Any

import docx
import pytest
import requests
from flask import Flask

from clm.users import Role
from tests.conftest import serving


def _large_docx(target_bytes: int) -> bytes:
    """A .docx whose size is mostly an incompressible picture, as a logo or a scan makes it."""
    from PIL import Image

    rng = random.Random(7)
    side = int((target_bytes / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    picture = io.BytesIO()
    image.save(picture, format="PNG")
    document = docx.Document()
    document.add_paragraph("MASTER SERVICES AGREEMENT")
    document.add_picture(io.BytesIO(picture.getvalue()))
    for number in range(1, 40):
        document.add_paragraph(f"{number}. The parties agree to clause {number} as written.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("size", [400_000, 3_000_000, 9_000_000])
def test_real_size_docx_uploads_through_the_api(app: Flask, make_token: Any, size: int) -> None:
    data = _large_docx(size)
    assert len(data) > size * 0.8
    token = make_token(Role.LEGAL)
    with serving(app) as url:
        response = requests.post(f"{url}/api/v1/contracts", headers={"Authorization": f"Bearer {token}"},
                                 files={"file": ("msa-with-logo.docx", data)}, timeout=60)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["versions"][0]["number"] == 1


def test_over_the_limit_is_refused_with_the_limit(app: Flask, make_token: Any) -> None:
    token = make_token(Role.LEGAL)
    limit = int(app.config["MAX_UPLOAD_BYTES"])
    with serving(app) as url:
        response = requests.post(f"{url}/api/v1/contracts", headers={"Authorization": f"Bearer {token}"},
                                 files={"file": ("huge.txt", b"a " * (limit // 2 + 200_000))}, timeout=60)
    assert response.status_code == 413
    assert "error" in response.json()


def test_a_large_pdf_is_checked_on_the_verify_page(app: Flask) -> None:
    """/verify reads PDFs up to 20 MB; a 5 MB one that clm did not seal gets a verdict, not a 413."""
    with serving(app) as url:
        session = requests.Session()
        form = session.get(f"{url}/verify", timeout=30).text
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        noise = random.Random(3).randbytes(5_000_000)  # compressed streams look like this
        pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 5000000 >>\nstream\n" + noise + b"\nendstream\nendobj\n%%EOF\n"
        response = session.post(f"{url}/verify", data={"csrf_token": csrf},
                                files={"pdf": ("contract.pdf", pdf)}, timeout=120)
    assert response.status_code in (200, 422), response.status_code
    assert "larger than the upload limit" not in response.text
