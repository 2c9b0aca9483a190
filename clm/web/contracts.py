"""The contract page: one tab per concern (overview, versions, redline, clauses, terms, signature, finance).

Every tab is a URL (``?tab=terms``) rendered by the server, so the page works without
JavaScript; ``static/tabs.js`` only switches tabs in place and adds the arrow keys. A form on
the page redirects back to its own tab with ``at=<anchor>`` so that the message about what the
user did is shown next to the form they used, not at the top of the page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, render_template, request

from clm import access, db
from clm.access import current_principal, require
from clm.clauses.approvals import review_for
from clm.clauses.services import terms_panel
from clm.downstream.views import downstream_panel
from clm.quotes import services as quotes
from clm.signing.envelopes import signing_panel
from clm.versions import reading, store

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from sqlalchemy.orm import Session

    from clm.clauses.approvals import Review
    from clm.clauses.services import TermsPanel
    from clm.downstream.reports import Panel

bp = Blueprint("contracts", __name__)

#: The tabs of the contract page, in order: (id, label). "finance" is shown to finance only.
TABS = (("overview", "Overview"), ("versions", "Versions"), ("redline", "Redline"), ("clauses", "Clauses"),
        ("terms", "Terms"), ("signature", "Signature"), ("finance", "Finance"))
_AT = re.compile(r"[a-z]+(?:-[a-z0-9_]{1,40})?")


@bp.route("/contracts/<int:contract_id>")
@require("contracts.read")
def show(contract_id: int) -> ResponseReturnValue:
    """Show a contract: a tab per concern, the selected one (``?tab=``) open."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    # The order, invoices and revenue are finance data: shown here only to whoever the finance
    # pages and API show them to (clm.access), never computed for anyone else.
    finance = access.may_see(current_principal(), "finance")
    tabs = [(key, label) for key, label in TABS if key != "finance" or finance]
    terms = terms_panel(session, contract)
    review = review_for(session, contract, current_app.config)
    downstream = downstream_panel(session, contract) if finance else None
    tab = request.args.get("tab", "overview")
    if tab not in dict(tabs):
        tab = "overview"
    return render_template("contracts/show.html", contract=contract, terms=terms, review=review,
                           signing=signing_panel(session, contract), downstream=downstream,
                           quote=_quote_panel(session, contract_id), tabs=tabs, tab=tab,
                           reads=reading.contract_reads(session, contract, current_app.config),
                           at=placed_at(request.args.get("at"), tab, terms, review),
                           overview=overview(terms, downstream, dt.date.today()))


def placed_at(raw: str | None, tab: str, terms: TermsPanel, review: Review) -> str | None:
    """Return where the page shows the request's messages: a form's anchor on the open tab, or None (the top).

    ``at`` names the form the user acted in (``term-governing_law``, ``clause-<hash>``,
    ``upload``). A form that is no longer on the page (the row went away) places the messages
    at the top of the open tab, so that they are never lost.
    """
    if not raw or not _AT.fullmatch(raw):
        return None
    # Each form's anchor, and the tab it is on: a message is shown only where it can be seen.
    anchors = {"upload": "versions", "finance": "finance", "renewal-form": "finance", "cancel-form": "finance",
               "payment-form": "finance"}
    anchors.update((f"term-{row.field.name}", "terms") for row in terms.rows)
    anchors.update((f"clause-{row.hash[:12]}", "clauses") for row in (*review.rows, *review.missing))
    return raw if anchors.get(raw) == tab else f"tab-{tab}"


@dataclass(frozen=True)
class Overview:
    """What the first screen of a contract shows: parties, value and the next deadline."""

    parties: str | None
    value: str | None
    #: (what, day) of the next deadline, e.g. ("Notice of non-renewal", 2027-01-01).
    deadline: tuple[str, dt.date] | None
    #: The source of the figures: "confirmed" when every one shown is confirmed, else "extracted".
    source: str


def overview(terms: TermsPanel, downstream: Panel | None, today: dt.date) -> Overview:
    """Return the overview of a contract from its terms (confirmed values first), or its order for finance."""
    from clm.values import fields, money

    values: dict[str, Any] = {}
    extracted_only = False
    for row in terms.rows:
        if row.decision is not None and row.decision.action.value != "cleared":
            stored = row.decision.value
        elif row.extracted is not None:
            stored, extracted_only = row.extracted.value, True
        else:
            continue
        try:
            typed = fields.parse(row.field.name, stored)
        except ValueError:
            continue  # a value an older clm stored and that no longer reads: the Terms tab shows it
        if typed == fields.PERPETUAL and row.field.name != "renewal_term":
            continue  # no end of term: no deadline comes from it (an evergreen renewal term still has one)
        values[row.field.name] = (stored, typed)
    parties = fields.format("parties", values["parties"][0]) if "parties" in values else None
    value = fields.format("fees", values["fees"][0]) if "fees" in values else None
    deadline = _next_deadline({k: v[1] for k, v in values.items()}, today)
    if downstream is not None and downstream.order is not None:
        # Finance sees the signed order: its total and its renewal are the authority once signed.
        order = downstream.order
        try:
            value = money.format(money.Money(money.amount(order["total"], order["currency"]),
                                             money.currency(order["currency"])))
        except ValueError:
            value = f"{order['currency']} {order['total']}"
        upcoming = (downstream.renewal or {}).get("upcoming")
        if upcoming and order.get("status") != "cancelled":
            deadline = _first_ahead([("Notice of non-renewal", upcoming.get("notice_deadline")),
                                     ("Renewal", upcoming.get("renewal_date"))], today) or deadline
    return Overview(parties, value, deadline, "extracted" if extracted_only else "confirmed")


def _first_ahead(candidates: list[tuple[str, Any]], today: dt.date) -> tuple[str, dt.date] | None:
    for what, day in candidates:
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                continue
        if isinstance(day, dt.date) and day >= today:
            return what, day
    return None


def _next_deadline(values: dict[str, Any], today: dt.date) -> tuple[str, dt.date] | None:
    """Return the next notice deadline or end of term that the terms give, or None."""
    from clm.downstream.renewals import renewal_event

    start = values.get("effective_date") or values.get("agreement_date")
    end = values.get("expiration_date")
    if end is None and start is not None and values.get("initial_term") is not None:
        end = values["initial_term"].after(start) - dt.timedelta(days=1)
    if end is None:
        return None
    from clm.values.fields import PERPETUAL

    evergreen = values.get("renewal_term") == PERPETUAL
    event = renewal_event("", start or end, end, bool(values.get("auto_renewal")) or evergreen,
                          None if evergreen else values.get("renewal_term"), values.get("non_renewal_notice"), today,
                          evergreen=evergreen)
    if event is None:
        return None
    if event.auto_renewal:
        return _first_ahead([("Notice of non-renewal", event.notice_deadline),
                             ("Runs on until terminated" if event.evergreen else "Renewal", event.renewal_date)],
                            today)
    return _first_ahead([("End of term", event.term_end)], today)


def _quote_panel(session: Session, contract_id: int) -> dict[str, object] | None:
    """The quote a contract was accepted from and what its latest version changes of it, or None."""
    quote = quotes.quote_for_contract(session, contract_id)
    if quote is None:
        return None
    return {"quote": quote, "drift": quotes.drift(session, quote)}
