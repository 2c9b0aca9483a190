"""Envelope services: create, send, consent, sign, decline, void, remind, expire, complete.

Every service takes the session first and never commits. Each status change is a
conditional ``UPDATE ... WHERE status = <expected>`` whose row count decides who won, so
parallel requests (twenty posts of one signature, two signers at once) change the state
exactly once. Signing order and token state are checked on every call, page or post.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm.util import identity_key

from clm.clauses.services import confirmed_terms_digest
from clm.errors import ClmError, Conflict, InvalidInput, NotFound
from clm.signing import audit, tokens
from clm.signing.mail import Mail
from clm.signing.models import (
    AuditEvent,
    Envelope,
    EnvelopeStatus,
    Recipient,
    RecipientRole,
    RecipientStatus,
    SignatureKind,
)
from clm.signing.signature import (
    BadSignature,
    clean_name,
    png_from_data_url,
    to_data_url,
)
from clm.versions import store
from clm.versions.models import Contract, ContractStatus, Version, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: How long a signer's link works after it is mailed; a reminder issues a fresh one.
TOKEN_LIFETIME = dt.timedelta(days=14)
#: How long after signing a signer's used link still shows "You signed this" and gives their copy.
COPY_LIFETIME = dt.timedelta(days=90)
DEFAULT_EXPIRY_DAYS = 30
MAX_RECIPIENTS = 20
MAX_REASON_CHARS = 2000
#: Fields a sender may ask a recipient to fill in besides the signature.
FIELD_KINDS = ("initials", "text", "checkbox", "date_signed")
MAX_FIELDS = 10
MAX_FIELD_LABEL_CHARS = 200
#: The longest value a recipient may enter, for the kinds they type into.
FIELD_VALUE_CHARS = {"initials": 10, "text": 500}
_DEFAULT_FIELD_LABELS = {"initials": "Initials", "date_signed": "Date signed"}
#: Bump when the disclosure text changes; each consent records the version agreed to.
DISCLOSURE_VERSION = "2026-11"
DISCLOSURE_TEXT = (
    "You agree to receive this document and related notices electronically and to sign it with an "
    "electronic signature, which has the same legal effect as a handwritten one under the U.S. ESIGN "
    "Act and the Uniform Electronic Transactions Act. You need a device with a current web browser to "
    "read and keep the document; you can download it as a PDF at any time before and after signing. "
    "You may ask the sender for a paper copy, and you may withdraw this consent at any time before you "
    "sign by choosing \"Withdraw consent\"; withdrawing ends electronic signing of this document and "
    "the sender will contact you about signing on paper. Withdrawing has no fee or other consequence."
)
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]{1,255}\.[^@\s<>\"',;]{2,63}$")
_ACTIVE = (RecipientStatus.SENT, RecipientStatus.DELIVERED, RecipientStatus.VIEWED)


class Gone(ClmError):
    """The link worked once but no longer does: expired, voided, completed, used or superseded."""

    status = 410


class NotYourTurn(Conflict):
    """A recipient acted before everyone earlier in the routing order."""


@dataclass(frozen=True)
class RecipientInput:
    """A recipient as the sender entered them (untrusted)."""

    name: str
    email: str
    role: str = "signer"
    routing_order: int = 1
    #: Field definitions as sent: ``[{"kind", "label", "required"}]``, checked by ``parse_fields``.
    fields: Any = None


@dataclass(frozen=True)
class Client:
    """Where a request came from, for the audit trail."""

    actor: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass
class Outcome:
    """What a signing call changed: the recipient, mail to send after commit, and whether to complete."""

    recipient: Recipient
    mails: list[Mail] = field(default_factory=list)
    ready_to_complete: bool = False


# -- hooks for the lead -------------------------------------------------------------------------


#: Raises Conflict when a contract still needs approvals before it may go to signature
#: (clm.clauses.approvals.approval_check builds the real one from the settings).
ApprovalCheck = Callable[["Session", Contract], None]


def _on_completed(session: Session, envelope: Envelope) -> None:
    """Hand a completed envelope to downstream processing (the outbox), in the same transaction.

    Called exactly once per envelope: only the request whose conditional UPDATE completed it.
    """
    import sqlalchemy as sa

    from clm.db import UtcDateTime, utcnow

    # The outbox belongs to clm.downstream, which signing may not import (independent layers):
    # the two tables, named here, are the contract between them. The row freezes the hash of
    # the commercial terms current at signing beside the confirmed-terms hash of the envelope;
    # downstream refuses to bill if either changes (RELIABILITY T3). UNIQUE(envelope_id, event)
    # makes a second delivery a no-op.
    documents = sa.table("contract_terms_documents", sa.column("contract_id"), sa.column("version"),
                         sa.column("sha256"))
    current = session.execute(sa.select(documents.c.version, documents.c.sha256)
                              .where(documents.c.contract_id == envelope.contract_id)
                              .order_by(documents.c.version.desc()).limit(1)).first()
    outbox = sa.table("outbox_events", sa.column("envelope_id"), sa.column("event"), sa.column("payload", sa.JSON),
                      sa.column("created_at", UtcDateTime()), sa.column("attempts"))
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    completed_at = envelope.completed_at or utcnow()
    session.execute(insert(outbox).values(
        envelope_id=envelope.id, event="executed", created_at=completed_at, attempts=0,
        # The day the last signature completed the envelope is the day the contract was signed,
        # whatever date the commercial terms were drafted with (UTC).
        payload={"contract_id": envelope.contract_id, "signed_on": completed_at.date().isoformat(),
                 "terms_sha256": envelope.terms_sha256,
                 "commercial_terms_sha256": current.sha256 if current else None,
                 "commercial_terms_version": current.version if current else None},
    ).on_conflict_do_nothing(index_elements=["envelope_id", "event"]))
    # Processed right after commit (clm.downstream.outbox.init_app), or by `clm downstream process`.
    session.info["clm.outbox_pending"] = True


# -- helpers --------------------------------------------------------------------------------------


def sha256_text(text: str) -> str:
    """Return the hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_envelope(session: Session, envelope_id: int) -> Envelope:
    """Return envelope ``envelope_id``; raise NotFound otherwise."""
    envelope = session.get(Envelope, envelope_id)
    if envelope is None:
        raise NotFound(f"Envelope {envelope_id} does not exist.")
    return envelope


