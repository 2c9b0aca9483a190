"""Commercial terms documents: attach a contract's terms JSON (insert-only versions), prefill it from confirmed terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clm import events
from clm.downstream.models import ContractTermsDocument, UsageRecord
from clm.downstream.terms import FREQUENCIES, parse_terms, terms_hash, terms_to_dict
from clm.errors import Conflict, NotFound
from clm.values import ValueReadError, calendars, fields, frequencies, money, numbers
from clm.values.dates import add_months
from clm.values.frequencies import PERIOD_MONTHS

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from clm.versions.models import Contract

# ----------------------------------------------------------------------------- the terms form (pure)

#: A line's fields in the terms form, in the order it shows them (billing frequency and timing
#: stand for ``billing.frequency`` and ``billing.timing``).
LINE_FORM_FIELDS = ("description", "quantity", "unit_price", "price", "ssp", "recognition", "frequency", "timing",
                    "start", "end", "satisfied_on")
#: The form's fields outside the lines (the renewal's four stand for ``renewal.*``).
FORM_FIELDS = ("currency", "signed_on", "payment_terms_days", "cancellable", "auto_renewal", "renewal_term",
               "non_renewal_notice", "price_increase_cap")
#: How the form shows (and reads back) an evergreen renewal term (``fields.PERPETUAL``).
EVERGREEN_WORDS = "until terminated"
#: At most this many lines in the form (a document with more is edited as JSON).
MAX_FORM_LINES = 200
_LINE_PATH = re.compile(r"lines\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?")


@dataclass
class TermsForm:
    """The commercial-terms form: the text of every field, and the problems placed beside them.

    ``lines`` hold each line's fields as text, plus ``id`` and ``from`` (its index in the
    document the form was made from, "" for a new line): whatever the form does not show of a
    line (SSP ranges, progress, seats, a billing date) is kept from there.
    """

    values: dict[str, str] = field(default_factory=dict)
    lines: list[dict[str, str]] = field(default_factory=list)
    #: Problems by field key: "currency", "renewal_term", "line-0-price", "line-0" (the whole line).
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: Problems no field of the form shows (the lines as a whole, modifications, discounts ...).
    general: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _words(iso: Any) -> str:
    """Return a stored duration in words for the form ("1 year", "60 days"); what does not parse, as it is."""
    from clm.values import durations

    if not iso:
        return ""
    if iso == fields.PERPETUAL:
        return EVERGREEN_WORDS
    try:
        return durations.format(durations.parse(str(iso)))
    except ValueReadError:
        return str(iso)


def form_of(data: Mapping[str, Any]) -> TermsForm:
    """Return the form showing terms document ``data`` (parsed JSON, as stored or prefilled)."""
    renewal = data.get("renewal") if isinstance(data.get("renewal"), Mapping) else {}
    cap = renewal.get("price_increase_cap")
    values = {"currency": _text(data.get("currency")), "signed_on": _text(data.get("signed_on")),
              "payment_terms_days": _text(data.get("payment_terms_days", 30)),
              "cancellable": "on" if data.get("cancellable") is True else "",
              "auto_renewal": "on" if renewal.get("auto_renewal") is True else "",
              "renewal_term": _words(renewal.get("renewal_term")),
              "non_renewal_notice": _words(renewal.get("non_renewal_notice")),
              "price_increase_cap": _text(cap).rstrip("%") if cap not in (None, "") else ""}
    lines = []
    raw_lines = data.get("lines") if isinstance(data.get("lines"), list) else []
    for i, raw in enumerate(raw_lines[:MAX_FORM_LINES]):
        ln = raw if isinstance(raw, Mapping) else {}
        billing = ln.get("billing") if isinstance(ln.get("billing"), Mapping) else {}
        row = {"id": _text(ln.get("id")), "from": str(i)}
        for name in LINE_FORM_FIELDS:
            row[name] = _text(billing.get(name) if name in ("frequency", "timing") else ln.get(name))
        if row["quantity"] and row["unit_price"] and "price" in ln:
            row["price"] = ""  # computed from quantity x unit price when the document was read
        lines.append(row)
    return TermsForm(values, lines)


def form_from_post(form: Mapping[str, str]) -> TermsForm:
    """Return the form as posted: ``currency`` ..., and ``line-<i>-<field>`` for i from 0 to ``line_count`` - 1."""
    try:
        count = min(int(form.get("line_count", "0")), MAX_FORM_LINES)
    except ValueError:
        count = 0
    values = {name: form.get(name, "").strip() for name in FORM_FIELDS}
    lines = [{name: form.get(f"line-{i}-{name}", "").strip() for name in ("id", "from", *LINE_FORM_FIELDS)}
             for i in range(max(count, 0))]
    return TermsForm(values, lines)


def add_line(tf: TermsForm) -> None:
    """Add an empty line (billed once, recognised at a point in time) with an id no other line has."""
    taken = {ln["id"] for ln in tf.lines}
    n = len(tf.lines) + 1
    while f"line{n}" in taken:
        n += 1
    row = dict.fromkeys(("from", *LINE_FORM_FIELDS), "")
    row.update(id=f"line{n}", recognition="ratable", frequency="annual", timing="advance")
    if len(tf.lines) < MAX_FORM_LINES:
        tf.lines.append(row)


def terms_of_form(tf: TermsForm, base: Mapping[str, Any]) -> dict[str, Any]:
    """Return the terms document the form says, on top of ``base`` (the document it was made from).

    Keys the form does not show are kept from ``base``; an empty field leaves its key out, so
    that :func:`clm.downstream.terms.parse_terms` applies its default or says it is missing.
    Numbers stay as typed (text) for parse_terms to read and judge; durations in words ("1 year")
    become ISO (P1Y) when they read as one.
    """
    from clm.values import durations

    doc: dict[str, Any] = {k: v for k, v in base.items() if k not in ("currency", "signed_on", "payment_terms_days",
                                                                      "payment_terms", "lines", "renewal",
                                                                      "cancellable")}
    v = tf.values
    for key in ("currency", "signed_on"):
        if v.get(key):
            doc[key] = v[key].upper() if key == "currency" else v[key]
    days = v.get("payment_terms_days", "")
    if days:
        doc["payment_terms_days"] = int(days) if days.isdigit() else days
    if v.get("cancellable") in ("on", "true", "1", "yes"):
        doc["cancellable"] = True                 # left out otherwise: the document hashes as before

    def duration(text: str, key: str) -> str:
        if key == "renewal_term" and fields.read_open_ended(key, text):
            return fields.PERPETUAL                # "until terminated", "evergreen": the contract runs on
        try:
            return durations.read(text).iso
        except ValueReadError:
            return text

    renewal: dict[str, Any] = dict(base["renewal"]) if isinstance(base.get("renewal"), Mapping) else {}
    renewal["auto_renewal"] = v.get("auto_renewal") in ("on", "true", "1", "yes")
    for key in ("renewal_term", "non_renewal_notice"):
        renewal.pop(key, None)
        if v.get(key):
            renewal[key] = duration(v[key], key)
    renewal.pop("price_increase_cap", None)
    if v.get("price_increase_cap"):
        cap = v["price_increase_cap"].strip()
        renewal["price_increase_cap"] = cap if cap.endswith("%") else f"{cap}%"
    doc["renewal"] = renewal

    base_lines = base.get("lines") if isinstance(base.get("lines"), list) else []
    lines = []
    for row in tf.lines:
        origin = base_lines[int(row["from"])] if row.get("from", "").isdigit() and int(row["from"]) < len(base_lines) \
            else {}
        line: dict[str, Any] = dict(origin) if isinstance(origin, Mapping) else {}
        billing: dict[str, Any] = dict(line["billing"]) if isinstance(line.get("billing"), Mapping) else {}
        if row.get("id"):
            line["id"] = row["id"]
        for name in LINE_FORM_FIELDS:
            text = row.get(name, "")
            if name in ("frequency", "timing"):
                billing.pop(name, None)
                if text:
                    billing[name] = text
                continue
            line.pop(name, None)
            if text:
                line[name] = int(text) if name == "quantity" and text.isdigit() else text
        if billing.get("frequency") != "once":
            billing.pop("on", None)
        line["billing"] = billing
        lines.append(line)
    doc["lines"] = lines
    return doc


def place_errors(tf: TermsForm, errors: list[str]) -> None:
    """Put each "path: problem" of :class:`~clm.downstream.terms.TermsError` beside its field in ``tf``."""
    for message in errors:
        path, sep, problem = message.partition(": ")
        if not sep:
            tf.general.append(message)
            continue
        key = _form_key(path)
        if key is None:
            tf.general.append(message)
        elif re.fullmatch(r"line-\d+", key) and "." in path:  # a line's field the form does not show: name it
            tf.errors.setdefault(key, []).append(f"{path.partition('.')[2]}: {problem}")
        else:
            tf.errors.setdefault(key, []).append(problem)


def _form_key(path: str) -> str | None:
    if path in ("currency", "signed_on", "payment_terms_days", "cancellable"):
        return path
    if path == "payment_terms":
        return "payment_terms_days"
    if path.startswith("renewal"):
        name = path.partition(".")[2]
        return name if name in FORM_FIELDS else "auto_renewal"
    found = _LINE_PATH.fullmatch(path)
    if found is None:
        return None
    index, name, sub = found.groups()
    if name == "billing":
        name = sub if sub in ("frequency", "timing") else "frequency"
    return f"line-{index}-{name}" if name in LINE_FORM_FIELDS else f"line-{index}"


def latest_document(session: Session, contract_id: int) -> ContractTermsDocument | None:
    """Return the contract's current terms document (its highest version), or None."""
    return session.scalar(select(ContractTermsDocument).where(ContractTermsDocument.contract_id == contract_id)
                          .order_by(ContractTermsDocument.version.desc()).limit(1))


