"""Quote use cases: load the catalog, create and revise quotes, approve, send, accept into a contract, compare, check drift.

Each function takes a session, does one use case and flushes; the caller commits
(``db.transaction()``). Nothing is stored when a function raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from clm.downstream.models import from_minor, to_minor
from clm.errors import Conflict, Forbidden, InvalidInput, NotFound
from clm.mail import Mail, Mailer, deliver_now
from clm.quotes.catalog import Catalog, parse_catalog
from clm.quotes.models import (
    PriceBookEntry,
    Product,
    Quote,
    QuoteApproval,
    QuoteCatalog,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from clm.quotes.pricing import PricedQuote, parse_request, price_quote, priced_from_dict
from clm.values import display

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.clauses.library import Library
    from clm.versions.diff import Redline
    from clm.versions.intake import Limits
    from clm.versions.models import Version

#: Who may record each approval level: the permission a role must grant.
LEVEL_PERMISSIONS = {"sales_manager": "quotes.approve", "finance": "quotes.approve_finance"}
LEVEL_LABELS = {"sales_manager": "Sales manager", "finance": "Finance"}
TEMPLATE_KEY = "quote_order_form"


# ----------------------------------------------------------------------------- catalog


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


#: The parts of a catalog that decide which discounts go out without approval: the thresholds,
#: and promotions (which are pre-approved). Changing them needs ``quotes.catalog_rules`` (admin).
APPROVAL_RULE_KEYS = ("approvals", "promotions")


def load_catalog(session: Session, data: Any, *, source: str, by: str,
                 may_change_rules: bool = True) -> tuple[QuoteCatalog, bool]:
    """Store ``data`` (a parsed catalog file) as the catalog in force; return it and whether it is new.

    Raises ``CatalogError`` naming every problem before anything is stored. Loading the same
    catalog again stores nothing. Products and price book entries the new catalog drops are
    kept, marked inactive (old quote versions still name them). Unless ``may_change_rules``,
    a catalog whose approval thresholds or promotions differ from the one in force is refused
    (Forbidden): whoever may edit prices must not be able to waive their own approvals.
    """
    catalog = parse_catalog(data)
    canonical = json.loads(_canonical(data))
    sha = hashlib.sha256(_canonical(canonical).encode()).hexdigest()
    latest = latest_catalog(session)
    if latest is not None and latest.sha256 == sha:
        return latest, False
    if not may_change_rules:
        before = latest.data if latest is not None else {}
        changed = [key for key in APPROVAL_RULE_KEYS if (before or {}).get(key) != canonical.get(key)]
        if changed:
            raise Forbidden(f"Changing the catalog's {' and '.join(changed)} (the approval rules) needs an "
                            "administrator; prices and products may change without.")
    row = QuoteCatalog(version=(latest.version if latest else 0) + 1, sha256=sha, data=canonical,
                       source=source[:300], loaded_by=by)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else loaded a catalog at the same moment; try again.") from None
    _mirror(session, catalog, canonical, row.version)
    return row, True


def _mirror(session: Session, catalog: Catalog, data: dict[str, Any], version: int) -> None:
    """Bring the products and price_book_entries tables in line with ``catalog``."""
    raw = {p["sku"]: p for p in data.get("products", [])} | {b["sku"]: b for b in data.get("bundles", []) or []}
    existing = {p.sku: p for p in session.scalars(select(Product))}
    for sku, item in raw.items():
        product = catalog.products.get(sku)
        values = {"name": item["name"], "kind": product.kind if product else "bundle",
                  "billing": product.billing if product else None,
                  "recognition": product.recognition if product else None,
                  "data": item, "active": True, "catalog_version": version}
        row = existing.pop(sku, None)
        if row is None:
            session.add(Product(sku=sku, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    for row in existing.values():
        row.active = False
    entries = {(e.price_book, e.product_sku): e for e in session.scalars(select(PriceBookEntry))}
    for book in catalog.price_books.values():
        for sku, entry in book.entries.items():
            values = {"currency": book.currency, "list_price_minor": to_minor(entry.list_price, book.currency),
                      "ssp_minor": to_minor(entry.ssp, book.currency),
                      "tiers": [{"from": t.start, "price": str(t.price)} for t in entry.tiers],
                      "tier_mode": entry.tier_mode, "active": True, "catalog_version": version}
            found = entries.pop((book.key, sku), None)
            if found is None:
                session.add(PriceBookEntry(price_book=book.key, product_sku=sku, **values))
            else:
                for key, value in values.items():
                    setattr(found, key, value)
    for found in entries.values():
        found.active = False
    session.flush()


def latest_catalog(session: Session) -> QuoteCatalog | None:
    """Return the catalog in force, or None when none was loaded."""
    return session.scalar(select(QuoteCatalog).order_by(QuoteCatalog.version.desc()).limit(1))


_PARSED: dict[str, Catalog] = {}


def catalog_of(row: QuoteCatalog) -> Catalog:
    """Return the parsed catalog of a stored row (cached by its hash)."""
    parsed = _PARSED.get(row.sha256)
    if parsed is None:
        parsed = _PARSED[row.sha256] = parse_catalog(row.data)
    return parsed


def current_catalog(session: Session) -> tuple[QuoteCatalog, Catalog]:
    """Return the catalog in force; raise Conflict when none is loaded."""
    row = latest_catalog(session)
    if row is None:
        raise Conflict("No product catalog is loaded; run `clm quote catalog load clause_library/catalog.yaml`.")
    return row, catalog_of(row)


# ----------------------------------------------------------------------------- quotes


def get_quote(session: Session, quote_id: int) -> Quote:
    """Return the quote; raise NotFound."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"Quote {quote_id} does not exist.")
    return quote


