"""Journal entries: the ledger form of a contract's invoices and revenue (ASC 606-10-45-1 to 45-5).

Pure: terms, invoices and a revenue schedule in, balanced entries out. Each date's entries
balance (debits = credits), the revenue credits of a line in a month are that month's amount of
the revenue schedule, the receivable debits are the invoices (with their tax, credited to
sales tax payable), and the contract liability
(deferred revenue) and contract asset balances at any date are those of
``clm revenue --as-of`` (``revenue.balance``).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from clm import csvfile
from clm.downstream.billing import Invoice, invoice_tax
from clm.downstream.revenue import RevenueSchedule
from clm.downstream.terms import ContractTerms
from clm.errors import InvalidInput
from clm.values import money

#: The accounts a journal posts to, and their names unless the chart of accounts maps them.
ACCOUNTS = {
    "receivable": "Accounts receivable",
    "contract_asset": "Contract asset (unbilled receivable)",
    "contract_liability": "Contract liability (deferred revenue)",
    "revenue": "Revenue",
    "tax_payable": "Sales tax payable",
    "cash": "Cash",
}
ONE_DAY = timedelta(days=1)


class ChartError(InvalidInput):
    """The chart-of-accounts setting cannot be read."""


def parse_chart(text: str) -> dict[str, str]:
    """Return the chart of accounts from the ``CLM_CHART_OF_ACCOUNTS`` setting.

    ``receivable=1200,contract_asset=1210,contract_liability=2300,revenue=4000,revenue:saas=4010,tax_payable=2200``:
    each account mapped to your ledger's code or name, and optionally a revenue account per line
    (``revenue:<line id>``) and a tax account per jurisdiction (``tax_payable:GB``, ``tax_payable:CA-BC``).
    Unmapped accounts keep their names (``ACCOUNTS``).
    """
    chart: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise ChartError(f"CLM_CHART_OF_ACCOUNTS: {part[:60]!r} must be account=code")
        per, _colon, which = key.partition(":")
        if key not in ACCOUNTS and not (per in ("revenue", "tax_payable") and which):
            raise ChartError(f"CLM_CHART_OF_ACCOUNTS: {key[:40]!r} is not one of {', '.join(ACCOUNTS)}, "
                             "revenue:<line id> or tax_payable:<jurisdiction>")
        chart[key] = value
    return chart


@dataclass(frozen=True)
class Received:
    """Cash received on ``date`` against invoice ``invoice`` (its scheduled number, as the memos give it)."""

    date: date
    invoice: str
    amount: Decimal
    reference: str | None = None


@dataclass(frozen=True)
class Entry:
    """One journal line: an amount debited or credited to one account on one date."""

    date: date
    account: str
    debit: Decimal
    credit: Decimal
    line: str
    memo: str


def _month_end(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1) - ONE_DAY


def build_journal(terms: ContractTerms, billed: Sequence[Invoice], revenue: RevenueSchedule,
                  as_of: date | None = None, chart: Mapping[str, str] | None = None,
                  tax_rates: Mapping[str, Decimal] | None = None,
                  payments: Sequence[Received] = ()) -> list[Entry]:
    """Return the contract's journal entries through ``as_of`` (everything when None).

    * An invoice (or a credit note, a negative invoice) debits accounts receivable per line and
      credits the contract position: first the contract asset, while one stands, then the
      contract liability (606-10-45-4: a receivable is recognized once the right is unconditional).
    * The tax on an invoice (``tax_rates`` by the bill-to's jurisdiction, as the invoice a
      customer pays shows it: ``billing.invoice_tax``) debits accounts receivable and credits
      sales tax payable, per jurisdiction; it is the customer's money held for the tax
      authority, never revenue, so the contract position does not move. A credit note reverses
      its share.
    * Cash received against an invoice (``payments``) debits cash and credits accounts
      receivable on the day it came in.
    * A ``cancellable`` contract (Example 38 Case A) has no receivable for an invoice the
      customer can still walk away from: the right is unconditional for what is paid or
      earned, so the contract's unconditional amount is max(cash, min(billed, recognized))
      (without tax). An invoice alone posts nothing; cash debits cash and credits the contract
      position (an advance payment is a contract liability); revenue earned and billed but not
      paid becomes a receivable. The tax on an invoice is posted as above, and each payment
      settles its proportional share of that tax.
    * Revenue is posted per line at each month's end (``as_of`` for its own month) for the
      month's amount of the revenue schedule: it debits the contract liability, while one stands,
      then the contract asset, and credits revenue. A negative month (a concession, a
      catch-up down) reverses that.

    The position is the contract's net (606-10-45-1): billed (for a cancellable contract, the
    unconditional amount) minus recognized, a liability when positive, an asset when negative,
    never both. Raises InvalidInput naming ``as_of`` when it
    is before the contract was signed.
    """
    if as_of is not None and as_of < terms.signed_on:
        raise InvalidInput(f"as_of: {as_of} is before the contract was signed ({terms.signed_on})")
    cur = terms.currency
    names = dict(ACCOUNTS)
    names.update({k: v for k, v in (chart or {}).items() if k in ACCOUNTS})

    def revenue_account(line: str) -> str:
        return (chart or {}).get(f"revenue:{line}", names["revenue"])

    def tax_account(jurisdiction: str) -> str:
        return (chart or {}).get(f"tax_payable:{jurisdiction}", names["tax_payable"])

    jurisdiction = terms.bill_to.jurisdiction if terms.bill_to is not None else None
    # (date, order, line, amount, memo): 0 an invoice line, 1 a month's revenue, 2 an invoice's tax
    # (its line is the jurisdiction), 3 cash received (its line is the invoice).
    events: list[tuple[date, int, str, Decimal, str]] = []
    for inv in billed:
        if as_of is None or inv.date <= as_of:
            for ln in inv.lines:
                if ln.amount:
                    events.append((inv.date, 0, ln.line_id, ln.amount, f"{inv.number} {ln.description}".strip()))
            for tax in invoice_tax(inv.total, jurisdiction, dict(tax_rates or {}), cur):
                if tax.amount:
                    events.append((inv.date, 2, tax.jurisdiction, tax.amount,
                                   f"{inv.number} tax {tax.jurisdiction} {tax.rate.normalize():f}%"))
    for cash in payments:
        if as_of is None or cash.date <= as_of:
            said = f"{cash.invoice} payment {cash.reference or ''}".strip()
            events.append((cash.date, 3, cash.invoice, cash.amount, said))
    by_month: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in revenue.entries:
        by_month[(e.period, e.line_id)] += e.amount
    for (period, line), amount in by_month.items():
        end = _month_end(date.fromisoformat(f"{period}-01"))
        if as_of is not None and as_of < end:
            if as_of < date.fromisoformat(f"{period}-01"):
                continue
            amount = _recognized_line(revenue, line, as_of) - _recognized_line(revenue, line, date.fromisoformat(
                f"{period}-01") - ONE_DAY)
            end = as_of
        if amount:
            events.append((end, 1, line, amount, f"Revenue {period}"))
    events.sort(key=lambda e: (e[0], e[1]))

    zero = Decimal(0) * money.quantum(cur)
    out: list[Entry] = []

    def post(day: date, account: str, amount: Decimal, line: str, memo: str) -> None:
        """Post a debit (amount > 0) or a credit (amount < 0)."""
        if amount:
            out.append(Entry(day, account, max(amount, zero), max(-amount, zero), line, memo))

    # Running totals without tax, and what the receivable (for them), the contract asset and the
    # contract liability hold. The unconditional amount is what is billed, or for a cancellable
    # contract what is paid or earned; the position is it minus what is recognized.
    tax_share = _tax_shares(billed, jurisdiction, dict(tax_rates or {}), cur) if terms.cancellable else {}
    totals = {"billed": zero, "cash": zero, "recognized": zero}
    held = {"receivable": zero, "asset": zero, "liability": zero}
    paid: dict[str, Decimal] = {}
    for day, kind, line, amount, memo in events:
        if kind == 2:
            post(day, names["receivable"], amount, "", memo)
            post(day, tax_account(line), -amount, "", memo)
            continue
        if kind == 3:
            post(day, names["cash"], amount, "", memo)
            if not terms.cancellable:           # the receivable was the invoice's, tax and all
                post(day, names["receivable"], -amount, "", memo)
                continue
            # The tax share of what is paid so far, so an invoice paid in parts settles its tax exactly.
            share, before = tax_share.get(line, Decimal(0)), paid.get(line, zero)
            paid[line] = before + amount
            tax = money.round_money(paid[line] * share, cur) - money.round_money(before * share, cur)
            post(day, names["receivable"], -tax, "", memo)
            amount, line = amount - tax, ""
        totals[("billed", "recognized", "", "cash")[kind]] += amount
        unconditional = (max(totals["cash"], min(totals["billed"], totals["recognized"])) if terms.cancellable
                         else totals["billed"])
        now = {"receivable": unconditional - totals["cash"],
               "asset": max(totals["recognized"] - unconditional, zero),
               "liability": max(unconditional - totals["recognized"], zero)}
        post(day, names["receivable"], now["receivable"] - held["receivable"], line, memo)
        post(day, names["contract_asset"], now["asset"] - held["asset"], line, memo)
        post(day, names["contract_liability"], held["liability"] - now["liability"], line, memo)
        if kind == 1:
            post(day, revenue_account(line), -amount, line, memo)
        held = now
    return out


def _tax_shares(billed: Sequence[Invoice], jurisdiction: str | None, rates: dict[str, Decimal],
                cur: str) -> dict[str, Decimal]:
    """Return, per invoice number, the fraction of what the customer pays that is tax."""
    out = {}
    for inv in billed:
        tax = sum((t.amount for t in invoice_tax(inv.total, jurisdiction, rates, cur)), Decimal(0))
        if tax and inv.total + tax:
            out[inv.number] = tax / (inv.total + tax)
    return out


def _recognized_line(revenue: RevenueSchedule, line: str, as_of: date) -> Decimal:
    cur = revenue.terms.currency
    return sum((seg.recognized(as_of, cur) for seg in revenue.segments if seg.line_id == line), Decimal(0))


def check_balanced(entries: Sequence[Entry]) -> None:
    """Raise AssertionError unless every date's debits equal its credits."""
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for e in entries:
        totals[e.date] += e.debit - e.credit
    unbalanced = {d: t for d, t in totals.items() if t}
    if unbalanced:
        raise AssertionError(f"journal does not balance on {sorted(unbalanced)}")


