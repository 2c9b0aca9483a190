"""The legal and finance pages: contracts list, contract page, upload, version text, download."""

from __future__ import annotations

import io

from clm.demo import text_to_docx
from clm.users import Role

DOCX = text_to_docx("RESELLER AGREEMENT\n# 1. Appointment\nSupplier appoints Reseller.\n")


def _upload(client, auth, url, data=DOCX, filename="reseller.docx", **form):
    return client.post(url, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "csrf_token": auth.token(), **form})


def test_upload_a_contract_then_a_version_and_see_both(client, auth):
    auth.login(Role.LEGAL)
    response = _upload(client, auth, "/contracts/new", counterparty="Initech")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "RESELLER AGREEMENT" in page and "Initech" in page and "v1" in page
    response = _upload(client, auth, "/contracts/1/versions", data=b"RESELLER AGREEMENT\nChanged.\n",
                       filename="counter.txt", source="counterparty")
    assert response.status_code == 302
    page = client.get("/contracts/1").get_data(as_text=True)
    assert "v2" in page and "counter.txt" in page and "counterparty" in page
    listing = client.get("/").get_data(as_text=True)
    assert "RESELLER AGREEMENT" in listing


def test_a_bad_upload_shows_the_error_on_the_form(client, auth):
    auth.login(Role.LEGAL)
    response = _upload(client, auth, "/contracts/new", data=b"%PDF-1.7", filename="scan.docx")
    assert response.status_code == 415
    assert "This file is a PDF" in response.get_data(as_text=True)
    assert "No contracts yet" in client.get("/").get_data(as_text=True)


def test_version_text_is_escaped(client, auth):
    auth.login(Role.LEGAL)
    _upload(client, auth, "/contracts/new", data=b"Title\n<script>alert(1)</script>\n", filename="x.txt")
    page = client.get("/contracts/1/versions/1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_download_returns_the_exact_bytes_with_a_safe_name(client, auth):
    auth.login(Role.LEGAL)
    _upload(client, auth, "/contracts/new", filename="../../契約 final.docx")
    response = client.get("/contracts/1/versions/1/download")
    assert response.status_code == 200 and response.data == DOCX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".." not in disposition and "/" not in disposition
    assert "filename*=UTF-8''" in disposition


def test_missing_contract_and_version_are_404_pages(client, auth):
    auth.login(Role.VIEWER)
    assert client.get("/contracts/77").status_code == 404
    response = client.get("/contracts/77/versions/1")
    assert response.status_code == 404 and "does not exist" in response.get_data(as_text=True)
