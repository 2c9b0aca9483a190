"""Generated access-control sweep: every route x every method x every kind of caller x own/other object.

The cases are generated from ``app.url_map``, so a new route fails this test until it has an
entry in :data:`POLICY` saying who may call it. For each case the sweep asserts that:

* an allowed caller gets through (a GET answers 200, or the status the table names for a
  route whose object is not ready, e.g. a signed PDF before completion); an allowed write is
  never refused as 401/403/404 and never fails with a 500;
* any other caller gets 401/403/404 (or, for a browser page, a redirect to the sign-in page),
  never a 500, and the database is byte-for-byte unchanged (a digest of every table);
* a GET changes nothing, whoever sends it (mail scanners and link previews open links);
* every answer carries the security headers; signer-token pages send ``Referrer-Policy: no-referrer``.

Browser callers send a valid CSRF token with every POST, so the sweep tests the permission
check and not just the CSRF check (which has its own test below). API callers send bearer
tokens; the API never accepts the session cookie.

One app and one database for the whole module (SQLite, or PostgreSQL with CLM_DATABASE_URL);
allowed writes run after every other case, so they cannot disturb them.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from clm import db
from clm.app import create_app
from clm.models import Base
from clm.users import Role, create_token, create_user

PASSWORD = "correct horse battery"

# -- who calls ---------------------------------------------------------------------------------

ANON, SIGNER, VIEWER, LEGAL, FINANCE, ADMIN = "anonymous", "signer", "viewer", "legal", "finance", "admin"
CALLERS = (ANON, SIGNER, VIEWER, LEGAL, FINANCE, ADMIN)
STAFF_ROLES = (VIEWER, LEGAL, FINANCE, ADMIN)

#: Named groups for the policy table.
EVERYONE = frozenset(CALLERS)
STAFF = frozenset(STAFF_ROLES)  # contracts.read
WRITERS = frozenset({LEGAL, ADMIN})  # contracts.write, terms.decide, envelopes.manage, clauses.approve
MONEY = frozenset({LEGAL, FINANCE, ADMIN})  # finance.read, commercial_terms.write
TOKEN_HOLDER = frozenset({SIGNER})  # the recipient whose token is in the URL
NOBODY: frozenset[str] = frozenset()

# -- the policy: who may call what -------------------------------------------------------------
#
# endpoint -> {method: callers allowed on their own object}. Add an entry with every new route.
# For staff there is no per-user ownership (every role sees every contract its permission
# covers), so "someone else's object" differs only where the URL pairs two objects: a version
# number, clause digest or term of another contract, an unknown key. Those are 404 for all.

POLICY: dict[str, dict[str, frozenset[str]]] = {
    # public
    "static": {"GET": EVERYONE},
    "clauses.static": {"GET": EVERYONE},
    "downstream.static": {"GET": EVERYONE},
    "signing.static": {"GET": EVERYONE},
    "versions.static": {"GET": EVERYONE},
    "auth.login": {"GET": EVERYONE, "POST": EVERYONE},
    "auth.logout": {"POST": EVERYONE},
    "auth.password": {"GET": STAFF, "POST": STAFF},
    # administration (issue 17): API tokens
    "admin.tokens": {"GET": frozenset({ADMIN})},
    "admin.create": {"POST": frozenset({ADMIN})},
    "admin.revoke": {"POST": frozenset({ADMIN})},
    "verify.page": {"GET": EVERYONE, "POST": EVERYONE},
    "verify.certificate": {"GET": EVERYONE},
    "api.health": {"GET": EVERYONE},
    "api.openapi": {"GET": EVERYONE},
    # contracts and versions (pages)
    "versions.index": {"GET": STAFF},
    "versions.new": {"GET": WRITERS, "POST": WRITERS},
    "versions.upload_version": {"POST": WRITERS},
    "versions.show_version": {"GET": STAFF},
    "versions.download": {"GET": STAFF},
    "versions.page_image": {"GET": STAFF},
    "versions.compare": {"GET": STAFF},
    "versions.read_status": {"GET": STAFF},
    "contracts.show": {"GET": STAFF},
    # clauses, terms, drafting, library (pages)
    "clauses.approve": {"POST": WRITERS},
    "clauses.decide": {"POST": WRITERS},
    "clauses.terms_csv": {"GET": STAFF},
    "clauses.draft_index": {"GET": STAFF},
    # POST previews a draft (stores nothing) for every reader; action=create stores it and needs
    # contracts.write (test_only_writers_store_a_draft below).
    "clauses.draft_form": {"GET": STAFF, "POST": STAFF},
    "clauses.library_index": {"GET": STAFF},
    "clauses.library_clause": {"GET": STAFF},
    "clauses.library_edit": {"GET": WRITERS, "POST": WRITERS},
    "clauses.library_yaml": {"GET": STAFF},
    # envelopes (sender pages)
    "envelopes.new": {"GET": WRITERS, "POST": WRITERS},
    "envelopes.show": {"GET": WRITERS},
    "envelopes.send": {"POST": WRITERS},
    "envelopes.void": {"POST": WRITERS},
    "envelopes.remind": {"POST": WRITERS},
    "envelopes.signed_pdf": {"GET": WRITERS},
    # finance pages
    "downstream.dashboard": {"GET": MONEY},
    "downstream.contracts": {"GET": MONEY},
    "downstream.contracts_csv": {"GET": MONEY},
    "downstream.invoice_pdf": {"GET": MONEY},
    "downstream.terms_form": {"GET": MONEY, "POST": MONEY},
    "downstream.cancel": {"POST": MONEY},
    "downstream.record_payment": {"POST": MONEY},
    "downstream.start_renewal": {"POST": MONEY},
    "downstream.credit_note_pdf": {"GET": MONEY},
    "downstream.orders_csv": {"GET": MONEY},
    # the signer's pages: the token in the URL is the only credential
    "signing.show": {"GET": TOKEN_HOLDER},
    "signing.document_pdf": {"GET": TOKEN_HOLDER},
    "signing.consent": {"POST": TOKEN_HOLDER},
    "signing.sign": {"POST": TOKEN_HOLDER},
    "signing.decline": {"POST": TOKEN_HOLDER},
    "signing.withdraw": {"POST": TOKEN_HOLDER},
    "signing.copy_pdf": {"GET": TOKEN_HOLDER},  # a used link: the signer's copy
    # JSON API (bearer tokens)
    "api.list_contracts": {"GET": STAFF},
    "api.create_contract": {"POST": WRITERS},
    "api.get_contract": {"GET": STAFF},
    "api.add_version": {"POST": WRITERS},
    # the reading of an uploaded scan (issue 20): whoever may see the contract may follow it
    "api.get_job": {"GET": STAFF},
    "api.compare": {"GET": STAFF},
    "api.terms": {"GET": STAFF},
    "api.terms_csv": {"GET": STAFF},
    "clauses_api.contract_clauses": {"GET": STAFF},
    "clauses_api.approve_clause": {"POST": WRITERS},
    "clauses_api.library": {"GET": STAFF},
    "clauses_api.library_clause": {"GET": STAFF},
    "downstream_api.billing": {"GET": MONEY},
    "downstream_api.order": {"GET": MONEY},
    "downstream_api.renewal": {"GET": MONEY},
    "downstream_api.revenue": {"GET": MONEY},
    "downstream_api.renewals": {"GET": MONEY},
    "downstream_api.get_terms": {"GET": MONEY},
    "downstream_api.put_terms": {"PUT": MONEY},
    "downstream_api.cancel": {"POST": MONEY},
    "downstream_api.credit_note": {"GET": MONEY},
    "downstream_api.start_renewal": {"POST": MONEY},
    "downstream_api.orders": {"GET": MONEY},
    "downstream_api.get_usage": {"GET": MONEY},
    "downstream_api.post_usage": {"POST": MONEY},
    "downstream_api.get_payments": {"GET": MONEY},
    "downstream_api.post_payment": {"POST": MONEY},
    "downstream_api.receivables": {"GET": MONEY},
    "downstream_api.journal": {"GET": MONEY},
    "downstream_api.journal_export": {"GET": MONEY},
    "downstream_api.waterfall": {"GET": MONEY},
    "envelopes_api.create": {"POST": WRITERS},
    "envelopes_api.show": {"GET": WRITERS},
    "envelopes_api.audit_trail": {"GET": WRITERS},
    "envelopes_api.document": {"GET": WRITERS},
    "envelopes_api.send": {"POST": WRITERS},
    "envelopes_api.void": {"POST": WRITERS},
    "envelopes_api.remind": {"POST": WRITERS},
    # quotes (issue 8): quotes.read = STAFF, quotes.write and quotes.approve = MONEY,
    # quotes.approve_finance = finance and admin, accept = contracts.write (WRITERS)
    "quotes.static": {"GET": EVERYONE},
    "quotes.index": {"GET": STAFF},
    "quotes.new": {"GET": MONEY, "POST": MONEY},
    "quotes.revise": {"GET": MONEY, "POST": MONEY},
    "quotes.show": {"GET": STAFF},
    "quotes.approve": {"POST": MONEY},
    "quotes.send": {"POST": MONEY},
    "quotes.accept": {"POST": WRITERS},
    "quotes.document": {"GET": STAFF},
    "quotes.compare": {"GET": STAFF},
    "quotes_api.catalog": {"GET": STAFF},
    "quotes_api.put_catalog": {"PUT": frozenset({FINANCE, ADMIN})},
    "quotes_api.price": {"POST": STAFF},
    "quotes_api.list_quotes": {"GET": STAFF},
    "quotes_api.create": {"POST": MONEY},
    "quotes_api.show": {"GET": STAFF},
    "quotes_api.revise": {"PUT": MONEY},
    "quotes_api.approve": {"POST": MONEY},
    "quotes_api.send": {"POST": MONEY},
    "quotes_api.accept": {"POST": WRITERS},
    "quotes_api.document": {"GET": STAFF},
    "quotes_api.compare": {"GET": STAFF},
    "quotes_api.drift": {"GET": STAFF},
    # search and background jobs (issue 10)
    "search.index": {"GET": STAFF},
    "search_api.search": {"GET": STAFF},
    "jobs.index": {"GET": WRITERS},
    "jobs.retry": {"POST": WRITERS},
}

#: Routes whose allowed GET answers something other than 200 on the sweep's data, and why.
ALLOWED_GET_STATUS: dict[str, set[int]] = {
    # Envelope A is out for signature: its sealed PDF exists only once it completes.
    "envelopes.signed_pdf": {409},
    "envelopes_api.document": {200, 409},
    # The signer has not consented to electronic records yet.
    "signing.document_pdf": {409},
    # The sweep's versions are Word and text files: they have no PDF pages to show.
    "versions.page_image": {409},
}

#: Routes whose allowed write may answer a status the sweep would otherwise read as a refusal, and why.
ALLOWED_WRITE_STATUS: dict[str, set[int]] = {
    # The sweep posts no email or password: "wrong email or password" is the right answer.
    "auth.login": {401},
    # Signing out sends the browser to the sign-in page.
    "auth.logout": {302},
    # The sweep posts an empty form: no current password, so nothing is changed (422).
    "auth.password": {422},
    # An empty form names no owner (422).
    "admin.create": {422},
}

#: Routes about a signed contract's order, schedules and terms: "own" is the signed contract,
#: "other" a contract out for signature, which has none (404 for everyone).
SIGNED_CONTRACT_ROUTES = {"downstream_api.billing", "downstream_api.order", "downstream_api.renewal",
                          "downstream_api.revenue", "downstream_api.get_terms", "downstream_api.credit_note",
                          "downstream_api.journal", "downstream_api.post_usage"}

#: Query strings some routes need to do their work.
QUERY = {"versions.compare": "?from=1&to=2", "api.compare": "?from=1&to=2",
         "search.index": "?q=agreement", "search_api.search": "?q=agreement",
         "downstream_api.journal_export": "?from=2026-01-01&to=2026-12-31"}


# -- the world the sweep runs in ---------------------------------------------------------------


@dataclass
class World:
    app: Flask
    contract_a: int
    contract_b: int
    envelope_a: int
    envelope_b: int
    contract_signed: int
    signer_token: str
    invoice: str
    clause_digest: str
    clause_key: str
    template_key: str
    api_tokens: dict[str, str]
    cookies: dict[str, tuple[str, str]]  # caller -> (cookie value, csrf token)
    cookie_name: str
    #: The credit note of the signed contract, cancelled from mid-term.
    credit_note: str = ""
    #: Two quotes (issue 8): A has versions 1 and 2 and awaits a sales manager's approval.
    quote_a: int = 0
    quote_b: int = 0
    #: An API token of the admin that no case authenticates with (admin.revoke revokes it).
    spare_token_id: int = 0
    #: A contract signed through a real envelope: version 2 is the sealed PDF (signing evidence).
    contract_sealed: int = 0
    envelope_sealed: int = 0
    sealed_pdf: bytes = b""
    #: The sealed contract's signer's link, used to sign: it opens "You signed this" and their copy.
    used_token: str = ""
    #: Scanned PDFs being read into contracts A and B ("read" jobs, page 1 of 2).
    read_job_a: int = 0
    read_job_b: int = 0


def _digest(app: Flask) -> str:
    """Return a SHA-256 over every row of every table, in primary-key order."""
    engine = app.extensions["clm_db"].kw["bind"]
    h = hashlib.sha256()
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            keys = list(table.primary_key.columns) or list(table.columns)
            for row in connection.execute(select(table).order_by(*keys)):
                h.update(repr(tuple(row)).encode())
            h.update(table.name.encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def world(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("sweep")
    if migrated_database.startswith("sqlite"):
        target = tmp / "clm.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    else:
        url = migrated_database
        engine = db.make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables)
                                    + " RESTART IDENTITY CASCADE"))
        engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp / "instance"), "REDIS_URL": ""})
    yield _seed(app)
    app.extensions["clm_db"].kw["bind"].dispose()


def _seed(app: Flask) -> World:
    from clm.clauses import approvals
    from clm.downstream.models import Invoice
    from clm.signing import envelopes
    from clm.versions import store
    from tests.downstream.conftest import make_envelope, publish_completed
    from tests.downstream.examples import saas_doc
    from tests.signing.conftest import LEGAL as LEGAL_CLIENT
    from tests.signing.conftest import NO_APPROVALS, TEXT, make_contract, tokens_in

    factory = db.sessionmaker_for(app)
    now = db.utcnow()
    limits = store.limits_from_settings(app.config)
    with db.transaction_for(factory) as s:
        users = {role: create_user(s, email=f"{role.value}@example.test", name=role.value, password=PASSWORD,
                                   role=role) for role in Role}
        api_tokens = {role.value: create_token(s, user=users[role], label=role.value)[1] for role in Role}
        spare_token_id = create_token(s, user=users[Role.ADMIN], label="spare")[0].id
    contract_a = make_contract(factory, app)
    contract_b = make_contract(factory, app)
    with db.transaction_for(factory) as s:
        # Both contracts have two versions (to compare); "version 3" exists in neither.
        for cid in (contract_a, contract_b):
            store.import_file(s, store.Upload((TEXT + "4. Notices. In writing.\n").encode(), "msa-v2.txt"),
                              limits=limits, author="legal@example.test", contract_id=cid)
        review = approvals.review_for(s, store.get_contract(s, contract_a), app.config)
        rows = [*review.rows, *review.missing]
        clause_digest = rows[0].hash if rows else "0" * 64
        library = approvals.library_from_settings(app.config)
        clause_key = sorted(library.clauses)[0]
        from clm.clauses.services import clause_versions_used

        clause_versions_used(s, library, [clause_key])  # the library's history starts with the file
    with db.transaction_for(factory) as s:
        sent = {}
        for cid in (contract_a, contract_b):
            recipients = [envelopes.RecipientInput(name="Alice Able", email=f"alice{cid}@example.test", routing_order=1),
                          envelopes.RecipientInput(name="Bob Baker", email=f"bob{cid}@example.test", routing_order=2)]
            envelope = envelopes.create(s, cid, subject="Please sign", message="", recipients=recipients,
                                        client=LEGAL_CLIENT, now=now, approvals=NO_APPROVALS)
            mails = envelopes.send(s, envelope.id, client=LEGAL_CLIENT, now=now, link_base="https://clm.example",
                                   approvals=NO_APPROVALS)
            sent[cid] = (envelope.id, tokens_in(mails)[f"alice{cid}@example.test"])
    # A third contract signed with commercial terms, so finance has orders and invoices.
    from clm.downstream import commercial

    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(b"MASTER SUBSCRIPTION AGREEMENT\n1. Fees. USD 1.\n", "c.txt"),
                                    limits=limits, author="legal@example.test", counterparty="Acme")
        commercial.attach_terms(s, version.contract, saas_doc(), by="finance@example.test", now=now)
        cid_c = version.contract_id
    with db.transaction_for(factory) as s:
        envelope_c = make_envelope(s, cid_c, now=now)
        publish_completed(s, envelope_c)
    with factory() as s:
        invoice = s.scalar(select(Invoice.number).order_by(Invoice.id).limit(1))
    assert invoice, "the signed contract should have produced invoices"
    from datetime import date

    from clm.downstream.orders import cancel_order

    with db.transaction_for(factory) as s:  # cancelled from mid-term: a credit note to fetch
        credit_note = cancel_order(s, cid_c, date(2026, 7, 1), by="finance@example.test", now=now).credit_note
    assert credit_note is not None

    from tests.quotes.conftest import CATALOG_FILE, REQUEST

    quote_a, quote_b = _seed_quotes(factory, CATALOG_FILE, REQUEST)
    contract_sealed, envelope_sealed, sealed_pdf, used_token = _seed_sealed(app, factory)

    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookies = _sign_in_everyone(app)
    from clm import jobs

    with db.transaction_for(factory) as s:
        reads = [jobs.Job(kind=jobs.READ, status=jobs.RUNNING, contract_id=cid, filename="scan.pdf", source="upload",
                          created_by="legal@example.test", pages_total=2, pages_done=1, attempts=1)
                 for cid in (contract_a, contract_b)]
        s.add_all(reads)
        s.flush()
        read_jobs = [r.id for r in reads]
    return World(app=app, read_job_a=read_jobs[0], read_job_b=read_jobs[1], contract_a=contract_a, contract_b=contract_b, envelope_a=sent[contract_a][0],
                 envelope_b=sent[contract_b][0], contract_signed=cid_c, signer_token=sent[contract_a][1], invoice=invoice,
                 clause_digest=clause_digest, clause_key=clause_key,
                 template_key=sorted(library.templates)[0], api_tokens=api_tokens, cookies=cookies,
                 cookie_name=cookie_name, credit_note=credit_note["number"], quote_a=quote_a, quote_b=quote_b,
                 spare_token_id=spare_token_id, contract_sealed=contract_sealed, envelope_sealed=envelope_sealed,
                 sealed_pdf=sealed_pdf, used_token=used_token)


#: The signer of the sealed contract signs from this address: it is in the sealed PDF and the audit trail.
SEALED_SIGNER_IP = "192.0.2.7"


def _seed_sealed(app: Flask, factory: Any) -> tuple[int, int, bytes, str]:
    """Send contract D for signature, sign it and complete it: its signed version is the sealed PDF.

    Return the contract, the envelope, the sealed PDF and the signer's used link token."""
    from clm.signing import envelopes
    from clm.signing.models import Envelope
    from clm.versions.models import Blob
    from tests.signing.conftest import LEGAL as LEGAL_CLIENT
    from tests.signing.conftest import NO_APPROVALS, make_contract, sign_as, tokens_in

    contract = make_contract(factory, app)
    with db.transaction_for(factory) as s:
        recipients = [envelopes.RecipientInput(name="Dana Doe", email="dana@example.test", routing_order=1)]
        envelope = envelopes.create(s, contract, subject="Sealed", message="", recipients=recipients,
                                    client=LEGAL_CLIENT, now=db.utcnow(), approvals=NO_APPROVALS)
        mails = envelopes.send(s, envelope.id, client=LEGAL_CLIENT, now=db.utcnow(),
                               link_base="https://clm.example", approvals=NO_APPROVALS)
        envelope_id = envelope.id
    used_token = tokens_in(mails)["dana@example.test"]
    sign_as(factory, used_token, "Dana Doe")  # from SEALED_SIGNER_IP
    with db.transaction_for(factory) as s:
        envelopes.complete(s, envelope_id, now=db.utcnow(), instance_path=app.instance_path)
    with factory() as s:
        pdf = s.get(Blob, s.get(Envelope, envelope_id).final_blob_sha256).data
    return contract, envelope_id, pdf, used_token