def account_balances(entries: Sequence[Entry], through: date | None = None) -> dict[str, Decimal]:
    """Return each account's balance (debits minus credits) through ``through``."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        if through is None or e.date <= through:
            out[e.account] += e.debit - e.credit
    return dict(out)


def journal_json(entries: Sequence[Entry], currency: str, as_of: date | None = None) -> dict[str, Any]:
    """Return ``{"currency", "as_of", "entries": [{"date", "account", "debit", "credit", "line", "memo"}]}``."""
    return {"currency": currency, "as_of": as_of.isoformat() if as_of else None,
            "entries": [{"date": e.date.isoformat(), "account": e.account, "debit": money.plain(e.debit, currency),
                         "credit": money.plain(e.credit, currency), "line": e.line, "memo": e.memo}
                        for e in entries]}


JOURNAL_COLUMNS = ("date", "account", "debit", "credit", "currency", "line", "memo")


def journal_csv(rows: Sequence[tuple[Any, ...]], extra: tuple[str, ...] = ()) -> str:
    """Return journal rows as CSV: ``extra`` columns (e.g. contract) first, then JOURNAL_COLUMNS."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(extra + JOURNAL_COLUMNS)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def entry_row(e: Entry, currency: str) -> tuple[str, ...]:
    """Return one entry as a CSV row of JOURNAL_COLUMNS."""
    return (e.date.isoformat(), e.account, money.plain(e.debit, currency), money.plain(e.credit, currency),
            currency, e.line, e.memo)
