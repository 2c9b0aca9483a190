"""Measure quote pricing and quote documents: price a quote, render its PDF and Word file, redline two versions.

Usage (from the project root, venv active)::

    python benchmarks/quotes.py [--repeat R]

Prices a request against the shipped catalog (clause_library/catalog.yaml), pure and in process,
then renders the priced quote as Word and as PDF (through the sandboxed WeasyPrint renderer) and
redlines it against a revision. Prints the median of R runs of each step.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clm.documents import from_text  # noqa: E402
from clm.quotes.catalog import parse_catalog  # noqa: E402
from clm.quotes.document import quote_docx, quote_pdf, quote_text  # noqa: E402
from clm.quotes.pricing import parse_request, price_quote  # noqa: E402
from clm.versions.diff import diff  # noqa: E402

CATALOG = Path(__file__).resolve().parents[1] / "clause_library" / "catalog.yaml"


def _median(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = parse_catalog(yaml.safe_load(CATALOG.read_text(encoding="utf-8")))
    request = {"customer": "Initech Corporation", "currency": "USD", "bundle": "ENTERPRISE", "term_months": 36,
               "start_date": "2027-01-01", "discount": "5", "promotions": ["LAUNCH10"],
               "lines": [{"product": "PLATFORM", "quantity": 420, "discount": "12.5"},
                         {"product": "ANALYTICS", "quantity": 420}, {"product": "SSO", "quantity": 1},
                         {"product": "PREMIUM-SUPPORT", "quantity": 1}, {"product": "IMPLEMENTATION", "quantity": 1},
                         {"product": "TRAINING", "quantity": 25}]}
    today = date(2026, 12, 10)
    seconds, priced = _median(lambda: price_quote(catalog, parse_request(request, catalog, today)), args.repeat * 20)
    print(f"price a {len(request['lines'])}-line quote (parse + rules + price): {seconds * 1e3:.3f} ms")
    view = {"number": "Q-0001", "version": 1, "customer": "Initech Corporation", "created_by": "bench",
            "created_on": "2026-12-10", "expires_on": "2027-01-09", "quote": priced.to_dict(), "approvals": []}
    seconds, data = _median(lambda: quote_docx(view), args.repeat)
    print(f"render Word: {seconds * 1e3:.1f} ms ({len(data):,} bytes)")
    seconds, data = _median(lambda: quote_pdf(view), args.repeat)
    print(f"render PDF (sandboxed WeasyPrint): {seconds * 1e3:.1f} ms ({len(data):,} bytes)")
    revised = dict(request, lines=[dict(request["lines"][0], quantity=500)] + request["lines"][1:])
    view2 = dict(view, version=2, quote=price_quote(catalog, parse_request(revised, catalog, today)).to_dict())
    seconds, redline = _median(lambda: diff(from_text(quote_text(view)), from_text(quote_text(view2))), args.repeat)
    print(f"redline v1 -> v2: {seconds * 1e3:.2f} ms ({redline.stats})")


if __name__ == "__main__":
    main()
