"""Date and term rules (term.py): agreement and effective dates, the initial term, the expiration date."""
from __future__ import annotations

import pytest

from clm.clauses.extract import extract
from clm.clauses.extract import fields as F
from clm.clauses.extract import normalize as N
from clm.clauses.extract import parties as P
from clm.clauses.extract import term as T


def _dates(text: str) -> tuple[str | None, str | None]:
    """Return (agreement_date, effective_date) as the term rules read them from ``text``."""
    _, pre_end = P.parties(text)
    agreed = T.agreement_date(text, pre_end)
    eff = T.effective_date(text, [], agreed, pre_end)
    return (agreed.value if agreed else None), (eff.value if eff else None)


def _evidence(text: str, found: F.Found | None) -> str:
    assert found is not None
    return " ".join(text[s:e] for s, e in found.evidence)


# ----------------------------------------------------------------------------- agreement date
@pytest.mark.parametrize(("text", "agreed"), [
    # an EDGAR page footer carries the filing date, not the contract's
    (("Source: ACME HOLDINGS INC, 10-K, 3/6/2020\n\nSUPPLY AGREEMENT\n\nThis Supply Agreement is made as of "
      "June 2, 2019 by and between Acme Inc. and Widget LLC."), "2019-06-02"),
    ("Source: ACME HOLDINGS INC, 10-K, 3/6/2020\n\nSUPPLY AGREEMENT between Acme Inc. and Widget LLC.", None),
    # no date in the preamble: the parties date it where they sign
    (("SERVICES AGREEMENT between Acme Inc. and Widget LLC.\n\nWHEREAS the parties wish to work together.\n\n"
      "IN WITNESS WHEREOF the parties sign below.\n\nAcme Inc. Date: May 3, 2016\nWidget LLC Date: May 9, 2016"),
     "2016-05-09"),
    # a date glued to an underscore of the blank it was typed into
    (('THIS AGREEMENT (the "Agreement") shall be effective as of _Dec. 8, 2005 by and between Acme Inc. and '
      "Widget LLC."), "2005-12-08"),
])
def test_agreement_date(text: str, agreed: str | None) -> None:
    assert _dates(text)[0] == agreed


@pytest.mark.parametrize(("text", "blank"), [
    ("THIS AGREEMENT is made this ___ day of _________, 2004 by and between Acme Inc. and Widget LLC.",
     "this ___ day of _________, 2004"),
    ("MARKETING AGREEMENT\n\nThis Agreement is entered into as of September __, 2018 by and between Acme Inc. "
     "and Widget LLC.", "September __, 2018"),
    ("AGREEMENT dated as of [\u2022], 2020 between Acme Inc. and Widget LLC.", "[\u2022], 2020"),
    ("AGREEMENT made this day of , 2012 between Acme Inc. and Widget LLC.", "this day of , 2012"),
    # the blank is this agreement's date; the date after it is another agreement's
    ("AMENDMENT dated ____________, 2006 to the Services Agreement dated June 21, 2001 between Acme Inc. and "
     "Widget LLC.", "____________, 2006"),
])
def test_a_date_left_blank_is_no_date_and_is_reported(text: str, blank: str) -> None:
    assert _dates(text)[0] is None
    found = extract(text)
    assert "agreement_date" not in found.fields
    assert T.BLANK_AGREEMENT_DATE.format(blank=blank) in found.issues


@pytest.mark.parametrize("text", [
    "AGREEMENT dated as of [***], 2020 between Acme Inc. and Widget LLC.",     # a redaction, not a blank
    "AGREEMENT dated as of June 1, 2020 between Acme Inc. and Widget LLC.",
    "AGREEMENT dated as of June 1, 2020 between Acme Inc. and Widget LLC.\n\nBy: ____________\nDate: ________",
])
def test_no_blank_date_is_reported_where_there_is_none(text: str) -> None:
    assert not [i for i in extract(text).issues if "left blank" in i]


