"""The contract page: versions, the redline picker and the terms panel on one screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, current_app, render_template

from clm import access, db
from clm.access import current_principal, require
from clm.clauses.approvals import review_for
from clm.clauses.services import terms_panel
from clm.downstream.views import downstream_panel
from clm.quotes import services as quotes
from clm.signing.envelopes import signing_panel
from clm.versions import store

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from sqlalchemy.orm import Session

bp = Blueprint("contracts", __name__)


@bp.route("/contracts/<int:contract_id>")
@require("contracts.read")
def show(contract_id: int) -> ResponseReturnValue:
    """Show a contract: its versions, a redline picker and its terms."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    # The order, invoices and revenue are finance data: shown here only to whoever the finance
    # pages and API show them to (clm.access), never computed for anyone else.
    finance = access.may_see(current_principal(), "finance")
    return render_template("contracts/show.html", contract=contract, terms=terms_panel(session, contract),
                           review=review_for(session, contract, current_app.config),
                           signing=signing_panel(session, contract),
                           downstream=downstream_panel(session, contract) if finance else None,
                           quote=_quote_panel(session, contract_id))


def _quote_panel(session: Session, contract_id: int) -> dict[str, object] | None:
    """The quote a contract was accepted from and what its latest version changes of it, or None."""
    quote = quotes.quote_for_contract(session, contract_id)
    if quote is None:
        return None
    return {"quote": quote, "drift": quotes.drift(session, quote)}