def envelopes_of(session: Session, contract_id: int) -> list[Envelope]:
    """Return a contract's envelopes, newest first."""
    return list(session.scalars(select(Envelope).where(Envelope.contract_id == contract_id)
                                .order_by(Envelope.id.desc())))


def _one_line(text: str) -> str:
    """Return ``text`` on one line: whitespace runs become one space, control characters go."""
    return "".join(ch for ch in " ".join(text.split()) if ch.isprintable())


def parse_fields(raw: Any, *, where: str = "Recipient") -> list[dict[str, Any]]:
    """Return validated field definitions ``[{"kind", "label", "required"}]`` from untrusted input.

    ``raw`` is None or a list of objects with a known ``kind``, a ``label`` (up to 200
    characters; initials and date_signed have a default) and an optional boolean ``required``
    (default true). A date_signed field is filled in by clm, so it is always "required".
    """
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raise InvalidInput(f'{where}: "fields" must be a list of {{"kind", "label", "required"}}.')
    if len(raw) > MAX_FIELDS:
        raise InvalidInput(f"{where}: at most {MAX_FIELDS} fields per recipient.")
    parsed: list[dict[str, Any]] = []
    for number, item in enumerate(raw, 1):
        at = f"{where}, field {number}"
        if not isinstance(item, Mapping):
            raise InvalidInput(f'{at}: a field must be an object {{"kind", "label", "required"}}.')
        unknown = sorted(str(key) for key in item if key not in ("kind", "label", "required"))
        if unknown:
            raise InvalidInput(f"{at}: unknown key {unknown[0]!r}.")
        kind = item.get("kind")
        if kind not in FIELD_KINDS:
            raise InvalidInput(f"{at}: the kind must be one of {', '.join(FIELD_KINDS)}.")
        label = item.get("label")
        if label is not None and not isinstance(label, str):
            raise InvalidInput(f"{at}: the label must be a string.")
        label = _one_line(label or "") or _DEFAULT_FIELD_LABELS.get(kind, "")
        if not label:
            raise InvalidInput(f"{at}: a {kind} field needs a label.")
        if len(label) > MAX_FIELD_LABEL_CHARS:
            raise InvalidInput(f"{at}: the label is longer than {MAX_FIELD_LABEL_CHARS} characters.")
        if any(f["label"].casefold() == label.casefold() for f in parsed):
            raise InvalidInput(f"{at}: the label {label!r} is used twice.")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise InvalidInput(f'{at}: "required" must be true or false.')
        parsed.append({"kind": kind, "label": label, "required": True if kind == "date_signed" else required})
    return parsed


def field_values(fields: Sequence[Mapping[str, Any]] | None, submitted: Mapping[str, str], *,
                 now: dt.datetime) -> list[dict[str, Any]]:
    """Return what the recipient filled in, ``[{"kind", "label", "value"}]``, from the form's
    ``field-<n>`` values; raise InvalidInput naming the first required field left empty.

    date_signed is the UTC date of ``now`` whatever was posted; a checkbox is ticked when
    its value is "yes".
    """
    values: list[dict[str, Any]] = []
    for index, definition in enumerate(fields or ()):
        kind, label = definition["kind"], definition["label"]
        raw = submitted.get(f"field-{index}") or ""
        value: str | bool
        if kind == "date_signed":
            value = now.astimezone(dt.UTC).date().isoformat()
        elif kind == "checkbox":
            value = raw == "yes"
            if definition.get("required") and not value:
                raise InvalidInput(f"Tick \u201c{label}\u201d: it is required.")
        else:
            value = _one_line(str(raw))
            limit = FIELD_VALUE_CHARS[kind]
            if len(value) > limit:
                raise InvalidInput(f"\u201c{label}\u201d is longer than {limit} characters.")
            if definition.get("required") and not value:
                raise InvalidInput(f"Fill in \u201c{label}\u201d: it is required.")
        values.append({"kind": kind, "label": label, "value": value})
    return values


def _parse_recipients(items: Sequence[RecipientInput]) -> list[tuple[str, str, RecipientRole, int, list[dict[str, Any]]]]:
    if not items:
        raise InvalidInput("Add at least one signer.")
    if len(items) > MAX_RECIPIENTS:
        raise InvalidInput(f"An envelope has at most {MAX_RECIPIENTS} recipients.")
    parsed = []
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        name = " ".join((item.name or "").split())
        email = (item.email or "").strip().lower()
        if not name or len(name) > 200:
            raise InvalidInput(f"Recipient {number}: enter a name (up to 200 characters).")
        if not _EMAIL.match(email):
            raise InvalidInput(f"Recipient {number}: {item.email!r} is not an email address.")
        try:
            role = RecipientRole((item.role or "signer").strip().lower())
        except ValueError:
            raise InvalidInput(f"Recipient {number}: the role must be signer, approver or cc.") from None
        try:
            order = int(item.routing_order)
        except (TypeError, ValueError):
            raise InvalidInput(f"Recipient {number}: the routing order must be a whole number.") from None
        if not 1 <= order <= 99:
            raise InvalidInput(f"Recipient {number}: the routing order must be between 1 and 99.")
        fields = parse_fields(item.fields, where=f"Recipient {number}")
        if role is not RecipientRole.CC:
            if email in seen:
                raise InvalidInput(f"Recipient {number}: {email} is already a signer or approver.")
            seen.add(email)
        elif fields:
            raise InvalidInput(f"Recipient {number}: a cc only gets a copy; it has no fields to fill in.")
        parsed.append((name, email, role, order, fields))
    if not any(role is RecipientRole.SIGNER for _n, _e, role, _o, _f in parsed):
        raise InvalidInput("Add at least one signer.")
    return parsed