# ----------------------------------------------------------------------------- effective date
@pytest.mark.parametrize(("text", "effective"), [
    # a date labelled or named the effective (commencement) date
    ("MASTER AGREEMENT\nEffective Date:\nJanuary 1, 2019\nbetween Acme Inc. and Widget LLC.", "2019-01-01"),
    (('This Agreement is made on May 1, 2018, effective as of June 1, 2018 ("Effective Date"), between Acme Inc. '
      "and Widget LLC."), "2018-06-01"),
    ('This Agreement is made as of March 2, 2015 (the "Amendment Effective Date") by Acme Inc. and Widget LLC.',
     "2015-03-02"),
    (("This Agreement is made on May 1, 2018 between Acme Inc. and Widget LLC. The commencement date for this "
      "contract will be 16th June 2018."), "2018-06-16"),
    (('This Agreement is dated May 1, 2018 between Acme Inc. and Widget LLC.\n\n"Effective Date" means '
      "12:01 a.m. Eastern Time on May 3, 2018."), "2018-05-03"),
    ("Trade Date:                 27 April 2016\n\nEffective Date              01 April 2016\n", "2016-04-01"),
    # a start cue bound to this contract or its term
    (("This Agreement is made by Acme Inc. and Widget LLC. The term of this Agreement shall be one (1) year, "
      "commencing January 1, 2008 and ending on December 31, 2008."), "2008-01-01"),
    (("This Agreement is made by Acme Inc. and Widget LLC. This Agreement shall come into force as of January 1, "
      "2013 and remain valid for 1 year."), "2013-01-01"),
    (("This Agreement is made by Acme Inc. and Widget LLC. The Joint Venture is a fixed term Joint Venture "
      "beginning November 27, 2018 and ending November 30, 2019."), "2018-11-27"),
    (("This Agreement is made by Acme Inc. and Widget LLC. This First Amendment will be effective as of "
      "July 5, 2011, upon signature."), "2011-07-05"),
])
def test_stated_effective_date(text: str, effective: str) -> None:
    assert _dates(text)[1] == effective


@pytest.mark.parametrize("text", [
    # a start that belongs to something else
    ("This Agreement is made by Acme Inc. and Widget LLC. The shares will be redeemable at the option of the "
     "holders beginning October 21, 2022."),
    ("This Agreement is made by Acme Inc. and Widget LLC. It replaces the Confidentiality Agreement between the "
     "Parties, which was effective July 17, 2009."),
    ("This Agreement is made by Acme Inc. and Widget LLC.\n\nNOW, THEREFORE, the parties agree as follows. Acme "
     "may terminate this Agreement, effective as of December 31, 2023, if sales fall short."),
    ("This Agreement is made by Acme Inc. and Widget LLC. For the financial year commencing 01 March 2002 the "
     "fee is 10%."),
])
def test_a_start_of_something_else_is_no_effective_date(text: str) -> None:
    assert _dates(text)[1] is None


@pytest.mark.parametrize(("text", "effective"), [
    # the contract takes effect on the date it bears
    (("This Agreement is made as of March 29, 1999 by Acme Inc. and Widget LLC.\n\n4. Term. This Agreement will "
      "become effective as of the date first written above and will continue until terminated."), "1999-03-29"),
    (("This Agreement is made as of June 8, 1999 by Acme Inc. and Widget LLC.\n\nThe Term shall commence on the "
      "date of this Agreement and shall end on December 31, 2000."), "1999-06-08"),
    (("This Agreement is made on May 25, 2018 by Acme Inc. and Widget LLC.\n\nThis Agreement shall take effect on "
      "the date of signature of the Agreement by both parties."), "2018-05-25"),
    (("This Agreement is made on June 1, 2004 by Acme Inc. and Widget LLC.\n\n\"Effective Date\" means the date "
      "first written above."), "2004-06-01"),
    (("THIS AGREEMENT is made and entered into this 1st day of June, 2017 by Acme Inc. and Widget LLC.\n\nWHEREAS "
      "this split-dollar agreement is to be effective as of the date first listed above;"), "2017-06-01"),
    (("This Agreement is dated June 1, 1998 by Acme Inc. and Widget LLC.\n\n4. This contract shall be for a term of "
      "one year commencing on the date first above written."), "1998-06-01"),
    # ... or when the last party signs
    (('This Agreement is made by Acme Inc. and Widget LLC.\n\n"Effective Date" is the date of the most recent '
      "final signature on this Agreement.\n\nAcme Inc. Date: December 12, 2019\nWidget LLC Date: December 19, 2019"),
     "2019-12-19"),
])
def test_effective_date_from_the_agreement_or_signature_date(text: str, effective: str) -> None:
    assert _dates(text)[1] == effective