def get_version(quote: Quote, number: int) -> QuoteVersion:
    """Return version ``number`` of ``quote``; raise NotFound."""
    found = next((v for v in quote.versions if v.number == number), None)
    if found is None:
        raise NotFound(f"Quote {quote.number} has no version {number}.")
    return found


def list_quotes(session: Session, limit: int = 200) -> list[Quote]:
    """Return the newest quotes first."""
    return list(session.scalars(select(Quote).order_by(Quote.id.desc()).limit(limit)))


def priced(version: QuoteVersion) -> PricedQuote:
    """Return the priced quote a version stores."""
    return priced_from_dict(version.priced)


def preview(session: Session, data: Any, *, today: date) -> PricedQuote:
    """Return the price of a request without storing anything (the configure page's Price button)."""
    _, catalog = current_catalog(session)
    return price_quote(catalog, parse_request(data, catalog, today))


def _add_version(session: Session, quote: Quote, number: int, data: Any, *, by: str, today: date) -> QuoteVersion:
    row, catalog = current_catalog(session)
    request = parse_request(data, catalog, today)
    if quote.id is not None and request.currency != quote.currency:
        raise InvalidInput(f"currency: quote {quote.number} is in {quote.currency}; a revision cannot change it "
                           f"to {request.currency} (create a new quote)")
    result = price_quote(catalog, request)
    cur = result.currency
    version = QuoteVersion(
        quote=quote, number=number, catalog_id=row.id, request=request.to_dict(), priced=result.to_dict(),
        currency=cur, list_total_minor=to_minor(Decimal(result.list_total), cur),
        net_total_minor=to_minor(Decimal(result.net_total), cur), acv_minor=to_minor(Decimal(result.acv), cur),
        tcv_minor=to_minor(Decimal(result.tcv), cur), approvals_required=list(result.approvals),
        expires_on=today + timedelta(days=request.valid_days), created_by=by)
    for position, line in enumerate(result.lines, start=1):
        version.lines.append(QuoteLine(
            position=position, product_sku=line.sku, quantity=line.quantity,
            unit_price_minor=to_minor(Decimal(line.unit_price), cur),
            list_total_minor=to_minor(Decimal(line.list_total), cur),
            net_total_minor=to_minor(Decimal(line.net_total), cur), discount=line.discount,
            promotion=line.promotion))
    session.add(version)
    quote.current_version = number
    quote.customer = result.customer
    quote.status = QuoteStatus.PENDING_APPROVAL if result.approvals else QuoteStatus.DRAFT
    quote.sent_at = quote.sent_by = None
    return version