def document_version(session: Session, contract_id: int, version: int) -> ContractTermsDocument | None:
    """Return version ``version`` of the contract's terms document, or None."""
    return session.scalar(select(ContractTermsDocument).where(ContractTermsDocument.contract_id == contract_id,
                                                              ContractTermsDocument.version == version))


def attach_terms(session: Session, contract: Contract, data: Any, *, by: str, now: dt.datetime) -> ContractTermsDocument:
    """Store ``data`` (parsed JSON) as the contract's next terms document and return it.

    Raises ``TermsError`` (422) naming every bad field. Nothing is stored when the terms are
    the same (same canonical hash) as the current document: the current one is returned.
    Two people saving at once: one gets version n+1, the other a Conflict to reload.
    """
    terms = parse_terms(data)
    sha = terms_hash(terms)
    latest = latest_document(session, contract.id)
    if latest is not None and latest.sha256 == sha:
        return latest
    document = ContractTermsDocument(contract_id=contract.id, version=(latest.version if latest else 0) + 1,
                                     data=terms_to_dict(terms), sha256=sha, currency=terms.currency,
                                     created_by=by, created_at=now)
    session.add(document)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else saved the terms of this contract at the same moment; reload and "
                       "try again.") from None
    # A signed contract waiting for its terms (or refused over them) is processed after commit.
    if events.waiting(session, "envelope.completed"):
        events.mark_pending(session)
    return document


