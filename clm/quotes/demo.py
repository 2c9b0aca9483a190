"""Demo quotes for ``clm init --demo``: the shipped catalog and one quote awaiting approval."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select

from clm.quotes import services
from clm.quotes.models import Quote

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEMO_REQUEST = {
    "customer": "Initech Corporation", "currency": "USD", "bundle": "ENTERPRISE", "term_months": 12,
    "discount": "5", "promotions": ["LAUNCH10"],
    "lines": [{"product": "PLATFORM", "quantity": 120, "discount": "20"},
              {"product": "ANALYTICS", "quantity": 120},
              {"product": "IMPLEMENTATION", "quantity": 1}],
}


def seed(session: Session, today: dt.date | None = None) -> list[str]:
    """Load the shipped catalog and add a demo quote once; return report lines."""
    from clm.quotes.commands import DEFAULT_CATALOG, read_catalog_file

    row, new = services.load_catalog(session, read_catalog_file(DEFAULT_CATALOG), source=str(DEFAULT_CATALOG.name),
                                     by="demo")
    lines = [f"Quote catalog version {row.version} {'loaded' if new else 'unchanged'}."]
    if session.scalar(select(Quote.id).limit(1)) is None:
        today = today or dt.date.today()
        request = dict(DEMO_REQUEST, start_date=(today + dt.timedelta(days=30)).isoformat())
        quote = services.create_quote(session, request, by="legal@example.com", today=today)
        lines.append(f"Demo quote {quote.number} for {quote.customer} ({quote.status.value.replace('_', ' ')}).")
    return lines