def _sign_in_everyone(app: Flask) -> dict[str, tuple[str, str]]:
    """Return caller -> (session cookie, CSRF token): staff signed in, the others with a bare session."""
    cookies: dict[str, tuple[str, str]] = {}
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for caller in CALLERS:
        client = app.test_client()
        client.get("/login")  # every browser gets a session with a CSRF token, signed in or not
        if caller in STAFF_ROLES:
            with client.session_transaction() as sess:
                csrf = sess["csrf"]
            response = client.post("/login", data={"email": f"{caller}@example.test", "password": PASSWORD,
                                                   "csrf_token": csrf})
            assert response.status_code == 302, response.get_data(as_text=True)
        with client.session_transaction() as sess:
            csrf = sess["csrf"]
        cookie = client.get_cookie(cookie_name)
        assert cookie is not None
        cookies[caller] = (cookie.value, csrf)
    return cookies


@pytest.fixture(scope="module")
def signed_in(world: World) -> World:
    """The world with fresh sessions: the sweep's sign-out cases ended the first ones (server side)."""
    world.cookies = _sign_in_everyone(world.app)
    return world


def _seed_quotes(factory: Any, catalog_file: Path, request: dict[str, Any]) -> tuple[int, int]:
    """Load the catalog; add two quotes needing a sales manager (25 % off); A gets a second version."""
    import datetime as dt

    import yaml

    from clm.quotes import services

    today = dt.date.today()
    data = dict(request, start_date=today.isoformat(), promotions=[], discount="0",
                lines=[{"product": "PLATFORM", "quantity": 30, "discount": "25"},
                       {"product": "IMPLEMENTATION", "quantity": 1}])
    with db.transaction_for(factory) as s:
        services.load_catalog(s, yaml.safe_load(catalog_file.read_text(encoding="utf-8")), source="catalog.yaml",
                              by="cli")
        ids = [services.create_quote(s, data, by="cli", today=today).id for _ in range(2)]
        services.revise_quote(s, ids[0], dict(data, term_months=12), by="cli", today=today)
    return ids[0], ids[1]


