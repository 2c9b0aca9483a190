"""extract() on small hand-written contracts, cross-field checks, and bad input."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from clm.clauses.extract import Extraction, checks, extract

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _evidence_text(text: str, ex: Extraction, field: str) -> str:
    return " ".join(text[s:e] for s, e in ex.evidence[field])


def test_saas_agreement_fields() -> None:
    text = _text("saas_agreement.txt")
    ex = extract(text)
    f = ex.fields
    assert f["parties"] == ["Acme Software, Inc.", "Widget Works LLC"]
    assert f["agreement_date"] == "2019-06-01"
    assert f["effective_date"] == "2019-07-01"
    assert f["initial_term"] == "P2Y"
    assert f["expiration_date"] == "2021-07-01"
    assert f["auto_renewal"] is True
    assert f["renewal_term"] == "P1Y"
    assert f["non_renewal_notice"] == "P60D"
    assert f["renewal_limit"] == 3
    assert f["termination_for_convenience"] is True
    assert f["termination_notice"] == "P90D"
    assert f["termination_for_cause"] is True
    assert f["cure_period"] == "P30D"
    assert f["governing_law"] == "New York"
    assert f["payment_terms"] == "P30D"
    assert f["billing_frequency"] == "monthly"
    assert f["price_increase_cap"] == 5.0
    assert {"amount": "2500.00", "currency": "USD", "period": "monthly"} in f["fees"]
    assert ex.issues == []


def test_evidence_points_at_the_clause() -> None:
    text = _text("saas_agreement.txt")
    ex = extract(text)
    assert "governed by" in _evidence_text(text, ex, "governing_law")
    assert "renew" in _evidence_text(text, ex, "auto_renewal")
    assert "convenience" in _evidence_text(text, ex, "termination_for_convenience")
    assert _evidence_text(text, ex, "parties").startswith("Acme Software, Inc.")
    assert set(ex.confidence) == set(ex.fields)
    assert all(0 < p <= 1 for p in ex.confidence.values())


def test_to_json_matches_scorer_format() -> None:
    ex = extract(_text("saas_agreement.txt"))
    out = ex.to_json("c1")
    assert set(out) == {"id", "fields", "evidence", "confidence", "derived"}
    assert set(out["derived"]) <= set(out["fields"])
    assert out["id"] == "c1"
    assert all(isinstance(s, list) and len(s) == 2 for spans in out["evidence"].values() for s in spans)
    json.dumps(out)                                    # serialisable as is


def test_perpetual_term_and_england() -> None:
    text = _text("perpetual_license.txt")
    ex = extract(text)
    assert ex.fields["expiration_date"] == "perpetual"
    assert ex.fields["governing_law"] == "England and Wales"
    assert "auto_renewal" not in ex.fields
    assert "termination_for_convenience" not in ex.fields
    assert ex.fields["parties"] == ["Blue Harbour Limited", "Greenfield Analytics GmbH"]


def test_end_date_gives_expiration_and_term() -> None:
    text = ('This Services Agreement is made as of January 1, 2008 between Alpha Corp. ("Alpha") '
            'and Beta LLC ("Beta").\n\nThe term of this Agreement shall be one (1) year, commencing '
            'January 1, 2008 and ending on December 31, 2008.\n')
    ex = extract(text)
    assert ex.fields["expiration_date"] == "2008-12-31"
    assert ex.fields["initial_term"] == "P1Y"


def test_termination_for_cause_only_is_not_convenience() -> None:
    text = ("Either party may terminate this Agreement upon thirty (30) days written notice if the "
            "other party materially breaches this Agreement and fails to cure such breach.\n")
    ex = extract(text)
    assert "termination_for_convenience" not in ex.fields
    assert ex.fields["termination_for_cause"] is True


def test_mutual_extension_is_not_renewal() -> None:
    text = "This Agreement may be extended for an additional year by mutual written agreement of the parties.\n"
    assert "auto_renewal" not in extract(text).fields


def test_incorporation_is_not_governing_law() -> None:
    text = ('This Agreement is between Acme Inc., a corporation organized under the laws of the State '
            'of Delaware ("Acme"), and Beta LLC ("Beta").\n')
    assert "governing_law" not in extract(text).fields


@pytest.mark.parametrize(("fields", "expected"), [
    ({"effective_date": "2020-01-01", "initial_term": "P1Y", "expiration_date": "2021-01-01"}, []),
    ({"effective_date": "2020-01-01", "initial_term": "P1Y", "expiration_date": "2022-06-01"},
     [checks.EXPIRATION_VS_TERM]),
    ({"effective_date": "2020-01-01", "expiration_date": "2019-01-01"}, [checks.EXPIRATION_BEFORE_EFFECTIVE]),
    ({"auto_renewal": True, "renewal_term": "P1M", "non_renewal_notice": "P60D"},
     [checks.NOTICE_LONGER_THAN_TERM]),
    ({"renewal_term": "P1Y"}, [checks.RENEWAL_TERM_WITHOUT_RENEWAL]),
    ({"non_renewal_notice": "P30D"}, [checks.NOTICE_WITHOUT_RENEWAL]),
    ({"cure_period": "P30D"}, [checks.CURE_WITHOUT_CAUSE]),
    ({"expiration_date": "perpetual", "effective_date": "2020-01-01"}, []),
])
def test_checks(fields: dict[str, object], expected: list[str]) -> None:
    issues = checks.check(fields)
    assert len(issues) == len(expected)
    for issue, template in zip(issues, expected):
        assert issue.startswith(template.split("{")[0])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("text", ["", "   \n\n  ", "\x00\x01", "12345"])
def test_empty_or_junk_input(text: str) -> None:
    ex = extract(text)
    assert ex.fields == {} and ex.evidence == {} and ex.issues == []


def test_non_english_text_invents_nothing() -> None:
    text = ("Der Vertrag tritt mit Unterzeichnung in Kraft und läuft auf unbestimmte Zeit. "
            "本合同自双方签字之日起生效。 Le présent contrat est régi par le droit français.\n") * 20
    assert extract(text).fields == {}


def test_text_without_terms() -> None:
    text = "The quick brown fox jumps over the lazy dog.\n" * 500
    assert extract(text).fields == {}


def test_five_megabyte_single_paragraph() -> None:
    filler = "lorem ipsum dolor sit amet consectetur adipiscing elit "
    half = filler * (2_500_000 // len(filler))
    clause = " This Agreement shall be governed by the laws of the State of Texas. "
    text = half + clause + half
    assert "\n" not in text and len(text) > 5_000_000
    t0 = time.perf_counter()
    ex = extract(text)
    assert time.perf_counter() - t0 < 30
    assert ex.fields == {"governing_law": "Texas"}
    (s, e), = ex.evidence["governing_law"]
    assert "State of Texas" in text[s:e] and e - s < 5000


def test_parties_without_parentheses_and_with_initials() -> None:
    text = ('SPONSORSHIP AGREEMENT\n\nTHIS AGREEMENT made this 5th day of December, 2007, between R. C. Boyd '
            'Enterprises, LLC, a Texas limited liability company, referred to in this Agreement as "Company" or '
            '"Boyd", and Cano Petroleum, Inc., a Delaware corporation, referred to in this agreement as "Sponsor".'
            '\n\nWHEREAS, the Company owns a show.\n')
    assert extract(text).fields["parties"] == ["R. C. Boyd Enterprises, LLC", "Cano Petroleum, Inc."]


def test_party_named_before_an_address_without_between() -> None:
    text = ('CONSULTING AGREEMENT\n\nAduro Biotech, Inc., with a place of business at 740 Heinz Avenue, Berkeley '
            '("Aduro") and IREYA B.V having an address at Leiden, the Netherlands, ("Consultant") agree to all '
            'terms of this Consulting Agreement ("Agreement").\n')
    assert extract(text).fields["parties"] == ["Aduro Biotech, Inc.", "IREYA B.V"]


def test_defined_term_after_other_words_in_the_parentheses() -> None:
    text = ('This Supply Agreement is made by and between Miltenyi Biotec GmbH, a German corporation '
            '(hereinafter referred to as "Miltenyi"), and Bellicum Pharmaceuticals, Inc., a US corporation '
            '(on behalf of itself and its Affiliates, individually and collectively referred to as "Bellicum").\n\n'
            'WHEREAS, the parties wish to agree.\n')
    assert extract(text).fields["parties"] == ["Miltenyi Biotec GmbH", "Bellicum Pharmaceuticals, Inc."]


def test_until_termination_is_perpetual() -> None:
    text = ('This Agreement is made as of May 1, 2020 between Alpha Corp. ("Alpha") and Beta LLC ("Beta").\n\n'
            'This Agreement will commence on the Effective Date and will continue until termination as provided '
            'below.\n')
    assert extract(text).fields["expiration_date"] == "perpetual"


@pytest.mark.parametrize("text", [
    "Either party shall have the right to terminate this Agreement with 30 days written notice, for any reason whatsoever.",
    ("Except as specifically described elsewhere in this agreement, either party shall have the right to terminate "
    "this Agreement with 30 days written notice from the other party, for any reason whatsoever."),
    ("The Company may in its discretion and at its option terminate this Agreement at any time upon five days "
    "prior written notice to the Consultant."),
    ("Party B shall have the right to terminate this Agreement without cause by sending a written notice of "
    "thirty (30) days to Party A, but Party A may not terminate or rescind this Agreement."),
    ("Either party wishing to terminate the Agreement must give written notice to the other party at least "
    "thirty (30) days prior to the desired date of termination."),
])
def test_termination_for_convenience_phrasings(text: str) -> None:
    fields = extract(text).to_json("x")["fields"]
    assert fields["termination_for_convenience"] is True
    assert fields["termination_notice"] in {"P30D", "P5D"}


def test_termination_right_listed_after_as_follows_takes_notice_from_the_item() -> None:
    text = ("5.1 This Agreement can be terminated at any time prior to the expiry of the Term, as follows:\n"
            "(a) by the Consultant electing to give the Company not less than 3 months prior notice of such termination;\n"
            "(b) by the Company if the Consultant commits a material breach of this Agreement.\n")
    out = extract(text).to_json("x")
    assert out["fields"]["termination_for_convenience"] is True
    assert out["fields"]["termination_notice"] == "P3M"
    item = text.index("(a)")
    assert any(s <= item < e for s, e in out["evidence"]["termination_for_convenience"])


def test_a_negated_right_alone_is_not_convenience() -> None:
    fields = extract("Neither party may terminate this Agreement for convenience.").to_json("x")["fields"]
    assert not fields.get("termination_for_convenience")


@pytest.mark.parametrize(("text", "initial", "expiration"), [
    (("This Agreement is made as of January 2, 2017. This Agreement shall be effective as of the date first set "
     "forth above and shall expire on the later of (i) five (5) years from the date hereof, or (ii) completion of "
     "the Services."), "P5Y", "2022-01-02"),
    (("The term of this Agreement will begin on December 15, 1997 and will end the later of (i) December 15, 1999 "
     "or (ii) delivery of all guaranteed click-throughs."), "P2Y", "1999-12-15"),
    ('1.40 "Expiration Date" means March 31, 2020.', None, "2020-03-31"),
])
def test_term_stated_as_the_later_of_or_as_a_definition(text: str, initial: str | None, expiration: str) -> None:
    fields = extract(text).to_json("x")["fields"]
    assert fields.get("initial_term") == initial
    assert fields["expiration_date"] == expiration


@pytest.mark.parametrize(("text", "term", "notice"), [
    (("The term of this Agreement shall be two (2) years from the Effective Date with automatic annual renewals "
     "thereafter provided either party does not provide sixty (60) days notice of termination prior to the renewal "
     "date."), "P1Y", "P60D"),
    (("The Term will be 3 years from Effective Date with an automatic 2 year term extensions unless otherwise advised "
     "by one of the Parties."), "P2Y", None),
])
def test_automatic_renewals_named_as_a_noun(text: str, term: str, notice: str | None) -> None:
    fields = extract(text).to_json("x")["fields"]
    assert fields["auto_renewal"] is True
    assert fields["renewal_term"] == term
    assert fields.get("non_renewal_notice") == notice


def test_a_template_placeholder_is_no_jurisdiction() -> None:
    text = ("9. Governing Law. This Agreement is governed by, and construed in accordance with, the laws of the "
            "State of Governing Law, without regard to its conflict of laws provisions.\n")
    assert "governing_law" not in extract(text).fields
    assert extract(text.replace("State of Governing Law", "State of Oregon")).fields["governing_law"] == "Oregon"


def test_an_order_form_s_fields_are_read_as_label_and_value() -> None:
    # A form line is one segment: "Governing Law:" alone says no place, "State of California" alone no law.
    text = ("ORDER FORM\n\nCustomer: Contoso Retail LLC\nProvider: Northwind Traders Inc.\n"
            "Order Effective Date: March 1, 2027\nSubscription Term: 12 months\n"
            "Auto-Renewal: Yes. This Order Form renews for successive 12-month periods unless either party gives "
            "notice of non-renewal at least 30 days before the end of the then-current term.\n"
            "Fees: USD 24,000 per year, invoiced annually in advance, payable net 30.\n"
            "Governing Law: State of California\n")
    ex = extract(text)
    assert ex.fields["governing_law"] == "California"
    assert _evidence_text(text, ex, "governing_law") == "Governing Law: State of California"
    assert (ex.fields["effective_date"], ex.fields["initial_term"], ex.fields["renewal_term"],
            ex.fields["non_renewal_notice"]) == ("2027-03-01", "P12M", "P12M", "P30D")
    # A label whose value runs on as sentences is still split at its colon.
    from clm.clauses.extract.pipeline import sentences

    def split(line: str) -> list[str]:
        return [line[s.start:s.end] for s in sentences(line)]

    assert split("Governing Law: State of California") == ["Governing Law: State of California"]
    assert split("TERM: The term of this Agreement is two years. It renews.") == [
        "TERM:", "The term of this Agreement is two years.", "It renews."]
    assert split("Renewal Term: 12 months. Notice: 30 days") == ["Renewal Term:", "12 months.", "Notice:", "30 days"]


_SERVICES = ('SERVICES AGREEMENT\n\nThis Services Agreement is entered into as of January 15, 2027 (the "Effective Date") '
             'by and between Acme Corp. ("Acme") and Globex LLC ("Customer").\n\n5. Term. ')


@pytest.mark.parametrize(("clause", "term"), [
    ("The Subscription Term shall be twelve (12) months from the Effective Date. The Subscription Term shall "
     "automatically renew for successive periods equal to the initial Subscription Term unless Customer cancels at "
     "least 30 days before renewal.", "P12M"),
    ("This Agreement has an initial term of two (2) years. Thereafter it renews automatically for like periods "
     "unless either party gives sixty (60) days' notice of non-renewal.", "P2Y"),
    # the shorter of the two, the notice period aside
    ("This Agreement has an initial term of two (2) years. Subscriptions automatically renew for additional periods "
     "equal to the expiring subscription term or one year (whichever is shorter), unless either party gives the other "
     "notice of non-renewal at least 30 days before the end of the relevant subscription term.", "P1Y"),
])
def test_a_renewal_as_long_as_the_initial_term_takes_its_length(clause: str, term: str) -> None:
    ex = extract(_SERVICES + clause + "\n")
    assert ex.fields["renewal_term"] == term and ex.fields["auto_renewal"] is True
    assert "renew" in _evidence_text(_SERVICES + clause + "\n", ex, "renewal_term")
    assert ex.confidence["renewal_term"] <= 0.7          # read across two clauses: marked for review


def test_a_renewal_as_long_as_the_initial_term_needs_one_and_an_automatic_renewal() -> None:
    # A renewal the parties must agree to is no renewal term, nor is one without a stated initial term.
    mutual = extract(_SERVICES + "This Agreement has an initial term of two (2) years. The parties may renew it for "
                                 "a like term by mutual written agreement.\n")
    assert "renewal_term" not in mutual.fields
    no_initial = extract(_SERVICES + "This Agreement renews automatically for like periods unless either party gives "
                                     "sixty (60) days' notice of non-renewal.\n")
    assert no_initial.fields["auto_renewal"] is True and "renewal_term" not in no_initial.fields


@pytest.mark.parametrize(("clause", "fees"), [
    ("The Company shall pay Consultant a fee of $150 per hour.", None),          # a rate: not what it costs
    ("Customer shall pay a fee of $12 per user per month.", None),
    ("Customer shall pay a fee of USD 24,000 per annum.", [{"amount": "24000.00", "currency": "USD", "period": "annual"}]),
    ("Customer shall pay $1,000/month.", [{"amount": "1000.00", "currency": "USD", "period": "monthly"}]),
    ("Customer shall pay a fee of $9,000 per the terms of Schedule A.",
     [{"amount": "9000.00", "currency": "USD", "period": None}]),
    ("Customer shall pay a fee of $5,000, a portion of which is refundable.",
     [{"amount": "5000.00", "currency": "USD", "period": None}]),
])
def test_a_rate_per_hour_or_user_is_no_fee(clause: str, fees: list | None) -> None:
    # The commercial-terms prefill takes a fee as a line's price: an hourly rate would become one.
    assert extract("3. Fees. " + clause).fields.get("fees") == fees


_FORM = ("ORDER FORM\n\nCustomer: Contoso Retail LLC\nProvider: Northwind Traders Inc.\n"
         "Start Date: March 1, 2027\nEnd Date: February 29, 2028\n")


def test_an_order_form_s_renewal_start_and_billing_fields() -> None:
    text = _FORM + ("Auto-Renewal: Yes\nRenewal Term: 12 months\nNotice of Non-Renewal: 60 days\n"
                    "Payment Terms: Net 45\nBilling Frequency: Quarterly in advance\n")
    ex = extract(text)
    f = ex.fields
    assert (f["effective_date"], f["expiration_date"], f["initial_term"]) == ("2027-03-01", "2028-02-29", "P1Y")
    assert (f["auto_renewal"], f["renewal_term"], f["non_renewal_notice"]) == (True, "P12M", "P60D")
    assert (f["payment_terms"], f["billing_frequency"]) == ("P45D", "quarterly")
    assert _evidence_text(text, ex, "renewal_term") == "Renewal Term: 12 months"
    assert _evidence_text(text, ex, "non_renewal_notice") == "Notice of Non-Renewal: 60 days"
    assert _evidence_text(text, ex, "billing_frequency") == "Billing Frequency: Quarterly in advance"


def test_an_order_form_s_renewal_field_may_name_its_length() -> None:
    ex = extract(_FORM + "Renewal: Automatic, for successive 12-month terms\n"
                         "Non-renewal notice: 60 days prior to the end of the term\n")
    assert (ex.fields["auto_renewal"], ex.fields["renewal_term"], ex.fields["non_renewal_notice"]) == (
        True, "P12M", "P60D")


def test_an_order_form_that_does_not_renew_says_so_and_gets_no_renewal() -> None:
    ex = extract(_FORM + "Auto-Renewal: No\nRenewal Term: N/A\n")
    assert not {"auto_renewal", "renewal_term", "non_renewal_notice"} & set(ex.fields)
    # a renewal the customer may ask for: its length, but the form does not renew by itself
    optional = extract(_FORM + "Auto-Renewal: No\nRenewal Term: 12 months, at Customer's option\n")
    assert optional.fields["renewal_term"] == "P12M" and "auto_renewal" not in optional.fields
    # a label in running text is no form field
    prose = extract(_FORM + "The parties discussed whether the renewal term: 12 months or more, would suit.\n")
    assert "renewal_term" not in prose.fields
