"""Issue 21: finance pages, PDFs and CSVs show values as people read them; CSVs keep the machine columns too."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pypdf

from clm import db
from clm.downstream import outbox
from tests.downstream.examples import saas_doc

#: A stored amount ("135000.00") or an ISO date, as a page must not show them.
RAW_AMOUNT = re.compile(r"(?<![\d,.])\d{4,}\.\d{2}(?!\d)")
RAW_DATE = re.compile(r"(?<![\d-])20\d{2}-\d{2}-\d{2}(?![\d-])")


def _visible(html: str) -> str:
    """Return the page's text (attributes such as href, min and max left out)."""
    body = html.split("<main", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def _this_years_contract(make_signed, app) -> int:
    today = date.today()
    doc = saas_doc(signed_on=(today - timedelta(days=10)).isoformat())
    doc["lines"] = [{"id": "saas", "description": "Hosting", "price": "24000.00", "recognition": "ratable",
                     "start": today.isoformat(), "end": (today + timedelta(days=364)).isoformat(),
                     "billing": {"frequency": "monthly", "timing": "advance"}}]
    doc["renewal"] = {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P60D"}
    return make_signed(doc, title="Globex hosting", counterparty="Globex", via=db.sessionmaker_for(app)).contract_id


def test_the_dashboard_shows_money_with_currency_and_dates_in_words(client, auth, make_signed, app):
    _this_years_contract(make_signed, app)
    auth.login("finance")
    text = _visible(client.get("/finance?within=90").get_data(as_text=True))
    assert "USD 2,000.00" in text                        # a month of revenue in the waterfall
    assert f"{date.today():%B} {date.today().day}, {date.today().year}" in text   # "As of December 7, 2026"
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)[:5]
    assert not RAW_DATE.findall(text), RAW_DATE.findall(text)[:5]


def test_the_date_locale_is_a_setting(client, auth, make_signed, app):
    contract_id = _this_years_contract(make_signed, app)
    app.config["DATE_LOCALE"] = "en-GB"
    auth.login("finance")
    today = date.today()
    assert f"As of {today.day} {today:%B} {today.year}." in client.get("/finance").get_data(as_text=True)
    panel = _visible(client.get(f"/contracts/{contract_id}/commercial-terms").get_data(as_text=True))
    panel = panel.split("Order, billing and renewal", 1)[1]   # the panel, not the JSON of the terms
    assert f"{today.day} {today:%B} {today.year}" in panel and not RAW_DATE.findall(panel)


def test_the_contract_panel_and_terms_table_show_no_raw_values(client, auth, make_signed, app):
    contract_id = _this_years_contract(make_signed, app)
    auth.login("finance")
    panel = _visible(client.get(f"/contracts/{contract_id}/commercial-terms").get_data(as_text=True))
    panel = panel.split("Order, billing and renewal", 1)[1]   # the panel, not the JSON of the terms
    assert "USD 24,000.00" in panel and not RAW_AMOUNT.findall(panel) and not RAW_DATE.findall(panel)
    table = client.get("/finance/contracts").get_data(as_text=True)
    assert "USD 24,000.00" in table and "{'amount'" not in table and "&#39;amount&#39;" not in table


def test_needs_attention_says_what_to_do_in_the_pages(client, auth, make_signed, app, plain):
    signed = make_signed(title="Globex hosting", counterparty="Globex", attach=False)
    outbox.drain(plain)
    auth.login("finance")
    html = client.get("/finance").get_data(as_text=True)
    section = html.split('id="attention-h"', 1)[1].split("</section>", 1)[0]
    assert "Globex hosting" in section and "/api/v1" not in section and "PUT" not in section
    assert f'href="/contracts/{signed.contract_id}/commercial-terms"' in section
    assert "Attach the commercial terms" in section


def test_an_older_stored_refusal_loses_its_api_hint():
    from clm.downstream.reports import page_error

    old = ("Contract 7 is signed but has no commercial terms; attach them "
           "(PUT /api/v1/contracts/7/commercial-terms) and it is processed.")
    assert page_error(old) == "Contract 7 is signed but has no commercial terms; attach them and it is processed."


def test_finance_csv_keeps_machine_columns_beside_formatted_ones(client, auth, make_signed, app):
    _this_years_contract(make_signed, app)
    auth.login("finance")
    rows = list(csv.DictReader(io.StringIO(client.get("/finance/contracts.csv").get_data(as_text=True))))
    [row] = [r for r in rows if r["title"] == "Globex hosting"]
    assert (row["contract_value"], row["currency"]) == ("24000.00", "USD")
    assert row["contract_value_formatted"] == "USD 24,000.00"
    header = next(csv.reader(io.StringIO(client.get("/finance/contracts.csv").get_data(as_text=True))))
    assert header.index("contract_value") < header.index("contract_value_formatted")
    assert "renewal_term_formatted" in header and "effective_date_formatted" in header


def test_terms_csv_gives_dates_and_durations_in_words_beside_our_own_forms(client, auth, app):
    from clm.versions import store

    factory = db.sessionmaker_for(app)
    text = ("MASTER SERVICES AGREEMENT\n\nThis Agreement is effective as of June 1, 2026. The initial term is "
            "twelve (12) months. Either party may give notice of non-renewal at least sixty (60) days "
            "before the end of the term. This Agreement is governed by the laws of the State of New York.\n")
    with db.transaction_for(factory) as s:
        store.import_file(s, store.Upload(text.encode(), "msa.txt"), limits=store.limits_from_settings(app.config),
                          author="legal@example.test", title="MSA", counterparty="Acme")
    auth.login("finance")
    rows = list(csv.DictReader(io.StringIO(client.get("/terms.csv").get_data(as_text=True))))
    [row] = rows
    assert row["initial_term"] == "P12M" and row["initial_term_formatted"] == "12 months"
    assert row["effective_date"] == "2026-06-01" and row["effective_date_formatted"] == "June 1, 2026"


def _right_edge(page: pypdf.PageObject) -> float:
    """Return, in points, how far right the page's text reaches (at most 0.64 em a character, DejaVu's widest digit)."""
    edges: list[float] = []

    def visit(text, cm, tm, font, size):
        for line in text.split("\n"):
            if line.strip():
                edges.append((tm[4] + len(line.rstrip()) * size * tm[0] * 0.64) * cm[0] + cm[4])

    page.extract_text(visitor_text=visit)
    assert edges
    return max(edges)


def test_the_invoice_and_credit_note_pdfs_write_money_and_dates_and_fit_a4(client, auth, make_signed, app, session):
    from sqlalchemy import select

    from clm.downstream.models import Invoice

    contract_id = _this_years_contract(make_signed, app)
    number = session.scalars(select(Invoice.number).where(Invoice.contract_id == contract_id)
                             .order_by(Invoice.issued_on)).first()
    auth.login("finance")
    pdf = client.get(f"/finance/invoices/{number}.pdf")
    assert pdf.status_code == 200
    page = pypdf.PdfReader(io.BytesIO(pdf.data)).pages[0]
    text = page.extract_text()
    assert "USD 2,000.00" in text and not RAW_AMOUNT.findall(text)
    assert f"{date.today():%B}" in text and not RAW_DATE.findall(text)
    assert _right_edge(page) < float(page.mediabox.width)          # the terms hash included
    cancel_on = date.today() + timedelta(days=40)
    client.post(f"/contracts/{contract_id}/cancel", data={"cancel_on": cancel_on.isoformat(),
                                                          "csrf_token": auth.token()})
    note = re.search(r"/finance/credit-notes/([^\"]+)\.pdf", client.get(f"/contracts/{contract_id}").get_data(
        as_text=True)).group(1)
    page = pypdf.PdfReader(io.BytesIO(client.get(f"/finance/credit-notes/{note}.pdf").data)).pages[0]
    text = page.extract_text()
    assert f"{cancel_on:%B} {cancel_on.day}, {cancel_on.year}" in text and not RAW_DATE.findall(text)
    assert "USD 1," in text and not RAW_AMOUNT.findall(text)
    assert _right_edge(page) < float(page.mediabox.width)


def test_the_contract_page_header_and_finance_tab_show_no_raw_values(client, auth, make_signed, app):
    """The first screen (parties, value, next deadline) and the Finance tab read as people write them."""
    contract_id = _this_years_contract(make_signed, app)
    auth.login("finance")
    text = _visible(client.get(f"/contracts/{contract_id}?tab=finance").get_data(as_text=True))
    assert "Next deadline" in text and "USD 24,000.00" in text
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)[:5]
    assert not RAW_DATE.findall(text), RAW_DATE.findall(text)[:5]