@pytest.mark.parametrize("text", [
    # silent contracts: CUAD leaves the effective date blank
    "This Agreement is made as of June 8, 1999 by Acme Inc. and Widget LLC. Fees are due monthly.",
    # "effective" about something else
    ("This Agreement is made as of June 8, 1999 by Acme Inc. and Widget LLC. No amendment of this Agreement "
     "shall be effective unless made in writing."),
    ("This Agreement is made as of June 8, 1999 by Acme Inc. and Widget LLC.\n\nNOW, THEREFORE, the parties "
     "agree as follows. Each of the Supply Agreement and the Warrant is effective as of the date hereof."),
    # the preamble leaves the effective date blank
    ("EXHIBIT 10.16 DRAFT 1/12/00\n\nThis Support Agreement is entered into and is effective as of the ____ day "
     "of ______ 2000 by Acme Inc. and Widget LLC."),
    # the term starts on a date named for an event, not on the agreement date
    ("This Agreement is made as of March 11, 1999 by Acme Inc. and Widget LLC.\n\nNOW, THEREFORE, the parties "
     'agree as follows. The Term will begin on the date set forth above * * * (the "Launch Date").'),
    # the effective date is an event, not the agreement date
    ("This Agreement is made as of May 23, 2017 by Acme Inc. and Widget LLC.\n\n\"Effective Date\" means the "
     "date that the Initial Closing occurs. The term of this Agreement shall commence on the Effective Date."),
])
def test_no_effective_date(text: str) -> None:
    assert _dates(text)[1] is None


def test_signature_dates_skip_other_labelled_dates() -> None:
    text = ("SUPPLY AGREEMENT between Acme Inc. and Widget LLC.\n\nWHEREAS the parties wish to work together.\n\n"
            "Termination Date: December 31, 2023\n\nAcme Inc. Title: CEO Date: January 10, 2020")
    assert _dates(text)[0] == "2020-01-10"


def test_effective_evidence_is_the_date() -> None:
    text = 'This Agreement is made as of March 2, 2015 (the "Effective Date") by Acme Inc. and Widget LLC.'
    _, pre_end = P.parties(text)
    eff = T.effective_date(text, [], T.agreement_date(text, pre_end), pre_end)
    assert _evidence(text, eff) == "March 2, 2015"


# ----------------------------------------------------------------------------- term and expiration
PREAMBLE = "This Agreement is made as of January 1, 2020 between Acme Inc. and Widget LLC.\n\n"