def prefill(session: Session, contract: Contract, today: date) -> tuple[dict[str, Any], list[str]]:
    """Return a starting terms document drawn from the confirmed terms, and notes on what came from where.

    Each confirmed term is read by its kind (``clm.values.fields``) and mapped to the document:
    the signing date, payment terms (days, or business days), the service period, the billing
    frequency, the fees (currency and price; a periodic fee times the periods of the service
    period), renewal (auto-renewal, renewal term, notice, price cap) and the holiday calendar of
    the governing law. The rest is left for a person to fill in and confirm.
    """
    from clm.clauses.services import contract_terms

    confirmed: dict[str, Any] = {}
    for name, decision in contract_terms(session, contract.id).items():
        if decision.value in (None, "", []) or name not in fields.FIELDS:
            continue
        try:
            confirmed[name] = fields.parse(name, decision.value)
        except ValueReadError:
            continue             # a value an older clm stored in another form: left for a person
    notes: list[str] = []
    if confirmed.get("expiration_date") == fields.PERPETUAL:
        del confirmed["expiration_date"]  # billing needs the initial term's end: a person gives it
        notes.append(f"lines[0].end left for you: the confirmed expiration date is "
                     f"{fields.OPEN_ENDED['expiration_date']}")

    def took(field: str, target: str) -> None:
        notes.append(f"{target} from the confirmed {field.replace('_', ' ')}")

    doc: dict[str, Any] = {"currency": "", "signed_on": today.isoformat(), "payment_terms_days": 30}
    signed_from = "agreement_date" if "agreement_date" in confirmed else "effective_date"
    if signed_from in confirmed:
        doc["signed_on"] = confirmed[signed_from].isoformat()
        took(signed_from, "signed_on")
    payment = confirmed.get("payment_terms")
    if payment is not None and payment.unit in ("day", "business_day"):
        doc["payment_terms_days"] = payment.amount
        if payment.business:
            doc["payment_terms"] = payment.iso
        took("payment_terms", "payment_terms" if payment.business else "payment_terms_days")
    line: dict[str, Any] = {"id": "main", "description": contract.title, "price": "", "recognition": "ratable",
                            "start": "", "end": "", "billing": {"frequency": "annual", "timing": "advance"}}
    start: date | None = confirmed.get("effective_date")
    end: date | None = confirmed.get("expiration_date")
    if start is not None:
        line["start"] = start.isoformat()
        took("effective_date", "lines[0].start")
    if end is not None:
        took("expiration_date", "lines[0].end")
    elif start is not None and confirmed.get("initial_term") is not None \
            and confirmed["initial_term"].unit not in ("hour", "business_day"):
        end = confirmed["initial_term"].after(start) - timedelta(days=1)
        took("initial_term", "lines[0].end")
    if end is not None:
        line["end"] = end.isoformat()
    frequency = confirmed.get("billing_frequency")
    fees_: list[fields.Fee] = confirmed.get("fees") or []
    if fees_:
        fee = fees_[0]
        same = [f for f in fees_ if f.money.currency == fee.money.currency and f.period == fee.period]
        amount = sum((f.money.amount for f in same), Decimal(0))
        doc["currency"] = fee.money.currency
        periods = _periods(start, end, fee.period)
        if fee.period is None:
            line["price"] = money.plain(amount, fee.money.currency)
            took("fees", "currency and lines[0].price")
        elif periods is not None:
            line["price"] = money.plain(amount * periods, fee.money.currency)
            notes.append(f"currency and lines[0].price from the confirmed fees ({periods} x "
                         f"{money.format(money.Money(amount, fee.money.currency))} "
                         f"{frequencies.format(fee.period)})")
        else:
            took("fees", "currency")
        if frequency is None and fee.period in FREQUENCIES:
            frequency = fee.period
            took("fees", "lines[0].billing.frequency")
    if frequency in FREQUENCIES and "billing_frequency" in confirmed:
        took("billing_frequency", "lines[0].billing.frequency")
    if frequency in FREQUENCIES:
        line["billing"]["frequency"] = frequency
    doc["lines"] = [line]
    renewal: dict[str, Any] = {}
    for field in ("auto_renewal", "renewal_term", "non_renewal_notice"):
        if field in confirmed:
            renewal[field] = fields.to_json(field, confirmed[field])
            took(field, f"renewal.{field}")
    if renewal.get("renewal_term") == fields.PERPETUAL and "auto_renewal" not in renewal:
        renewal["auto_renewal"] = True     # an evergreen contract runs on by itself
        took("renewal_term", "renewal.auto_renewal")
    if "price_increase_cap" in confirmed:
        renewal["price_increase_cap"] = numbers.format_percent(confirmed["price_increase_cap"])
        took("price_increase_cap", "renewal.price_increase_cap")
    if renewal:
        doc["renewal"] = renewal
    law = confirmed.get("governing_law")
    code = calendars.for_jurisdiction(law) if law else None
    if code:
        # Business days count on the holidays of the place whose law governs; saving the
        # prefilled document is the person's confirmation of it.
        doc["holidays"] = code
        took("governing_law", "holidays")
    return doc, notes