def create_quote(session: Session, data: Any, *, by: str, today: date) -> Quote:
    """Price ``data`` and store it as version 1 of a new quote (status draft, or pending approval).

    Raises ``QuoteInputError`` / ``ConfigurationError`` naming every problem; nothing is stored.
    """
    _, catalog = current_catalog(session)
    request = parse_request(data, catalog, today)  # refuse bad input before a number is taken
    count = session.scalar(select(func.max(Quote.id))) or 0
    quote = Quote(number=f"Q-{count + 1:04d}", customer=request.customer, currency=request.currency,
                  created_by=by, current_version=1)
    session.add(quote)
    _add_version(session, quote, 1, data, by=by, today=today)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("Another quote took the same number at the same moment; try again.") from None
    return quote


def revise_quote(session: Session, quote_id: int, data: Any, *, by: str, today: date) -> QuoteVersion:
    """Store ``data`` as the quote's next version (approvals start over); return it.

    The same request priced from the same catalog as the current version stores nothing and
    returns the current version. An accepted quote cannot be revised.
    """
    quote = get_quote(session, quote_id)
    if quote.status is QuoteStatus.ACCEPTED:
        raise Conflict(f"Quote {quote.number} was accepted; it cannot be revised.")
    row, catalog = current_catalog(session)
    request = parse_request(data, catalog, today)
    current = quote.current
    if current.request == request.to_dict() and current.catalog_id == row.id and current.expires_on >= today:
        return current
    number = max(v.number for v in quote.versions) + 1
    version = _add_version(session, quote, number, data, by=by, today=today)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"Quote {quote.number} was revised by someone else at the same moment; reload.") from None
    return version


def pending_levels(version: QuoteVersion) -> list[str]:
    """Return the approval levels the version still needs, in order."""
    done = {a.level for a in version.approvals}
    return [lv for lv in version.approvals_required if lv not in done]


def is_expired(version: QuoteVersion, today: date) -> bool:
    """Return whether the version can no longer be accepted."""
    return today > version.expires_on


def approve(session: Session, quote_id: int, *, by: str, can: Callable[[str], bool], now: dt.datetime,
            comment: str = "", level: str | None = None) -> QuoteApproval:
    """Record the next approval the current version needs (or ``level``, which must be the next one).

    ``can`` answers whether the approver's role grants a permission: sales manager approvals need
    ``quotes.approve``, finance approvals ``quotes.approve_finance``. Whoever priced the version
    cannot approve it.
    """
    quote = get_quote(session, quote_id)
    version = quote.current
    pending = pending_levels(version)
    if not pending:
        raise Conflict(f"Quote {quote.number} v{version.number} needs no (further) approval.")
    if level is not None and level != pending[0]:
        raise Conflict(f"level: {level!r} is not the next approval of {quote.number} v{version.number} "
                       f"(next: {pending[0]})")
    nxt = pending[0]
    if not can(LEVEL_PERMISSIONS[nxt]):
        raise Forbidden(f"Your role cannot approve at the {LEVEL_LABELS[nxt].lower()} level.")
    if by == version.created_by:
        raise Forbidden(f"{by} priced {quote.number} v{version.number} and cannot approve it too.")
    # Four eyes per level: each level needs its own approver, so one person holding both
    # permissions (an admin, finance) cannot clear the sales manager's and the finance level alone.
    earlier = next((a for a in version.approvals if a.decided_by == by), None)
    if earlier is not None:
        raise Forbidden(f"{by} already approved {quote.number} v{version.number} at the "
                        f"{LEVEL_LABELS.get(earlier.level, earlier.level).lower()} level; the "
                        f"{LEVEL_LABELS[nxt].lower()} level needs another approver.")
    approval = QuoteApproval(version_id=version.id, level=nxt, decided_by=by, decided_at=now,
                             comment=comment.strip()[:2000])
    session.add(approval)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("That approval was recorded by someone else at the same moment.") from None
    session.refresh(version, ["approvals"])
    if not pending_levels(version):
        quote.status = QuoteStatus.APPROVED
    return approval


#: An address a quote can be mailed to (the same shape signing accepts for signers).
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]{1,255}\.[^@\s<>\"',;]{2,63}$")


