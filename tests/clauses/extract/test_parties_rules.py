"""Party names from the opening of a contract: the phrasings fields.parties reads, one row each."""
from __future__ import annotations

import pytest

from clm.clauses.extract import fields as F

CASES = [
    # a last party named without a defined term of its own, its address after it
    ('This Agreement is effective 7/1/98 ("Effective Date") between Northwind Audio, Inc. ("Northwind"), and\n\n'
     "Kestrel Trading Corporation 780 Harbor Expressway Suite 406 San Jose, CA 95131\n\n"
     "Northwind and Distributor intend to establish a distributorship.",
     ["Northwind Audio, Inc.", "Kestrel Trading Corporation"]),
    # a party between a defined one and a descriptor: "located at ..., and X located at ..."
    ('This Promotion Agreement dated March 12, 1999, by and between Lark Call, Inc. (herein "Lark") located at '
     "15 Queen Street East, Cambridge and PageFlow Corporation located at 100 Oak Blvd. Suite 297, shall set forth "
     "the terms.",
     ["Lark Call, Inc.", "PageFlow Corporation"]),
    # a title page that lists the parties one per line, and no preamble naming them
    ("EXHIBIT 10.11\n\nCOLLABORATION AGREEMENT\n\nBY AND BETWEEN\n\nORION PHARMA INC.\n\nAND\n\n"
     "SILVERGATE BIO, INC.\n\nJune 1, 2005\n\nTABLE OF CONTENTS\n\nARTICLE 1 DEFINITIONS",
     ["ORION PHARMA INC.", "SILVERGATE BIO, INC."]),
    # street addresses are not part of the name
    ('THIS AGREEMENT is made by and between Bayview Holdings, Inc of 512 Shore Drive, Suite 201 Miami ("Bayview") '
     'and Tarn Speakers Limited of 90 High Street, Burnham ("Tarn").',
     ["Bayview Holdings, Inc", "Tarn Speakers Limited"]),
    # numbered parties, an individual with a redacted address
    ("THIS AGREEMENT is entered into between the parties on 1 April, 2020.\n\nPARTIES (1) Harbour Biopharma UK "
     "Limited is a company registered in England whose registered office is at 12 New Lane, London (the "
     '"Employer"); and (2) Brett Hollis of [address removed] (the "Executive").\n\nAGREED TERMS',
     ["Harbour Biopharma UK Limited", "Brett Hollis"]),
    # an exhibit heading run into the first name
    ('Exhibit 10.7 CONSULTING AGREEMENT Corvid Biotech, Inc. ("Corvid") and IREX B.V. ("Consultant") agree.',
     ["Corvid Biotech, Inc.", "IREX B.V."]),
    # the same party spelt twice counts once
    ('This Agreement is between Pelican Systems, Inc. ("Pelican") and Moray Co. ("Moray"). '
     'PELICAN SYSTEMS INC ("Pelican") shall supply Moray.',
     ["Pelican Systems, Inc.", "Moray Co."]),
]


@pytest.mark.parametrize(("text", "names"), CASES, ids=[c[1][0] for c in CASES])
def test_party_names(text: str, names: list[str]) -> None:
    found, _ = F.parties(text)
    assert found is not None
    assert found.value == names
    for (s, e), name in zip(found.evidence, names):
        assert text[s:e] == name


@pytest.mark.parametrize("chunk", [
    "Customer", "the Company or based upon written information supplied by the C", "May 21", "to",
    "Exhibit 10.31 pursuant to", "a resident of",
])
def test_not_a_name(chunk: str) -> None:
    assert F._clean_name(chunk) is None


@pytest.mark.parametrize(("chunk", "name"), [
    ("May Department Stores Company", "May Department Stores Company"),
    ("drkoop.com, Inc.", "drkoop.com, Inc."),
    ("iBio, Inc.", "iBio, Inc."),
    ("as administrator for Twentieth Century Fox Film Corporation", "Twentieth Century Fox Film Corporation"),
])
def test_names_that_look_odd_but_are_names(chunk: str, name: str) -> None:
    assert F._clean_name(chunk) == name


def test_filing_legend_is_not_a_party() -> None:
    text = ("[***] CERTAIN INFORMATION HAS BEEN OMITTED AND FILED SEPARATELY WITH THE SECURITIES AND EXCHANGE "
            "COMMISSION PURSUANT TO RULE 406.\n\nThis Agreement is entered into by and between Heron Bank, N.A. "
            '("Heron") and Finch Labs, Inc. ("Supplier").')
    found, _ = F.parties(text)
    assert found is not None and found.value == ["Heron Bank, N.A.", "Finch Labs, Inc."]
