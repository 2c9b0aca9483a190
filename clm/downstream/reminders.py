"""Renewal reminders: email finance and legal N days before a non-renewal notice deadline, once per offset."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clm.downstream.models import OrderCancellation, Renewal, RenewalReminder
from clm.mail import Mail, Mailer, to_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


def parse_offsets(raw: str) -> tuple[int, ...]:
    """Return the reminder offsets of ``CLM_RENEWAL_REMINDER_DAYS`` ("90,60,30"), largest first; ValueError naming it."""
    offsets: set[int] = set()
    for part in str(raw).split(","):
        text = part.strip()
        if not text:
            continue
        if not text.isdigit() or int(text) > 3660:
            raise ValueError(f"CLM_RENEWAL_REMINDER_DAYS: {text[:20]!r} must be a whole number of days (0 to 3660), "
                             "e.g. 90,60,30")
        offsets.add(int(text))
    return tuple(sorted(offsets, reverse=True))


@dataclass(frozen=True)
class Reminder:
    """A reminder due today: the renewal, its deadline, and the offsets it covers (the nearest first)."""

    renewal_id: int
    contract_id: int
    title: str
    counterparty: str
    notice_deadline: date
    renewal_date: date
    #: Every configured offset whose day has come and that was not sent yet, nearest (smallest) first.
    offsets: tuple[int, ...]
    #: Evergreen: at ``renewal_date`` the contract runs on until terminated rather than renewing for a term.
    evergreen: bool = False

    @property
    def days_left(self) -> int:
        return self.offsets[0]


def due_reminders(session: Session, today: date, offsets: tuple[int, ...]) -> list[Reminder]:
    """Return the reminders due on ``today``: for each active order's coming notice deadline, the offsets reached.

    An offset is reached from ``deadline - offset`` to the deadline itself, so a run missed on
    the exact day still sends. Offsets already sent for that deadline are left out; when
    several are reached at once (the first run, or a contract signed close to its deadline)
    one mail goes out for the nearest and the others are recorded with it.
    """
    from clm.downstream.reports import current_renewal
    from clm.versions.models import Contract

    if not offsets:
        return []
    sent = {(r, d, o) for r, d, o in session.execute(
        select(RenewalReminder.renewal_id, RenewalReminder.notice_deadline, RenewalReminder.offset_days))}
    out = []
    rows = session.execute(select(Renewal, Contract)
                           .join(Contract, Contract.id == Renewal.contract_id)
                           .where(Renewal.order_id.not_in(select(OrderCancellation.order_id))).order_by(Renewal.id))
    for renewal, contract in rows:
        event = current_renewal(renewal, today)
        if event is None or event.notice_deadline is None or event.notice_deadline < today:
            continue
        deadline = event.notice_deadline
        reached = sorted(o for o in offsets if deadline - timedelta(days=o) <= today
                         and (renewal.id, deadline, o) not in sent)
        if reached:
            out.append(Reminder(renewal.id, contract.id, contract.title, contract.counterparty or "", deadline,
                                event.renewal_date, tuple(reached), event.evergreen))
    return out


def recipients(session: Session, settings: Mapping[str, Any]) -> list[str]:
    """Return who gets reminders: ``CLM_RENEWAL_REMINDER_TO``, else every active finance and legal user."""
    from clm.users import Role, User

    configured = [a.strip() for a in str(settings.get("RENEWAL_REMINDER_TO") or "").split(",") if a.strip()]
    if configured:
        return configured
    return list(session.scalars(select(User.email).where(User.active.is_(True),
                                                         User.role.in_([Role.FINANCE, Role.LEGAL]))
                                .order_by(User.email)))


def compose(reminder: Reminder, to: str, today: date, link: str = "", locale: str = "en-US") -> Mail:
    """Return the reminder mail for one recipient, its dates as ``locale`` writes them ("October 30, 2026")."""
    from clm.values.display import date_text

    days = (reminder.notice_deadline - today).days
    subject = (f"Renewal notice deadline in {days} day{'s' if days != 1 else ''}: {reminder.title}"
               if days else f"Renewal notice deadline today: {reminder.title}")
    what = (f"ends its initial term on {date_text(reminder.renewal_date - timedelta(days=1), locale)} and then "
            "runs on with no fixed end, until a party terminates it (evergreen)"
            if reminder.evergreen else f"renews automatically on {date_text(reminder.renewal_date, locale)}")
    body = (f"{reminder.title} ({reminder.counterparty or 'no counterparty'}, contract {reminder.contract_id}) "
            f"{what}.\n\n"
            f"The last day to give notice of non-renewal is {date_text(reminder.notice_deadline, locale)} "
            f"({days} day{'s' if days != 1 else ''} from {date_text(today, locale)}).\n\n"
            + ("Decide now whether to let it run on or to give notice; once it runs on, notice can "
               "end it at any time.\n" if reminder.evergreen else
               "Decide now whether to renew (start the renewal from the contract page, with a price uplift "
               "within the contract's cap) or to give notice.\n"))
    if link:
        body += f"\n{link}\n"
    return Mail(to=to, subject=subject, body=body)


@dataclass(frozen=True)
class SentReminder:
    """One reminder the run sent: to whom, for which deadline and offsets."""

    contract_id: int
    notice_deadline: date
    offsets: tuple[int, ...]
    to: tuple[str, ...]


def send_reminders(factory: sessionmaker[Session], settings: Mapping[str, Any], mailer: Mailer, today: date,
                   *, public_url: str = "") -> list[SentReminder]:
    """Send every reminder due on ``today``, each exactly once; return what was sent.

    Each reminder is one transaction: it first inserts its (renewal, deadline, offset) rows
    against their UNIQUE key; only the run whose insert went in sends, and a failed send
    rolls the rows back so the next run tries again. Two runs at once send one mail.
    """
    from clm.db import transaction_for, utcnow
    from clm.db import insert_ignore

    offsets = parse_offsets(str(settings.get("RENEWAL_REMINDER_DAYS") or ""))
    sender = str(settings.get("MAIL_FROM") or "clm <no-reply@localhost>")
    with transaction_for(factory) as session:
        due = due_reminders(session, today, offsets)
        to = recipients(session, settings)
    if not to:
        if due:
            log.warning("%d renewal reminder(s) due but nobody to send them to (no finance or legal user, "
                        "CLM_RENEWAL_REMINDER_TO empty)", len(due))
        return []
    done = []
    for reminder in due:
        with transaction_for(factory) as session:
            now = utcnow()
            nearest, *rest = reminder.offsets
            key = {"renewal_id": reminder.renewal_id, "contract_id": reminder.contract_id,
                   "notice_deadline": reminder.notice_deadline, "sent_at": now}
            claimed = _claim(session, {**key, "offset_days": nearest, "sent_to": ", ".join(to)})
            if not claimed:
                continue  # another run sent it
            insert_ignore(session, RenewalReminder, [{**key, "offset_days": o, "sent_to": ""} for o in rest],
                          ("renewal_id", "notice_deadline", "offset_days"))
            link = f"{public_url.rstrip('/')}/contracts/{reminder.contract_id}" if public_url else ""
            for address in to:
                # Raises on failure: the transaction rolls back and the reminder stays due.
                mailer.send(to_message(compose(reminder, address, today, link,
                                               str(settings.get("DATE_LOCALE") or "en-US")), sender))
        done.append(SentReminder(reminder.contract_id, reminder.notice_deadline, reminder.offsets, tuple(to)))
    return done


def _claim(session: Session, row: dict[str, Any]) -> bool:
    """Insert one reminder row unless its (renewal, deadline, offset) exists; return whether it went in."""
    from clm.db import insert_ignore

    return bool(insert_ignore(session, RenewalReminder, [row], ("renewal_id", "notice_deadline", "offset_days")))
