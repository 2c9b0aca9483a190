"""Start renewal: the uplift capped by the contract, the lines moved to the renewal term, a draft contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clm import db
from clm.clauses.library import load_library
from clm.clauses.models import DraftRecord
from clm.downstream import commercial, orders, outbox, renewal_drafts
from clm.downstream.models import RenewalDraft
from clm.downstream.renewals import plan_renewal
from clm.downstream.terms import parse_terms
from clm.errors import Conflict, InvalidInput
from clm.versions import store
from clm.versions.models import Contract, VersionSource
from tests.downstream.examples import saas_doc

LIBRARY = Path(__file__).resolve().parents[2] / "clause_library"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("requested, cap, applied, price", [
    (D("7"), "5%", D("5"), "126000.00"),     # the cap reduces the uplift
    (D("3"), "5%", D("3"), "123600.00"),     # under the cap
    (D("7"), None, D("7"), "128400.00"),     # no cap
    (D("-10"), "5%", D("-10"), "108000.00"),  # a decrease is never capped
    (D("2.5"), "2.5%", D("2.5"), "123000.00"),
])
def test_uplift_is_capped_by_the_contract(requested, cap, applied, price):
    doc = saas_doc()
    doc["renewal"]["price_increase_cap"] = cap
    plan = plan_renewal(parse_terms(doc), date(2026, 11, 1), requested)
    assert plan.applied_pct == applied and plan.capped == (applied < requested)
    [line] = plan.document["lines"]  # implementation is one-off: it does not renew
    assert (line["id"], line["price"], line["start"], line["end"]) == ("saas", price, "2027-01-01", "2027-12-31")
    assert plan.document["renewal"]["price_increase_cap"] == (cap.rstrip("%") if cap else None)
    parse_terms(plan.document)


def test_renewal_of_a_later_term_and_a_leap_year_month_line():
    doc = saas_doc(lines=[{"id": "host", "description": "Hosting", "price": "1000.00", "recognition": "ratable",
                           "start": "2027-02-01", "end": "2028-01-31",
                           "billing": {"frequency": "monthly", "timing": "advance"}}])
    doc["renewal"] = {"auto_renewal": True, "renewal_term": "P1M", "non_renewal_notice": "P10D",
                      "price_increase_cap": "4"}
    # Today is in the second monthly renewal term (2028-03-01 .. 2028-03-31): renew from April 1.
    plan = plan_renewal(parse_terms(doc), date(2028, 3, 10), D("10"))
    assert (plan.renews_term, plan.term_start, plan.term_end) == (2, date(2028, 4, 1), date(2028, 4, 30))
    # 12 months for 1,000.00 scaled to one month: 83.333... * 1.04 = 86.67 (half-up).
    assert plan.document["lines"][0]["price"] == "86.67" and plan.applied_pct == D("4")


@pytest.mark.parametrize("raw", ["", "five", "-100", "1001", "NaN", "Infinity"])
def test_bad_uplift_is_refused(raw):
    with pytest.raises(InvalidInput, match="^uplift: "):
        renewal_drafts.parse_uplift(raw)


def test_parse_uplift_accepts_a_percent_sign():
    assert renewal_drafts.parse_uplift(" 7.5% ") == D("7.5")


@pytest.fixture
def signed(make_signed, plain):
    result = make_signed()
    outbox.drain(plain)
    return result


def start(plain, contract_id, uplift="7", today=date(2026, 11, 1)):
    with db.transaction_for(plain) as s:
        return renewal_drafts.start_renewal(s, contract_id, D(uplift), by="finance@example.test", now=db.utcnow(),
                                            today=today, library=load_library(LIBRARY))


def test_start_renewal_drafts_a_contract_with_the_uplifted_terms(signed, plain):
    started = start(plain, signed.contract_id)
    assert started.created and started.capped and (started.requested_pct, started.applied_pct) == ("7", "5")
    with db.transaction_for(plain) as s:
        draft = store.get_contract(s, started.contract_id)
        assert draft.title == "Renewal of Acme subscription" and draft.counterparty == "Acme"
        [version] = draft.versions
        assert (version.number, version.source) == (1, VersionSource.TEMPLATE)
        assert "Acme" in version.text and "USD 126,000.00" in version.text and "January 1, 2027" in version.text
        record = s.scalar(select(DraftRecord).where(DraftRecord.contract_id == draft.id))
        assert record.template_key == "order_form"
        document = commercial.get_document(s, draft.id)
        assert [(ln["id"], ln["price"], ln["start"]) for ln in document.data["lines"]] == [
            ("saas", "126000.00", "2027-01-01")]
        link = s.scalar(select(RenewalDraft))
        assert (link.original_contract_id, link.contract_id, link.term_number) == (signed.contract_id, draft.id, 0)
    again = start(plain, signed.contract_id, uplift="3")
    assert not again.created and again.contract_id == started.contract_id and again.applied_pct == "5"
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 2


def test_no_renewal_for_unsigned_or_cancelled_contracts(make_signed, signed, plain):
    waiting = make_signed(attach=False)
    with pytest.raises(Conflict, match="not executed"):
        start(plain, waiting.contract_id)
    with db.transaction_for(plain) as s:
        orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
    with pytest.raises(Conflict, match="cancelled"):
        start(plain, signed.contract_id)
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 2
        assert s.scalar(select(func.count()).select_from(RenewalDraft)) == 0


def test_start_renewal_from_the_contract_page_says_the_cap_applied(client, auth, signed, plain):
    url = f"/contracts/{signed.contract_id}/renewal/start"
    auth.login("viewer")
    assert client.post(url, data={"uplift": "7", "csrf_token": auth.token()}).status_code == 403
    auth.login("legal")
    bad = client.post(url, data={"uplift": "lots", "csrf_token": auth.token()})
    assert bad.status_code == 303 and bad.headers["Location"].endswith("at=renewal-form#renewal-form")
    form = client.get(bad.headers["Location"]).get_data(as_text=True).split('id="renewal-form"', 1)[1]
    form = form.split("</form>", 1)[0]
    assert 'id="msg-renewal-form"' in form and "uplift:" in form and 'aria-invalid="true"' in form
    response = client.post(url, data={"uplift": "7", "csrf_token": auth.token()})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you asked for 7%; the contract&#39;s price increase cap limits it to 5%" in page
    assert "Renewal of" in page and f'href="/contracts/{signed.contract_id}"' in page
    original = client.get(f"/contracts/{signed.contract_id}").get_data(as_text=True)
    assert "Renewal draft" in original and "capped from 7%" in original


def test_start_renewal_over_the_api(client, make_token, signed):
    token = make_token("finance")
    url = f"/api/v1/contracts/{signed.contract_id}/renewal/start?today=2026-11-01"
    assert client.post(url, json={"uplift": "x"}, headers=bearer(token)).status_code == 422
    assert client.post(url, json={"uplift": "7"}, headers=bearer(make_token("viewer"))).status_code == 403
    response = client.post(url, json={"uplift": "4"}, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["applied_pct"], body["capped"], body["terms"]["lines"][0]["price"]) == ("4", False, "124800.00")
    assert client.post(url, json={"uplift": "4"}, headers=bearer(token)).status_code == 200


def test_an_evergreen_contract_running_on_has_no_renewal_to_start_over_the_api(client, make_token, make_signed,
                                                                               plain):
    evergreen = make_signed(saas_doc(renewal={"auto_renewal": True, "renewal_term": "perpetual",
                                              "non_renewal_notice": "P30D"}))
    outbox.drain(plain)
    url = f"/api/v1/contracts/{evergreen.contract_id}/renewal/start?today=2027-02-01"   # term ended 2026-12-31
    response = client.post(url, json={"uplift": "3"}, headers=bearer(make_token("finance")))
    assert response.status_code == 422
    assert "has run on until terminated (evergreen) since the end of its initial term on 2026-12-31" in \
        response.get_json()["error"]
    with db.transaction_for(plain) as s:                  # nothing drafted, nothing stored
        assert s.scalar(select(func.count()).select_from(RenewalDraft)) == 0
        assert s.scalar(select(func.count()).select_from(Contract)) == 1
