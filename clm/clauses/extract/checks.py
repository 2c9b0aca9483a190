"""Cross-field consistency checks on extracted terms; each finding is one human-readable line."""
from __future__ import annotations

import datetime
from typing import Any

from clm.clauses.extract import normalize

EXPIRATION_BEFORE_EFFECTIVE = "expiration date {exp} is before the effective date {eff}"
EXPIRATION_VS_TERM = ("expiration date {exp} does not match effective date {eff} plus initial term "
                      "{term} (expected about {expected})")
NOTICE_LONGER_THAN_TERM = "{field} {notice} is not shorter than the {term_field} {term}"
RENEWAL_TERM_WITHOUT_RENEWAL = "renewal term {term} found but no renewal language"
NOTICE_WITHOUT_RENEWAL = "non-renewal notice {notice} found but no renewal language"
CURE_WITHOUT_CAUSE = "cure period {cure} found but no termination for cause"

#: How far (days) an expiration date may sit from effective date + term and still agree.
TOLERANCE_DAYS = 3


def _date(v: Any) -> datetime.date | None:
    if not isinstance(v, str):
        return None
    try:
        return datetime.date.fromisoformat(v)
    except ValueError:
        return None


def check(fields: dict[str, Any]) -> list[str]:
    """Return the inconsistencies between extracted fields (empty when all agree)."""
    issues = []
    eff = _date(fields.get("effective_date") or fields.get("agreement_date"))
    exp = _date(fields.get("expiration_date"))
    term = fields.get("initial_term")
    if eff and exp:
        if exp < eff:
            issues.append(EXPIRATION_BEFORE_EFFECTIVE.format(exp=exp, eff=eff))
        elif isinstance(term, str):
            expected = normalize.add_duration(eff, term)
            if expected and abs((expected - exp).days) > TOLERANCE_DAYS:
                issues.append(EXPIRATION_VS_TERM.format(exp=exp, eff=eff, term=term, expected=expected))
    for notice_field, term_field in (("non_renewal_notice", "renewal_term"),
                                     ("non_renewal_notice", "initial_term"),
                                     ("termination_notice", "initial_term")):
        notice, length = fields.get(notice_field), fields.get(term_field)
        if isinstance(notice, str) and isinstance(length, str):
            nd, ld = normalize.duration_days(notice), normalize.duration_days(length)
            if nd is not None and ld is not None and nd >= ld:
                issues.append(NOTICE_LONGER_THAN_TERM.format(field=notice_field.replace("_", " "),
                                                             notice=notice,
                                                             term_field=term_field.replace("_", " "),
                                                             term=length))
    if not fields.get("auto_renewal"):
        if fields.get("renewal_term"):
            issues.append(RENEWAL_TERM_WITHOUT_RENEWAL.format(term=fields["renewal_term"]))
        if fields.get("non_renewal_notice"):
            issues.append(NOTICE_WITHOUT_RENEWAL.format(notice=fields["non_renewal_notice"]))
    if fields.get("cure_period") and not fields.get("termination_for_cause"):
        issues.append(CURE_WITHOUT_CAUSE.format(cure=fields["cure_period"]))
    return issues