@pytest.mark.parametrize(("clause", "initial", "expiration"), [
    (("Subject to earlier termination, the initial term of this Agreement shall be for a period beginning on the "
      "Effective Date and ending ten (10) years thereafter."), "P10Y", "2030-01-01"),
    (("Unless terminated earlier as provided herein, this Agreement shall terminate on the date three (3) years "
      "from the Effective Date."), "P3Y", "2023-01-01"),
    (("This Agreement shall be for the term of one year; thereafter, the Agreement shall renew automatically "
      "under these same terms."), "P1Y", "2021-01-01"),
    (("This Agreement shall commence on the Effective Date and shall continue for ten (10) Contract Years, "
      "unless terminated in accordance with Section 6."), "P10Y", "2030-01-01"),
    (("Unless sooner terminated, this Agreement shall remain in full force and effect for at least one year "
      "thereafter."), "P1Y", "2021-01-01"),
    (("The initial term of this Agreement shall continue until the fifth (5t h) anniversary of the Effective "
      "Date."), "P5Y", "2025-01-01"),
    ("The Term shall commence on July 23, 2013 and shall expire on July 22, 2016, unless terminated earlier.",
     "P3Y", "2016-07-22"),
    (("The term of this Agreement will commence on the Effective Date and will end automatically upon the end of "
      "Year 3."), "P3Y", "2023-01-01"),
    # the end events listed after a lead-in the segmenter splits off
    (("This Agreement shall remain in effect until the earlier of the following events:\n\n(a) the third anniversary "
      "of this Agreement; and\n\n(b) Widget ceasing to hold any shares of Acme."), "P3Y", "2023-01-01"),
    # the term is stated before the renewal the same sentence goes on to
    (("This Agreement shall be effective until the earlier of (a) its termination under Article 9 or (b) the date "
      "that is two (2) years after the date of this Agreement; provided, however, that this Agreement will renew "
      "automatically for successive terms of one (1) year."), "P2Y", "2022-01-01"),
    # "for the five (5) year term"; the one-year extensions are renewals, not the term
    (("This contract shall remain in effect initially for the five (5) year term from the date signed and shall "
      "be automatically extended for one (1) year periods thereafter."), "P5Y", "2025-01-01"),
    ("It shall be effective on 6 October 2020 and shall have a duration of two years.", "P2Y", "2022-10-06"),
    # the date the length runs from comes after it
    ("The initial period of this Agreement shall be for a period of two (2) months to commence on March 1, 2020.",
     "P2M", "2020-05-01"),
    ("The initial term of this Agreement shall expire in five (5) years from the Effective Date.", "P5Y", "2025-01-01"),
    # the length of a renewal, or a renewal sentence that names the initial period, is not the term
    (("The initial term of this Agreement is three (3) years.\n\nA subsequent renewal of a two (2) year term may be "
      "negotiated in good faith."), "P3Y", "2023-01-01"),
    (("It shall be effective on 6 October 2020 and shall have a duration of two years.\n\nAfter the initial period "
      "of two years, the contract shall be automatically renewed for a period of one year on each renewal date."),
     "P2Y", "2022-10-06"),
])
def test_term_length_and_end(clause: str, initial: str, expiration: str) -> None:
    fields = extract(PREAMBLE + clause).fields
    assert fields.get("initial_term") == initial
    assert fields.get("expiration_date") == expiration


@pytest.mark.parametrize(("text", "initial", "expiration"), [
    # a form field states the end date (on the label's line or the next), and the term sentence points to it
    (("CONTENT LICENSE AGREEMENT\nEffective Date: October 1, 2020\nExpiration Date: August 31, 2021\n\nThis "
      "Agreement is made between Acme Inc. and Widget LLC. This Agreement shall expire on the Expiration Date set "
      "forth above."), "P11M", "2021-08-31"),
    (("SUPPLY AGREEMENT\n\nThis Agreement is made as of January 1, 2019 between Acme Inc. and Widget LLC.\n\n"
      "Termination Date:\nDecember 31, 2023\n\nPrices are fixed for each calendar year."), "P5Y", "2023-12-31"),
    # ... or counts it from the effective date
    (("FRANCHISE AGREEMENT\nEffective Date: January 15, 2020\nExpiration Date:   at midnight on the last day of the "
      "month fifteen (15) years from the Effective Date\n\nThis Agreement is made between Acme Inc. and Widget "
      "LLC."), "P15Y", "2035-01-31"),
    # ... or spans the term from one date to another
    (("DISTRIBUTOR AGREEMENT between Acme Inc. and Widget LLC.\n\nINITIAL TERM:      April 15, 2020 through "
      "October 15, 2020\n\nProducts: widgets."), "P6M", "2020-10-15"),
    # the term sentence runs for a period defined elsewhere
    (("This Agreement is made as of February 1, 2020 between Acme Inc. and Widget LLC.\n\n1. Definitions.\n\n"
      'a. "Contract Period" shall mean that period of time from February 1, 2020 through January 31, 2022.\n\n'
      "2. Term. The Term of this Agreement shall be for the Contract Period unless it is terminated earlier."),
     "P2Y", "2022-01-31"),
    ((PREAMBLE + '"Intended End Date" means the later of (a) the seventh (7th) anniversary of the Effective Date and '
      "(b) the date the parties agree.\n\nThis Agreement shall commence on the Effective Date and, unless sooner "
      "terminated, shall continue in effect until the Intended End Date."), "P7Y", "2027-01-01"),
])
def test_term_from_labels_and_definitions(text: str, initial: str, expiration: str) -> None:
    fields = extract(text).fields
    assert fields.get("initial_term") == initial
    assert fields.get("expiration_date") == expiration