# -- the cases ---------------------------------------------------------------------------------


def _rules() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Return (endpoint, method, rule, argument names) for every route, from a throwaway app."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "collect", "INSTANCE_PATH": "/tmp/clm-sweep-collect"})
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            found.append((rule.endpoint, method, rule.rule, tuple(sorted(rule.arguments))))
    app.extensions["clm_db"].kw["bind"].dispose()
    return sorted(found)


RULES = _rules()
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
STATIC_FILES = {"static": "clm.css", "clauses.static": "clauses.css", "downstream.static": "finance.css",
                "signing.static": "signing.css", "versions.static": "redline.css", "quotes.static": "quotes.css"}


def _allowed(endpoint: str, method: str) -> frozenset[str]:
    return POLICY.get(endpoint, {}).get(method, NOBODY)


def _cases() -> list[Any]:
    first, last = [], []
    for endpoint, method, rule, args in RULES:
        for caller in CALLERS:
            for which in ("own", "other"):
                case = pytest.param(endpoint, method, rule, args, caller, which,
                                    id=f"{method}-{rule}-{caller}-{which}")
                # Allowed writes change state: run them after everything else.
                writes = method in UNSAFE and caller in _allowed(endpoint, method)
                (last if writes else first).append(case)
    # The signer's writes go first (a sender's remind or void would end their link), in the
    # order a signer acts: consent, sign, then decline and withdraw. Signing out ends every session
    # of the caller's user (server side), so it goes last.
    order = {"signing.consent": 0, "signing.sign": 1, "signing.decline": 2, "signing.withdraw": 3,
             "auth.logout": 99}
    last.sort(key=lambda case: order.get(case.values[0], 9))
    return first + last


