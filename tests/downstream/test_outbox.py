"""The outbox: a signed contract becomes exactly one order, billing, revenue and renewal (F4), only as signed (T3)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from clm import db
from clm.downstream import commercial, outbox, reports
from clm.downstream.models import Invoice, Order, Renewal
from clm.events import Event
from clm.signing import envelopes
from clm.signing.models import Envelope
from clm.versions import store
from tests.downstream.conftest import ONE_SAAS, TEXT, counts, publish_completed
from tests.downstream.examples import saas_doc

COMPLETED = select(Event).where(Event.name == "envelope.completed")


def event_id(s, envelope_id: int) -> int:
    return next(e.id for e in s.scalars(COMPLETED) if e.payload["envelope_id"] == envelope_id)


def test_signing_writes_one_event_with_the_frozen_hashes(make_signed, plain):
    signed = make_signed()
    with db.transaction_for(plain) as s:
        event = s.scalar(COMPLETED)
        document = commercial.latest_document(s, signed.contract_id)
        assert (event.payload["envelope_id"], event.processed_at) == (signed.envelope_id, None)
        # The stamp registered for envelope.completed froze the commercial terms current at signing.
        assert event.payload == {"envelope_id": signed.envelope_id, "contract_id": signed.contract_id,
                                 "signed_on": "2025-12-15",
                                 "terms_sha256": s.get(Envelope, signed.envelope_id).terms_sha256,
                                 "commercial_terms_sha256": document.sha256, "commercial_terms_version": 1}


def test_processed_after_commit_with_the_apps_sessions(make_signed, app, plain):
    signed = make_signed(via=db.sessionmaker_for(app))
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS
        assert s.scalar(COMPLETED).processed_at is not None
        assert s.scalar(select(Order.contract_id)) == signed.contract_id


def test_the_rows_carry_the_schedules_and_the_terms_hash(make_signed, plain):
    signed = make_signed()
    with db.transaction_for(plain) as s:
        [outcome] = outbox.process_outbox(s)
        assert outcome.result == "processed"
    with db.transaction_for(plain) as s:
        sha = commercial.latest_document(s, signed.contract_id).sha256
        order = reports.order_json(s, signed.contract_id)
        assert (order["currency"], order["total"], order["terms_sha256"]) == ("USD", "135000.00", sha)
        billing = reports.billing_json(s, signed.contract_id)
        order_id = order["id"]
        assert [(i["number"], i["date"], i["due"], i["total"]) for i in billing["invoices"]] == [
            (f"INV-{order_id}-0001", "2026-01-01", "2026-02-02", "120000.00"),  # 31 Jan is a Saturday
            (f"INV-{order_id}-0002", "2026-03-15", "2026-04-14", "15000.00")]
        revenue = reports.revenue_json(s, signed.contract_id, date(2026, 6, 30))
        assert revenue["allocation"] == {"saas": "117000.00", "impl": "18000.00"}
        assert sum(Decimal(r["amount"]) for r in revenue["schedule"]) == Decimal("135000.00")
        renewal = reports.renewal_json(s, signed.contract_id, date(2026, 6, 30))
        # Term ends 2026-12-31; 60 days' notice lands on Sunday 2026-11-01, so the Friday before.
        assert (renewal["term_end"], renewal["renewal_date"], renewal["notice_deadline"]) == (
            "2026-12-31", "2027-01-01", "2026-10-30")
        assert {row.terms_sha256 for row in s.scalars(select(Invoice))} == {sha}
        assert s.scalar(select(Renewal.terms_sha256)) == sha


def test_balance_matches_the_pure_schedules(make_signed, plain):
    from clm.downstream.billing import build_billing_schedule
    from clm.downstream.revenue import balance, build_revenue_schedule
    from clm.downstream.terms import parse_terms

    signed = make_signed()
    with db.transaction_for(plain) as s:
        outbox.process_outbox(s)
    terms = parse_terms(saas_doc())
    expected = balance(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 6, 30))
    with db.transaction_for(plain) as s:
        got = reports.revenue_json(s, signed.contract_id, date(2026, 6, 30))["balance"]
    assert {k: Decimal(v) for k, v in got.items()} == expected


def test_delivered_three_times_sequentially_makes_one_of_each(make_signed, plain):
    signed = make_signed()
    for _ in range(3):
        with db.transaction_for(plain) as s:
            # a redelivered completion event and a rerun of the processor
            publish_completed(s, s.get(Envelope, signed.envelope_id))
            outbox.process_outbox(s)
        with db.transaction_for(plain) as s:
            outbox.process_event(s, event_id(s, signed.envelope_id), now=db.utcnow())
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS
        assert len(list(s.scalars(COMPLETED))) == 1


def _race(n: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait(10)
            work()
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_delivered_five_times_concurrently_makes_one_of_each(make_signed, plain):
    signed = make_signed()
    with db.transaction_for(plain) as s:
        eid = event_id(s, signed.envelope_id)

    def work() -> None:
        with db.transaction_for(plain) as s:
            outbox.process_event(s, eid, now=db.utcnow())

    assert _race(5, work) == []
    assert_one_order_event_then_processed(plain)


def assert_one_order_event_then_processed(plain) -> None:
    """Five racers published order.created once; processing it queues its one webhook."""
    with db.transaction_for(plain) as s:
        assert len(list(s.scalars(select(Event).where(Event.name == "order.created")))) == 1
    outbox.drain(plain)
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS


def test_unique_keys_alone_keep_it_exactly_once(make_signed, plain):
    """Five racers that skip the claim on the event row: the UNIQUE keys still allow one of each."""
    signed = make_signed()
    with db.transaction_for(plain) as s:
        payload = s.get(Event, event_id(s, signed.envelope_id)).payload
    order_ids: list[int] = []

    def work() -> None:
        with db.transaction_for(plain) as s:
            order_ids.append(outbox.materialize(s, signed.envelope_id, payload, now=db.utcnow()))

    assert _race(5, work) == []
    assert len(set(order_ids)) == 1 and len(order_ids) == 5
    assert_one_order_event_then_processed(plain)


def test_a_crash_half_way_leaves_nothing_and_the_rerun_completes(make_signed, plain, monkeypatch):
    signed = make_signed()

    def crash(session, order_id):
        raise RuntimeError("worker died after inserting the order")

    monkeypatch.setattr(outbox, "_after_order", crash)
    [outcome] = outbox.drain(plain)
    assert outcome.result == "failed"
    with db.transaction_for(plain) as s:
        assert counts(s)["orders"] == 0
        event = s.get(Event, event_id(s, signed.envelope_id))
        assert event.processed_at is None and "worker died" in event.last_error
    monkeypatch.undo()
    assert [o.result for o in outbox.drain(plain)] == ["processed"]
    assert outbox.drain(plain) == []
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS


def test_terms_changed_after_signing_are_refused_until_restored(make_signed, plain):
    signed = make_signed()
    with db.transaction_for(plain) as s:
        contract = store.get_contract(s, signed.contract_id)
        changed = saas_doc()
        changed["lines"][0]["price"] = "90000.00"
        commercial.attach_terms(s, contract, changed, by="mallory@example.test", now=db.utcnow())
    [outcome] = outbox.drain(plain)
    assert outcome.result == "deferred" and "changed after signing" in outcome.error
    with db.transaction_for(plain) as s:
        assert counts(s)["orders"] == 0
        assert "changed after signing" in s.scalar(COMPLETED).last_error
        assert [e.id for e in reports.refused_events(s)] == [event_id(s, signed.envelope_id)]
    with db.transaction_for(plain) as s:  # re-attach what was signed: version 3, same hash as version 1
        commercial.attach_terms(s, store.get_contract(s, signed.contract_id), saas_doc(), by="legal@example.test",
                                now=db.utcnow())
    assert [o.result for o in outbox.drain(plain)] == ["processed"]
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS
        assert s.scalar(select(Order.terms_sha256)) == commercial.document_version(s, signed.contract_id, 1).sha256


def test_confirmed_terms_changed_after_sending_are_refused(make_signed, plain):
    from clm.clauses.models import DecisionAction, TermDecision

    signed = make_signed()
    with db.transaction_for(plain) as s:
        contract = store.get_contract(s, signed.contract_id)
        s.add(TermDecision(contract_id=contract.id, version_id=contract.latest.id, field="payment_terms",
                           action=DecisionAction.CORRECTED, value="P90D", decided_by="legal@example.test",
                           decided_at=db.utcnow(), comment=""))
    [outcome] = outbox.drain(plain)
    assert outcome.result == "deferred" and "confirmed terms" in outcome.error


def test_signed_without_terms_waits_for_them_then_processes(make_signed, app, plain):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    with db.transaction_for(plain) as s:
        assert "no commercial terms" in s.scalar(COMPLETED).last_error
    with db.transaction_for(db.sessionmaker_for(app)) as s:  # attaching them triggers processing on commit
        commercial.attach_terms(s, store.get_contract(s, signed.contract_id), saas_doc(), by="finance@example.test",
                                now=db.utcnow())
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS


def test_terms_documents_are_versioned_and_unchanged_terms_store_nothing(make_signed, plain):
    signed = make_signed()
    with db.transaction_for(plain) as s:
        contract = store.get_contract(s, signed.contract_id)
        same = saas_doc(payment_terms_days=30)
        same["lines"][0]["price"] = "120000"  # the same amount, written differently
        assert commercial.attach_terms(s, contract, same, by="x", now=db.utcnow()).version == 1
        assert commercial.attach_terms(s, contract, saas_doc(payment_terms_days=45), by="x",
                                       now=db.utcnow()).version == 2


def test_the_envelope_freezes_the_digest_downstream_checks(make_signed, plain):
    from clm.clauses.services import confirmed_terms_digest

    signed = make_signed()
    with db.transaction_for(plain) as s:
        assert s.get(Envelope, signed.envelope_id).terms_sha256 == confirmed_terms_digest(s, signed.contract_id)


@pytest.mark.parametrize("statement", ["UPDATE orders SET total_minor = 1", "DELETE FROM invoices",
                                       "UPDATE contract_terms_documents SET sha256 = 'x'",
                                       "DELETE FROM revenue_lines"])
def test_downstream_evidence_is_insert_only(make_signed, plain, statement):
    make_signed()
    outbox.drain(plain)
    with pytest.raises(DBAPIError, match="immutable"), db.transaction_for(plain) as s:
        s.execute(text(statement))


def test_signing_end_to_end_creates_the_order(app, plain, contract_id, send_envelope):
    """The real flow: send, two signatures, sealing; the completing commit processes the outbox."""
    from tests.signing.conftest import complete, sign_as, tokens_in

    with db.transaction_for(plain) as s:
        commercial.attach_terms(s, store.get_contract(s, contract_id), saas_doc(), by="finance@example.test",
                                now=db.utcnow())
    envelope_id, tokens = send_envelope()
    factory = db.sessionmaker_for(app)
    outcome = sign_as(factory, tokens["alice@example.test"])
    assert sign_as(factory, tokens_in(outcome.mails)["bob@example.test"], "Bob Baker").ready_to_complete
    complete(factory, app, envelope_id)
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS
        assert s.scalar(select(Order.envelope_id)) == envelope_id
    complete(factory, app, envelope_id)  # a second completion call changes nothing
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS


def test_an_envelope_finished_by_the_sweep_reaches_finance_too(app, plain, runner):
    """A crash after the last signature: `clm signing sweep` completes the envelope, and the
    completion's after-commit work (downstream processing) runs as it does on the web."""
    from clm.cli import main
    from tests.signing.conftest import LEGAL, NO_APPROVALS, sign_as, tokens_in

    now = db.utcnow()
    with db.transaction_for(plain) as s:
        version = store.import_file(s, store.Upload(TEXT.encode(), "msa.txt"),
                                    limits=store.limits_from_settings(app.config), author="legal@example.test")
        commercial.attach_terms(s, version.contract, saas_doc(), by="finance@example.test", now=now)
        envelope = envelopes.create(s, version.contract_id, subject="Sign", message="", client=LEGAL, now=now,
                                    approvals=NO_APPROVALS,
                                    recipients=[envelopes.RecipientInput("A", "a@example.test")])
        token = tokens_in(envelopes.send(s, envelope.id, client=LEGAL, now=now, link_base="https://clm.example",
                                         approvals=NO_APPROVALS))["a@example.test"]
    assert sign_as(plain, token, "A").ready_to_complete  # ...and the process died before completing
    result = runner.invoke(main, ["signing", "sweep"])
    assert result.exit_code == 0, result.output
    assert "completed 1" in result.output
    with plain() as s:
        assert counts(s) == ONE_SAAS


def test_the_order_is_dated_on_the_day_the_envelope_completed(make_signed, plain):
    """The terms were drafted with signed_on 2025-12-15; the last signature came on 2026-01-20.

    The order, and the implementation invoice due on signature, are dated on the real signature
    day, not weeks before it.
    """
    doc = saas_doc()
    doc["lines"][1]["billing"] = {"frequency": "once", "timing": "advance"}  # invoiced on signature
    signed = make_signed(doc, via=plain, completed_on=date(2026, 1, 20))
    outbox.drain(plain)
    with plain() as s:
        order = s.scalar(select(Order).where(Order.envelope_id == signed.envelope_id))
        assert order.signed_on == date(2026, 1, 20)
        issued = {i.number[-4:]: i.issued_on for i in s.scalars(select(Invoice).where(
            Invoice.contract_id == signed.contract_id))}
        assert sorted(issued.values()) == [date(2026, 1, 1), date(2026, 1, 20)]  # subscription start; signature