def customer_address(raw: object) -> str:
    """Return the customer's email address the quote goes to; raise InvalidInput when it is none."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _EMAIL.match(text):
        shown = repr(raw.strip()[:80]) if isinstance(raw, str) else repr(raw)[:80]
        raise InvalidInput(f"to: {shown} is not an email address (e.g. buyer@customer.example)")
    return text


def quote_mail(quote: Quote, *, to: str, seller: str, pdf: bytes) -> Mail:
    """Return the email that sends the customer the current version of ``quote`` as its PDF."""
    version = quote.current
    result = priced(version)
    sender = seller or "We"
    lines = [f"Dear {result.customer},", "",
             (f"{sender} {'are' if sender == 'We' else 'is'} pleased to send you quote {quote.number} "
              f"(version {version.number}), attached as a PDF."), "",
             f"Total contract value: {display.money_text(result.tcv, result.currency)}",
             f"Annual contract value: {display.money_text(result.acv, result.currency)}",
             f"Term: {result.term_months} months from {display.date_text(result.start_date)}",
             f"Valid until: {display.date_text(version.expires_on)}", "",
             "Prices exclude taxes. Reply to this email with any question.", ""]
    if seller:
        lines.append(seller)
    subject = f"Quote {quote.number}" + (f" from {seller}" if seller else "")
    return Mail(to=to, subject=subject, body="\n".join(lines),
                attachments=((f"{quote.number}-v{version.number}.pdf", pdf),))


def send(session: Session, quote_id: int, *, by: str, now: dt.datetime) -> Quote:
    """Mark the quote sent to the customer; every approval it needs must be recorded first.

    The pages and the API mail the PDF (:func:`quote_mail`) before the caller commits, so a quote
    whose email could not be delivered stays unsent.
    """
    quote = get_quote(session, quote_id)
    version = quote.current
    if quote.status is QuoteStatus.ACCEPTED:
        raise Conflict(f"Quote {quote.number} was already accepted.")
    missing = pending_levels(version)
    if missing:
        raise Conflict(f"Quote {quote.number} v{version.number} needs approval first: "
                       + ", ".join(LEVEL_LABELS[lv] for lv in missing))
    if is_expired(version, now.date()):
        raise Conflict(f"Quote {quote.number} v{version.number} expired on {version.expires_on}; revise it.")
    quote.status = QuoteStatus.SENT
    quote.sent_at, quote.sent_by = now, by
    session.flush()
    return quote


def send_by_mail(session: Session, quote_id: int, *, to: str, by: str, now: dt.datetime, seller: str,
                 mailer: Mailer, sender: str) -> Quote:
    """Mark the quote sent and email its PDF to ``to``; raise (nothing to commit) when the mail does not go."""
    address = customer_address(to)
    quote = send(session, quote_id, by=by, now=now)
    pdf, _, _ = document_file(quote, quote.current_version, "pdf", seller=seller)
    deliver_now(mailer, quote_mail(quote, to=address, seller=seller, pdf=pdf), sender)
    return quote


def accept(session: Session, quote_id: int, *, by: str, now: dt.datetime, library: Library, limits: Limits,
           provider: str | None = None) -> Version:
    """Accept the sent quote: draft the Order Form + MSA contract and attach the quote's lines as its terms.

    Returns version 1 of the new contract. The commercial terms are the quote's lines
    (``conversion.terms_document``), so after signature the outbox creates the order, billing
    and revenue from them unchanged. An expired, unsent or already accepted quote is refused.
    """
    from clm.clauses.services import draft_contract
    from clm.downstream import commercial
    from clm.quotes.conversion import order_form_values, terms_document

    quote = get_quote(session, quote_id)
    version = quote.current
    today = now.date()
    if quote.status is QuoteStatus.ACCEPTED:
        raise Conflict(f"Quote {quote.number} was already accepted (contract {quote.contract_id}).")
    if quote.status is not QuoteStatus.SENT:
        raise Conflict(f"Quote {quote.number} v{version.number} has not been sent; send it before accepting.")
    if is_expired(version, today):
        raise Conflict(f"Quote {quote.number} v{version.number} expired on {version.expires_on}; "
                       "revise it to quote again.")
    # Compare-and-set on the quote row: of two people accepting at once, one drafts the contract
    # and the other waits on the row lock, then finds it no longer sent (RELIABILITY F3).
    claimed = session.execute(update(Quote).where(Quote.id == quote.id, Quote.status == QuoteStatus.SENT)
                              .values(status=QuoteStatus.ACCEPTED, accepted_at=now, accepted_by=by)
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"Quote {quote.number} was accepted by someone else at the same moment.")
    result = priced(version)
    label = f"{quote.number} v{version.number}"
    values = order_form_values(result, number=label, order_date=today, provider=provider)
    contract_version = draft_contract(session, TEMPLATE_KEY, values, {}, author=by, library=library,
                                      counterparty=result.customer, limits=limits)
    contract = contract_version.contract
    contract.title = f"Order Form {label}: {result.customer}"[:300]
    commercial.attach_terms(session, contract, terms_document(result, signed_on=today), by=by, now=now)
    quote.status = QuoteStatus.ACCEPTED
    quote.contract_id = contract.id
    quote.accepted_at, quote.accepted_by = now, by
    session.flush()
    return contract_version


def quote_for_contract(session: Session, contract_id: int) -> Quote | None:
    """Return the quote a contract was accepted from, or None."""
    return session.scalar(select(Quote).where(Quote.contract_id == contract_id))


# ----------------------------------------------------------------------------- documents


def document_view(quote: Quote, version: QuoteVersion, *, seller: str = "") -> dict[str, Any]:
    """Return plain values for the quote document templates (no ORM objects).

    ``seller`` is the name the customer's documents are branded with (``CLM_SELLER_NAME``).
    """
    result = priced(version)
    return {"number": quote.number, "version": version.number, "customer": result.customer, "seller": seller,
            "created_by": version.created_by, "created_on": version.created_at.date().isoformat(),
            "expires_on": version.expires_on.isoformat(), "quote": result.to_dict(),
            "approvals": [{"level": LEVEL_LABELS.get(a.level, a.level), "by": a.decided_by,
                           "on": a.decided_at.date().isoformat()} for a in version.approvals]}


DOCUMENT_TYPES = {"pdf": "application/pdf",
                  "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def document_file(quote: Quote, number: int, fmt: str, *, seller: str = "") -> tuple[bytes, str, str]:
    """Return (bytes, media type, file name) of version ``number`` as the PDF or Word document ``seller`` sends."""
    from clm.quotes.document import quote_docx, quote_pdf

    if fmt not in DOCUMENT_TYPES:
        raise InvalidInput(f"format: {fmt[:10]!r} is not pdf or docx")
    view = document_view(quote, get_version(quote, number), seller=seller)
    data = quote_pdf(view) if fmt == "pdf" else quote_docx(view)
    return data, DOCUMENT_TYPES[fmt], f"{quote.number}-v{number}.{fmt}"


def compare(quote: Quote, old: int, new: int) -> tuple[QuoteVersion, QuoteVersion, Redline]:
    """Return the redline between two versions' quote documents (their text, as the redline engine reads it)."""
    from clm.documents import from_text
    from clm.quotes.document import quote_text
    from clm.versions.diff import diff

    a, b = get_version(quote, old), get_version(quote, new)
    return a, b, diff(from_text(quote_text(document_view(quote, a))), from_text(quote_text(document_view(quote, b))))