def _foreign(endpoint: str, args: tuple[str, ...]) -> bool:
    """Does "someone else's object" make the URL point at nothing (a mismatched or unknown part)?"""
    return endpoint in SIGNED_CONTRACT_ROUTES or bool(set(args) & {"number", "digest", "field", "key", "template_key",
                                                                   "filename", "token", "token_id"})


def _values(world: World, endpoint: str, args: tuple[str, ...], caller: str, which: str) -> dict[str, Any]:
    own = which == "own"
    values: dict[str, Any] = {}
    for arg in args:
        if arg == "contract_id" and endpoint in SIGNED_CONTRACT_ROUTES:
            values[arg] = world.contract_signed if own else world.contract_a
        elif arg == "contract_id":
            values[arg] = world.contract_a if own or _foreign(endpoint, args) else world.contract_b
        elif arg == "envelope_id":
            values[arg] = world.envelope_a if own else world.envelope_b
        elif arg == "number":
            if endpoint == "downstream.invoice_pdf":
                values[arg] = world.invoice if own else world.invoice + "9"
            elif endpoint == "downstream.credit_note_pdf":
                values[arg] = world.credit_note if own else world.credit_note + "9"
            elif endpoint == "clauses.library_yaml":
                values[arg] = 1 if own else 99
            else:  # a version number of contract A; A has 2 versions, "other" asks for one it lacks
                values[arg] = 2 if own else 3
        elif arg == "quote_id":
            values[arg] = world.quote_a if own else world.quote_b
        elif arg == "fmt":
            values[arg] = "pdf"
        elif arg == "digest":
            values[arg] = world.clause_digest if own else "f" * 64
        elif arg == "field":
            values[arg] = "governing_law" if own else "no_such_term"
        elif arg == "key":
            values[arg] = world.clause_key if own else "no_such_clause"
        elif arg == "template_key":
            values[arg] = world.template_key if own else "no_such_template"
        elif arg == "filename":
            values[arg] = STATIC_FILES[endpoint] if own else "no-such-file.css"
        elif arg == "token_id":  # a spare token no sweep caller uses: revoking it disturbs nothing
            values[arg] = world.spare_token_id if own else 999999
        elif arg == "page":
            values[arg] = 1
        elif arg == "job_id" and endpoint in ("api.get_job", "versions.read_status"):
            values[arg] = world.read_job_a if own else world.read_job_b
        elif arg == "job_id":  # no job has failed in the sweep's world: retry reports it on the page
            values[arg] = 1 if own else 999999
        elif arg == "token":
            # Only the signer holds a token; anyone else tries a well-formed one clm never issued.
            # The signer's "other" is their token with one character changed.
            real = world.used_token if endpoint == "signing.copy_pdf" else world.signer_token
            if caller == SIGNER:
                values[arg] = real if own else real[:-1] + ("A" if real[-1] != "A" else "B")
            else:
                values[arg] = "x" * 43
        else:
            raise AssertionError(f"the sweep does not know how to fill <{arg}> of {endpoint}; teach _values()")
    return values