def _acting_statuses(session: Session, envelope_id: int) -> list[tuple[int, int, RecipientStatus]]:
    # Read fresh from the database, never from the identity map: another request may have
    # signed since this session loaded the recipients.
    rows = session.execute(select(Recipient.id, Recipient.routing_order, Recipient.status)
                           .where(Recipient.envelope_id == envelope_id, Recipient.role != RecipientRole.CC))
    return [(r.id, r.routing_order, r.status) for r in rows]


def _current_group(session: Session, envelope_id: int) -> int | None:
    """Return the routing order whose recipients may act now, or None when all have signed."""
    open_orders = [order for _id, order, status in _acting_statuses(session, envelope_id)
                   if status is not RecipientStatus.SIGNED]
    return min(open_orders) if open_orders else None


def _link(envelope: Envelope, token_text: str) -> str:
    return f"{(envelope.link_base or '').rstrip('/')}/sign/{token_text}"


def _invite(envelope: Envelope, contract_title: str, recipient: Recipient, token_text: str, *,
            reminder: bool = False) -> Mail:
    verb = "approve" if recipient.role is RecipientRole.APPROVER else "sign"
    lines = [f"Hello {recipient.name},", "",
             f"{envelope.created_by} asks you to {verb} \"{contract_title}\".", ""]
    if envelope.message:
        lines += [envelope.message, ""]
    lines += [f"Open this link to review and {verb} the document:", _link(envelope, token_text), "",
              (f"The link is personal: do not forward it. It works until "
              f"{min(envelope.expires_at, recipient.token_expires_at or envelope.expires_at):%Y-%m-%d %H:%M} UTC."),
              "If you did not expect this message, ignore it."]
    subject = ("Reminder: " if reminder else "") + envelope.subject
    return Mail(to=recipient.email, subject=subject, body="\n".join(lines))


