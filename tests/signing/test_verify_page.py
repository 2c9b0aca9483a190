"""The public /verify page: the `clm verify` verdict for an uploaded PDF, no login, never a trace."""

from __future__ import annotations

import io
import re

import pytest

from clm.signing import verification


def _csrf(client):
    page = client.get("/verify")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _post(client, data: bytes, filename="signed.pdf"):
    return client.post("/verify", data={"csrf_token": _csrf(client), "pdf": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _one_byte_changed(data: bytes) -> bytes:
    changed = bytearray(data)
    offset = changed.index(b"stream", len(changed) // 4) + 20  # inside a signed page stream
    changed[offset] ^= 0x01
    return bytes(changed)


def test_the_page_needs_no_login_and_has_a_csrf_protected_form(client):
    page = client.get("/verify")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'type="file"' in body and 'name="csrf_token"' in body
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    refused = client.post("/verify", data={"pdf": (io.BytesIO(b"%PDF-1.7"), "a.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400


def test_an_untouched_sealed_pdf_is_valid(client, sealed):
    envelope_id, path = sealed
    response = _post(client, path.read_bytes())
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "Valid" in body and "Not valid" not in body
    assert "unmodified, by this installation" in body and f"known to this installation (envelope {envelope_id})" in body
    assert ">intact<" in body


def test_a_one_byte_change_is_not_valid(client, sealed):
    _id, path = sealed
    response = _post(client, _one_byte_changed(path.read_bytes()))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not valid" in body
    assert "modified" in body and "not known to this installation" in body and "Traceback" not in body


@pytest.mark.parametrize("junk", [b"", b"\x00\xff" * 1000, b"%PDF-1.7\n" + b"garbage " * 500,
                                  b"<html><script>alert(1)</script></html>"])
def test_junk_bytes_get_a_message_not_a_trace(client, junk):
    response = _post(client, junk, filename="<script>.pdf")
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422), body
    assert "Valid</h2>" not in body and "Traceback" not in body and "<script>" not in body
    if junk.startswith(b"%PDF"):
        assert "Not valid" in body or "Cannot check" in body


def test_a_missing_file_is_a_400(client):
    response = client.post("/verify", data={"csrf_token": _csrf(client)}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose the signed PDF" in response.get_data(as_text=True)


def test_files_over_20_mb_are_refused_and_up_to_it_accepted(client):
    limit = 20 * 1024 * 1024
    over = _post(client, b"%PDF-1.7\n" + b"0" * limit)
    assert over.status_code == 413 and "Traceback" not in over.get_data(as_text=True)
    # Over the app-wide 10 MB upload limit but under this page's: checked, not refused for size.
    under = _post(client, b"%PDF-1.7\n" + b"0" * (12 * 1024 * 1024))
    body = under.get_data(as_text=True)
    assert under.status_code in (200, 422), body
    assert "Not valid" in body or "Cannot check" in body


def test_the_cli_and_the_page_share_one_verdict(app, sealed, session):
    from clm.signing import keys

    _id, path = sealed
    cert = {keys.installation_fingerprint(app.instance_path)}
    good = verification.verify_pdf(path.read_bytes(), trusted=cert, session=session)
    assert good.valid and good.exit_code == 0 and good.known and good.chain_intact and good.seal_trusted
    bad = verification.verify_pdf(_one_byte_changed(path.read_bytes()), trusted=cert, session=session)
    assert bad.outcome == "tampered" and bad.exit_code == 1 and not bad.known and "digest" in bad.reason
    junk = verification.verify_pdf(b"junk", trusted=cert, session=session)
    assert junk.outcome == "unreadable" and junk.exit_code == 2
    capped = verification.sandboxed_seal_check(10.0, 512 * 1024 * 1024)
    assert verification.verify_pdf(path.read_bytes(), trusted=cert, session=session, check_seal=capped) == good
    assert verification.verify_pdf(b"junk", trusted=cert, session=None, check_seal=capped).outcome == "unreadable"
