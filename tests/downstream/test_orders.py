"""Cancelling an order (credit note stored once), invoice numbers across contracts, the ERP export and webhook."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm import db, webhooks
from clm.downstream import orders, outbox, reports
from clm.downstream.models import CreditNote, Invoice, Order, OrderCancellation
from clm.errors import Conflict, InvalidInput
from clm.events import Event
from clm.webhooks import WebhookDelivery
from tests.downstream.examples import saas_doc

SECRET = "whsec-test"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def monthly_doc() -> dict:
    """USD 12,000.00 hosting billed monthly in advance over 2026 and USD 1,200.00 support billed quarterly in arrears."""
    return saas_doc(lines=[
        {"id": "host", "description": "Hosting", "price": "12000.00", "recognition": "ratable",
         "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "monthly", "timing": "advance"}},
        {"id": "support", "description": "Support", "price": "1200.00", "recognition": "ratable",
         "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "quarterly", "timing": "arrears"}}])


def processed(make_signed, plain, doc=None, **kw):
    signed = make_signed(doc, **kw)
    outbox.drain(plain)
    return signed


def state(plain, contract_id):
    """Return (order status, credit notes, invoice statuses) of a contract, to show nothing changed."""
    with db.transaction_for(plain) as s:
        order = reports.order_of(s, contract_id)
        if order is None:
            return (None, s.scalar(select(func.count()).select_from(CreditNote)), [])
        billing = reports.billing_json(s, contract_id)
        return (billing["status"], billing["credit_note"], [(i["number"], i["status"], i["total"])
                                                           for i in billing["invoices"]])


def test_cancelling_stores_one_credit_note_for_the_unused_days(make_signed, plain):
    signed = processed(make_signed, plain)
    with db.transaction_for(plain) as s:
        done = orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="finance@example.test",
                                   now=db.utcnow())
    # 120,000.00 billed 2026-01-01 for the year; 184 of its 365 days (Jul 1 to Dec 31) are unused:
    # 120,000 * 184 / 365 = 60,493.150... -> 60,493.15. Implementation went live 2026-03-15: not credited.
    order_id = done.order_id
    assert done.credit_note["number"] == f"CN-{order_id}-0001"
    assert done.credit_note["total"] == "60493.15"
    assert [(ln["invoice"], ln["line"], ln["period_start"], ln["period_end"], ln["amount"])
            for ln in done.credit_note["lines"]] == [
        (f"INV-{order_id}-0001", "saas", "2026-07-01", "2026-12-31", "60493.15")]
    assert done.cancelled_invoices == () and done.final_invoice is None
    with db.transaction_for(plain) as s:
        cancellation = s.scalar(select(OrderCancellation))
        assert (cancellation.order_id, cancellation.cancel_on, cancellation.cancelled_by) == (
            order_id, date(2026, 7, 1), "finance@example.test")
        [note] = s.scalars(select(CreditNote)).all()
        assert (note.total_minor, note.issued_on, note.currency) == (6049315, date(2026, 7, 1), "USD")
    before = state(plain, signed.contract_id)
    with db.transaction_for(plain) as s, pytest.raises(Conflict, match="already cancelled from 2026-07-01"):
        orders.cancel_order(s, signed.contract_id, date(2026, 8, 1), by="x", now=db.utcnow())
    assert state(plain, signed.contract_id) == before


def test_the_database_holds_one_credit_note_per_order(make_signed, plain):
    signed = processed(make_signed, plain)
    with db.transaction_for(plain) as s:
        orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
    with pytest.raises(IntegrityError), db.transaction_for(plain) as s:
        note = s.scalar(select(CreditNote))
        s.add(CreditNote(order_id=note.order_id, contract_id=note.contract_id, number="CN-other", issued_on=note.issued_on,
                         currency="USD", total_minor=1, lines=[], terms_sha256=note.terms_sha256, created_by="x"))
        s.flush()


def test_cancelling_stops_later_invoices_and_bills_what_was_earned_in_arrears(make_signed, plain):
    signed = processed(make_signed, plain, monthly_doc())
    with db.transaction_for(plain) as s:
        assert reports.order_of(s, signed.contract_id) is not None
        assert len(reports.billing_forecast(s, date(2026, 1, 1))["USD"]) == 12
        done = orders.cancel_order(s, signed.contract_id, date(2026, 5, 16), by="f", now=db.utcnow())
    # Hosting bills 1,000.00 each 1st: May's (issued 2026-05-01) is credited for May 16-31,
    # 16/31 of 1,000.00 = 516.13. Support bills 300.00 on Apr 1 (Q1, nothing unused) and would
    # bill Q2 on Jul 1: instead the used days Apr 1 - May 15 (45 of 91) are billed on May 16:
    # 300 * 45 / 91 = 148.35.
    assert done.credit_note["total"] == "516.13"
    with db.transaction_for(plain) as s:
        invoices = reports.billing_json(s, signed.contract_id)["invoices"]
        stopped = [date.fromisoformat(i["date"]) for i in invoices if i["status"] == "cancelled"]
        assert stopped[0] == date(2026, 6, 1) and all(d >= date(2026, 5, 16) for d in stopped)
        # Jun-Dec (hosting; Jul and Oct with support) and 2027-01-01 (support's Q4 in arrears).
        assert len(stopped) == 7 + 1 and stopped[-1] == date(2027, 1, 1)
        final = [i for i in invoices if i["number"] == done.final_invoice][0]
        assert (final["date"], final["total"], final["status"]) == ("2026-05-16", "148.35", "scheduled")
        assert final["lines"][0]["period_end"] == "2026-05-15"
        forecast = dict(reports.billing_forecast(s, date(2026, 1, 1))["USD"])
        assert forecast["2026-06"] == Decimal("0.00") and forecast["2026-05"] == Decimal("1148.35")
        # Billed to the customer: the issued invoices plus the final one, minus the credit note.
        billed = sum(Decimal(i["total"]) for i in invoices if i["status"] != "cancelled") - Decimal("516.13")
        assert billed == Decimal("5000.00") + Decimal("300.00") + Decimal("148.35") - Decimal("516.13")
        # Nothing stored before was rewritten: orders and invoices are insert-only.
        assert s.scalar(select(func.count()).select_from(Invoice)) == 13 + 1


@pytest.mark.parametrize("cancel_on, error", [
    (date(2025, 12, 31), InvalidInput("cancel_on: 2025-12-31 is before the contract term starts (2026-01-01).")),
    (date(2027, 1, 1), InvalidInput("cancel_on: 2027-01-01 is after the contract term ends (2026-12-31)")),
])
def test_dates_outside_the_term_are_refused_and_nothing_changes(make_signed, plain, cancel_on, error):
    signed = processed(make_signed, plain)
    before = state(plain, signed.contract_id)
    with db.transaction_for(plain) as s, pytest.raises(type(error), match=str(error).replace("(", r"\(").replace(")", r"\)")):
        orders.cancel_order(s, signed.contract_id, cancel_on, by="f", now=db.utcnow())
    assert state(plain, signed.contract_id) == before and before[0] == "active"


def test_a_contract_that_is_not_executed_cannot_be_cancelled(make_signed, plain):
    signed = make_signed(attach=False)  # signed, but no terms: no order
    with db.transaction_for(plain) as s, pytest.raises(Conflict, match="not executed"):
        orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
    assert state(plain, signed.contract_id) == (None, 0, [])


def test_invoice_numbers_never_repeat_across_contracts(make_signed, plain):
    first = processed(make_signed, plain, title="Acme one")
    second = processed(make_signed, plain, title="Acme two")
    with db.transaction_for(plain) as s:
        numbers = {cid: [i["number"] for i in reports.billing_json(s, cid)["invoices"]]
                   for cid in (first.contract_id, second.contract_id)}
        ids = {cid: reports.order_of(s, cid).id for cid in numbers}
        assert s.scalar(select(func.count(func.distinct(Invoice.number)))) == 4
    for cid, found in numbers.items():
        assert found == [f"INV-{ids[cid]}-0001", f"INV-{ids[cid]}-0002"]
    assert not set(numbers[first.contract_id]) & set(numbers[second.contract_id])


def test_cancel_over_the_api(client, make_token, make_signed, plain):
    signed = processed(make_signed, plain)
    url = f"/api/v1/contracts/{signed.contract_id}/cancel"
    finance = make_token("finance")
    assert client.post(url, json={"cancel_on": "2026-07-01"}, headers=bearer(make_token("viewer"))).status_code == 403
    for body in ({"cancel_on": "July"}, {}, {"cancel_on": "2025-01-01"}):
        response = client.post(url, json=body, headers=bearer(finance))
        assert response.status_code == 422 and response.get_json()["error"].startswith("cancel_on:")
    assert client.post(url, data="x", headers=bearer(finance)).status_code == 422
    response = client.post(url, json={"cancel_on": "2026-07-01"}, headers=bearer(finance))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["credit_note"]["total"] == "60493.15"
    again = client.post(url, json={"cancel_on": "2026-07-01"}, headers=bearer(finance))
    assert again.status_code == 409 and "already cancelled" in again.get_json()["error"]
    note = client.get(f"/api/v1/contracts/{signed.contract_id}/credit-note", headers=bearer(finance)).get_json()
    assert note["total"] == "60493.15" and note["lines"][0]["period_start"] == "2026-07-01"
    order = client.get(f"/api/v1/contracts/{signed.contract_id}/order", headers=bearer(finance)).get_json()
    assert (order["status"], order["cancelled_on"]) == ("cancelled", "2026-07-01")
    billing = client.get(f"/api/v1/contracts/{signed.contract_id}/billing", headers=bearer(finance)).get_json()
    assert billing["credit_note"]["number"] == note["number"]
    assert client.post("/api/v1/contracts/999/cancel", json={"cancel_on": "2026-07-01"},
                       headers=bearer(finance)).status_code == 404


def test_cancel_form_on_the_contract_page_and_the_credit_note_pdf(client, auth, make_signed, plain):
    signed = processed(make_signed, plain)
    url = f"/contracts/{signed.contract_id}/cancel"
    auth.login("viewer")
    assert client.post(url, data={"cancel_on": "2026-07-01", "csrf_token": auth.token()}).status_code == 403
    auth.login("finance")
    page = client.get(f"/contracts/{signed.contract_id}").get_data(as_text=True)
    assert 'name="cancel_on"' in page and "Start renewal" in page
    assert client.post(url, data={"cancel_on": "2026-07-01"}).status_code == 400  # no CSRF token
    bad = client.post(url, data={"cancel_on": "2027-02-01", "csrf_token": auth.token()})
    # Refused beside the form it came from, on the Finance tab; nothing is cancelled.
    assert bad.status_code == 303 and bad.headers["Location"].endswith("tab=finance&at=cancel-form#cancel-form")
    beside = client.get(bad.headers["Location"]).get_data(as_text=True)
    form = beside.split('id="cancel-form"', 1)[1].split("</form>", 1)[0]
    assert 'id="msg-cancel-form"' in form and "after the contract term ends" in form
    assert 'aria-invalid="true" aria-describedby="msg-cancel-form"' in form
    response = client.post(url, data={"cancel_on": "2026-07-01", "csrf_token": auth.token()})
    assert response.status_code == 303
    page = client.get(f"/contracts/{signed.contract_id}").get_data(as_text=True)
    with db.transaction_for(plain) as s:
        number = s.scalar(select(CreditNote.number))
    assert "credit note" in page and number in page and "cancelled from July 1, 2026" in page
    assert 'name="cancel_on"' not in page  # nothing more to cancel
    pdf = client.get(f"/finance/credit-notes/{number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/finance/credit-notes/CN-0-0000.pdf").status_code == 404


def test_cli_cancel(runner, make_signed, plain):
    from clm.cli import main

    signed = processed(make_signed, plain)
    result = runner.invoke(main, ["downstream", "cancel", str(signed.contract_id), "--from", "2027-03-01"])
    assert result.exit_code == 2 and "after the contract term ends" in result.output
    result = runner.invoke(main, ["downstream", "cancel", str(signed.contract_id), "--from", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert "credit note CN-" in result.output and "USD 60493.15" in result.output
    assert runner.invoke(main, ["downstream", "cancel", str(signed.contract_id), "--from", "2026-07-01"]).exit_code == 2


# -- ERP export and the order.created webhook ---------------------------------------------------


def test_erp_export_json_and_csv(client, make_token, make_signed, plain):
    processed(make_signed, plain)
    token = make_token("finance")
    body = client.get("/api/v1/orders", headers=bearer(token)).get_json()
    [order] = body["orders"]
    assert (order["order_number"], order["customer"], order["currency"], order["total"], order["status"]) == (
        f"SO-{order['order_id']}", "Acme", "USD", "135000.00", "active")
    assert [(ln["line_number"], ln["line_id"], ln["quantity"], ln["unit_price"], ln["revenue_recognition"])
            for ln in order["lines"]] == [(1, "saas", 1, "120000.00", "ratable"), (2, "impl", 1, "15000.00",
                                                                                   "point_in_time")]
    response = client.get("/api/v1/orders?format=csv", headers=bearer(token))
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["order_number"], r["line_id"], r["amount"], r["service_start"]) for r in rows] == [
        (order["order_number"], "saas", "120000.00", "2026-01-01"), (order["order_number"], "impl", "15000.00", "")]
    assert client.get("/api/v1/orders?status=cancelled", headers=bearer(token)).get_json()["orders"] == []
    assert client.get("/api/v1/orders?status=gone", headers=bearer(token)).status_code == 422
    assert client.get("/api/v1/orders?format=xml", headers=bearer(token)).status_code == 422
    assert client.get("/api/v1/orders?since=2026-01-01", headers=bearer(token)).get_json()["orders"] == []
    assert client.get("/api/v1/orders", headers=bearer(make_token("viewer"))).status_code == 403


def test_order_created_webhook_is_queued_once_with_the_order_and_delivered_signed(make_signed, plain):
    signed = make_signed()
    for _ in range(3):  # processed, then redelivered: still one row
        outbox.drain(plain)
        with db.transaction_for(plain) as s:
            for event_id in s.scalars(select(Event.id)).all():  # every event redelivered
                outbox.process_event(s, event_id, now=db.utcnow())
    with db.transaction_for(plain) as s:
        rows = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event.startswith("order."))).all()
        assert len(rows) == 1
        assert rows[0].payload["event"] == "order.created"
        assert rows[0].payload["order"]["contract_id"] == signed.contract_id
    sent = []

    def poster(url, body, headers):
        sent.append((url, body, dict(headers)))
        return webhooks.Response(200)

    settings = {"WEBHOOK_URL": "https://erp.example.test/hook", "WEBHOOK_SECRET": SECRET}
    report = orders.deliver_order_webhooks(plain, settings, poster=poster)
    assert report.delivered == 1
    assert orders.deliver_order_webhooks(plain, settings, poster=poster).delivered == 0  # delivered once
    [(url, body, headers)] = sent
    assert headers["X-Clm-Event"] == "order.created"
    assert webhooks.verify_signature(SECRET, headers["X-Clm-Signature"], headers["X-Clm-Timestamp"], body,
                                     now=int(headers["X-Clm-Timestamp"]))
    assert json.loads(body)["order"]["lines"][0]["line_id"] == "saas"


def test_no_order_no_webhook_row(make_signed, plain, monkeypatch):
    make_signed()

    def crash(session, order_id):
        raise RuntimeError("crash after the order")

    monkeypatch.setattr(outbox, "_after_order", crash)
    [outcome] = outbox.drain(plain)
    assert outcome.result == "failed"
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert s.scalar(select(func.count()).select_from(Order)) == 0


def test_five_concurrent_cancellations_store_one(make_signed, plain):
    from tests.downstream.test_outbox import _race

    signed = processed(make_signed, plain)
    results: list[str] = []

    def work() -> None:
        try:
            with db.transaction_for(plain) as s:
                done = orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
            results.append(done.credit_note["number"])
        except Conflict:
            results.append("conflict")

    assert _race(5, work) == []
    assert results.count("conflict") == 4 and len(results) == 5
    assert [r for r in results if r != "conflict"][0].startswith("CN-")
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(CreditNote)) == 1
        assert s.scalar(select(func.count()).select_from(OrderCancellation)) == 1


def test_cancelled_revenue_by_hand():
    """SAAS_DOC cancelled from 2026-07-01, checked by hand to the cent.

    Subscription: 117,000.00 allocated over 365 days; it stops after June 30, day 181:
    117,000 * 181 / 365 = 58,019.178 -> 58,019.18. Implementation (18,000.00) went live March 15.
    Recognized 76,019.18. The customer pays 120,000.00 + 15,000.00 - 60,493.15 = 74,506.85, so a
    catch-up of -1,512.33 goes on the cancellation date and revenue totals 74,506.85.
    """
    from clm.downstream.billing import billed_after_cancellation, build_billing_schedule, credit_note
    from clm.downstream.revenue import balance, build_revenue_schedule, cancel_revenue
    from clm.downstream.terms import parse_terms

    terms = parse_terms(saas_doc())
    schedule = build_billing_schedule(terms)
    billed = billed_after_cancellation(schedule, date(2026, 7, 1), credit_note(schedule, date(2026, 7, 1)))
    paid = sum((inv.total for inv in billed), Decimal(0))
    assert paid == Decimal("74506.85")
    revenue = cancel_revenue(build_revenue_schedule(terms), date(2026, 7, 1), paid)
    assert [(e.period, e.line_id, str(e.amount)) for e in revenue.entries] == [
        ("2026-01", "saas", "9936.99"), ("2026-02", "saas", "8975.34"), ("2026-03", "saas", "9936.99"),
        ("2026-03", "impl", "18000.00"), ("2026-04", "saas", "9616.43"), ("2026-05", "saas", "9936.99"),
        ("2026-06", "saas", "9616.44"), ("2026-07", "cancellation", "-1512.33")]
    assert sum(e.amount for e in revenue.entries) == paid
    june = balance(terms, billed, revenue, date(2026, 6, 30))
    assert {k: str(v) for k, v in june.items()} == {"billed": "135000.00", "recognized": "76019.18",
                                                   "deferred_revenue": "58980.82", "contract_asset": "0.00"}
    july = balance(terms, billed, revenue, date(2026, 7, 31))
    assert {k: str(v) for k, v in july.items()} == {"billed": "74506.85", "recognized": "74506.85",
                                                   "deferred_revenue": "0.00", "contract_asset": "0.00"}


def test_after_cancelling_revenue_and_the_dashboard_follow(client, auth, make_token, make_signed, plain):
    signed = processed(make_signed, plain)
    with db.transaction_for(plain) as s:
        orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
        revenue = reports.revenue_json(s, signed.contract_id, date(2026, 7, 31))
        assert revenue["cancelled_on"] == "2026-07-01" and revenue["total"] == "74506.85"
        assert revenue["schedule"][-1] == {"period": "2026-07", "line": "cancellation", "amount": "-1512.33"}
        assert revenue["balance"]["deferred_revenue"] == "0.00"
        by_month = dict(reports.revenue_by_month(s, date(2026, 1, 1))["USD"])
        assert by_month["2026-07"] == Decimal("-1512.33") and by_month["2026-08"] == Decimal("0.00")
        assert by_month["2026-03"] == Decimal("27936.99")
        _periods, waterfall = reports.revenue_waterfall(s, date(2026, 1, 1))
        assert sum(waterfall[0].amounts) == Decimal("74506.85")
        [row], totals = reports.deferred_revenue(s, date(2026, 6, 30))
        assert (row.billed, row.deferred_revenue) == (Decimal("135000.00"), Decimal("58980.82"))


def test_cancelling_queues_an_order_cancelled_webhook_sent_after_commit(app, client, make_token, make_signed, plain):
    from tests.signing.test_webhooks import Receiver

    receiver = Receiver()
    try:
        signed = processed(make_signed, plain)
        app.config.update(WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET)
        response = client.post(f"/api/v1/contracts/{signed.contract_id}/cancel", json={"cancel_on": "2026-07-01"},
                               headers=bearer(make_token("finance")))
        assert response.status_code == 201
    finally:
        receiver.close()
    # The order.created row was still due (webhooks were off when it was processed) and goes out too.
    assert sorted(receiver.events()) == ["order.cancelled", "order.created"]
    for _path, headers, body in receiver.requests:
        assert webhooks.verify_signature(SECRET, headers["X-Clm-Signature"], headers["X-Clm-Timestamp"], body,
                                         now=int(headers["X-Clm-Timestamp"]))
    cancelled = next(json.loads(b) for _p, _h, b in receiver.requests if json.loads(b)["event"] == "order.cancelled")
    assert cancelled["order"]["status"] == "cancelled" and cancelled["credit_note"]["total"] == "60493.15"
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)
                        .where(WebhookDelivery.delivered_at.is_not(None))) == 2


def test_erp_csv_neutralises_formula_cells_in_the_api_and_the_page(client, make_token, make_signed, auth, plain):
    """Finding 9 (issue 17): a counterparty named like a formula is text in the export, not a formula."""
    from clm import csvfile

    processed(make_signed, plain, counterparty='=HYPERLINK("http://evil.example","x")')
    api = client.get("/api/v1/orders?format=csv", headers=bearer(make_token("finance")))
    assert api.status_code == 200
    auth.login("finance")
    page = client.get("/finance/orders.csv")
    for response in (api, page):
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [r["customer"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"x\")"] * 2
        assert not [c for r in rows for c in r.values() if c.startswith(csvfile.FORMULA_START)
                    and not csvfile._NUMBER.fullmatch(c)]