def _client(world: World, caller: str, api: bool) -> FlaskClient:
    client = world.app.test_client()
    if api:
        if caller in STAFF_ROLES:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.api_tokens[caller]}"
        elif caller == SIGNER:  # a signer token is no API credential
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.signer_token}"
    else:
        client.set_cookie(world.cookie_name, world.cookies[caller][0])
    return client


def _denied(response: Any, api: bool) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    # A browser page's login wall: the anonymous caller is sent to sign in.
    return (not api and response.status_code == 302
            and response.headers.get("Location", "").split("?")[0].endswith("/login"))


def _check_headers(response: Any, endpoint: str) -> None:
    assert "script-src 'self'" in response.headers.get("Content-Security-Policy", "")
    assert "unsafe-inline" not in response.headers.get("Content-Security-Policy", "")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    if endpoint.startswith("signing.") and endpoint != "signing.static":
        assert response.headers.get("Referrer-Policy") == "no-referrer"


def test_every_route_has_a_policy() -> None:
    missing = sorted({f"{endpoint} {method} ({rule})" for endpoint, method, rule, _ in RULES
                      if method not in POLICY.get(endpoint, {})})
    assert not missing, "routes without an access policy; add them to POLICY in tests/test_access_sweep.py:\n" \
        + "\n".join(missing)
    stale = sorted(set(POLICY) - {endpoint for endpoint, *_ in RULES})
    assert not stale, f"POLICY names endpoints that no longer exist: {stale}"