def _seg(text: str) -> F.Seg:
    """Return ``text`` as one segment with no classifier probabilities."""
    return F.Seg(0, len(text), text, set(), [(d.iso, d.start, d.end) for d in N.find_dates(text)],
                 [(d.iso, d.start, d.end) for d in N.find_durations(text)], [], [])


@pytest.mark.parametrize(("text", "initial"), [
    # the term comes before the renewal: the renewal does not count against the sentence
    (("This Agreement shall be effective until the earlier of (a) its termination under Article 9 or (b) the date "
      "that is two (2) years after the date of this Agreement; provided, however, that this Agreement will renew "
      "automatically for successive terms of one (1) year."), "P2Y"),
    (("This Agreement shall continue in effect for three (3) years from the Effective Date; thereafter it shall "
      "renew automatically for successive one (1) year periods."), "P3Y"),
])
def test_term_stated_before_its_renewal(text: str, initial: str) -> None:
    found, _ = T.term([_seg(text)], None, None)
    assert found is not None and found.value == initial


@pytest.mark.parametrize(("text", "expiration"), [
    # a bare range of dates is the term only when the sentence is about the agreement (or its term)
    ("This Agreement runs from March 1, 2020 until August 31, 2020.", "2020-08-31"),
    ("During the period beginning March 1, 2020 and ending August 31, 2020, Acme shall not sponsor another program.",
     None),
])
def test_a_range_of_dates(text: str, expiration: str | None) -> None:
    _, found = T.term([_seg(text)], None, None)
    assert (found.value if found else None) == expiration


def test_other_end_date_labels_are_not_the_term() -> None:
    text = (PREAMBLE + "WARRANT TERMS\nExercise Price: $5.00   Option Expiration Date: June 1, 2030\n\nWidget may "
            "exercise the option in whole or in part.")
    assert "expiration_date" not in extract(text).fields


def test_a_term_from_an_event_gives_a_low_confidence_end() -> None:
    out = extract(PREAMBLE + "The term of this Agreement shall continue for one (1) year following the Launch Date.")
    assert out.fields.get("initial_term") == "P1Y"
    assert out.fields.get("expiration_date") == "2021-01-01"   # counted from the effective date, as CUAD does
    assert out.confidence["expiration_date"] == 0.5


def test_anniversary_of_the_date_hereof_counts_from_the_agreement_date() -> None:
    text = ("This Agreement is made as of November 28, 2001 between Acme Inc. and Widget LLC.\n\n"
            "The term of this Agreement shall commence on December 1, 2001 and end on the seventh anniversary of "
            "the date hereof.")
    assert extract(text).fields.get("expiration_date") == "2008-11-28"


@pytest.mark.parametrize("clause", [
    "This Agreement and the license granted herein shall remain effective until terminated.",
    ("The Executive's employment will commence on the Effective Date and shall continue, subject to the terms of "
     "this Agreement, until terminated by either party giving notice."),
    "The term of this Agreement will begin on the Effective Date and will end when terminated by either party.",
    "This Agreement shall continue in force for an unlimited period of time.",
    "The license shall become effective upon execution and shall endure indefinitely unless terminated.",
    # it ends only when a party gives notice (or on an event)
    ("This Agreement shall continue in force until the earlier to occur of (i) Acme no longer owns any Receivables, "
     "and (ii) the delivery of written notice of termination by Acme to Widget."),
    ("This Agreement shall terminate (a) at the option of any party, upon 90 days' advance written notice to the "
     "other parties; or (b) upon a material breach that is not cured within ten days."),
])
def test_perpetual_terms(clause: str) -> None:
    fields = extract(PREAMBLE + clause).fields
    assert fields.get("expiration_date") == "perpetual"
    assert "initial_term" not in fields        # no length is stated: none is invented


