"""Termination-for-convenience rules (termination.py) on short hand-written sentences.

The rules are tested without the classifier (probabilities cleared), so each case shows what the
rules alone read; a few end-to-end cases go through extract() with the model.
"""
from __future__ import annotations

import pytest

from clm.clauses.extract import extract, segments
from clm.clauses.extract import termination as X
from clm.clauses.extract.fields import Seg


def _rules(text: str) -> tuple[object, object]:
    """Return (tfc, notice) Found objects read by the rules alone."""
    segs = segments(text)
    for seg in segs:
        seg.p = {}
    tfc, notice, _cause, _cure = X.termination(segs)
    return tfc, notice


def _seg(start: int, text: str, p: float = 0.0) -> Seg:
    return Seg(start, start + len(text), text, {"terminate"}, [], [], [], [], {"tfc": p})


@pytest.mark.parametrize(("text", "notice"), [
    # an unconditional alternative among conditional ones; "six (6)" opens no alternative
    (("This Agreement may be terminated by the Buyer by written notice to the Seller (i) at any time upon six (6) "
     "months prior written notice, (ii) on six (6) months prior notice following the sale of the plant, or "
     "(iii) if the Seller is in material breach."), "P6M"),
    (("This Agreement shall terminate (a) at the option of any party, upon 90 days' advance written notice to the "
     "other parties; or (b) in the event of a material breach that is not cured within ten days."), "P90D"),
    # the mutual way out is one alternative, the notice right another
    (("This Agreement shall be earlier terminated (x) by mutual agreement of the parties, or (y) at any time upon "
     "forty-five (45) days advance written notice to the other party."), "P45D"),
    # "with or without supplying a reason" and "for any reason or no reason"
    (("Either party may cancel this Agreement at any time, with or without giving a reason, through written "
     "notification."), "P0D"),
    (("The Reseller may terminate this Agreement upon sixty (60) days notice to the Supplier for any reason or no "
     "reason."), "P60D"),
    # "so long as no default exists" grants the right while nobody is in default
    (("So long as no default exists and is continuing hereunder, either party may terminate this Agreement at any "
     "time upon thirty (30) days written notice to the other party."), "P30D"),
    # "at any time, in its discretion, prior to the Closing" is a window, not a condition
    ("This Agreement may be terminated by the Parent at any time, in its sole discretion, prior to the Closing.",
     "P0D"),
    # "following the second anniversary" is a window, not a condition
    (("The Licensee may terminate this Agreement (a) following a Product Failure, upon thirty (30) days' notice; "
     "and (b) at any time following the second (2nd) anniversary of the Launch Date, for any reason, upon ninety "
     "(90) days' written notice to the Licensor."), "P90D"),
    # a non-renewal notice gives no reason: "for any reason" makes it a right at will
    (("Either Party may terminate this Agreement for any reason upon providing 120 days prior written notice to the "
     "other Party prior to the expiration of the then-current term."), "P120D"),
    # an alternative naming another party does not inherit the first one's condition
    (("This Agreement may be terminated by the Licensor at any time in the event that the Licensee receives notice "
      "of a claim; by the Licensor or the Licensee upon sixty (60) days' written notice to the other party; or by the "
      "Licensee in the event of a change of control."), "P60D"),
    # no period at all: the right is exercised by the notice itself
    (("The Sponsor shall have the right at any time prior to June 30 to terminate this Agreement by giving written "
     "notice of such termination to the Team."), "P0D"),
    (("This Agreement may be terminated at any time while the Artist is living by written notice thereof by either "
     "party to the other."), "P0D"),
])
def test_convenience_phrasings(text: str, notice: str) -> None:
    tfc, found = _rules(text)
    assert tfc is not None and tfc.value is True
    assert found is not None and found.value == notice