@pytest.mark.parametrize(("endpoint", "method", "rule", "args", "caller", "which"), _cases())
def test_access(world: World, endpoint: str, method: str, rule: str, args: tuple[str, ...], caller: str,
                which: str) -> None:
    assert method in POLICY.get(endpoint, {}), f"no access policy for {method} {rule}; add {endpoint} to POLICY"
    api = rule.startswith("/api/")
    permitted = caller in _allowed(endpoint, method)
    allowed = permitted and (which == "own" or not _foreign(endpoint, args))
    with world.app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **_values(world, endpoint, args, caller, which)) + QUERY.get(endpoint, "")
    client = _client(world, caller, api)
    kwargs: dict[str, Any] = {}
    if method in UNSAFE:
        kwargs = {"json": {}} if api else {"data": {"csrf_token": world.cookies[caller][1]}}
    before = _digest(world.app) if not (allowed and method in UNSAFE) else None
    response = client.open(url, method=method, **kwargs)
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, f"{method} {url} as {caller}: {response.status_code}\n{body[:500]}"
    assert "Traceback" not in body
    _check_headers(response, endpoint)
    if allowed:
        assert (not _denied(response, api) or response.status_code in ALLOWED_WRITE_STATUS.get(endpoint, set())), \
            f"{method} {url} as {caller} should be allowed: {response.status_code}\n{body[:300]}"
        if method == "GET":
            expected = ALLOWED_GET_STATUS.get(endpoint, {200})
            assert response.status_code in expected, f"GET {url} as {caller}: {response.status_code}\n{body[:300]}"
    elif permitted and not api and response.status_code in (302, 303):
        # A permitted form post naming an object that is not there: the page flashes the error
        # and sends the browser back; the digest check below proves nothing was written.
        assert not _denied(response, api) and method in UNSAFE
    else:
        assert _denied(response, api), f"{method} {url} as {caller} should be refused: {response.status_code}"
    if before is not None:
        assert _digest(world.app) == before, f"{method} {url} as {caller} changed the database"


