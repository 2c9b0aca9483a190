"""Terms documents shared by the downstream tests."""

from __future__ import annotations

import copy
from typing import Any

#: A 12-month SaaS subscription (USD 120,000, ratable, billed annually in advance) and an
#: implementation (USD 15,000, point in time on go-live, billed on go-live). SSPs 130,000 and
#: 20,000, so the 135,000 transaction price is allocated 117,000 / 18,000.
SAAS_DOC: dict[str, Any] = {
    "currency": "USD",
    "signed_on": "2025-12-15",
    "payment_terms_days": 30,
    "lines": [
        {"id": "saas", "description": "CLM Enterprise subscription", "price": "120000.00",
         "ssp": "130000.00", "recognition": "ratable", "start": "2026-01-01", "end": "2026-12-31",
         "billing": {"frequency": "annual", "timing": "advance"}},
        {"id": "impl", "description": "Implementation", "price": "15000.00", "ssp": "20000.00",
         "recognition": "point_in_time", "satisfied_on": "2026-03-15",
         "billing": {"frequency": "once", "timing": "arrears"}},
    ],
    "renewal": {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P60D",
                "price_increase_cap": "5%"},
}


def saas_doc(**changes: Any) -> dict[str, Any]:
    """Return a deep copy of SAAS_DOC with top-level keys replaced."""
    doc = copy.deepcopy(SAAS_DOC)
    doc.update(copy.deepcopy(changes))
    return doc
