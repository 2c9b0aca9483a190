"""From a priced quote to what the contract carries: the commercial-terms document and the Order Form values.

Pure. :func:`terms_document` returns the JSON document that ``clm.downstream.terms.parse_terms``
reads, so billing and revenue read an accepted quote exactly as they read any contract's terms.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from clm.quotes.pricing import PricedLine, PricedQuote
from clm.values import durations, money

#: How the Order Form words a billing frequency.
BILLING_WORDS = {"annual": "annually in advance", "quarterly": "quarterly in advance",
                 "monthly": "monthly in advance", "once": "once"}


def line_id(index: int, line: PricedLine) -> str:
    """Return the id a quote line has in the commercial terms (its SKU, lower case)."""
    return line.sku.lower()


def _terms_line(index: int, line: PricedLine, quote: PricedQuote) -> dict[str, Any]:
    start = quote.start_date
    out: dict[str, Any] = {
        "id": line_id(index, line),
        "description": f"{line.name}, {line.quantity} {line.unit}{'s' if line.quantity != 1 else ''}",
        "price": line.net_total, "ssp": line.ssp_total, "recognition": line.recognition,
    }
    if line.kind == "recurring":
        out.update(start=start.isoformat(), end=quote.end_date.isoformat(),
                   billing={"frequency": line.billing, "timing": "advance"})
        return out
    delivery = durations.parse(line.delivery) if line.delivery else None
    if line.recognition == "ratable":
        assert delivery is not None  # the catalog requires a service period
        out.update(start=start.isoformat(), end=(delivery.after(start) - timedelta(days=1)).isoformat())
    else:
        out["satisfied_on"] = (delivery.after(start) if delivery else start).isoformat()
    out["billing"] = {"frequency": "once", "timing": "advance", "on": start.isoformat()}
    return out


def terms_document(quote: PricedQuote, *, signed_on: date) -> dict[str, Any]:
    """Return the commercial-terms document of an accepted quote (``parse_terms`` reads it unchanged).

    Each quote line becomes one line: its net total is the price, its SSP total the standalone
    selling price; a recurring line runs over the subscription term, billed by its product's
    frequency in advance; a one-time line is invoiced once on the start date and recognized over
    its service period (ratable) or when delivered (point in time).
    """
    renewal: dict[str, Any] = {"auto_renewal": quote.auto_renewal}
    if quote.auto_renewal:
        renewal["renewal_term"] = quote.renewal_term
        renewal["non_renewal_notice"] = quote.non_renewal_notice
    return {
        "currency": quote.currency,
        "signed_on": signed_on.isoformat(),
        "payment_terms_days": quote.payment_terms_days,
        "lines": [_terms_line(i, line, quote) for i, line in enumerate(quote.lines)],
        "renewal": renewal,
    }


def money_text(amount: str, currency: str) -> str:
    """Return ``amount`` as the contract writes money: "USD 12,000.00"."""
    return money.format_amount(Decimal(amount), currency)


def order_lines_text(quote: PricedQuote) -> str:
    """Return the quote's lines as one sentence for the Order Form."""
    parts = []
    for line in quote.lines:
        per = f" per {line.unit} per year" if line.kind == "recurring" else f" per {line.unit}"
        discount = ""
        if line.net_total != line.list_total:
            discount = f", less discounts of {money_text(_minus(line.list_total, line.net_total), quote.currency)}"
        parts.append(f"{line.name} ({line.sku}), {line.quantity} x {money_text(line.unit_price, quote.currency)}"
                     f"{per}{discount}, fee {money_text(line.net_total, quote.currency)}")
    return "; ".join(parts)


def _minus(a: str, b: str) -> str:
    return str(Decimal(a) - Decimal(b))


def recurring_billing(quote: PricedQuote) -> str:
    """Return how the recurring lines are billed ("annually in advance"), or the first line's way."""
    frequencies = [ln.billing for ln in quote.lines if ln.kind == "recurring"] or ["once"]
    return BILLING_WORDS[frequencies[0]]


def order_form_values(quote: PricedQuote, *, number: str, order_date: date, provider: str | None = None) -> dict[str, Any]:
    """Return the values of the ``quote_order_form`` template for an accepted quote."""
    values: dict[str, Any] = {
        "customer_name": quote.customer,
        "quote_number": number,
        "order_date": order_date.isoformat(),
        "start_date": quote.start_date.isoformat(),
        "order_lines": order_lines_text(quote),
        "total_fees": money_text(quote.tcv, quote.currency),
        "annual_fee": money_text(quote.acv, quote.currency),
        "billing_frequency": recurring_billing(quote),
        "initial_term": f"P{quote.term_months}M",
        "payment_terms": f"P{quote.payment_terms_days}D" if quote.payment_terms_days else "P1D",
        "renewal_term": quote.renewal_term,
        "renewal_notice_period": quote.non_renewal_notice,
    }
    if provider:
        values["provider_name"] = provider
    return values