@pytest.mark.parametrize("clause", [
    # a period that is not the contract's term
    ("If Acme is indebted to Widget at cancellation, Acme may withhold payment for a period of 90 (ninety) days "
     "to investigate."),
    ('"Trademark License Term" means the period commencing on the Effective Date and ending twenty-four (24) '
     "months thereafter."),
    '"Interim Period" means a period of four (4) years commencing from the Effective Date of this Agreement.',
    ("During the period beginning March 1, 2020 and ending August 31, 2020, Acme shall not sponsor another "
     "program."),
    "The first Fiscal Year shall commence on the Effective Date and end on March 31, 2020.",
    # a time counted from another end: the term runs until an event
    ("This Agreement will start on the Effective Date and continue until 12 months have elapsed since the end of "
     "the latest Statement of Work."),
])
def test_other_periods_are_not_the_term(clause: str) -> None:
    fields = extract(PREAMBLE + clause).fields
    assert "initial_term" not in fields
    assert "expiration_date" not in fields


@pytest.mark.parametrize(("text", "iso"), [
    ("Date: 12-23-2019", "2019-12-23"),            # hyphenated month-day-year
    ("Date: 3-31-16", "2016-03-31"),
    ("dated 23-12-2019", "2019-12-23"),            # day first when the month cannot be 23
    ("call 1-800-555-1234", None),                 # phone numbers are not dates
    ("Case No. 18-10248-MFW", None),
    ("as of1 August 2019", None),                  # glued to a word: not read
    ("effective as of _Dec. 8, 2005", "2005-12-08"),
    ("the _1st day of June, 2019_", "2019-06-01"),
])
def test_more_date_forms(text: str, iso: str | None) -> None:
    assert N.normalize_date(text) == iso


# ----------------------------------------------------------------------------- contract-level reasoning
SCHEDULE_TERM = ("SERVICES AGREEMENT\n\nThis Agreement is made as of March 1, 2015 between Acme Inc. (\"Acme\") and "
                 "Beta LLC (\"Beta\") on the terms of the Schedule.\n\n1. Services. Beta shall provide the Services.\n\n"
                 "SCHEDULE A\nInitial Term:   three (3) years\nFees: USD 100 per month\n")


def test_a_term_stated_in_a_schedule_gives_a_computed_end_date() -> None:
    ex = extract(SCHEDULE_TERM)
    assert ex.fields["initial_term"] == "P3Y"
    assert ex.fields["expiration_date"] == "2018-03-01"
    (s, e), = ex.evidence["expiration_date"]
    assert SCHEDULE_TERM[s:e] == "Initial Term:   three (3) years"
    assert ex.confidence["expiration_date"] == T.COMPUTED_CONFIDENCE < ex.confidence["initial_term"]
    derived = ex.to_json("x")["derived"]["expiration_date"]
    assert derived["computed_from"] == ["agreement_date", "initial_term"]
    (ds, de), = derived["start_evidence"]
    assert SCHEDULE_TERM[ds:de] == "March 1, 2015"


@pytest.mark.parametrize("line", [
    "Notice Period:  thirty (30) days' prior written notice",      # a notice, not a term
    "Payment Term: 30 days after receipt of invoice",              # not the contract's term
    "The Term: as set out in Section 4, and in any case three (3) years",   # the length is not what the field states
])
def test_a_field_that_is_not_the_term_length_gives_nothing(line: str) -> None:
    ex = extract(SCHEDULE_TERM.replace("Initial Term:   three (3) years", line))
    assert "initial_term" not in ex.fields and "expiration_date" not in ex.fields


