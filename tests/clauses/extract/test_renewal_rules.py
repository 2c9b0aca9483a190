"""Renewal rules (renewal.py): which sentences renew the agreement, the renewal period, the non-renewal notice."""
from __future__ import annotations

import pytest

from clm.clauses.extract import extract
from clm.clauses.extract import renewal as R
from clm.clauses.extract.fields import Seg

_TERM = "This Agreement shall commence on the Effective Date and continue for an initial term of two (2) years. "


def _fields(text: str) -> dict:
    return extract(text).to_json("x")["fields"]


# ----------------------------------------------------------------------------- helpers on plain text
@pytest.mark.parametrize(("text", "renews"), [
    ("The license is renewable for one (1) year at the Licensee's option.", True),
    ("This Agreement is renewable annually.", True),
    ("Services are provided for a renewable one-year term.", True),
    ("The Issuer sells renewable unsecured notes to investors.", False),
    ("Supplier builds plants that run on renewable energy sources.", False),
    (("During the Term and any renewal terms of this Agreement, and for a period of one year after, Buyer shall not "
     "hire Seller's staff."), False),
    # "an automatic extension", with no word between "automatic" and "extension"
    (("This Agreement shall be subject to an automatic extension for consecutive one (1) year periods thereafter, "
      "unless terminated upon thirty (30) days' written notice by either Party."), True),
    ("This Agreement is subject to automatic renewal for successive one-year terms.", True),
])
def test_renewal_match_skips_adjectives_and_nouns(text: str, renews: bool) -> None:
    assert bool(R._renewal_match(text)) is renews


@pytest.mark.parametrize(("text", "not_renewal"), [
    ("The time required for performance shall be extended for a period equal to the period of such delay.", True),
    ("Any deadline affected shall automatically be extended by the number of days the dispute lasted.", True),
    ("The Franchisee acknowledges that this Agreement is non-renewable.", True),
    ("Reseller may terminate if the supply agreement has not been renewed for an additional term.", True),
    ("Each party has made no commitment whatsoever regarding the renewal of this Agreement.", True),
    ("This Agreement shall automatically renew for successive one (1) year periods.", False),
])
def test_not_renewal_phrasings(text: str, not_renewal: bool) -> None:
    assert bool(R._NOT_RENEWAL.search(text)) is not_renewal


@pytest.mark.parametrize(("text", "mutual"), [
    ("This Agreement may be renewed upon mutual, written agreement of the parties.", True),
    ("The Agreement may be renewed, subject to mutual written approval.", True),
    ("The parties may agree to renew this Agreement under mutually acceptable terms.", True),
    ("This Agreement may be extended for one year upon the agreement of both parties.", True),
    ("This Agreement shall automatically renew for one year unless the parties mutually agree otherwise.", False),
    ("This Agreement shall renew for successive one (1) year terms.", False),
])
def test_mutual_renewal(text: str, mutual: bool) -> None:
    assert R._is_mutual(text) is mutual


@pytest.mark.parametrize(("text", "evergreen"), [
    ("This Agreement shall remain in effect until terminated by either Party upon thirty (30) days' notice.", True),
    ("It shall continue indefinitely after that until terminated by either party giving three months' notice.", True),
    ("This Agreement shall continue in full force and effect until terminated as provided below.", False),
])
def test_evergreen_phrasing(text: str, evergreen: bool) -> None:
    assert bool(R._EVERGREEN.search(text)) is evergreen


# ----------------------------------------------------------------------------- end to end
@pytest.mark.parametrize("text", [
    "The Company issues renewable subordinated notes under this Agreement in the amounts set out below.",
    ("Any delay caused by an event beyond a party's control shall not be a breach of this Agreement, and the time "
    "required for performance shall be extended for a period equal to the period of such delay."),
    _TERM + "This Agreement may be renewed upon mutual, written agreement of the parties.",
    _TERM + "The Distributor acknowledges that this Agreement is non-renewable.",
    _TERM + "This Agreement shall continue in effect until terminated as provided in Section 9.",
])
def test_no_renewal(text: str) -> None:
    assert "auto_renewal" not in _fields(text)


@pytest.mark.parametrize(("text", "term"), [
    (("The present Agreement is effective as from 1 January 2021. It is established by calendar year and renewed "
     "tacitly every year."), "P1Y"),
    (_TERM + "Without notice from either party, this Agreement will automatically extend for an additional month "
     "of service.", "P1M"),
    (_TERM + "This Agreement will extend automatically for monthly periods unless either party notifies the other "
     "party in writing at least thirty (30) days before the expiration of the then current term.", "P1M"),
    (_TERM + "Thereafter, this Agreement shall be renewed automatically on a three (3) year basis, unless one party "
     "notifies the other at least ninety (90) days prior to the expiration of the then current term.", "P3Y"),
    (_TERM + "Thereafter, this Agreement shall be extended automatically on a yearly basis unless either party "
     "objects.", "P1Y"),
])
def test_renewal_period(text: str, term: str) -> None:
    fields = _fields(text)
    assert fields["auto_renewal"] is True
    assert fields["renewal_term"] == term


