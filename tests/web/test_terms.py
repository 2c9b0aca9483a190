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


def test_where_the_contract_page_puts_a_message():
    """A form's message goes beside the form on its own tab; anything else, to the top of the open tab."""
    from types import SimpleNamespace

    from clm.web.contracts import placed_at

    terms = SimpleNamespace(rows=[SimpleNamespace(field=SimpleNamespace(name="fees"))])
    review = SimpleNamespace(rows=[SimpleNamespace(hash="ab" * 32)], missing=[])
    assert placed_at("term-fees", "terms", terms, review) == "term-fees"
    assert placed_at("clause-" + "ab" * 6, "clauses", terms, review) == "clause-" + "ab" * 6
    assert placed_at("upload", "versions", terms, review) == "upload"
    assert placed_at("term-fees", "overview", terms, review) == "tab-overview"  # not on the open tab
    assert placed_at("term-gone", "terms", terms, review) == "tab-terms"  # the row went away
    assert placed_at("<script>", "terms", terms, review) is None
    assert placed_at(None, "terms", terms, review) is None


def test_the_overview_shows_parties_value_and_the_next_deadline():
    """Confirmed values win over extracted ones; the next deadline is the notice date while it is ahead."""
    import datetime as dt
    from types import SimpleNamespace

    from clm.web.contracts import overview

    def row(name, extracted=None, confirmed=None):
        decision = None if confirmed is None else SimpleNamespace(value=confirmed, action=SimpleNamespace(value="confirmed"))
        found = None if extracted is None else SimpleNamespace(value=extracted)
        return SimpleNamespace(field=SimpleNamespace(name=name), extracted=found, decision=decision)

    rows = [row("parties", ["Northwind", "Contoso"]), row("effective_date", "2026-01-01"),
            row("expiration_date", "2026-12-31"), row("auto_renewal", True, confirmed=True),
            row("renewal_term", "P1Y"), row("non_renewal_notice", "P60D"),
            row("fees", [{"amount": "1.00", "currency": "USD", "period": None}],
                confirmed=[{"amount": "135000.00", "currency": "USD", "period": "annual"}])]
    terms = SimpleNamespace(rows=rows)
    seen = overview(terms, None, dt.date(2026, 6, 1))
    assert seen.parties == "Northwind; Contoso"
    assert seen.value == "USD 135,000.00 per year" and seen.source == "extracted"
    assert seen.deadline[0] == "Notice of non-renewal" and seen.deadline[1] <= dt.date(2026, 11, 1)
    later = overview(terms, None, dt.date(2026, 12, 15))  # notice date passed: the renewal is next
    assert later.deadline == ("Renewal", dt.date(2027, 1, 1))
    assert overview(SimpleNamespace(rows=[]), None, dt.date(2026, 6, 1)).deadline is None
    # Evergreen: the notice deadline before the initial term ends, then the day it runs on; then none.
    evergreen = SimpleNamespace(rows=rows[:4] + [row("renewal_term", "perpetual"), row("non_renewal_notice", "P30D")])
    assert overview(evergreen, None, dt.date(2026, 6, 1)).deadline == ("Notice of non-renewal", dt.date(2026, 12, 1))
    assert overview(evergreen, None, dt.date(2026, 12, 15)).deadline == ("Runs on until terminated",
                                                                         dt.date(2027, 1, 1))
    assert overview(evergreen, None, dt.date(2027, 3, 1)).deadline is None