def test_an_end_date_counted_from_the_effective_date_names_it() -> None:
    text = ("This Agreement is entered into effective as of June 1, 2019 (the \"Effective Date\") between Acme Inc. "
            "(\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "7. Term. The term of this Agreement shall commence on the Effective Date and continue for two (2) years.\n")
    ex = extract(text)
    assert ex.fields["effective_date"] == "2019-06-01" and ex.fields["expiration_date"] == "2021-06-01"
    derived = ex.to_json("x")["derived"]["expiration_date"]
    assert derived["computed_from"] == ["effective_date", "initial_term"]
    assert [list(x) for x in ex.evidence["effective_date"]] == derived["start_evidence"]
    (s, e), = ex.evidence["expiration_date"]               # the evidence is the term sentence, not the date
    assert text[s:e].startswith("7. Term.") or text[s:e].startswith("The term")


def test_a_stated_end_date_is_not_marked_computed() -> None:
    text = ("This Agreement is made as of June 1, 2019 between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "This Agreement shall remain in effect until December 31, 2020.\n")
    ex = extract(text)
    assert ex.fields["expiration_date"] == "2020-12-31"
    assert ex.to_json("x")["derived"] == {}


@pytest.mark.parametrize(("text", "clause", "source"), [
    # the clause that makes the agreement date the effective date is the evidence; the date is where it starts
    (("This Agreement is made as of June 8, 1999 by Acme Inc. and Widget LLC.\n\n4. Term. The Term shall commence "
      "on the date of this Agreement and shall end on December 31, 2000. Fees are due monthly."),
     "The Term shall commence on the date of this Agreement and shall end on December 31, 2000.", "agreement_date"),
    # ... and the clause that makes the last signature date the effective date
    (('This Agreement is made by Acme Inc. and Widget LLC.\n\n"Effective Date" is the date of the most recent '
      "final signature on this Agreement.\n\nAcme Inc. Date: December 12, 2019\nWidget LLC Date: December 19, 2019"),
     '"Effective Date" is the date of the most recent final signature on this Agreement.', "last_signature_date"),
    # definitions run on in one line: the evidence is the definition's own sentence
    (('This Agreement is dated as of October 30, 2018 by Acme Inc. and Widget LLC.\n\n1. Definitions. "Consent" '
      'means written consent, but only to the extent of such consent. "Effective Date" means the date first written '
      'above. "Platform" means the software.'),
     '"Effective Date" means the date first written above.', "agreement_date"),
])
def test_effective_date_taken_from_another_date_cites_the_clause(text: str, clause: str, source: str) -> None:
    out = extract(text)
    assert [text[s:e] for s, e in out.evidence["effective_date"]] == [clause]
    derived = out.derived["effective_date"]
    assert derived["computed_from"] == [source]
    (s, e), = derived["start_evidence"]
    assert N.find_dates(text[s:e])[0].iso == out.fields["effective_date"]


def test_agreement_date_cue_is_a_whole_word() -> None:
    # "CONSTRUCTION" ends in "on" but is no "on": the cover page's date is not the preamble's cue
    text = ("CABLE CONSTRUCTION AND MAINTENANCE AGREEMENT   Lisbon   May 3rd, 2001\n\nTABLE OF CONTENTS\n\n"
            "THIS AGREEMENT, made and entered into this 3rd day of May 2001, by and between Acme Inc. and Widget LLC.")
    _, pre_end = P.parties(text)
    agreed = T.agreement_date(text, pre_end)
    assert agreed is not None and agreed.value == "2001-05-03"
    assert _evidence(text, agreed) == "3rd day of May 2001"


def test_an_agreement_that_begins_and_ends_on_dates_without_the_word_term() -> None:
    from clm.clauses.extract import extract

    ex = extract('SUPPLY AGREEMENT\n\nAcme Corp. ("Acme") and Globex LLC ("Buyer") agree as follows.\n\n'
                 "1. This Agreement begins on March 1, 2027 and ends on February 29, 2028.\n")
    assert (ex.fields["effective_date"], ex.fields["expiration_date"], ex.fields["initial_term"]) == (
        "2027-03-01", "2028-02-29", "P1Y")
    # "ends on" of something else is no term of the agreement
    other = extract('SUPPLY AGREEMENT\n\nAcme Corp. ("Acme") and Globex LLC ("Buyer") agree as follows.\n\n'
                    "1. Buyer's fiscal year ends on June 30, 2027.\n")
    assert "expiration_date" not in other.fields


def test_the_subscription_term_is_a_length() -> None:
    from clm.clauses.extract import extract

    head = ('SERVICES AGREEMENT\n\nThis Services Agreement is entered into as of January 15, 2027 (the "Effective '
            'Date") by and between Acme Corp. ("Acme") and Globex LLC ("Customer").\n\n5. Term. ')
    ex = extract(head + "The Subscription Term is twelve (12) months.\n")
    assert (ex.fields["initial_term"], ex.fields["expiration_date"]) == ("P12M", "2028-01-15")
    # another thing's term is not the agreement's
    assert "initial_term" not in extract(head + "The payment term is thirty (30) days.\n").fields