@pytest.mark.parametrize(("text", "notice"), [
    # evergreen term: renews (perpetually), notice in the same sentence, no renewal period
    (("The term of this Agreement shall commence on the Effective Date and shall remain in effect until terminated by "
     "either Party upon sixty (60) days' prior written notice."), "P60D"),
    # the notice sentence continues the renewal sentence
    (_TERM + "Thereafter this Agreement shall renew automatically for successive one (1) year periods unless "
     "terminated by either party. Such notice must be given ninety (90) days prior to expiration of the then "
     "current term.", "P90D"),
    # the notice sentence was cut after "unless terminated"
    (_TERM + "Thereafter it shall renew automatically for successive one (1) year periods until terminated\n\n"
     "by either party with six (6) months' written notice prior to the expiration of the then current term.", "P6M"),
])
def test_non_renewal_notice(text: str, notice: str) -> None:
    fields = _fields(text)
    assert fields["auto_renewal"] is True
    assert fields["non_renewal_notice"] == notice


@pytest.mark.parametrize("text", [
    "This Agreement shall commence on the Effective Date and shall remain in effect until terminated by either "
    "Party upon thirty (30) days' prior written notice.",
    _TERM + "Thereafter, it shall automatically continue until terminated by either party upon not less than "
    "thirty (30) days prior written notice.",
])
def test_evergreen_renews_until_terminated(text: str) -> None:
    # No period: each renewal runs until a party ends it (CUAD's answer is "perpetual" too).
    fields = _fields(text)
    assert fields["auto_renewal"] is True
    assert fields["renewal_term"] == "perpetual"
    assert fields["non_renewal_notice"] == "P30D"


def test_a_renewal_period_wins_over_an_evergreen_sentence() -> None:
    fields = _fields(_TERM + "Thereafter this Agreement shall renew automatically for successive one (1) year "
                     "periods. Either party may end it at any time; it shall continue until terminated by either "
                     "party upon thirty (30) days' notice.")
    assert fields["renewal_term"] == "P1Y"


@pytest.mark.parametrize("text", [
    # notice to exercise an option is no notice of non-renewal
    _TERM + "Distributor shall have the option to renew this Agreement for an additional three (3) year period by "
    "providing prior written notice to Company within ninety (90) days of the end of the initial term.",
    # a time to answer a notice
    _TERM + "Unless Supplier notifies Buyer of its intention to extend the Term of this Agreement for an additional "
    "year within thirty (30) days of receiving such notice, the Agreement shall terminate.",
])
def test_no_non_renewal_notice(text: str) -> None:
    assert "non_renewal_notice" not in _fields(text)


def test_insurance_non_renewal_is_not_the_agreements() -> None:
    text = (_TERM + "Licensee shall give thirty (30) days' prior written notice of any cancellation, non-renewal or "
            "material change of the required policies.")
    assert "non_renewal_notice" not in _fields(text)


def test_explicit_non_renewal_notice_anywhere() -> None:
    text = (_TERM + "The Franchisor shall notify the Franchisee of the nonrenewal not less than six (6) months prior "
            "to the expiration of the term of this Agreement.")
    fields = _fields(text)
    assert fields["non_renewal_notice"] == "P6M"
    assert fields["auto_renewal"] is True


def test_period_cut_by_the_segmenter_is_read_across() -> None:
    first = "This Agreement shall be extended automatically for a period of 12"
    second = "months, each such extension starting at the end of the term."
    a = Seg(0, len(first), first, {"renewal"}, [], [], [], [])
    b = Seg(len(first) + 1, len(first) + 1 + len(second), second, set(), [], [], [], [])
    options = R._term_options(a, R._renewal_match(first).start(), b)
    assert [o[1] for o in options] == ["P12M"]


def test_automatic_extension_renews_by_the_rules_alone() -> None:
    from clm.clauses.extract import classifier
    text = ("OPERATIONS AGREEMENT between Acme Inc. and Widget LLC.\n\n2. Term. This Agreement shall have an initial "
            "term of ten (10) years. This Agreement shall be subject to an automatic extension for consecutive one (1) "
            "year periods thereafter, unless terminated upon thirty (30) days' written notice by either Party to the "
            "other Party.")
    with classifier.use(None):
        fields = _fields(text)
    assert (fields.get("auto_renewal"), fields.get("renewal_term"), fields.get("non_renewal_notice")) == (
        True, "P1Y", "P30D")