@pytest.mark.parametrize("rule", sorted({rule for _e, _m, rule, _a in RULES if rule.startswith("/api/")}))
@pytest.mark.usefixtures("signed_in")
def test_the_api_never_accepts_the_session_cookie(world: World, rule: str) -> None:
    """A signed-in admin's browser cookie opens no API route that needs a permission."""
    endpoint, method, _rule, args = next(r for r in RULES if r[2] == rule)
    if _allowed(endpoint, method) == EVERYONE:
        pytest.skip("public route")
    with world.app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **_values(world, endpoint, args, ADMIN, "own"))
    client = world.app.test_client()
    client.set_cookie(world.cookie_name, world.cookies[ADMIN][0])
    before = _digest(world.app)
    response = client.open(url, method=method, headers={"X-CSRF-Token": world.cookies[ADMIN][1]},
                           **({"json": {}} if method in UNSAFE else {}))
    assert response.status_code == 401, f"{method} {url} with the admin's cookie: {response.status_code}"
    assert _digest(world.app) == before


@pytest.mark.parametrize(("endpoint", "method", "rule", "args"),
                         sorted({(e, m, r, a) for e, m, r, a in RULES if m in UNSAFE and not r.startswith("/api/")}))
@pytest.mark.usefixtures("signed_in")
def test_every_browser_write_needs_the_csrf_token(world: World, endpoint: str, method: str, rule: str,
                                                  args: tuple[str, ...]) -> None:
    caller = SIGNER if endpoint.startswith("signing.") else ADMIN
    with world.app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **_values(world, endpoint, args, caller, "own"))
    client = _client(world, caller, api=False)
    before = _digest(world.app)
    response = client.open(url, method=method, data={"csrf_token": "forged"})
    assert response.status_code == 400, f"{method} {url} without a CSRF token: {response.status_code}"
    assert _digest(world.app) == before


