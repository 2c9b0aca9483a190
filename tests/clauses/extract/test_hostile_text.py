"""Hostile text: keyword floods and bracket runs end in bounded time and invent nothing.

Each case is about a megabyte built from the very words the rules look for, with no sentence
ends or with thousands of them. The time bound is a hang guard (a regex that backtracks
catastrophically takes minutes, not seconds); speed is measured in benchmarks/extraction.py.
"""
from __future__ import annotations

import random
import time

import pytest

from clm.clauses.extract import MAX_SEGMENTS, extract

HANG_GUARD_SECONDS = 60

_WORDS = ["either", "party", "may", "terminate", "this", "agreement", "upon", "thirty", "(", "30", ")", "days", "prior", "written", "notice", "for", "convenience", "renew", "automatically", "successive", "one", "year", "terms", "unless", "notice", "of", "non-renewal", "Effective", "Date", ":", "January", "1", ",", "2020", "between", "ACME", "CORPORATION", ",", "a", "Delaware", "corporation", "(", '"', "Acme", '"', ")", "and", ";", "(", "i", ")", "(", "ii", ")", ":", "as", "follows", "governed", "by", "the", "laws", "of", "the", "State", "of", "New", "York", "expire", "perpetual", "until", "terminated", "anniversary", "Inc.", "LLC", "[", "***", "]", "____", "Source", ":", "FOO", ",", "10-K", ",", "1/2/2020", "IN", "WITNESS", "WHEREOF", "Date", ":", "By", ":", "/s/", "Party", "A", ":", "To", ":", "From", ":"]


def _soup(words: int, per_line: int | None) -> str:
    rng = random.Random(7)
    picked = [rng.choice(_WORDS) for _ in range(words)]
    if per_line is None:
        return " ".join(picked)
    return "\n".join(" ".join(picked[i:i + per_line]) for i in range(0, words, per_line))


CASES = {
    "a right to terminate, repeated without a full stop": "either party may terminate " * 20000,
    "enumerators": "(i) (ii) (iii) notice, " * 40000,
    "a preamble of commas": "This Agreement is between " + "Acme, " * 100000,
    "quotes": '"' * 200000,
    "parentheses": "(" * 200000 + ")" * 200000,
    "renewal words": "renew for successive one year terms unless days' notice " * 20000,
    "capitals": "ACME CORPORATION AND " * 30000,
    "keyword soup on one line": _soup(150000, None),
    "keyword soup in lines": _soup(150000, 40),
    "date forms": "12-23-2019 3/4/05 the 1st day of June, 2019 " * 30000,
    "underscores": "_" * 500000,
    "signature blocks": "IN WITNESS WHEREOF\nACME INC.\nBy: /s/ X\nDate: June 1, 2019\n" * 20000,
    "form labels": "Term: \n" * 200000,
    "end date labels": "Expiration Date: \n" * 100000,
    "term length labels": "Initial Term: three (3) years\n" * 40000,
    "law adjectives": "English law German laws " * 50000,
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_hostile_text_ends_in_bounded_time(text: str) -> None:
    t0 = time.perf_counter()
    ex = extract(text)
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS
    for name, spans in ex.evidence.items():          # whatever it reads, it can show where
        assert spans and all(0 <= s < e <= len(text) for s, e in spans), name


def test_a_flood_of_sentences_is_read_up_to_the_limit_and_says_so() -> None:
    text = "Effective Date: " * (3 * MAX_SEGMENTS)
    t0 = time.perf_counter()
    ex = extract(text)
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS
    assert ex.fields == {}
    assert any(f"only the first {MAX_SEGMENTS:,} were read" in issue for issue in ex.issues)