def _periods(start: date | None, end: date | None, period: str | None) -> int | None:
    """Return how many whole ``period``s run from ``start`` to ``end`` (both included), or None."""
    months = PERIOD_MONTHS.get(period or "")
    if start is None or end is None or months is None:
        return None
    n = 0
    while add_months(start, (n + 1) * months) <= end + timedelta(days=1):
        n += 1
    return n if n and add_months(start, n * months) == end + timedelta(days=1) else None


def get_document(session: Session, contract_id: int) -> ContractTermsDocument:
    """Return the contract's current terms document; raise NotFound when it has none."""
    document = latest_document(session, contract_id)
    if document is None:
        raise NotFound(f"Contract {contract_id} has no commercial terms yet.")
    return document


# ----------------------------------------------------------------------------- usage records


def record_usage(session: Session, contract: Contract, data: Any, *, by: str,
                 now: dt.datetime) -> tuple[UsageRecord, bool]:
    """Store one usage record ``{"line", "date", "quantity", "reference"?}`` and return it, and
    whether it is new.

    Checked against the contract's current terms (``check_usage``): the line must be
    usage-based, the date within its service period, the quantity a number from 0; otherwise
    ``UsageError`` (422) names each field and nothing is stored. A ``reference`` already posted
    for this contract returns the stored record (a retried post changes nothing). Usage goes on
    the invoice of its period until that invoice is issued; after, Conflict (409), nothing stored.
    """
    from decimal import Decimal

    from clm.downstream.billing import UsageError, check_usage
    from clm.errors import InvalidInput

    if not isinstance(data, dict):
        raise InvalidInput('Send {"line": "...", "date": "YYYY-MM-DD", "quantity": "1200"} as a JSON object.')
    unknown = sorted(set(data) - {"line", "date", "quantity", "reference"})
    if unknown:
        raise UsageError([f"{key[:40]}: unknown field" for key in unknown])
    reference = data.get("reference")
    if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= 200):
        raise UsageError(["reference: must be a string of 1 to 200 characters"])
    record = check_usage(parse_terms(get_document(session, contract.id).data),
                         data.get("line"), data.get("date"), data.get("quantity"))
    from clm.downstream.invoicing import refuse_usage_on_issued

    row = UsageRecord(contract_id=contract.id, line_id=record.line_id, used_on=record.on,
                      quantity=f"{record.quantity.normalize():f}", reference=reference, recorded_by=by,
                      created_at=now)
    return add_once(session, row, lambda old: (old.line_id, old.used_on, Decimal(old.quantity)) == (
        record.line_id, record.on, record.quantity),
        before=lambda: refuse_usage_on_issued(session, contract.id, record.line_id, record.on))


