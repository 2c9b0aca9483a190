"""The terms panel, people's decisions on terms, and the terms API and CSV for finance."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from clm.clauses.models import TermDecision
from clm.users import Role
from tests.clauses.test_services import CONTRACT


def _upload(client, auth):
    return client.post("/contracts/new", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(CONTRACT.encode()), "services.txt"), "csrf_token": auth.token()})


def test_upload_extracts_terms_and_the_page_shows_them_with_evidence_links(client, auth):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    page = client.get("/contracts/1").get_data(as_text=True)
    assert "Governing law" in page and "New York" in page and "90 days" in page
    assert "/contracts/1/versions/1?highlight=" in page
    start = page.index("/contracts/1/versions/1?highlight=", page.index("Governing law"))
    link = page[start:page.index('"', start)].replace("&amp;", "&")
    text = client.get(link).get_data(as_text=True)
    marked = text[text.index('<mark id="evidence">') + len('<mark id="evidence">'):]
    assert "governed by the laws of the State of New York" in marked[:marked.index("</mark>")]


def test_legal_confirms_and_corrects_and_sees_who_did(client, auth, session):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    response = client.post("/contracts/1/terms/governing_law", data={"action": "confirmed", "csrf_token": auth.token()})
    assert response.status_code == 303
    client.post("/contracts/1/terms/renewal_term", data={"action": "corrected", "value": "2 years",
                                                         "csrf_token": auth.token()})
    page = client.get("/contracts/1").get_data(as_text=True)
    assert "term-status status-confirmed" in page and "term-status status-corrected" in page
    assert "legal@example.test" in page and "2 years" in page
    bad = client.post("/contracts/1/terms/renewal_term", data={"action": "corrected", "value": "soon",
                                                               "csrf_token": auth.token()}, follow_redirects=True)
    page = bad.get_data(as_text=True)
    assert "Renewal term: cannot read" in page and "soon" in page and "as a duration" in page, page[-3000:]
    assert session.scalar(select(func.count()).select_from(TermDecision)) == 2


def test_viewers_and_finance_cannot_decide(client, auth, session, make_user):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    client.post("/logout", data={"csrf_token": auth.token()})
    for role in (Role.VIEWER, Role.FINANCE):
        auth.login(role)
        response = client.post("/contracts/1/terms/governing_law",
                               data={"action": "confirmed", "csrf_token": auth.token()})
        assert response.status_code == 403
        assert "class=\"decide\"" not in client.get("/contracts/1").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": auth.token()})
    assert session.scalar(select(func.count()).select_from(TermDecision)) == 0


def test_a_decision_without_csrf_is_refused(client, auth, session):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    assert client.post("/contracts/1/terms/governing_law", data={"action": "confirmed"}).status_code == 400
    assert session.scalar(select(func.count()).select_from(TermDecision)) == 0


def test_terms_api_and_csv(client, auth, make_token):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    client.post("/contracts/1/terms/governing_law", data={"action": "confirmed", "csrf_token": auth.token()})
    headers = {"Authorization": f"Bearer {make_token(Role.FINANCE)}"}
    body = client.get("/api/v1/contracts/1/terms", headers=headers).json
    assert body["version"] == 1 and body["confirmed"]["governing_law"]["value"] == "New York"
    assert body["confirmed"]["governing_law"]["by"] == "legal@example.test"
    evidence = body["extracted"]["non_renewal_notice"]["evidence"][0]
    assert "ninety (90) days" in evidence["text"]
    assert CONTRACT[evidence["start"]:evidence["end"]] == evidence["text"]
    response = client.get("/api/v1/terms.csv", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["governing_law"] == "New York" and rows[0]["governing_law_source"] == "confirmed"
    assert rows[0]["non_renewal_notice"] == "P90D" and rows[0]["non_renewal_notice_source"] == "extracted"
    assert client.get("/api/v1/contracts/1/terms").status_code == 401


def test_csv_cells_cannot_become_spreadsheet_formulas():
    from clm.clauses.views import _cell

    assert _cell("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert _cell("-5") == "-5" and _cell(["a", "b"]) == "a; b" and _cell(True) == "yes"


def test_the_streamed_csv_returns_its_database_connection(app, client, auth, make_token):
    auth.login(Role.LEGAL)
    _upload(client, auth)
    response = client.get("/api/v1/terms.csv", headers={"Authorization": f"Bearer {make_token(Role.FINANCE)}"})
    assert "services" in response.get_data(as_text=True).lower() or response.status_code == 200
    response.close()
    pool = app.extensions["clm_db"].kw["bind"].pool
    assert pool.checkedout() == 0