@pytest.mark.parametrize("text", [
    # a restated right carries the conditions of the sentence before it
    ("This option to terminate this Agreement may only be exercised by providing written notice within ninety (90) "
    "days of receiving notice of such merger."),
    # termination at the end of a term on notice before it is non-renewal
    ("Customer or Vendor may terminate Support Services at the end of a Support Term by providing the other with no "
    "less than thirty (30) days prior written notice before the end of the Support Term."),
    # termination by a vote is a body's decision, not a party's right at will
    ("This Agreement may be terminated at any time, without the payment of any penalty, upon 60 days' written notice, "
    "by the vote of a majority of the outstanding voting securities of the Fund."),
    # a label "(c)" and a gloss "(25)" do not hide the condition
    ("(c) If the average number of field representatives is less than twenty-five (25) over any sixty (60)-day "
    "period, the Distributor will have the right to terminate this Agreement by giving thirty (30) days' notice."),
    # the condition of the head covers alternatives that name no other party
    ("In the event the Product is withdrawn from the market, either party may terminate this Agreement (i) upon "
     "thirty (30) days written notice, or (ii) upon the withdrawal taking effect."),
    # naming the phrase grants nothing
    ("For the avoidance of doubt, if the Company elects to pay salary in lieu after notice of termination has been "
    "given by you, this will not constitute a termination by the Company without Cause."),
    # cancelling an event the terms are about is not ending the terms
    ("We reserve the right to cancel the Event or any related event at any time, for any reason, and without "
     "liability to you."),
])
def test_not_convenience(text: str) -> None:
    tfc, notice = _rules(text)
    assert tfc is None and notice is None


@pytest.mark.parametrize("text", [
    ("This Agreement may be terminated at any time upon the occurrence of any of the following events:\n"
    "(a) the Licensor becomes insolvent;\n"
    "(b) the License Agreement is terminated or expires for any reason.\n"),
    ("The Sponsor may terminate a Study Order immediately upon written notice to the Site if:\n"
    "(i) the Site fails to enroll patients;\n"
    "(ii) the Study is canceled, terminated or placed on hold for any reason.\n"),
])
def test_a_list_of_causes_is_not_convenience(text: str) -> None:
    tfc, _notice = _rules(text)
    assert tfc is None


def test_a_convenience_item_wins_over_its_list_introduction() -> None:
    text = ("This Agreement may be terminated as follows:\n"
            "(a) by either party if the other party commits a material breach;\n"
            "(b) either party may, at its option, terminate this Agreement without cause upon giving at least ninety "
            "(90) days prior written notice of such termination to the other party.\n")
    segs = segments(text)
    for seg in segs:
        seg.p = {"tfc": 0.9}
    tfc, notice, _cause, _cure = X.termination(segs)
    item = text.index("(b)")
    assert tfc is not None and tfc.evidence == [(item, len(text) - 1)]
    assert notice is not None and notice.value == "P90D"


def test_a_heading_is_not_a_list_item() -> None:
    segs = [_seg(0, "The Licensee shall have the right to terminate this Agreement in its entirety:", 0.5),
            _seg(90, "11.3 Unilateral Termination by Licensor.", 0.5)]
    assert X._convenience_item(segs, 0) is None


def test_a_sentence_broken_by_a_page_break_is_read_whole() -> None:
    head = ("The term will end on the first anniversary; provided that either party may terminate this Agreement, "
            "effective at any time after the first three")
    tail = "months of the Term, by giving 30 days' written notice of termination to the other party."
    joined = X._join_broken([_seg(0, head, 0.04), _seg(len(head) + 40, tail, 0.37)])
    assert len(joined) == 1
    assert joined[0].start == 0 and joined[0].end == len(head) + 40 + len(tail)
    assert joined[0].text.endswith(tail) and len(joined[0].text) == joined[0].end
    assert joined[0].p["tfc"] == 0.37


@pytest.mark.parametrize(("first", "second", "gap"), [
    ("Either party may terminate this Agreement.", "thereafter the parties shall cooperate.", 5),   # sentence ended
    ("Either party may terminate this Agreement by giving", "Notice shall be in writing.", 5),         # capital
    ("Either party may terminate this Agreement by giving", "written notice to the other party.", 400),  # far apart
])
def test_pieces_that_are_not_one_sentence_stay_apart(first: str, second: str, gap: int) -> None:
    segs = [_seg(0, first), _seg(len(first) + gap, second)]
    assert len(X._join_broken(segs)) == 2


@pytest.mark.parametrize(("text", "at_once"), [
    ("Either party may terminate this Agreement upon written notice to the other.", True),
    ("The Client may cancel this agreement at any time at its discretion.", True),
    ("Either party may terminate this Agreement upon prior written notice to the other.", False),  # period unsaid
    ("Either party may terminate this Agreement, without cause, by giving [***] days prior written notice.", False),
    ("Either party may terminate this Agreement upon ____ (__30__) days written notice.", False),
])
def test_notice_without_a_period(text: str, at_once: bool) -> None:
    assert X._takes_effect_at_once([_seg(0, text)]) is at_once


def test_end_to_end_any_time_on_notice() -> None:
    text = ("1. Term. This Agreement begins on the Effective Date.\n"
            "2. Termination. Either party may terminate this Agreement at any time upon thirty (30) days "
            "prior written notice to the other party.\n")
    fields = extract(text).to_json("x")["fields"]
    assert fields["termination_for_convenience"] is True
    assert fields["termination_notice"] == "P30D"