# ----------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class Drift:
    """One priced term the contract's latest version states differently from the accepted quote."""

    field: str
    quote: str
    contract: str


@dataclass(frozen=True)
class DriftReport:
    """What the contract's latest version says about the quote's priced terms."""

    version_number: int | None
    findings: tuple[Drift, ...]
    #: What could not be compared, and why.
    notes: tuple[str, ...]


def _months(iso: str | None) -> int | None:
    from clm.values import ValueReadError, durations

    try:
        d = durations.parse(str(iso))
    except ValueReadError:
        return None
    return d.calendar()[0] if d.unit in ("month", "year") else None


def _fee_amounts(run: Any) -> set[Decimal]:
    term = next((t for t in run.terms if t.field == "fees"), None) if run else None
    out: set[Decimal] = set()
    from clm.values import ValueReadError, fields

    for item in (term.value if term and isinstance(term.value, list) else []):
        try:
            out.add(fields.parse_fee(item).money.amount)
        except ValueReadError:
            continue
    return out


_MONEY = r"([A-Z]{3}) ([0-9][0-9,]*(?:\.[0-9]+)?)"
_TOTAL = re.compile(r"Total fees for the Subscription Term: " + _MONEY)
_ANNUAL = re.compile(r"Annual recurring fees: " + _MONEY)
_TERM = re.compile(r"Subscription Term: [^(\n]*\((\d+)\) (month|year)s?\b")
_LINE = re.compile(r"\(([A-Z0-9_-]+)\), (\d+) x " + _MONEY + r"[^;\n]*?, fee " + _MONEY)


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def order_form_terms(text: str) -> dict[str, Any]:
    """Return the priced terms the Order Form states in its own words (total, annual fee, term, lines)."""
    out: dict[str, Any] = {}
    if (m := _TOTAL.search(text)):
        out["total"] = (m.group(1), _amount(m.group(2)))
    if (m := _ANNUAL.search(text)):
        out["annual"] = (m.group(1), _amount(m.group(2)))
    if (m := _TERM.search(text)):
        out["term_months"] = int(m.group(1)) * (12 if m.group(2) == "year" else 1)
    out["lines"] = {m.group(1): (int(m.group(2)), _amount(m.group(4)), _amount(m.group(6)))
                    for m in _LINE.finditer(text)}
    return out