def test_a_refused_form_is_answered_beside_it_on_its_tab(client, auth):
    import re

    auth.login(Role.LEGAL)
    _upload(client, auth)
    bad = client.post("/contracts/1/terms/renewal_term", data={"action": "corrected", "value": "whenever",
                                                                "csrf_token": auth.token()})
    assert bad.status_code == 303
    assert bad.headers["Location"].endswith("/contracts/1?tab=terms&at=term-renewal_term#term-renewal_term")
    page = client.get(bad.headers["Location"]).get_data(as_text=True)
    row = page[page.index('<tr id="term-renewal_term"'):]
    row = row[:row.index("</tr>")]
    assert 'role="alert" id="msg-term-renewal_term"' in row and "whenever" in row  # the error, in the row
    assert 'aria-invalid="true" aria-describedby="msg-term-renewal_term"' in row
    assert page.count('role="alert"') == 1  # and not again at the top of the page
    assert re.search(r'<section role="tabpanel" id="terms"[^>]*>', page).group(0).find("hidden") == -1
    assert re.search(r'<section role="tabpanel" id="overview"[^>]*>', page).group(0).endswith("hidden>")
    # An upload without a file: the error under the upload form, on the Versions tab.
    empty = client.post("/contracts/1/versions", data={"csrf_token": auth.token()})
    assert empty.headers["Location"].endswith("/contracts/1?tab=versions&at=upload#upload")
    page = client.get(empty.headers["Location"]).get_data(as_text=True)
    upload = page[page.index('id="upload"'):]
    assert upload.index('id="msg-upload"') < upload.index("</form>") and "Choose a .docx" in upload


COMPUTED_END = """MASTER SERVICES AGREEMENT

This Master Services Agreement is entered into as of March 1, 2024 (the "Effective Date") by and \
between Acme Corp., a Delaware corporation ("Customer"), and Widget Labs LLC, a California limited \
liability company ("Provider").

1. Term. This Agreement commences on the Effective Date and continues for a period of three (3) years.

2. Stated term. This paragraph states no date of its own.
"""


def test_a_computed_end_date_says_what_it_was_computed_from(client, auth, make_token):
    """An end date no sentence states is marked as computed, on the page and in the API, with its start date's evidence."""
    auth.login(Role.LEGAL)
    client.post("/contracts/new", content_type="multipart/form-data",
                data={"file": (io.BytesIO(COMPUTED_END.encode()), "msa.txt"), "csrf_token": auth.token()})
    page = client.get("/contracts/1").get_data(as_text=True)
    row = page[page.index('id="term-expiration_date"'):]
    row = row[:row.index("</tr>")]
    assert "computed from effective date + initial term, not stated" in row
    start = row.index("/contracts/1/versions/1?highlight=", row.index("computed from"))
    link = row[start:row.index('"', start)].replace("&amp;", "&")
    text = client.get(link).get_data(as_text=True)
    marked = text[text.index('<mark id="evidence">') + len('<mark id="evidence">'):]
    assert marked[:marked.index("</mark>")] == "March 1, 2024"
    stated = page[page.index('id="term-initial_term"'):]
    assert "computed from" not in stated[:stated.index("</tr>")]

    body = client.get("/api/v1/contracts/1/terms", headers={"Authorization": f"Bearer {make_token(Role.FINANCE)}"}).json
    expiration = body["extracted"]["expiration_date"]
    assert expiration["value"] == "2027-03-01"
    assert expiration["derived"]["computed_from"] == ["effective_date", "initial_term"]
    assert [e["text"] for e in expiration["derived"]["start_evidence"]] == ["March 1, 2024"]
    assert "derived" not in body["extracted"]["initial_term"]


TAKEN_FROM = """SERVICES AGREEMENT

This Services Agreement is made on March 1, 2024 by and between Acme Corp., a Delaware corporation \
("Customer"), and Widget Labs LLC, a California limited liability company ("Provider").

1. Effectiveness. This Agreement shall be effective as of the date first written above.
"""


def test_an_effective_date_taken_from_the_agreement_date_says_so(client, auth):
    auth.login(Role.LEGAL)
    client.post("/contracts/new", content_type="multipart/form-data",
                data={"file": (io.BytesIO(TAKEN_FROM.encode()), "services.txt"), "csrf_token": auth.token()})
    page = client.get("/contracts/1").get_data(as_text=True)
    row = page[page.index('id="term-effective_date"'):]
    row = row[:row.index("</tr>")]
    assert "the agreement date, as the contract says" in row and "where that date is" in row
    assert "computed from" not in row
