"""Issue 21's quote details: Send quote emails the PDF, approval notices go once approved, the customer's PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from sqlalchemy import select

from clm.mail import read_outbox
from clm.quotes.models import Quote
from tests.quotes.conftest import request_with

SELLER = "Northwind Software Ltd"


def _approved_quote(client, make_token) -> tuple[int, dict[str, str]]:
    """Create Initech's quote through the API (priced by a legal token); return its id and finance's headers."""
    legal = {"Authorization": f"Bearer {make_token('legal')}"}
    finance = {"Authorization": f"Bearer {make_token('finance')}"}
    created = client.post("/api/v1/quotes", json=request_with(start_date="2027-01-01"), headers=legal)
    assert created.status_code == 201, created.get_json()
    qid = created.get_json()["id"]
    return qid, finance


def _status(session, qid: int) -> str:
    session.expire_all()
    return session.scalar(select(Quote).where(Quote.id == qid)).status.value


def _outbox(app) -> list:
    folder = Path(app.instance_path) / "outbox"
    return read_outbox(folder) if folder.exists() else []


def test_approval_needed_goes_once_approved(client, make_token, loaded, auth):
    qid, finance = _approved_quote(client, make_token)
    auth.login("legal")
    before = client.get(f"/quotes/{qid}").get_data(as_text=True)
    assert "Approval needed: Sales manager" in before
    assert client.post(f"/api/v1/quotes/{qid}/approve", headers=finance).get_json()["status"] == "approved"
    after = client.get(f"/quotes/{qid}").get_data(as_text=True)
    assert "Approval needed" not in after
    assert "Approved: Sales manager" in after
    # Money as the one formatting writes it, dates in words (CLM_DATE_LOCALE en-US by default).
    assert "USD 248,178.00" in after and "January 1, 2027" in after and "248178.00" not in after


def test_send_quote_emails_the_pdf_to_the_customer(app, client, make_token, loaded, auth, session):
    app.config["SELLER_NAME"] = SELLER
    qid, finance = _approved_quote(client, make_token)
    client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    auth.login("legal")
    page = client.get(f"/quotes/{qid}").get_data(as_text=True)
    assert 'name="to"' in page and "Customer's email" in page
    response = client.post(f"/quotes/{qid}/send", data={"to": "buyer@initech.example", "csrf_token": auth.token()})
    assert response.status_code == 303
    assert "Quote sent to buyer@initech.example" in client.get(f"/quotes/{qid}").get_data(as_text=True)
    assert _status(session, qid) == "sent"
    [mail] = _outbox(app)
    assert mail["To"] == "buyer@initech.example"
    assert mail["Subject"] == f"Quote Q-0001 from {SELLER}"
    body = mail.get_body(("plain",)).get_content()
    assert "Total contract value: USD 248,178.00" in body and "January 1, 2027" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "Q-0001-v1.pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert SELLER in text and "USD 248,178.00" in text


def test_send_quote_refuses_a_bad_address_and_sends_nothing(app, client, make_token, loaded, auth, session):
    qid, finance = _approved_quote(client, make_token)
    client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    auth.login("legal")
    for bad in ("", "initech", "a@b", "x@y.example, z@w.example"):
        response = client.post(f"/quotes/{qid}/send", data={"to": bad, "csrf_token": auth.token()})
        assert response.status_code == 303
        page = client.get(f"/quotes/{qid}").get_data(as_text=True)
        assert "is not an email address" in page and "Traceback" not in page
    assert _status(session, qid) == "approved"
    assert _outbox(app) == []


def test_a_quote_whose_mail_does_not_go_stays_unsent(app, client, make_token, loaded, auth, session):
    # Nothing listens on port 1: the SMTP connection is refused.
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    qid, finance = _approved_quote(client, make_token)
    client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    auth.login("legal")
    response = client.post(f"/quotes/{qid}/send", data={"to": "buyer@initech.example", "csrf_token": auth.token()})
    assert response.status_code == 303
    assert "could not be sent; nothing was changed" in client.get(f"/quotes/{qid}").get_data(as_text=True)
    assert _status(session, qid) == "approved"


def test_api_send_with_an_address_mails_the_pdf(app, client, make_token, loaded, session):
    qid, finance = _approved_quote(client, make_token)
    client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    legal = {"Authorization": f"Bearer {make_token('legal')}"}
    bad = client.post(f"/api/v1/quotes/{qid}/send", json={"to": "nobody"}, headers=legal)
    assert bad.status_code == 422 and "not an email address" in bad.get_json()["error"]
    assert _status(session, qid) == "approved" and _outbox(app) == []
    sent = client.post(f"/api/v1/quotes/{qid}/send", json={"to": "buyer@initech.example"}, headers=legal)
    assert sent.status_code == 200 and sent.get_json()["status"] == "sent"
    assert [m["To"] for m in _outbox(app)] == ["buyer@initech.example"]


def test_the_customers_pdf_shows_the_seller_not_the_internal_approver_or_price_book(app, client, make_token,
                                                                                   loaded, auth):
    app.config["SELLER_NAME"] = SELLER
    qid, finance = _approved_quote(client, make_token)
    client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    auth.login("legal")
    pdf = client.get(f"/quotes/{qid}/versions/1.pdf")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert SELLER in text
    assert "clm" not in text.split()                      # no longer branded "clm"
    assert "token-finance@example.test" not in text       # the approver
    assert "token-legal@example.test" not in text         # who priced it
    assert "standard-usd" not in text and "Price book" not in text
    assert "USD 248,178.00" in text and "January 1, 2027" in text
    docx = client.get(f"/quotes/{qid}/versions/1.docx")
    import docx as python_docx

    document = python_docx.Document(io.BytesIO(docx.data))
    words = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells)
    assert SELLER in words and "token-finance@example.test" not in words and "standard-usd" not in words
    assert document.core_properties.author == SELLER
