"""Fixtures for quotes: the shipped catalog loaded, a request builder, fixed dates."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from clm import db
from clm.quotes import services
from clm.quotes.catalog import Catalog, parse_catalog

CATALOG_FILE = Path(__file__).resolve().parents[2] / "clause_library" / "catalog.yaml"
#: The day the quote is priced, sent and accepted in these tests.
TODAY = dt.date(2026, 12, 10)
NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)

#: Initech buys the Enterprise suite for two years: 120 platform users at 30% off, analytics with
#: the LAUNCH10 promotion, implementation; 5% off the whole quote.
REQUEST: dict[str, Any] = {
    "customer": "Initech Corporation", "currency": "USD", "bundle": "ENTERPRISE", "term_months": 24,
    "start_date": "2027-01-01", "discount": "5", "promotions": ["LAUNCH10"],
    "lines": [{"product": "PLATFORM", "quantity": 120, "discount": "30"},
              {"product": "ANALYTICS", "quantity": 120},
              {"product": "IMPLEMENTATION", "quantity": 1}],
}


def request_with(**changes: Any) -> dict[str, Any]:
    """Return a deep copy of REQUEST with top-level ``changes``."""
    data = copy.deepcopy(REQUEST)
    data.update(changes)
    return data


@pytest.fixture(scope="session")
def catalog_data() -> Any:
    return yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def catalog(catalog_data: Any) -> Catalog:
    return parse_catalog(catalog_data)


@pytest.fixture
def factory(app: Flask) -> Any:
    return db.sessionmaker_for(app)


@pytest.fixture
def loaded(factory: Any, catalog_data: Any) -> int:
    """Load the shipped catalog into the test database; return its version."""
    with db.transaction_for(factory) as s:
        row, _ = services.load_catalog(s, catalog_data, source="catalog.yaml", by="finance@example.test")
        return row.version