def add_once(session: Session, row: Any, same: Callable[[Any], bool],
             before: Callable[[], None] | None = None) -> tuple[Any, bool]:
    """Insert ``row`` (a usage record or a payment: ``contract_id`` and ``reference`` columns, unique
    together) and return it with True; when the contract already has a row with its reference,
    return that one with False if ``same(it)``, else raise Conflict. ``before`` runs just before
    the insert (a check a retried post must not repeat). A race on the reference is a Conflict.
    """
    model = type(row)
    if row.reference is not None:
        existing = session.scalar(select(model).where(model.contract_id == row.contract_id,
                                                      model.reference == row.reference))
        if existing is not None:
            if not same(existing):
                raise Conflict(f"reference {row.reference!r} was already posted with other values")
            return existing, False
    if before is not None:
        before()
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"reference {row.reference!r} was posted at the same moment; retry") from None
    return row, True


def usage_of(session: Session, contract_id: int) -> list[Any]:
    """Return the contract's usage records as ``billing.UsageRecord`` values, in date order."""
    from decimal import Decimal

    from clm.downstream.billing import UsageRecord as Usage

    rows = session.scalars(select(UsageRecord).where(UsageRecord.contract_id == contract_id)
                           .order_by(UsageRecord.used_on, UsageRecord.id))
    return [Usage(r.line_id, r.used_on, Decimal(r.quantity)) for r in rows]


def usage_json(row: UsageRecord) -> dict[str, Any]:
    """Return a stored usage record as JSON."""
    return {"id": row.id, "contract_id": row.contract_id, "line": row.line_id, "date": row.used_on.isoformat(),
            "quantity": row.quantity, "reference": row.reference, "recorded_by": row.recorded_by,
            "created_at": row.created_at.isoformat()}