def drift(session: Session, quote: Quote) -> DriftReport:
    """Compare the accepted quote with what its contract's latest version says about price and term.

    Two sources: the Order Form's own statements (total fees, annual recurring fees, the
    Subscription Term and each line's quantity and fee, read from the version's text), and the
    extracted terms (``clm.clauses`` extraction: a fee amount neither the quote nor the version
    drafted from it states, and the initial term). Billing frequency and discounts are not
    compared: the contract does not state them per line.
    """
    from clm.clauses.services import latest_run
    from clm.versions import store

    notes = ["Compared: total and annual fees, the subscription term, each line's quantity and fee, and the "
             "extracted fee amounts and initial term. Not compared: billing frequency and discounts."]
    if quote.contract_id is None:
        return DriftReport(None, (), ("The quote has not been accepted.",))
    contract = store.get_contract(session, quote.contract_id)
    latest = contract.latest
    if latest is None or len(contract.versions) < 2:
        return DriftReport(latest.number if latest else None, (), tuple(notes + [
            "The contract has only the version drafted from the quote."]))
    result = priced(quote.current)
    cur = result.currency
    findings: list[Drift] = []
    stated = order_form_terms(latest.text)

    def money(amount: Decimal) -> str:
        from clm.values.money import format_amount

        return format_amount(amount, cur)

    for key, label, expected in (("total", "total fees", Decimal(result.tcv)),
                                 ("annual", "annual recurring fees", Decimal(result.acv))):
        if key not in stated:
            findings.append(Drift(label, money(expected), "no longer stated"))
        elif stated[key] != (cur, expected):
            findings.append(Drift(label, money(expected), display.money_text(stated[key][1], stated[key][0])))
    if "term_months" not in stated:
        findings.append(Drift("term", f"{result.term_months} months", "no longer stated"))
    elif stated["term_months"] != result.term_months:
        findings.append(Drift("term", f"{result.term_months} months", f"{stated['term_months']} months"))
    for line in result.lines:
        got = stated["lines"].get(line.sku)
        if got is None:
            findings.append(Drift(f"line {line.sku}", f"{line.quantity} {line.unit}, fee {money(Decimal(line.net_total))}",
                                  "no longer stated"))
        elif (got[0], got[2]) != (line.quantity, Decimal(line.net_total)):
            findings.append(Drift(f"line {line.sku}", f"{line.quantity} {line.unit}, fee {money(Decimal(line.net_total))}",
                                  f"{got[0]} {line.unit}, fee {money(got[2])}"))
    run = latest_run(session, latest.id)
    if run is None:
        notes.append(f"Version {latest.number} has not been extracted yet; extracted terms were not compared.")
    else:
        term = next((t for t in run.terms if t.field == "initial_term"), None)
        if term is not None and _months(term.value) not in (None, result.term_months):
            findings.append(Drift("extracted initial term", f"{result.term_months} months",
                                  display.duration_text(term.value)))
        first = latest_run(session, contract.versions[0].id)
        quoted = {Decimal(x) for ln in result.lines for x in (ln.net_total, ln.unit_price, ln.list_total)}
        quoted |= {Decimal(result.tcv), Decimal(result.acv)} | _fee_amounts(first)
        for amount in sorted(_fee_amounts(run) - quoted):
            findings.append(Drift("extracted fees", "not on the quote", money(amount)))
    return DriftReport(latest.number, tuple(findings), tuple(notes))


def minor_to_text(units: int, currency: str) -> str:
    """Return minor units as a decimal string with the currency's decimals."""
    return str(from_minor(units, currency))
