"""The commercial-terms form: a terms document as fields and back, problems beside their fields, add/remove line."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from clm import db
from clm.downstream import commercial
from clm.downstream.models import ContractTermsDocument
from clm.downstream.terms import TermsError, parse_terms, terms_hash
from tests.downstream.examples import saas_doc


def posted(tf: commercial.TermsForm, base: dict, **extra: str) -> dict[str, str]:
    """Return the fields a browser posts for form ``tf`` (as the page renders it)."""
    data = {**tf.values, "base": json.dumps(base), "line_count": str(len(tf.lines)), **extra}
    for box in ("auto_renewal", "cancellable"):
        if data.get(box) == "":
            del data[box]  # an unticked checkbox is not posted
    for i, line in enumerate(tf.lines):
        data.update({f"line-{i}-{k}": v for k, v in line.items()})
    return data


# -- the form's data model (pure) ----------------------------------------------------------------

def test_a_document_survives_the_form_unchanged():
    doc = saas_doc()
    doc["lines"][0]["ssp_range"] = ["110000.00", "140000.00"]  # not a field of the form: kept from the base
    doc["lines"][0]["ssp"] = "residual"
    tf = commercial.form_of(doc)
    assert tf.values["renewal_term"] == "1 year" and tf.values["non_renewal_notice"] == "60 days"
    assert tf.values["price_increase_cap"] == "5" and tf.values["auto_renewal"] == "on"
    assert [ln["description"] for ln in tf.lines] == ["CLM Enterprise subscription", "Implementation"]
    again = commercial.terms_of_form(commercial.form_from_post(posted(tf, doc)), doc)
    assert terms_hash(parse_terms(again)) == terms_hash(parse_terms(doc))


def test_the_form_changes_what_the_user_typed_and_reads_durations_in_words():
    doc = saas_doc()
    tf = commercial.form_of(doc)
    tf.values.update(renewal_term="2 years", non_renewal_notice="30 business days", price_increase_cap="3.5",
                     auto_renewal="")
    tf.lines[0].update(price="", quantity="100", unit_price="100.00", frequency="monthly")
    out = commercial.terms_of_form(commercial.form_from_post(posted(tf, doc)), doc)
    assert out["renewal"] == {"auto_renewal": False, "renewal_term": "P2Y", "non_renewal_notice": "P30BD",
                              "price_increase_cap": "3.5%"}
    line = out["lines"][0]
    assert "price" not in line and line["quantity"] == 100 and line["unit_price"] == "100.00"
    terms = parse_terms(out)
    assert terms.lines[0].price == 120000  # 100 x 100.00 a month over the year, computed by the server


def test_the_right_to_cancel_is_a_checkbox_and_unticked_leaves_the_document_as_it_was():
    doc = saas_doc()
    tf = commercial.form_of(doc)
    assert tf.values["cancellable"] == ""
    assert "cancellable" not in commercial.terms_of_form(commercial.form_from_post(posted(tf, doc)), doc)
    tf.values["cancellable"] = "on"
    ticked = commercial.terms_of_form(commercial.form_from_post(posted(tf, doc)), doc)
    assert ticked["cancellable"] is True and parse_terms(ticked).cancellable
    assert commercial.form_of(ticked).values["cancellable"] == "on"
    tf = commercial.form_of(ticked)
    tf.values["cancellable"] = ""                          # unticked again: the key goes
    assert "cancellable" not in commercial.terms_of_form(commercial.form_from_post(posted(tf, ticked)), ticked)
    try:
        parse_terms({**doc, "cancellable": "yes"})
    except TermsError as err:
        tf = commercial.form_of(doc)
        commercial.place_errors(tf, err.errors)
        assert tf.errors == {"cancellable": ["'yes' must be true or false"]}
    else:
        raise AssertionError("a cancellable that is not a boolean should be refused")


def test_an_evergreen_renewal_term_is_typed_in_words_and_shown_in_words():
    doc = saas_doc()
    tf = commercial.form_of(doc)
    tf.values.update(renewal_term="Until terminated", non_renewal_notice="30 days")
    out = commercial.terms_of_form(commercial.form_from_post(posted(tf, doc)), doc)
    assert out["renewal"]["renewal_term"] == "perpetual" and parse_terms(out).renewal.evergreen
    assert commercial.form_of(out).values["renewal_term"] == "until terminated"
    tf = commercial.form_of(out)
    tf.values["auto_renewal"] = ""                    # evergreen but not renewing: refused beside the term
    try:
        parse_terms(commercial.terms_of_form(commercial.form_from_post(posted(tf, out)), out))
    except TermsError as err:
        commercial.place_errors(tf, err.errors)
        assert tf.errors == {"renewal_term": ["'perpetual' (runs on until terminated) needs auto_renewal true"]}
    else:
        raise AssertionError("an evergreen term without auto-renewal should be refused")


def test_problems_are_placed_beside_their_fields():
    doc = saas_doc()
    tf = commercial.form_of(doc)
    tf.values["currency"] = "DOLLARS"
    tf.lines[1].update(price="lots", satisfied_on="")
    tf.values["renewal_term"] = "a while"
    built = commercial.terms_of_form(tf, doc)
    try:
        parse_terms(built)
    except TermsError as err:
        commercial.place_errors(tf, err.errors)
    else:
        raise AssertionError("the terms should not parse")
    assert set(tf.errors) >= {"currency", "line-1-price", "line-1-satisfied_on", "renewal_term"}, tf.errors
    assert "lots" in tf.errors["line-1-price"][0] and not tf.errors["line-1-price"][0].startswith("lines[")


def test_add_a_line_with_an_id_of_its_own():
    tf = commercial.form_of(saas_doc())
    tf.lines[0]["id"] = "line3"
    commercial.add_line(tf)
    assert len(tf.lines) == 3 and tf.lines[2]["id"] not in {"line3", "impl"} and tf.lines[2]["from"] == ""


# -- the page ------------------------------------------------------------------------------------

def test_save_the_terms_from_the_form(client, auth, make_signed, app, plain):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    auth.login("finance")
    url = f"/contracts/{signed.contract_id}/commercial-terms"
    page = client.get(url).get_data(as_text=True)
    assert 'id="line-0-description"' in page and "Add a line" in page and "Advanced: the terms as JSON" in page
    doc = saas_doc()
    tf = commercial.form_of(doc)
    response = client.post(url, data={**posted(tf, doc, mode="form"), "csrf_token": auth.token()})
    assert response.status_code == 303
    with db.transaction_for(plain) as s:
        stored = s.scalars(select(ContractTermsDocument)).one()
        assert stored.sha256 == terms_hash(parse_terms(doc))
    page = client.get(url).get_data(as_text=True)
    assert "Commercial terms version 1 saved." in page and 'value="CLM Enterprise subscription"' in page
    assert "USD 120,000.00" in page and "USD 20,000.00" in page  # the saved lines, as people read amounts


def test_a_bad_field_is_refused_beside_it_and_nothing_is_stored(client, auth, make_signed, app, plain):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    auth.login("finance")
    url = f"/contracts/{signed.contract_id}/commercial-terms"
    doc = saas_doc()
    tf = commercial.form_of(doc)
    tf.lines[0]["end"] = "2025-01-01"
    tf.values["payment_terms_days"] = "soon"
    response = client.post(url, data={**posted(tf, doc, mode="form"), "csrf_token": auth.token()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="line-0-end"[^>]*aria-invalid="true" aria-describedby="err-line-0-end"', html)
    error = re.search(r'<p class="field-error" id="err-line-0-end">([^<]*)</p>', html)
    assert error and "before start 2026-01-01" in error.group(1)
    assert 'id="err-payment_terms_days"' in html
    assert 'value="2025-01-01"' in html and 'value="soon"' in html  # what the user typed stays in the form
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(ContractTermsDocument)) == 0


def test_add_and_remove_a_line_without_saving(client, auth, make_signed, app, plain):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    auth.login("legal")
    url = f"/contracts/{signed.contract_id}/commercial-terms"
    doc = saas_doc()
    tf = commercial.form_of(doc)
    added = client.post(url, data={**posted(tf, doc, mode="add"), "csrf_token": auth.token()})
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and 'name="line_count" value="3"' in html and 'id="line-2-description"' in html
    removed = client.post(url, data={**posted(tf, doc, remove="0"), "csrf_token": auth.token()})
    html = removed.get_data(as_text=True)
    assert 'name="line_count" value="1"' in html and 'value="Implementation"' in html
    assert 'value="CLM Enterprise subscription"' not in html
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(ContractTermsDocument)) == 0
    auth.login("viewer")
    assert client.post(url, data={**posted(tf, doc, mode="form"), "csrf_token": auth.token()}).status_code == 403