def test_token_urls_send_no_referrer_even_on_error_pages(world: World) -> None:
    client = world.app.test_client()
    for response in (client.put(f"/sign/{world.signer_token}"),  # refused (CSRF, then 405)
                     client.get(f"/sign/{world.signer_token}/nothing-here"),  # 404
                     client.get(f"/sign/{'x' * 43}")):  # an unknown token
        assert response.status_code in (400, 404, 405)
        assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("caller", [VIEWER, FINANCE])
@pytest.mark.usefixtures("signed_in")
def test_only_writers_store_a_draft(world: World, caller: str) -> None:
    client = _client(world, caller, api=False)
    before = _digest(world.app)
    response = client.post(f"/draft/{world.template_key}", data={"csrf_token": world.cookies[caller][1],
                                                                 "action": "create"})
    assert response.status_code == 403
    assert _digest(world.app) == before


# -- what each role sees: pages and API twins show each kind of data to the same roles ----------
#
# Status codes alone miss a page that answers 200 to everyone but shows finance data inside it
# (issue 17 finding 7: the contract page showed the viewer the order total, revenue and
# invoices, which /finance and the finance API refuse), or a route that serves the same file as
# a refused one (the version download served the sealed PDF). So every GET route is fetched as
# every staff role, as a page with the session and through the API with the role's token, on
# the signed contract (finance data) and the sealed one (signing evidence), and each answer is
# searched for markers of each kind of data clm.access classes.

CONTENT_SKIP = ("static", "signing.", "auth.", "verify.", "api.health", "api.openapi")


def _markers(world: World) -> dict[str, list[bytes]]:
    """Return data kind -> byte strings whose presence in an answer shows that kind of data."""
    return {"finance": [world.invoice.encode(), world.credit_note.encode()],
            "signing_evidence": [SEALED_SIGNER_IP.encode()]}


def _content_urls(world: World, endpoint: str, args: tuple[str, ...]) -> list[str]:
    from flask import url_for

    variants = [_values(world, endpoint, args, ADMIN, "own")]
    if "contract_id" in args:
        variants = [dict(v, contract_id=c) for v in variants for c in (world.contract_signed, world.contract_sealed)]
    if "number" in args and endpoint.startswith("versions."):
        variants = [dict(v, number=n) for v in variants for n in (1, 2)]
    if "envelope_id" in args:
        variants = [dict(v, envelope_id=e) for v in variants for e in (world.envelope_a, world.envelope_sealed)]
    with world.app.test_request_context():
        return sorted({url_for(endpoint, **v) + QUERY.get(endpoint, "") for v in variants})


def _seen(world: World) -> dict[tuple[str, str], dict[str, set[str]]]:
    """Return (kind, "page"|"api") -> role -> the routes through which that role saw that kind."""
    markers = _markers(world)
    seen: dict[tuple[str, str], dict[str, set[str]]] = {}
    for endpoint, method, rule, args in RULES:
        if method != "GET" or endpoint.startswith(CONTENT_SKIP):
            continue
        api = rule.startswith("/api/")
        for url in _content_urls(world, endpoint, args):
            for caller in STAFF_ROLES:
                response = _client(world, caller, api).get(url)
                if response.status_code != 200:
                    continue
                body = response.get_data()
                kinds = {kind for kind, needles in markers.items() if any(n in body for n in needles)}
                if body == world.sealed_pdf:
                    kinds.add("signing_evidence")
                for kind in kinds:
                    seen.setdefault((kind, "api" if api else "page"), {}).setdefault(caller, set()).add(url)
    return seen


@pytest.mark.usefixtures("signed_in")
def test_each_kind_of_data_reaches_exactly_the_roles_allowed_to_see_it_on_pages_and_api(world: World) -> None:
    from clm import access
    from clm.access import DATA, PERMISSIONS

    assert world.sealed_pdf.startswith(b"%PDF") and world.invoice and world.credit_note
    seen = _seen(world)
    problems = []
    for kind, permission in DATA.items():
        allowed = {role.value for role in PERMISSIONS[permission]}
        for channel in ("page", "api"):
            by_role = seen.get((kind, channel), {})
            assert by_role, f"no {channel} route showed {kind} to anyone: the sweep's markers are stale"
            for role, urls in sorted(by_role.items()):
                if role not in allowed:
                    problems.append(f"{role} sees {kind} ({permission}) through {channel} routes {sorted(urls)}")
            missing = allowed - set(by_role)
            if missing:
                problems.append(f"{kind} reaches {sorted(set(by_role))} through {channel} routes, not {sorted(missing)}, "
                                f"who may see it: the twins disagree")
    assert not problems, "\n".join(problems)
    assert access.may_see(None, "finance") is False