def _issue(session: Session, recipient: Recipient, *, now: dt.datetime, expected_hash: str | None,
           statuses: Sequence[RecipientStatus]) -> tokens.IssuedToken | None:
    """Give ``recipient`` a fresh token unless another request changed it first; return it or None."""
    issued = tokens.issue(now, TOKEN_LIFETIME)
    condition = (Recipient.token_hash.is_(None) if expected_hash is None else Recipient.token_hash == expected_hash)
    new_status = RecipientStatus.SENT if recipient.status is RecipientStatus.PENDING else recipient.status
    result = session.execute(
        update(Recipient).where(Recipient.id == recipient.id, Recipient.status.in_(statuses), condition)
        .values(token_hash=issued.hash, token_expires_at=issued.expires_at, sent_at=now, status=new_status),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(recipient)
    return issued


def _open_group(session: Session, envelope: Envelope, *, now: dt.datetime, client: Client) -> list[Mail]:
    """Issue tokens to the recipients of the current routing group who have none yet."""
    order = _current_group(session, envelope.id)
    if order is None:
        return []
    title = session.get(Contract, envelope.contract_id).title  # type: ignore[union-attr]
    mails = []
    invited = []
    for recipient in session.scalars(select(Recipient).where(
            Recipient.envelope_id == envelope.id, Recipient.routing_order == order,
            Recipient.role != RecipientRole.CC, Recipient.status == RecipientStatus.PENDING)):
        issued = _issue(session, recipient, now=now, expected_hash=None, statuses=(RecipientStatus.PENDING,))
        if issued is not None:
            mails.append(_invite(envelope, title, recipient, issued.text))
            invited.append(recipient.id)
    if invited:
        audit.append(session, envelope, "invited", at=now, actor=client.actor, ip=client.ip,
                     user_agent=client.user_agent, details={"recipients": invited, "routing_order": order})
    return mails


def _set_status(session: Session, envelope: Envelope, expected: Sequence[EnvelopeStatus],
                new: EnvelopeStatus, **values: Any) -> bool:
    """Move ``envelope`` from one of ``expected`` to ``new``; return False when another request moved it."""
    result = session.execute(
        update(Envelope).where(Envelope.id == envelope.id, Envelope.status.in_(expected))
        .values(status=new, **values), execution_options={"synchronize_session": False})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(envelope)
    return True


# -- sender side ----------------------------------------------------------------------------------


def _refuse_if_out_for_signature(session: Session, contract_id: int, *, besides: int | None = None) -> None:
    """Raise Conflict when another envelope of the contract is out for signature.

    One contract, one live envelope: two would both complete, each adding a signed version and
    an executed event, and the second would make finance bill the contract twice.
    """
    query = select(Envelope.id).where(Envelope.contract_id == contract_id, Envelope.status == EnvelopeStatus.SENT)
    if besides is not None:
        query = query.where(Envelope.id != besides)
    other = session.scalar(query.limit(1))
    if other is not None:
        raise Conflict(f"Envelope {other} is already out for signature for this contract; void it first.")


def create(session: Session, contract_id: int, *, subject: str, message: str,
           recipients: Sequence[RecipientInput], client: Client, now: dt.datetime,
           approvals: ApprovalCheck, expires_in_days: int = DEFAULT_EXPIRY_DAYS) -> Envelope:
    """Create a draft envelope for the contract's latest version, frozen by its SHA-256.

    Refused (Conflict) while ``approvals`` finds deviations legal has not approved.
    """
    contract = store.get_contract(session, contract_id)
    version = contract.latest
    if version is None:
        raise InvalidInput("This contract has no version to sign yet; upload one first.")
    if contract.status in (ContractStatus.EXECUTED, ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        raise Conflict(f"The contract is {contract.status.value}; it cannot be sent for signature.")
    _refuse_if_out_for_signature(session, contract_id)
    if version.source is VersionSource.SIGNED:
        raise Conflict("The latest version is already a signed copy.")
    approvals(session, contract)
    subject = " ".join((subject or "").split()) or f"Please sign: {contract.title}"
    if len(subject) > 300:
        raise InvalidInput("The subject is longer than 300 characters.")
    message = (message or "").strip()
    if len(message) > 5000:
        raise InvalidInput("The message is longer than 5000 characters.")
    if not 1 <= int(expires_in_days) <= 365:
        raise InvalidInput("The envelope must expire in 1 to 365 days.")
    parsed = _parse_recipients(recipients)
    envelope = Envelope(
        contract_id=contract.id, version_id=version.id, version_sha256=version.blob_sha256,
        document_sha256=sha256_text(version.text), terms_sha256=confirmed_terms_digest(session, contract.id),
        subject=subject, message=message, status=EnvelopeStatus.DRAFT,
        expires_at=now + dt.timedelta(days=int(expires_in_days)), created_by=client.actor, created_at=now,
        audit_seq=0,
        recipients=[Recipient(name=n, email=e, role=r, routing_order=o, status=RecipientStatus.PENDING,
                              fields=f or None)
                    for n, e, r, o, f in parsed],
    )
    session.add(envelope)
    session.flush()
    audit.append(session, envelope, "created", at=now, actor=client.actor, ip=client.ip,
                 user_agent=client.user_agent,
                 details={"contract_id": contract.id, "version": version.number,
                          "version_sha256": version.blob_sha256, "document_sha256": envelope.document_sha256,
                          "terms_sha256": envelope.terms_sha256,
                          "recipients": [{"name": n, "email": e, "role": r.value, "routing_order": o,
                                          **({"fields": f} if f else {})}
                                         for n, e, r, o, f in parsed]})
    return envelope


def send(session: Session, envelope_id: int, *, client: Client, now: dt.datetime, link_base: str,
         approvals: ApprovalCheck) -> list[Mail]:
    """Send a draft: mail the first routing group their links; return the mail to deliver after commit.

    The approvals are checked again: a draft may have waited while a decision was withdrawn.
    """
    envelope = get_envelope(session, envelope_id)
    contract = store.get_contract(session, envelope.contract_id)
    if contract.latest is None or contract.latest.id != envelope.version_id:
        raise Conflict("The contract has a newer version than this envelope; create a new envelope.")
    _refuse_if_out_for_signature(session, contract.id, besides=envelope.id)
    approvals(session, contract)
    if not link_base.startswith(("http://", "https://")):
        raise InvalidInput("The public address of clm (CLM_PUBLIC_URL) must start with http:// or https://.")
    if not _set_status(session, envelope, (EnvelopeStatus.DRAFT,), EnvelopeStatus.SENT, sent_at=now,
                       link_base=link_base.rstrip("/")):
        raise Conflict(f"Envelope {envelope.id} is {envelope.status.value}; only a draft can be sent.")
    if contract.status is not ContractStatus.SIGNING:
        contract.status = ContractStatus.SIGNING
    audit.append(session, envelope, "sent", at=now, actor=client.actor, ip=client.ip, user_agent=client.user_agent,
                 details={"expires_at": envelope.expires_at.isoformat()})
    return _open_group(session, envelope, now=now, client=client)


def void(session: Session, envelope_id: int, *, reason: str, client: Client, now: dt.datetime) -> list[Mail]:
    """Void a draft or sent envelope; every link dies. Refused once completed, declined or expired."""
    envelope = get_envelope(session, envelope_id)
    reason = " ".join((reason or "").split())[:MAX_REASON_CHARS] or "No reason given."
    was = envelope.status
    if not _set_status(session, envelope, (EnvelopeStatus.DRAFT, EnvelopeStatus.SENT), EnvelopeStatus.VOIDED,
                       ended_at=now, end_reason=reason):
        raise Conflict(f"Envelope {envelope.id} is {envelope.status.value}; only a draft or sent one can be voided.")
    session.execute(update(Recipient).where(Recipient.envelope_id == envelope.id).values(token_hash=None),
                    execution_options={"synchronize_session": False})
    contract = session.get(Contract, envelope.contract_id)
    if contract is not None and contract.status is ContractStatus.SIGNING:
        contract.status = ContractStatus.DRAFT
    audit.append(session, envelope, "voided", at=now, actor=client.actor, ip=client.ip,
                 user_agent=client.user_agent, details={"reason": reason})
    if was is EnvelopeStatus.DRAFT:
        return []
    return [Mail(to=r.email, subject=f"Voided: {envelope.subject}",
                 body=f"Hello {r.name},\n\n{envelope.created_by} voided this signature request. "
                      f"Reason: {reason}\n\nNo action is needed; earlier links no longer work.")
            for r in envelope.recipients if r.sent_at is not None]


def remind(session: Session, envelope_id: int, *, client: Client, now: dt.datetime) -> list[Mail]:
    """Mail the recipients whose turn it is a fresh link; their earlier links stop working."""
    envelope = get_envelope(session, envelope_id)
    if envelope.status is not EnvelopeStatus.SENT or envelope.expires_at <= now:
        raise Conflict(f"Envelope {envelope.id} is {envelope.status.value}; only a sent envelope can be reminded.")
    order = _current_group(session, envelope.id)
    title = session.get(Contract, envelope.contract_id).title  # type: ignore[union-attr]
    mails, reminded = [], []
    for recipient in list(envelope.recipients):
        session.refresh(recipient)
        if recipient.routing_order != order or not recipient.acts or recipient.status not in _ACTIVE:
            continue
        issued = _issue(session, recipient, now=now, expected_hash=recipient.token_hash, statuses=_ACTIVE)
        if issued is not None:
            mails.append(_invite(envelope, title, recipient, issued.text, reminder=True))
            reminded.append(recipient.id)
    if not reminded:
        raise Conflict("Nobody is waiting to act on this envelope.")
    audit.append(session, envelope, "reminded", at=now, actor=client.actor, ip=client.ip,
                 user_agent=client.user_agent, details={"recipients": reminded})
    return mails


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """Return the offsets of ``CLM_REMINDER_DAYS`` ("3,7"), sorted; raise ValueError when malformed."""
    days: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= 365:
            raise ValueError(f"expected whole days from 1 to 365 separated by commas, got {text!r}")
        days.add(int(part))
    return tuple(sorted(days))


def envelopes_to_remind(session: Session, *, now: dt.datetime) -> list[int]:
    """Return the ids of sent envelopes that have not expired: those whose signers may be reminded."""
    return list(session.scalars(select(Envelope.id).where(Envelope.status == EnvelopeStatus.SENT,
                                                          Envelope.expires_at > now).order_by(Envelope.id)))


def _invited_at(events: Sequence[AuditEvent]) -> dict[int, dt.datetime]:
    """Return {recipient id: when their routing group was first invited}, from the audit trail."""
    invited: dict[int, dt.datetime] = {}
    for event in events:
        if event.kind == "invited":
            for recipient_id in (event.details or {}).get("recipients", []):
                invited.setdefault(recipient_id, event.at)
    return invited


def _scheduled_done(events: Sequence[AuditEvent]) -> dict[int, set[int]]:
    """Return {recipient id: reminder offsets already sent}, from the trail's scheduled "reminded" events."""
    done: dict[int, set[int]] = {}
    for event in events:
        details = event.details or {}
        if event.kind == "reminded" and "scheduled_days" in details:
            for recipient_id in details.get("recipients", []):
                done.setdefault(recipient_id, set()).update(details["scheduled_days"])
    return done


def send_scheduled_reminders(session: Session, envelope_id: int, *, days: Sequence[int],
                             now: dt.datetime) -> list[Mail]:
    """Remind whoever must act now on ``envelope_id`` once per offset in ``days`` after their invitation.

    Each reminder mails a fresh link (the old one stops working) and is recorded as a
    "reminded" audit event listing the offsets it covers; a recipient several offsets behind
    (the sweeper did not run) gets one mail covering them all. Idempotent: the envelope's row
    is locked before the trail is read, so two sweepers never send one offset twice.
    """
    if not days:
        return []
    locked = session.execute(
        update(Envelope).where(Envelope.id == envelope_id, Envelope.status == EnvelopeStatus.SENT,
                               Envelope.expires_at > now).values(audit_seq=Envelope.audit_seq),
        execution_options={"synchronize_session": False})
    if locked.rowcount != 1:  # type: ignore[attr-defined]
        return []
    envelope = get_envelope(session, envelope_id)
    order = _current_group(session, envelope.id)
    if order is None:
        return []
    events = audit.events_of(session, envelope.id)
    invited, done = _invited_at(events), _scheduled_done(events)
    title = session.get(Contract, envelope.contract_id).title  # type: ignore[union-attr]
    mails: list[Mail] = []
    reminded: dict[tuple[int, ...], list[int]] = {}
    for recipient in session.scalars(select(Recipient).where(
            Recipient.envelope_id == envelope.id, Recipient.routing_order == order,
            Recipient.role != RecipientRole.CC, Recipient.status.in_(_ACTIVE)).order_by(Recipient.id)
            .execution_options(populate_existing=True)):
        start = invited.get(recipient.id) or recipient.sent_at
        if start is None:
            continue
        due = tuple(d for d in sorted(days)
                    if start + dt.timedelta(days=d) <= now and d not in done.get(recipient.id, set()))
        if not due:
            continue
        issued = _issue(session, recipient, now=now, expected_hash=recipient.token_hash, statuses=_ACTIVE)
        if issued is not None:
            mails.append(_invite(envelope, title, recipient, issued.text, reminder=True))
            reminded.setdefault(due, []).append(recipient.id)
    for due, recipient_ids in sorted(reminded.items()):
        audit.append(session, envelope, "reminded", at=now, actor="system",
                     details={"recipients": recipient_ids, "scheduled_days": list(due)})
    return mails


def expire(session: Session, *, now: dt.datetime) -> list[int]:
    """Expire every sent envelope past its expiry; return their ids."""
    expired = []
    for envelope in session.scalars(select(Envelope).where(Envelope.status == EnvelopeStatus.SENT,
                                                           Envelope.expires_at <= now)):
        if _set_status(session, envelope, (EnvelopeStatus.SENT,), EnvelopeStatus.EXPIRED, ended_at=now,
                       end_reason="expired"):
            session.execute(update(Recipient).where(Recipient.envelope_id == envelope.id).values(token_hash=None),
                            execution_options={"synchronize_session": False})
            audit.append(session, envelope, "expired", at=now, actor="system")
            expired.append(envelope.id)
    return expired


# -- signer side (token only) -----------------------------------------------------------------------


def resolve(session: Session, token_text: str, *, now: dt.datetime) -> Recipient:
    """Return the recipient whose live token this is; raise NotFound or Gone otherwise. Never writes."""
    if not tokens.well_formed(token_text):
        raise NotFound("This signing link is not valid.")
    recipient = session.scalar(select(Recipient).where(Recipient.token_hash == tokens.hash_token(token_text)))
    if recipient is None or not recipient.acts:
        raise NotFound("This signing link is not valid. If you were sent a newer link, use that one.")
    # The envelope's status as the database has it now: loaded fresh, or re-read when this
    # session already held it (a write earlier in the transaction may have changed it).
    cached = identity_key(Envelope, recipient.envelope_id) in session.identity_map
    envelope = recipient.envelope
    if cached:
        session.refresh(envelope)
    if envelope.status is not EnvelopeStatus.SENT:
        raise Gone({
            EnvelopeStatus.COMPLETED: "This document has been signed by everyone; the link no longer works.",
            EnvelopeStatus.VOIDED: "The sender voided this signature request.",
            EnvelopeStatus.DECLINED: "This signature request was declined and has ended.",
            EnvelopeStatus.EXPIRED: "This signature request has expired.",
        }.get(envelope.status, "This signature request is not active."))
    if envelope.expires_at <= now:
        raise Gone("This signature request has expired.")
    if not tokens.verify(token_text, recipient.token_hash, recipient.token_expires_at, now):
        raise Gone("This link has expired; ask the sender for a new one.")
    if recipient.status not in _ACTIVE:
        raise Gone("This link has already been used.")
    return recipient


def signed_copy(session: Session, token_text: str, *, now: dt.datetime) -> Recipient:
    """Return the recipient who signed (or approved) with this used link; raise NotFound or Gone otherwise.

    The link is scoped to its own envelope and recipient; it gives their copy for
    :data:`COPY_LIFETIME` after they signed, and nothing once the envelope was voided, declined
    or expired. Never writes.
    """
    if not tokens.well_formed(token_text):
        raise NotFound("This signing link is not valid.")
    recipient = session.scalar(select(Recipient).where(Recipient.signed_token_hash == tokens.hash_token(token_text)))
    if recipient is None or recipient.signed_at is None or not recipient.acts:
        raise NotFound("This signing link is not valid. If you were sent a newer link, use that one.")
    envelope = recipient.envelope
    session.refresh(envelope)
    ended = {EnvelopeStatus.VOIDED: "the sender then voided the request",
             EnvelopeStatus.DECLINED: "another recipient then declined, so the request ended",
             EnvelopeStatus.EXPIRED: "the request then expired before everyone signed"}.get(envelope.status)
    if ended is not None:
        raise Gone(f"You signed this on {recipient.signed_at:%d %B %Y}, but {ended}: there is no signed copy.")
    if now >= recipient.signed_at + COPY_LIFETIME:
        raise Gone("This link has expired. Your signed copy was attached to the completion email; ask the "
                   "sender if you need another.")
    return recipient


def check_turn(session: Session, recipient: Recipient) -> None:
    """Raise NotYourTurn unless everyone before ``recipient`` in the routing order has signed."""
    order = _current_group(session, recipient.envelope_id)
    if order is None:
        # Everyone has signed since this request looked the token up: a late duplicate.
        raise Gone("This document has already been signed.")
    if recipient.routing_order != order:
        raise NotYourTurn("It is not your turn to sign yet: others must sign first. You will get an email.")


def view(session: Session, token_text: str, *, now: dt.datetime) -> Recipient:
    """Return the recipient for a signing page; checks token and turn, records nothing (scanners prefetch)."""
    recipient = resolve(session, token_text, now=now)
    check_turn(session, recipient)
    return recipient


def _claim(session: Session, recipient: Recipient, token_text: str, **values: Any) -> bool:
    """Apply ``values`` to the recipient only while its token is still the live one; return whether it was."""
    result = session.execute(
        update(Recipient).where(Recipient.id == recipient.id, Recipient.token_hash == tokens.hash_token(token_text),
                                Recipient.status.in_(_ACTIVE)).values(**values),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(recipient)
    return True


def consent(session: Session, token_text: str, *, disclosure_version: str, client: Client,
            now: dt.datetime) -> Recipient:
    """Record the recipient's consent to electronic records and signatures (and that they opened it)."""
    recipient = view(session, token_text, now=now)
    if disclosure_version != DISCLOSURE_VERSION:
        raise Conflict("The disclosure changed while you were reading it; read it again and agree.")
    if recipient.consent_at is not None:
        return recipient
    if not _claim(session, recipient, token_text, consent_at=now, consent_version=disclosure_version,
                  status=RecipientStatus.VIEWED, ip=_ip(client), user_agent=_ua(client)):
        raise Gone("This link has already been used.")
    who = f"{recipient.role.value}:{recipient.email}"
    details = {"recipient_id": recipient.id}
    audit.append(session, recipient.envelope, "opened", at=now, actor=who, ip=client.ip,
                 user_agent=client.user_agent, details=details)
    audit.append(session, recipient.envelope, "consented", at=now, actor=who, ip=client.ip,
                 user_agent=client.user_agent, details={**details, "disclosure_version": disclosure_version,
                                                        "disclosure_sha256": sha256_text(DISCLOSURE_TEXT)})
    return recipient


def sign(session: Session, token_text: str, *, kind: str, typed_name: str = "", drawn: str = "",
         fields: Mapping[str, str] | None = None, client: Client, now: dt.datetime) -> Outcome:
    """Adopt and apply the recipient's signature (or approval); mail the next group when this one is done.

    ``fields`` holds the form's ``field-<n>`` values for the recipient's field definitions; a
    required one left empty raises InvalidInput (naming it) before anything changes.
    """
    recipient = view(session, token_text, now=now)
    envelope = recipient.envelope
    if recipient.consent_at is None:
        raise Conflict("Agree to sign electronically first.")
    version = session.get(Version, envelope.version_id)
    contract = session.get(Contract, envelope.contract_id)
    if version is None or version.blob_sha256 != envelope.version_sha256 or contract is None \
            or contract.latest is None or contract.latest.id != envelope.version_id:
        raise Gone("The document changed after it was sent; the sender must send it again.")
    values: dict[str, Any] = {"status": RecipientStatus.SIGNED, "signed_at": now, "token_hash": None,
                              "signed_token_hash": tokens.hash_token(token_text),
                              "ip": _ip(client), "user_agent": _ua(client)}
    try:
        if recipient.role is RecipientRole.APPROVER:
            values.update(signature_kind=SignatureKind.APPROVAL, signature_name=clean_name(recipient.name))
        elif kind == "drawn":
            values.update(signature_kind=SignatureKind.DRAWN, signature_name=clean_name(typed_name or recipient.name),
                          signature_image=to_data_url(png_from_data_url(drawn)))
        elif kind == "typed":
            values.update(signature_kind=SignatureKind.TYPED, signature_name=clean_name(typed_name))
        else:
            raise BadSignature("Choose a typed or a drawn signature.")
    except BadSignature as err:
        raise InvalidInput(str(err)) from None
    filled = field_values(recipient.fields, fields or {}, now=now)
    if filled:
        values["field_values"] = filled
    if not _claim(session, recipient, token_text, **values):
        raise Gone("This link has already been used.")
    mark = values.get("signature_image") or values["signature_name"]
    audit.append(session, envelope, "approved" if recipient.role is RecipientRole.APPROVER else "signed",
                 at=now, actor=f"{recipient.role.value}:{recipient.email}", ip=client.ip,
                 user_agent=client.user_agent,
                 details={"recipient_id": recipient.id, "name": recipient.name, "email": recipient.email,
                          "routing_order": recipient.routing_order, "kind": values["signature_kind"].value,
                          "signature_sha256": sha256_text(mark), "document_sha256": envelope.document_sha256,
                          **({"fields": filled} if filled else {})})
    # The append above holds the envelope's lock: what is read now includes every signature
    # committed before ours, so exactly one of two parallel last signers opens the next group.
    outcome = Outcome(recipient=recipient)
    if _current_group(session, envelope.id) is None:
        outcome.ready_to_complete = True
    else:
        outcome.mails = _open_group(session, envelope, now=now, client=Client(actor="system"))
    return outcome


def decline(session: Session, token_text: str, *, reason: str, client: Client, now: dt.datetime,
            withdrawn: bool = False) -> Recipient:
    """Decline to sign (or withdraw consent to electronic signing); the envelope ends for everyone."""
    recipient = view(session, token_text, now=now)
    envelope = recipient.envelope
    reason = " ".join((reason or "").split())[:MAX_REASON_CHARS]
    if withdrawn:
        reason = "Withdrew consent to electronic records and signatures." + (f" {reason}" if reason else "")
    if not reason:
        raise InvalidInput("Tell the sender why you decline.")
    if not _claim(session, recipient, token_text, status=RecipientStatus.DECLINED, declined_at=now,
                  decline_reason=reason, token_hash=None, ip=_ip(client), user_agent=_ua(client)):
        raise Gone("This link has already been used.")
    if not _set_status(session, envelope, (EnvelopeStatus.SENT,), EnvelopeStatus.DECLINED, ended_at=now,
                       end_reason=reason):
        raise Gone("This signature request is no longer active.")
    session.execute(update(Recipient).where(Recipient.envelope_id == envelope.id).values(token_hash=None),
                    execution_options={"synchronize_session": False})
    contract = session.get(Contract, envelope.contract_id)
    if contract is not None and contract.status is ContractStatus.SIGNING:
        contract.status = ContractStatus.NEGOTIATION
    audit.append(session, envelope, "consent_withdrawn" if withdrawn else "declined", at=now,
                 actor=f"{recipient.role.value}:{recipient.email}", ip=client.ip, user_agent=client.user_agent,
                 details={"recipient_id": recipient.id, "reason": reason})
    return recipient


def sender_notice(envelope: Envelope, what: str) -> list[Mail]:
    """Return a notice to the envelope's sender when the sender is a person with an email."""
    if "@" not in envelope.created_by or envelope.created_by.startswith("token:"):
        return []
    return [Mail(to=envelope.created_by, subject=f"{what}: {envelope.subject}",
                 body=f"Envelope {envelope.id} is now {envelope.status.value}."
                      + (f"\nReason: {envelope.end_reason}" if envelope.end_reason else ""))]


def _ip(client: Client) -> str | None:
    return client.ip[:64] if client.ip else None


def _ua(client: Client) -> str | None:
    return client.user_agent[:400] if client.user_agent else None


# -- completion -------------------------------------------------------------------------------------


def complete(session: Session, envelope_id: int, *, now: dt.datetime, instance_path: str) -> list[Mail]:
    """Seal and complete an envelope whose recipients have all signed; return mail to send.

    Safe to call any number of times, from several processes at once: the PDF may be made
    twice, but only the request whose conditional UPDATE moves the envelope from sent to
    completed stores it, adds the signed version and calls ``_on_completed``.
    """
    from clm.signing import certificate, keys, seal

    envelope = get_envelope(session, envelope_id)
    session.refresh(envelope)
    if envelope.status is not EnvelopeStatus.SENT or _current_group(session, envelope.id) is not None:
        return []
    version = session.get(Version, envelope.version_id)
    contract = store.get_contract(session, envelope.contract_id)
    if version is None or version.blob_sha256 != envelope.version_sha256 \
            or sha256_text(version.text) != envelope.document_sha256:
        log.error("envelope %s: the signed version no longer matches its hashes; not completing", envelope.id)
        raise Conflict("The signed document no longer matches the hashes recorded when it was sent.")
    if contract.latest is None or contract.latest.id != version.id:
        log.error("envelope %s: the contract has a newer version; not completing", envelope.id)
        raise Conflict("The contract has a newer version than the one signed; it cannot be completed.")
    for recipient in envelope.recipients:
        session.refresh(recipient)
    events = audit.events_of(session, envelope.id)
    broken = audit.verify_chain(events, audit.chain_key(session, envelope.id))
    if broken is not None:
        log.error("envelope %s: %s; not completing", envelope.id, audit.describe_break(broken))
        raise Conflict(f"The audit trail of envelope {envelope.id} is broken; it cannot be completed.")
    key_path, cert_path = keys.ensure_signing_identity(instance_path)
    seal_fingerprint = keys.installation_fingerprint(instance_path)
    cert_url = certificate_url(envelope.link_base)
    html, assets = certificate.final_html(envelope, contract, version, envelope.recipients, events, sealed_at=now,
                                          seal_fingerprint=seal_fingerprint, cert_url=cert_url)
    from clm.pdf import html_to_pdf

    pdf = seal.seal_pdf(html_to_pdf(html, assets=assets, stylesheets=certificate.STYLESHEETS), key_path, cert_path,
                        reason=f"clm envelope {envelope.id} completed")
    if not _set_status(session, envelope, (EnvelopeStatus.SENT,), EnvelopeStatus.COMPLETED, completed_at=now,
                       ended_at=now):
        return []
    signed = store.add_signed_version(session, contract, version, pdf, filename=f"{contract.title[:80]} signed.pdf",
                                      author="clm signing", created_at=now)
    number = signed.number
    session.execute(update(Envelope).where(Envelope.id == envelope.id)
                    .values(final_blob_sha256=signed.blob_sha256, final_version_id=signed.id),
                    execution_options={"synchronize_session": False})
    session.refresh(envelope)
    contract.status = ContractStatus.EXECUTED
    audit.append(session, envelope, "completed", at=now, actor="system",
                 details={"pdf_sha256": signed.blob_sha256, "version": number,
                          "sealed_chain_head": events[-1].hash if events else audit.GENESIS,
                          "sealed_chain_seq": events[-1].seq if events else 0})
    _on_completed(session, envelope)
    notice = (f"\"{contract.title}\" has been signed by everyone. The sealed PDF is attached; "
              f"its SHA-256 is {signed.blob_sha256}.\n\n"
              f"It is sealed with the certificate whose SHA-256 fingerprint is\n{seal_fingerprint}\n"
              f"(published at {cert_url}). Keep this email: the fingerprint is what proves the PDF came "
              f"from us.\n\n"
              f"Check the PDF any time on {verify_url(envelope.link_base)} : upload it, and the page tells you "
              f"who sealed it, when, and whether anything in it has changed. From the command line:\n"
              f"  clm verify \"signed.pdf\" --fingerprint {seal_fingerprint}\n"
              f"Your signing link also still gives you your copy.")
    return [Mail(to=r.email, subject=f"Completed: {envelope.subject}", body=f"Hello {r.name},\n\n{notice}",
                 attachments=((store.safe_filename(f"{contract.title[:80]} signed.pdf"), pdf),))
            for r in envelope.recipients] + sender_notice(envelope, "Completed")


def certificate_url(link_base: str | None) -> str:
    """Return where the installation publishes its sealing certificate (``/verify/certificate.pem``)."""
    return f"{(link_base or '').rstrip('/')}/verify/certificate.pem"


def verify_url(link_base: str | None) -> str:
    """Return the installation's public verify page."""
    return f"{(link_base or '').rstrip('/')}/verify"


def awaiting_completion(session: Session) -> list[int]:
    """Return the sent envelopes whose recipients have all signed but which are not completed
    (a crash between the last signature and its completion leaves one behind)."""
    ids = list(session.scalars(select(Envelope.id).where(Envelope.status == EnvelopeStatus.SENT).order_by(Envelope.id)))
    return [envelope_id for envelope_id in ids if _current_group(session, envelope_id) is None]


def complete_pending(session: Session, *, now: dt.datetime, instance_path: str) -> list[Mail]:
    """Complete every envelope awaiting completion in this one transaction; return the mail to send."""
    mails: list[Mail] = []
    for envelope_id in awaiting_completion(session):
        mails += complete(session, envelope_id, now=now, instance_path=instance_path)
    return mails


# -- the contract page's panel --------------------------------------------------------------------


@dataclass(frozen=True)
class PanelRow:
    """One envelope as the contract page lists it (primitives only, no ORM objects)."""

    id: int
    subject: str
    status: str
    version_number: int | None
    created_at: dt.datetime
    signed: int
    signers: int
    has_final_pdf: bool


@dataclass(frozen=True)
class SigningPanel:
    """What the contract page shows about signing."""

    contract_id: int
    rows: tuple[PanelRow, ...]
    #: Whether a new envelope may be created now (a version exists and none is out for signature).
    can_send: bool
    reason: str | None


def signing_panel(session: Session, contract: Contract) -> SigningPanel:
    """Return the contract page's signing panel."""
    numbers = {v.id: v.number for v in contract.versions}
    rows = []
    for envelope in envelopes_of(session, contract.id):
        acting = [r for r in envelope.recipients if r.acts]
        rows.append(PanelRow(envelope.id, envelope.subject, envelope.status.value, numbers.get(envelope.version_id),
                             envelope.created_at, sum(r.status is RecipientStatus.SIGNED for r in acting),
                             len(acting), envelope.final_blob_sha256 is not None))
    reason = None
    if contract.latest is None:
        reason = "Upload a version first."
    elif contract.status in (ContractStatus.EXECUTED, ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        reason = f"The contract is {contract.status.value}."
    elif any(r.status == EnvelopeStatus.SENT.value for r in rows):
        reason = "An envelope is out for signature."
    return SigningPanel(contract.id, tuple(rows), reason is None, reason)


def audit_events(session: Session, envelope_id: int) -> tuple[list[AuditEvent], AuditEvent | None]:
    """Return an envelope's audit events and the first that breaks the chain (None when intact)."""
    events = audit.events_of(session, envelope_id)
    return events, audit.verify_chain(events, audit.chain_key(session, envelope_id))