def _low_p(text: str, p: float = 0.01) -> tuple[object, object]:
    """Return (tfc, notice) when the model finds every sentence unlikely (below the veto)."""
    segs = segments(text)
    for seg in segs:
        seg.p = {"tfc": p}
    tfc, notice, _cause, _cure = X.termination(segs)
    return tfc, notice


@pytest.mark.parametrize(("text", "notice"), [
    # a list item that holds an unconditional alternative beside a conditional one
    (("Either party may terminate this Agreement before the end of the Term:\n"
      "(i) upon sixty (60) days prior written notice, or (ii) immediately upon written notice to the other party if "
      "the other party becomes insolvent.\n"), "P60D"),
    # "giving to the other not less than N months' notice": the notice word comes late
    (("Without prejudice to the Employer's right to dismiss you summarily under paragraph 9, either you or the "
      "Employer may terminate your employment by giving to the other not less than three months' notice in "
      "writing."), "P3M"),
    # the period runs from the notice
    (("Either party may terminate this Agreement for convenience, effective sixty (60) days after written notice "
      "to the other party."), "P60D"),
    (("The Distributor may terminate this Agreement at any time, effective ninety days following receipt of such "
     "notice by the Supplier."), "P90D"),
])
def test_more_convenience_phrasings(text: str, notice: str) -> None:
    tfc, found = _rules(text)
    assert tfc is not None and tfc.value is True
    assert found is not None and found.value == notice


@pytest.mark.parametrize(("text", "notice"), [
    # "for any reason" in an unconditional alternative is a right at will, whatever the model says
    (("This Agreement may be terminated (a) by either party if the other party becomes insolvent; or (b) by "
      "either party for any reason upon three (3) months prior written notice."), "P3M"),
    # "immediately ... for any reason, including if ...": what follows "including" illustrates the right
    (("The Owner reserves the right to terminate this Agreement immediately upon written notice for any reason, "
      "including if the Mark is used in a way the Owner does not approve."), "P0D"),
])
def test_a_right_for_any_reason_survives_a_low_score(text: str, notice: str) -> None:
    tfc, found = _low_p(text)
    assert tfc is not None and tfc.value is True
    assert found is not None and found.value == notice


@pytest.mark.parametrize("text", [
    # a condition before the right still rules it out
    "If the Licensee fails to pay any fee, the Licensor may terminate this Agreement immediately for any reason.",
    # "for any reason set forth in ..." points at named reasons
    "Either party may terminate this Agreement for any reason set forth in Section 12.2 upon thirty days' notice.",
    # the phrase describes a termination, it grants none
    ("In the event of a termination of this Agreement by either party for any reason, the Distributor shall return "
     "all materials within thirty (30) days."),
])
def test_any_reason_that_is_not_a_right_at_will(text: str) -> None:
    tfc, _notice = _low_p(text)
    assert tfc is None


def test_the_next_sentence_states_the_notice_period() -> None:
    first = "Either party may terminate this Agreement at any time without cause by written notice to the other party."
    second = "Such termination shall be effective ninety (90) days after receipt of such notice."
    text = first + " " + second
    tfc, notice = _rules(text)
    assert tfc is not None and tfc.value is True
    assert notice is not None and notice.value == "P90D"
    assert notice.evidence[-1] == (len(first) + 1, len(text))


@pytest.mark.parametrize("second", [
    "Such termination shall be effective thirty (30) days after notice unless the breach has been cured.",  # a cure
    "The Supplier shall deliver the remaining goods within thirty (30) days after such notice.",  # not the right's
    "Such notice shall be copied to the Agent, who shall file it within ten (10) days after such notice.",  # nor this
])
def test_a_next_sentence_that_states_no_notice_period(second: str) -> None:
    text = "Either party may terminate this Agreement at any time upon prior written notice to the other. " + second
    tfc, notice = _rules(text)
    assert tfc is not None and tfc.value is True
    assert notice is None


@pytest.mark.parametrize(("text", "cut"), [
    ("as set out in Section 6(b) hereof", False),     # a section reference opens no alternative
    ("pursuant to Sections 4.2(a)(ii) and 7", False),
    ("upon notice, or (b) by either party", True),
])
def test_section_references_are_not_alternatives(text: str, cut: bool) -> None:
    assert any(m.group(0).startswith("(") for m in X._SUBCLAUSE.finditer(text)) is cut
