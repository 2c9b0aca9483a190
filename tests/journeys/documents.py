"""Real-size Word documents for the journeys: an agreement, the counterparty's redline of it, an archive.

Everything is generated here from a seed (python-docx, lxml and Pillow; nothing read from disk),
and the same arguments give the same bytes: fixed core-property timestamps, fixed zip dates
and member order, images drawn from a seeded random stream.

- :func:`agreement` is a Master Subscription Agreement of 30+ pages and 1-3 MB: a photo-like
  logo in the header, a footer with PAGE/NUMPAGES fields, Word list numbering ("1.", "1.1",
  "(a)") on clause headings and sub-clauses, Heading 1/2 styles, bold and italic runs, a
  footnote, a pricing table and an exhibit photo. :func:`expected_terms` gives the values
  clm's extractor should read from it, so tests state them once.
- :func:`revise` returns the counterparty's copy of a document with native tracked changes
  (and, with ``comment=True``, a comment), and the list of those changes;
  :func:`accept_all` and :func:`reject_all` resolve tracked changes the way Word does.
- :func:`archive` yields distinct real-size .docx files for a bulk import; :func:`archive_plan`
  says what each one states without building it.
"""

from __future__ import annotations

import copy
import functools
import io
import random
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Emu, Inches, Pt
from lxml import etree
from PIL import Image, ImageDraw

__all__ = [
    "ArchiveEntry", "Built", "Change", "Layout", "Revised", "Terms", "accept_all", "agreement", "archive",
    "archive_plan", "build", "counterparty_revision", "expected_terms", "photo", "reject_all", "revise", "spelled",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NSDECL = f'xmlns:w="{W_NS}"'
#: Every zip member carries this date (the zip format has no time zone; Word writes 1980-01-01).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: The counterparty's default reviewer and the moment of their review.
COUNTERPARTY_AUTHOR = "Dana Whitfield"
COUNTERPARTY_DATE = datetime(2026, 2, 20, 15, 42, tzinfo=UTC)

_CT_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
_RT_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _w(tag: str) -> str:
    """Return the Clark name of a w: element or attribute."""
    return f"{{{W_NS}}}{tag}"


# =============================================================================================
# What a document states
# =============================================================================================

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """Return 0-999 in words as contracts write them ("forty-five", "one hundred twenty")."""
    if not 0 <= n < 1000:
        raise ValueError(f"number_words takes 0-999, not {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    rest = n % 100
    return _ONES[n // 100] + " hundred" + (" " + number_words(rest) if rest else "")


def spelled(n: int) -> str:
    """Return "sixty (60)", the way contracts state a number."""
    return f"{number_words(n)} ({n})"


def long_date(d: date) -> str:
    """Return "March 1, 2026"."""
    return f"{d:%B} {d.day}, {d.year}"


def money(amount: Decimal, currency: str) -> str:
    """Return "USD 120,000.00"."""
    return f"{currency} {amount:,.2f}"


#: How each governing law is written ("the laws of ...") and where disputes are heard.
_LAWS = {
    "New York": ("the State of New York", "the state and federal courts located in New York County, New York"),
    "Delaware": ("the State of Delaware", "the state and federal courts located in Wilmington, Delaware"),
    "California": ("the State of California", "the state and federal courts located in San Francisco County, California"),
    "Texas": ("the State of Texas", "the state and federal courts located in Travis County, Texas"),
    "Washington": ("the State of Washington", "the state and federal courts located in King County, Washington"),
    "Illinois": ("the State of Illinois", "the state and federal courts located in Cook County, Illinois"),
    "Massachusetts": ("the Commonwealth of Massachusetts", "the state and federal courts located in Suffolk County, Massachusetts"),
    "England and Wales": ("England and Wales", "the courts of England and Wales sitting in London"),
    "Ontario": ("the Province of Ontario and the federal laws of Canada applicable therein",
                "the courts of the Province of Ontario sitting in Toronto"),
    "Ireland": ("Ireland", "the courts of Ireland sitting in Dublin"),
}


@dataclass(frozen=True)
class Terms:
    """The commercial and legal terms one generated agreement states."""

    title: str = "Master Subscription Agreement"
    provider: str = "Northwind Software, Inc."
    customer: str = "Contoso Retail LLC"
    #: What the agreement calls each party after the preamble.
    provider_role: str = "Provider"
    customer_role: str = "Customer"
    effective_date: date = date(2026, 3, 1)
    initial_term_months: int = 12
    auto_renewal: bool = True
    renewal_term_years: int = 1
    non_renewal_notice_days: int = 60
    termination_for_convenience: bool = True
    termination_notice_days: int = 30
    governing_law: str = "New York"
    payment_days: int = 30
    annual_fee: Decimal = Decimal("120000.00")
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.governing_law not in _LAWS:
            raise ValueError(f"governing_law must be one of {sorted(_LAWS)}, not {self.governing_law!r}")
        if self.annual_fee != self.annual_fee.quantize(Decimal(1)) or self.annual_fee <= 0:
            raise ValueError("annual_fee must be a positive whole amount")

    def expected(self) -> dict[str, Any]:
        """Return the values clm's extractor should read, in its formats (ISO dates, ISO-8601 durations).

        Only what the text states: a contract that simply expires says nothing about renewal,
        so it has no ``auto_renewal`` (clm reports that field only where a renewal is stated),
        and one without a convenience right has no ``termination_notice``.
        """
        out: dict[str, Any] = {
            "parties": [self.provider, self.customer],
            "effective_date": self.effective_date.isoformat(),
            "initial_term": f"P{self.initial_term_months}M",
            "governing_law": self.governing_law,
            "payment_terms": f"P{self.payment_days}D",
            "fees": [{"amount": f"{self.annual_fee:.2f}", "currency": self.currency, "period": "annual"}],
        }
        if self.auto_renewal:
            out["auto_renewal"] = True
            out["renewal_term"] = f"P{self.renewal_term_years}Y"
            out["non_renewal_notice"] = f"P{self.non_renewal_notice_days}D"
        if self.termination_for_convenience:
            out["termination_for_convenience"] = True
            out["termination_notice"] = f"P{self.termination_notice_days}D"
        return out


def expected_terms(**terms: Any) -> dict[str, Any]:
    """Return what clm should extract from ``agreement(**terms)`` (see :meth:`Terms.expected`)."""
    return Terms(**terms).expected()


# =============================================================================================
# Images: photo-like noise over a gradient, so JPEG cannot squeeze it away
# =============================================================================================

@functools.lru_cache(maxsize=16)
def photo(width: int, height: int, seed: int, label: str = "", grain: float = 0.22) -> bytes:
    """Return a JPEG of a noisy two-way gradient with a few shapes (and ``label``), drawn from ``seed``.

    About 0.4 bytes per pixel at the default ``grain``: 1500x800 is ~460 KB, 2400x1600 ~1.4 MB.
    Cached: a document set reuses its logos, as real ones do.
    """
    rng = random.Random(f"photo:{seed}:{width}x{height}")
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    across = Image.linear_gradient("L").resize((width, height))
    down = Image.linear_gradient("L").rotate(90).resize((width, height))
    tint = Image.new("L", (width, height), rng.randrange(60, 200))
    channels = [across, down, tint]
    rng.shuffle(channels)
    img = Image.blend(Image.merge("RGB", channels), noise, grain)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(height // 10, height // 3)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=tuple(rng.randrange(256) for _ in range(3)),
                     width=max(2, height // 60))
    if label:
        draw.text((width // 20, height // 3), label, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


# =============================================================================================
# Clause text: templates and word lists, filled from a seeded random stream
# =============================================================================================

# Placeholders: {P}/{C} the two parties' roles, {ref:topic} the number of another article,
# {pre} an optional opening qualifier, {post} an optional closing one, {obj}/{duty} the
# topic's own nouns and duties. *text* is italic, **text** bold.

_PRE = ("Except as otherwise provided in this Agreement, ", "Subject to the terms and conditions of this Agreement, ",
        "Without limiting the generality of the foregoing, ", "To the extent permitted by Applicable Law, ",
        "Unless the parties otherwise agree in writing, ", "During the Subscription Term, ",
        "Notwithstanding anything to the contrary in any Order Form, ", "At all times, ", "", "", "", "")
_POST = (" in accordance with Applicable Law", " at its own cost and expense", " in a timely and professional manner",
         " consistent with Good Industry Practice", " to the extent reasonably practicable",
         " in accordance with the Documentation", " in a manner that does not unreasonably interfere with the other party's business",
         " as reasonably requested by the other party", "", "", "", "")

#: Sentences any article may use, with the article's own nouns ({obj}) and duties ({duty}).
_GENERIC = (
    "{pre}{A} shall {duty}{post}.",
    "{A} shall maintain complete and accurate written records of {obj} and shall make such records available to {B} upon reasonable request.",
    "{A} shall promptly inform {B} in writing of any change to {obj} that could reasonably be expected to affect {B}'s rights under this Agreement.",
    "Any information concerning {obj} that one party discloses to the other under this Section is Confidential Information of the disclosing party.",
    "Each party shall designate a representative who is responsible for {obj} and who has the authority to make decisions on its behalf.",
    "{A} may update its policies concerning {obj} from time to time, *provided* that no such update materially diminishes the protections afforded to {B}.",
    "The parties shall cooperate in good faith, and shall provide such information and assistance as is reasonably necessary, in relation to {obj}.",
    "Nothing in this Section obliges {A} to disclose information about {obj} that is subject to legal privilege or that relates to its other customers.",
    "{A} is responsible for the acts and omissions of its personnel and contractors in connection with {obj} as if they were its own.",
    "Where {A} relies on a third party in connection with {obj}, {A} shall remain fully responsible for that third party's performance.",
    "{A} shall ensure that all personnel involved in {obj} are appropriately trained, qualified and bound by written obligations no less protective than those in this Agreement.",
    "The obligations in this Section are in addition to, and do not limit, the obligations set out in Section {ref:confidentiality} (Confidentiality).",
    "Any dispute regarding {obj} shall first be referred to the parties' respective relationship managers, who shall meet and confer in good faith.",
    "{A} shall use commercially reasonable efforts to {duty}, and shall keep {B} reasonably informed of its progress.",
    "If {A} becomes aware of any failure to {duty}, it shall notify {B} without undue delay and take reasonable steps to remedy the failure.",
    "The parties acknowledge that {obj} may evolve over the Subscription Term and agree to review the arrangements described in this Section at least once in each contract year.",
    "*For the avoidance of doubt,* {A}'s obligations regarding {obj} apply to all Affiliates, Users and locations covered by an Order Form.",
    "{A} will not charge {B} any additional amount for activities relating to {obj} unless the parties have agreed otherwise in an Order Form or Statement of Work.",
)

#: List items are restrictions on the customer ("(a) copy, frame ...; (b) ...").
_ITEMS_INTRO = ("{C} shall not, and shall not permit any User or third party to:",
                "Except as expressly permitted in this Agreement, {C} shall not:",
                "Without the prior written consent of {P}, {C} shall not:")


@dataclass(frozen=True)
class _Topic:
    """One article: its heading, sub-clause captions, own sentences, nouns, duties and list items."""

    heading: str
    captions: tuple[str, ...]
    sentences: tuple[str, ...]
    objects: tuple[str, ...]
    duties: tuple[str, ...]
    items: tuple[str, ...] = ()
    #: Who is mostly bound in this article: "P", "C" or "both".
    actor: str = "both"
    weight: float = 1.0
    #: Share of the article's sentences taken from its own list (the rest are generic ones).
    own: float = 0.67


_TOPICS: dict[str, _Topic] = {
    "services": _Topic(
        "Subscription Services",
        ("Provision of Services", "Access Rights", "Affiliates", "Users", "Restrictions", "Updates and Enhancements",
         "Third-Party Applications", "Beta Features", "Documentation", "Mobile Applications"),
        ("{pre}{P} shall make the Subscription Services available to {C} and its Users during the Subscription Term in accordance with this Agreement, the applicable Order Form and the Documentation.",
         "{P} grants {C} a non-exclusive, non-transferable, non-sublicensable right to access and use the Subscription Services solely for {C}'s internal business purposes.",
         "{C}'s Affiliates may use the Subscription Services under this Agreement, *provided* that {C} remains responsible for each Affiliate's compliance with this Agreement.",
         "User subscriptions are for designated Users and cannot be shared or used by more than one User, but may be reassigned to new Users replacing those who no longer require access.",
         "{P} may enhance or modify the features and functionality of the Subscription Services from time to time, *provided* that no such change materially reduces the core functionality described in the Documentation.",
         "{P} shall make Updates available to {C} at no additional charge as and when they are generally released to {P}'s other customers.",
         "Third-Party Applications are provided by their respective publishers, and {P} makes no commitment regarding their availability, security or performance.",
         "Beta Features are provided *as is*, are not subject to the service levels in Exhibit B and may be withdrawn by {P} at any time.",
         "The Documentation describes the functionality, configuration options and technical requirements of the Subscription Services and is incorporated into this Agreement by reference.",
         "{P} shall provide the Subscription Services from data centers located in the regions identified in the applicable Order Form."),
        ("the Subscription Services", "the Documentation", "User accounts", "the hosting environment", "Updates",
         "the administrative console", "integrations with {C}'s systems"),
        ("provide the Subscription Services substantially in accordance with the Documentation",
         "maintain the Documentation in a current and accurate form", "operate the hosting environment using industry-standard controls",
         "make the administrative console available to {C}'s designated administrators"),
        ("copy, frame, mirror, modify or create derivative works of the Subscription Services or the Documentation;",
         "sell, resell, license, sublicense, distribute, rent or lease the Subscription Services to any third party;",
         "reverse engineer, decompile or disassemble any part of the Subscription Services, except to the extent Applicable Law expressly permits;",
         "access the Subscription Services in order to build a competitive product or service or to copy any of its features;",
         "use the Subscription Services to store or transmit infringing, libelous or otherwise unlawful material;",
         "interfere with or disrupt the integrity or performance of the Subscription Services or any data contained in them;",
         "attempt to gain unauthorized access to the Subscription Services or their related systems or networks;",
         "use the Subscription Services in a manner that exceeds the usage limits in the applicable Order Form."),
        actor="P", weight=1.3),
    "customer": _Topic(
        "{C} Responsibilities",
        ("Use of Services", "Account Security", "Customer Data", "Customer Systems", "Cooperation", "Administrators"),
        ("{C} is responsible for all activities that occur under its User accounts and for its Users' compliance with this Agreement.",
         "{C} shall use commercially reasonable efforts to prevent unauthorized access to or use of the Subscription Services and shall notify {P} promptly of any such access or use.",
         "{C} is solely responsible for the accuracy, quality, integrity and legality of Customer Data and of the means by which it acquired Customer Data.",
         "{C} shall obtain all consents and provide all notices necessary for {P} to process Customer Data as contemplated by this Agreement.",
         "{C} is responsible for procuring and maintaining the network connections, browsers and equipment needed to access the Subscription Services.",
         "{C} shall provide {P} with timely access to the information, personnel and systems that {P} reasonably requires to perform its obligations.",
         "{C} shall appoint at least one administrator, who shall be responsible for configuring the Subscription Services and managing User access.",
         "{P} shall not be liable for any failure or delay in performance to the extent caused by {C}'s failure to perform its responsibilities under this Section."),
        ("User credentials", "Customer Data", "{C}'s network and equipment", "User access rights", "the information {P} reasonably requests"),
        ("keep all User credentials confidential", "configure the Subscription Services in accordance with the Documentation",
         "maintain appropriate backups of data it holds outside the Subscription Services", "review User access rights at regular intervals"),
        actor="C", weight=0.8),
    "professional": _Topic(
        "Professional Services",
        ("Statements of Work", "Personnel", "Customer Materials", "Acceptance", "Change Requests", "Deliverables", "Project Governance"),
        ("{P} shall perform the Professional Services described in each Statement of Work executed by the parties.",
         "Each Statement of Work shall describe the scope of the Professional Services, the Deliverables, the assumptions on which they are based and any applicable milestones.",
         "{P} shall assign personnel with the skills and experience necessary to perform the Professional Services and may replace such personnel with others of comparable ability.",
         "{C} grants {P} a limited right to use Customer Materials solely to perform the Professional Services.",
         "Deliverables shall be deemed accepted unless {C} notifies {P} in writing of a material nonconformity with the applicable Statement of Work within the acceptance period stated in that Statement of Work.",
         "Either party may request a change to a Statement of Work by submitting a written change request describing the proposed change and its expected impact on schedule and cost.",
         "No change request is binding unless it is documented in a change order signed by authorized representatives of both parties.",
         "The parties shall hold project status meetings at the frequency stated in the applicable Statement of Work and shall record agreed actions in writing.",
         "Professional Services are performed on a time-and-materials basis unless the applicable Statement of Work expressly states a fixed price."),
        ("the Professional Services", "each Statement of Work", "the project plan", "the Deliverables", "Customer Materials"),
        ("perform the Professional Services with due skill, care and diligence", "keep the project plan current",
         "comply with {C}'s reasonable site rules when working on {C}'s premises", "document the configuration of each Deliverable"),
        actor="P", weight=0.9),
    "taxes": _Topic(
        "Taxes",
        ("Responsibility for Taxes", "Withholding", "Exemptions", "Tax Cooperation"),
        ("Fees do not include any taxes, levies, duties or similar governmental assessments of any nature, including value-added, sales, use or withholding taxes (collectively, \"**Taxes**\").",
         "{C} is responsible for paying all Taxes associated with its purchases under this Agreement, excluding Taxes assessed on {P}'s net income, property or employees.",
         "If {P} has the legal obligation to pay or collect Taxes for which {C} is responsible, {P} shall invoice {C} and {C} shall pay that amount unless {C} provides a valid tax exemption certificate.",
         "If Applicable Law requires {C} to withhold any Taxes from a payment, {C} shall gross up the payment so that {P} receives the amount it would have received had no withholding been required.",
         "The parties shall cooperate in good faith to minimize Taxes to the extent legally permissible and shall provide each other with any forms or certificates reasonably requested."),
        ("Taxes", "tax exemption certificates", "withholding obligations", "tax filings relating to this Agreement"),
        ("provide accurate information regarding its tax status", "deliver valid exemption certificates where available",
         "cooperate with reasonable requests relating to tax audits"),
        actor="C", weight=0.5, own=0.85),
    "term": _Topic(
        "Term and Termination",
        ("Effect of Termination", "Retrieval of Customer Data", "Transition Assistance", "Survival", "Suspension"),
        ("Upon any expiration or termination of this Agreement, all rights granted to {C} under this Agreement shall cease and {C} shall stop using the Subscription Services.",
         "For a period after expiration or termination, {P} shall make Customer Data available to {C} for export in the formats described in the Documentation.",
         "After that export period, {P} shall delete Customer Data from its production systems in accordance with the Documentation, except as Applicable Law requires it to retain.",
         "At {C}'s request, {P} shall provide reasonable transition assistance at its then-current professional services rates.",
         "Any provision of this Agreement that by its nature is intended to survive expiration or termination shall so survive, including the provisions on payment, confidentiality, indemnification, limitation of liability and governing law.",
         "{P} may suspend access to the Subscription Services if {C}'s use poses a material security risk, *provided* that {P} restores access as soon as the risk has been resolved.",
         "Expiration or termination of this Agreement does not relieve {C} of its obligation to pay all amounts accrued before the date of expiration or termination."),
        ("the transition of the Subscription Services", "the export of Customer Data", "the return of Confidential Information"),
        ("return or destroy the other party's Confidential Information", "certify the deletion of Customer Data upon request"),
        weight=0.7),
    "confidentiality": _Topic(
        "Confidentiality",
        ("Definition", "Protection of Confidential Information", "Exclusions", "Compelled Disclosure", "Return and Destruction",
         "Equitable Relief", "Residual Knowledge", "Duration"),
        ("\"**Confidential Information**\" means all information disclosed by one party to the other, whether orally or in writing, that is designated as confidential or that reasonably should be understood to be confidential given its nature and the circumstances of disclosure.",
         "The receiving party shall use the same degree of care to protect the disclosing party's Confidential Information that it uses to protect its own confidential information of like kind, and in no event less than reasonable care.",
         "The receiving party shall not use any Confidential Information of the disclosing party for any purpose outside the scope of this Agreement.",
         "The receiving party shall limit access to Confidential Information to those of its and its Affiliates' employees, contractors and advisers who need that access for purposes consistent with this Agreement.",
         "Confidential Information does not include information that is or becomes generally known to the public without breach of any obligation owed to the disclosing party.",
         "Confidential Information does not include information that was known to the receiving party before its disclosure without breach of any obligation owed to the disclosing party, or that was independently developed by the receiving party.",
         "The receiving party may disclose Confidential Information to the extent compelled by law, *provided* that it gives the disclosing party prior notice of the compelled disclosure, to the extent legally permitted, and reasonable assistance at the disclosing party's cost.",
         "Upon the disclosing party's written request, the receiving party shall return or destroy the disclosing party's Confidential Information, except for copies retained in automatic backup systems in the ordinary course.",
         "The parties acknowledge that unauthorized disclosure of Confidential Information may cause irreparable harm for which damages would not be an adequate remedy, and that the disclosing party may seek injunctive relief.",
         "The terms and pricing of this Agreement are Confidential Information of both parties."),
        ("Confidential Information", "the terms of this Agreement", "information disclosed in meetings and workshops", "non-public product roadmaps"),
        ("protect the other party's Confidential Information against unauthorized disclosure", "mark written Confidential Information as confidential where practicable",
         "keep a record of the persons to whom Confidential Information has been disclosed"),
        weight=1.2),
    "data": _Topic(
        "Data Protection and Security",
        ("Processing of Personal Data", "Security Program", "Personnel Security", "Subprocessors", "Audits and Certifications",
         "International Transfers", "Data Subject Requests", "Data Location"),
        ("{P} shall process Personal Data contained in Customer Data only on {C}'s documented instructions and in accordance with the Data Processing Terms in Exhibit C.",
         "{P} shall maintain administrative, physical and technical safeguards designed to protect the security, confidentiality and integrity of Customer Data.",
         "Those safeguards shall include measures to prevent unauthorized access, use, modification or disclosure of Customer Data, encryption of Customer Data in transit and at rest, and logging of administrative access.",
         "{P} shall ensure that its personnel who have access to Customer Data have undergone background checks to the extent permitted by Applicable Law.",
         "{P} may engage Subprocessors to process Customer Data, *provided* that it imposes on each Subprocessor data protection obligations no less protective than those in this Agreement.",
         "{P} shall maintain a current list of Subprocessors on its website and shall give {C} an opportunity to object to a new Subprocessor on reasonable data protection grounds.",
         "{P} shall maintain its independent third-party audit reports and certifications for the Subscription Services and make copies available to {C} upon request.",
         "{P} shall not transfer Customer Data outside the regions identified in the Order Form except in accordance with a lawful transfer mechanism.",
         "{P} shall assist {C}, by appropriate technical and organizational measures, in responding to requests from data subjects to exercise their rights under Data Protection Laws.",
         "{P} shall conduct penetration tests of the Subscription Services by an independent tester at regular intervals and remediate critical findings in a timely manner."),
        ("Customer Data", "Personal Data", "the security program", "Subprocessors", "audit reports", "encryption keys", "access logs"),
        ("maintain an information security program that complies with Data Protection Laws", "encrypt Customer Data in transit and at rest",
         "restrict access to Customer Data to personnel who need it to provide the Subscription Services", "review its security controls at regular intervals"),
        actor="P", weight=1.2),
    "ip": _Topic(
        "Intellectual Property",
        ("Ownership of Services", "Ownership of Customer Data", "Feedback", "Aggregated Data", "Reservation of Rights", "Deliverables"),
        ("As between the parties, {P} and its licensors own all right, title and interest, including all Intellectual Property Rights, in and to the Subscription Services, the Documentation and any Updates.",
         "As between the parties, {C} owns all right, title and interest in and to Customer Data.",
         "{C} grants {P} a worldwide, limited-term license to host, copy, transmit and display Customer Data as necessary to provide the Subscription Services in accordance with this Agreement.",
         "{C} grants {P} a worldwide, perpetual, irrevocable, royalty-free license to use and incorporate into its services any suggestion, enhancement request or other feedback provided by {C} or its Users.",
         "{P} may compile statistical and performance information related to the provision and operation of the Subscription Services, *provided* that such information does not identify {C}, its Users or any individual.",
         "Subject to the limited rights expressly granted in this Agreement, {P} reserves all rights in and to the Subscription Services, and no rights are granted to {C} other than as expressly set forth in this Agreement.",
         "Upon full payment of the applicable fees, {C} shall own the Deliverables created specifically for it under a Statement of Work, excluding any {P} pre-existing materials incorporated into them.",
         "To the extent any {P} pre-existing materials are incorporated into a Deliverable, {P} grants {C} a non-exclusive license to use them as part of that Deliverable for {C}'s internal business purposes."),
        ("Intellectual Property Rights", "Deliverables", "feedback", "aggregated statistical data", "pre-existing materials"),
        ("respect the other party's Intellectual Property Rights", "preserve all proprietary notices on the Documentation",
         "identify any third-party components incorporated into a Deliverable"),
        weight=1.0),
    "warranties": _Topic(
        "Warranties and Disclaimers",
        ("Mutual Warranties", "Performance Warranty", "Malicious Code", "Remedies", "Disclaimer", "Third-Party Components"),
        ("Each party represents and warrants that it is duly organized, validly existing and in good standing under the laws of its jurisdiction of organization and has full power and authority to enter into this Agreement.",
         "Each party represents and warrants that its execution and performance of this Agreement will not conflict with any other agreement to which it is a party.",
         "{P} warrants that the Subscription Services will perform materially in accordance with the Documentation.",
         "{P} warrants that it will not materially decrease the overall security of the Subscription Services during the Subscription Term.",
         "{P} warrants that it will use industry-standard measures designed to prevent the introduction of viruses, worms, Trojan horses or other malicious code into the Subscription Services.",
         "For any breach of the performance warranty, {C}'s exclusive remedies are those described in Section {ref:term} (Term and Termination) and in Exhibit B.",
         "EXCEPT AS EXPRESSLY PROVIDED IN THIS AGREEMENT, NEITHER PARTY MAKES ANY WARRANTY OF ANY KIND, WHETHER EXPRESS, IMPLIED, STATUTORY OR OTHERWISE, AND EACH PARTY SPECIFICALLY DISCLAIMS ALL IMPLIED WARRANTIES, INCLUDING ANY WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE OR NON-INFRINGEMENT, TO THE MAXIMUM EXTENT PERMITTED BY APPLICABLE LAW.",
         "Third-party components included in the Subscription Services are provided under the warranty terms, if any, of their respective licensors."),
        ("the warranties in this Section", "the performance of the Subscription Services", "malicious code protections"),
        ("correct any reproducible nonconformity reported by {C}", "investigate any reported warranty claim"),
        actor="P", weight=0.9),
    "indemnification": _Topic(
        "Indemnification",
        ("Indemnification by {P}", "Exclusions", "Indemnification by {C}", "Procedure", "Mitigation", "Exclusive Remedy"),
        ("{P} shall defend {C} against any claim, demand, suit or proceeding made or brought against {C} by a third party alleging that the Subscription Services infringe or misappropriate that third party's Intellectual Property Rights (a \"**Claim Against Customer**\").",
         "{P} shall indemnify {C} from any damages, attorney fees and costs finally awarded against {C} as a result of, or for amounts paid by {C} under a settlement approved by {P} of, a Claim Against Customer.",
         "{P} has no obligation under this Section for any claim arising from Customer Data, from a modification of the Subscription Services not made by {P}, or from the combination of the Subscription Services with any product not supplied by {P}.",
         "{C} shall defend {P} against any claim made or brought against {P} by a third party alleging that Customer Data, or {C}'s use of the Subscription Services in breach of this Agreement, infringes that third party's rights or violates Applicable Law.",
         "The indemnified party shall give the indemnifying party prompt written notice of the claim, sole control of its defense and settlement, and all reasonable assistance, at the indemnifying party's expense.",
         "The indemnifying party may not settle any claim in a way that imposes an obligation on the indemnified party without its prior written consent, which shall not be unreasonably withheld.",
         "If the Subscription Services become, or in {P}'s opinion are likely to become, the subject of an infringement claim, {P} may procure the right for {C} to continue using them or modify them so that they become non-infringing.",
         "This Section states the indemnifying party's sole liability to, and the indemnified party's exclusive remedy against, the other party for any third-party claim described in this Section."),
        ("the defense of third-party claims", "any settlement of a claim", "the indemnified party's assistance"),
        ("give prompt written notice of any claim", "preserve relevant documents relating to the claim",
         "mitigate its losses arising from any claim"),
        weight=1.0),
    "liability": _Topic(
        "Limitation of Liability",
        ("Exclusion of Consequential Damages", "Exceptions", "Basis of the Bargain", "Insurance Recoveries"),
        ("IN NO EVENT SHALL EITHER PARTY HAVE ANY LIABILITY TO THE OTHER PARTY FOR ANY LOST PROFITS, LOST REVENUES, LOSS OF GOODWILL OR INDIRECT, SPECIAL, INCIDENTAL, CONSEQUENTIAL, COVER OR PUNITIVE DAMAGES, HOWEVER CAUSED, WHETHER IN CONTRACT, TORT OR UNDER ANY OTHER THEORY OF LIABILITY, EVEN IF A PARTY HAS BEEN ADVISED OF THE POSSIBILITY OF SUCH DAMAGES.",
         "The limitations in this Section do not apply to a party's indemnification obligations, to {C}'s obligation to pay fees, or to liability arising from a party's gross negligence, fraud or willful misconduct.",
         "The parties agree that the limitations of liability in this Section are an essential element of the bargain between them and that the fees reflect the allocation of risk they describe.",
         "Each party shall use reasonable efforts to mitigate any loss for which it seeks to recover from the other party under this Agreement.",
         "No action arising out of this Agreement may be brought by either party more than two (2) years after the cause of action has accrued."),
        ("the allocation of risk under this Agreement", "losses arising under this Agreement"),
        ("mitigate its losses", "pursue available insurance recoveries before seeking recovery from the other party"),
        weight=0.6, own=0.85),
    "insurance": _Topic(
        "Insurance",
        ("Required Coverage", "Certificates of Insurance", "Insurers", "No Limitation"),
        ("{P} shall maintain, at its own expense, commercial general liability, professional liability (errors and omissions) and cyber liability insurance with reputable insurers.",
         "{P} shall maintain workers' compensation insurance as required by Applicable Law in each jurisdiction in which its personnel perform services under this Agreement.",
         "Upon {C}'s written request, {P} shall provide certificates of insurance evidencing the coverage required by this Section.",
         "Each insurer shall be licensed to do business in the relevant jurisdiction and shall hold a rating of A- or better from A.M. Best or an equivalent rating agency.",
         "The insurance required by this Section does not limit {P}'s liability under this Agreement."),
        ("the required insurance coverage", "certificates of insurance", "insurance claims relating to this Agreement"),
        ("maintain the insurance coverage required by this Section", "notify {C} of any material reduction in its coverage"),
        actor="P", weight=0.5, own=0.85),
    "service_levels": _Topic(
        "Service Levels and Support",
        ("Availability", "Support", "Maintenance", "Service Credits", "Reporting"),
        ("{P} shall make the Subscription Services available in accordance with the service levels set out in Exhibit B.",
         "{P} shall provide technical support to {C}'s administrators through its online support portal and by telephone during the support hours described in Exhibit B.",
         "{P} shall perform scheduled maintenance outside {C}'s normal business hours wherever reasonably practicable and shall announce it in advance through the support portal.",
         "Service credits are {C}'s sole monetary remedy for any failure to meet the availability commitment in Exhibit B.",
         "{P} shall make monthly reports of availability and support performance available to {C} through the administrative console."),
        ("the service levels", "support requests", "scheduled maintenance", "availability reports"),
        ("respond to support requests within the times set out in Exhibit B", "publish availability reports each month",
         "maintain a public status page for the Subscription Services"),
        actor="P", weight=0.6),
    "audit": _Topic(
        "Audit and Records",
        ("Records", "Audit Rights", "Conduct of Audits", "Findings"),
        ("Each party shall keep complete and accurate books and records relating to its performance under this Agreement.",
         "{C} may, at its own expense and no more than once in any twelve-month period, audit {P}'s compliance with its security obligations under this Agreement by reviewing {P}'s audit reports and, where those reports are insufficient, by an on-site assessment.",
         "Any on-site assessment shall be conducted during normal business hours, upon reasonable advance written request, and in a manner that does not unreasonably disrupt {P}'s operations.",
         "Auditors shall be bound by written confidentiality obligations and shall not be competitors of {P}.",
         "{P} shall remediate any material deficiency identified in an audit within a reasonable period agreed by the parties."),
        ("audit reports", "books and records", "on-site assessments", "remediation plans"),
        ("retain records relating to this Agreement for the period required by Applicable Law", "cooperate with any audit conducted in accordance with this Section"),
        weight=0.6),
    "compliance": _Topic(
        "Compliance with Laws",
        ("General Compliance", "Anti-Corruption", "Export Control", "Sanctions", "Accessibility", "Responsible Sourcing"),
        ("Each party shall comply with all Applicable Laws in its performance of this Agreement.",
         "Neither party has received or been offered any illegal or improper bribe, kickback, payment, gift or thing of value from any employee or agent of the other party in connection with this Agreement.",
         "The Subscription Services and related technology may be subject to export control and economic sanctions laws, and each party shall comply with those laws in connection with this Agreement.",
         "{C} represents that it is not named on any government denied-party list and shall not permit Users to access the Subscription Services in any embargoed country or region.",
         "{P} shall use commercially reasonable efforts to ensure that the user interface of the Subscription Services conforms to generally recognized accessibility guidelines.",
         "Each party shall maintain policies designed to ensure that slavery and human trafficking are not taking place in its business or supply chains."),
        ("compliance with Applicable Laws", "anti-corruption policies", "export control classifications", "sanctions screening"),
        ("comply with all Applicable Laws", "maintain appropriate anti-corruption policies and training", "screen its personnel against applicable sanctions lists"),
        weight=0.7),
    "publicity": _Topic(
        "Publicity",
        ("Press Releases", "Case Studies", "Use of Names"),
        ("Neither party shall issue any press release regarding this Agreement without the prior written approval of the other party.",
         "{P} may invite {C} to participate in case studies, reference calls or joint marketing activities, and {C} may decline any such invitation in its discretion.",
         "Except as expressly permitted in this Section, neither party may use the other party's name, logo or trademarks without its prior written consent."),
        ("press releases", "marketing materials", "the other party's trademarks"),
        ("obtain the other party's approval of any public statement about this Agreement", "follow the other party's trademark usage guidelines"),
        weight=0.3, own=0.85),
    "assignment": _Topic(
        "Assignment and Subcontracting",
        ("Assignment", "Change of Control", "Subcontracting", "Successors"),
        ("Neither party may assign any of its rights or obligations under this Agreement, whether by operation of law or otherwise, without the prior written consent of the other party, which shall not be unreasonably withheld.",
         "Either party may assign this Agreement in its entirety, without the other party's consent, to its Affiliate or in connection with a merger, acquisition, corporate reorganization or sale of all or substantially all of its assets.",
         "Any purported assignment in breach of this Section is void.",
         "{P} may use subcontractors to perform its obligations under this Agreement, *provided* that {P} remains responsible for their performance.",
         "Subject to the foregoing, this Agreement binds and inures to the benefit of the parties and their respective permitted successors and assigns."),
        ("any assignment of this Agreement", "the use of subcontractors"),
        ("inform the other party of any change of control", "ensure that its subcontractors comply with this Agreement"),
        weight=0.5, own=0.85),
    "force_majeure": _Topic(
        "Force Majeure",
        ("Force Majeure Events", "Mitigation", "Prolonged Force Majeure"),
        ("Neither party shall be liable for any failure or delay in performance caused by circumstances beyond its reasonable control, including acts of God, flood, fire, earthquake, pandemic, war, terrorism, civil unrest, labor disputes not involving the affected party's own employees, or failures of public utilities or networks (a \"**Force Majeure Event**\").",
         "The party affected by a Force Majeure Event shall inform the other party as soon as reasonably practicable and shall use diligent efforts to resume performance.",
         "A Force Majeure Event does not excuse {C}'s obligation to pay fees for Subscription Services already provided.",
         "{P}'s business continuity and disaster recovery plans shall remain in effect during any Force Majeure Event."),
        ("Force Majeure Events", "business continuity plans", "disaster recovery arrangements"),
        ("maintain a business continuity plan", "test its disaster recovery arrangements at least annually"),
        weight=0.5, own=0.85),
    "notices": _Topic(
        "Notices",
        ("Form of Notices", "Addresses", "Operational Communications"),
        ("All notices under this Agreement shall be in writing and shall be deemed given upon personal delivery, on the second business day after mailing by a recognized courier, or on the day of sending by email with confirmation of receipt.",
         "Notices to {P} shall be addressed to the attention of its General Counsel at the address set out in the preamble, and notices to {C} shall be addressed to the signatory of this Agreement.",
         "Either party may change its address for notices by giving written notice of the new address to the other party.",
         "Billing-related communications shall be addressed to the billing contact designated by {C} in the applicable Order Form.",
         "Operational communications, including announcements of scheduled maintenance, may be given through the administrative console or by email to {C}'s administrators."),
        ("notices under this Agreement", "contact details for notices", "operational communications"),
        ("keep its contact details for notices current", "acknowledge receipt of notices sent by email"),
        weight=0.4, own=0.85),
    "law": _Topic(
        "Governing Law and Dispute Resolution",
        ("Escalation", "Equitable Relief", "Waiver of Jury Trial", "Costs"),
        ("Before starting any proceeding, the parties shall attempt to resolve any dispute arising out of this Agreement through good-faith negotiations between senior executives with authority to settle it.",
         "Nothing in this Agreement prevents either party from seeking injunctive or other equitable relief from a court of competent jurisdiction to prevent irreparable harm.",
         "EACH PARTY HEREBY WAIVES, TO THE FULLEST EXTENT PERMITTED BY APPLICABLE LAW, ANY RIGHT IT MAY HAVE TO A TRIAL BY JURY IN ANY PROCEEDING ARISING OUT OF OR RELATING TO THIS AGREEMENT.",
         "In any proceeding to enforce this Agreement, the prevailing party shall be entitled to recover its reasonable attorney fees and costs.",
         "The United Nations Convention on Contracts for the International Sale of Goods does not apply to this Agreement."),
        ("any dispute arising under this Agreement", "the escalation procedure", "settlement discussions"),
        ("participate in good faith in the escalation procedure", "continue to perform its obligations while a dispute is pending"),
        weight=0.4, own=0.85),
    "general": _Topic(
        "General Provisions",
        ("Entire Agreement", "Order of Precedence", "Amendment", "Waiver", "Severability", "Relationship of the Parties",
         "Third-Party Beneficiaries", "Counterparts", "Interpretation", "Electronic Signatures"),
        ("This Agreement, including its Exhibits and each Order Form and Statement of Work, constitutes the entire agreement between the parties regarding its subject matter and supersedes all prior agreements, proposals and representations, whether written or oral.",
         "In the event of any conflict or inconsistency among the following documents, the order of precedence is: first, the applicable Order Form; second, this Agreement; third, the Exhibits; and fourth, the Documentation.",
         "No modification, amendment or waiver of any provision of this Agreement is effective unless in writing and signed by the party against which it is to be asserted.",
         "No failure or delay by either party in exercising any right under this Agreement constitutes a waiver of that right.",
         "If any provision of this Agreement is held by a court of competent jurisdiction to be contrary to law, the provision shall be deemed null and void, and the remaining provisions shall remain in effect.",
         "The parties are independent contractors, and this Agreement does not create a partnership, franchise, joint venture, agency, fiduciary or employment relationship between them.",
         "There are no third-party beneficiaries under this Agreement.",
         "This Agreement may be executed in counterparts, each of which is deemed an original and all of which together constitute one instrument.",
         "The headings in this Agreement are for convenience only and do not affect its interpretation, and the words \"including\" and \"include\" mean *including without limitation*.",
         "Each party consents to the use of electronic signatures, and a signed copy of this Agreement delivered by email or other electronic means has the same legal effect as delivery of an original signed copy.",
         "Any purchase order or other ordering document issued by {C} is for administrative convenience only, and its terms shall not modify this Agreement."),
        ("the interpretation of this Agreement", "amendments to this Agreement", "the Exhibits"),
        ("execute such further documents as are reasonably required to give effect to this Agreement",),
        weight=0.9, own=0.85),
}

#: The order in which an agreement's articles appear; archive documents drop some of the optional ones.
_ARTICLE_ORDER = ("definitions", "services", "customer", "professional", "fees", "taxes", "term", "confidentiality",
                  "data", "ip", "warranties", "indemnification", "liability", "insurance", "service_levels", "audit",
                  "compliance", "publicity", "assignment", "force_majeure", "notices", "law", "general")
_OPTIONAL = ("professional", "taxes", "insurance", "service_levels", "audit", "compliance", "publicity")

_DEFINITIONS = (
    ("Affiliate", "means any entity that directly or indirectly controls, is controlled by, or is under common control with the subject entity, where \"control\" means direct or indirect ownership or control of more than fifty percent of the voting interests of the subject entity"),
    ("Applicable Law", "means all laws, statutes, regulations, ordinances and binding governmental orders that apply to a party or to its performance under this Agreement"),
    ("Beta Features", "means features of the Subscription Services that {P} identifies as beta, preview, pilot or early access"),
    ("Customer Data", "means electronic data and information submitted by or for {C} to the Subscription Services, excluding Third-Party Applications"),
    ("Customer Materials", "means any materials, data or information that {C} provides to {P} for use in performing Professional Services"),
    ("Data Protection Laws", "means all Applicable Laws relating to the processing of Personal Data, including the privacy and data security laws of each jurisdiction in which Users are located"),
    ("Deliverables", "means the materials that {P} creates specifically for {C} and delivers to it under a Statement of Work"),
    ("Documentation", "means {P}'s online user guides, help pages and technical documentation for the Subscription Services, as updated from time to time"),
    ("Good Industry Practice", "means the exercise of the degree of skill, care, prudence and foresight that would reasonably be expected from a leading provider of services similar to the Subscription Services"),
    ("Intellectual Property Rights", "means patents, copyrights, trademarks, trade secrets, database rights, moral rights and all other intellectual property rights anywhere in the world, whether registered or unregistered"),
    ("Order Form", "means an ordering document or online order specifying the Subscription Services and Professional Services to be provided under this Agreement, entered into by the parties, including any addenda and supplements to it"),
    ("Personal Data", "means any information relating to an identified or identifiable natural person that is contained in Customer Data"),
    ("Professional Services", "means the implementation, configuration, training and consulting services described in a Statement of Work"),
    ("Security Incident", "means any unauthorized access to, or acquisition, disclosure or loss of, Customer Data in {P}'s possession or control"),
    ("Statement of Work", "means a document executed by both parties that describes Professional Services and references this Agreement"),
    ("Subprocessor", "means any third party engaged by {P} to process Personal Data on behalf of {C}"),
    ("Subscription Services", "means the online, web-based software services that {C} orders under an Order Form and that {P} makes available to {C}, including associated offline and mobile components, but excluding Third-Party Applications"),
    ("Subscription Term", "means the period during which {C} is entitled to use the Subscription Services under this Agreement and the applicable Order Form"),
    ("Third-Party Application", "means a web-based, mobile, offline or other software application that is provided by {C} or a third party and that interoperates with the Subscription Services"),
    ("Update", "means any correction, patch, enhancement or new release of the Subscription Services that {P} makes generally available to its customers"),
    ("User", "means an individual who is authorized by {C} to use the Subscription Services and to whom {C} has supplied a user identification and password, such as an employee, consultant or contractor of {C} or its Affiliates"),
)

_RECITALS = (
    "WHEREAS, {P_name} develops and provides cloud-based software and related services;",
    "WHEREAS, {C_name} wishes to subscribe to certain of those services for use in its business, and {P_name} is willing to provide them on the terms of this Agreement; and",
    "WHEREAS, the parties wish to set out the terms on which orders for services may be placed from time to time under this Agreement;",
)

_ADDRESSES = ("400 Harbor Way, Suite 1200, Seattle, Washington 98101", "77 Water Street, New York, New York 10005",
              "1 Market Plaza, San Francisco, California 94105", "200 Congress Avenue, Austin, Texas 78701",
              "150 North Riverside Plaza, Chicago, Illinois 60606", "1000 N. West Street, Wilmington, Delaware 19801",
              "One Federal Street, Boston, Massachusetts 02110", "20 Fenchurch Street, London EC3M 3BY, United Kingdom",
              "100 King Street West, Toronto, Ontario M5X 1A9, Canada", "2 Grand Canal Square, Dublin 2, Ireland")


def _entity(name: str, rng: random.Random) -> str:
    """Return "a Delaware corporation with its principal place of business at ..." for a party name."""
    address = rng.choice(_ADDRESSES)
    if name.endswith(("Inc.", "Corporation", "Corp.", "Company")):
        kind = f"a {rng.choice(('Delaware', 'Washington', 'New York', 'California'))} corporation"
    elif name.endswith(("LLC", "L.L.C.")):
        kind = f"a {rng.choice(('Delaware', 'New York', 'Texas', 'Illinois'))} limited liability company"
    elif name.endswith(("plc", "Ltd", "Ltd.", "Limited")):
        kind = "a company incorporated in England and Wales"
    elif name.endswith(("LP", "L.P.")):
        kind = "a Delaware limited partnership"
    else:
        kind = "a company organized under the laws of its jurisdiction of incorporation"
    return f"{kind} with its principal place of business at {address}"


# =============================================================================================
# Building paragraphs as WordprocessingML
# =============================================================================================

_MARKUP = re.compile(r"(\*\*.+?\*\*|\*.+?\*)")


def _segments(text: str) -> list[tuple[str, str]]:
    """Return (text, "b"/"i"/"") runs of a template string with **bold** and *italic* marks."""
    out = []
    for part in _MARKUP.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**"):
            out.append((part[2:-2], "b"))
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            out.append((part[1:-1], "i"))
        else:
            out.append((part, ""))
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _run_xml(text: str, fmt: str = "", size: int | None = None) -> str:
    """Return a run; ``fmt`` holds "b" and/or "i", ``size`` is in half-points."""
    rpr = ""
    if fmt or size:
        rpr = ("<w:rPr>" + ("<w:b/>" if "b" in fmt else "") + ("<w:i/>" if "i" in fmt else "")
               + (f'<w:sz w:val="{size}"/>' if size else "") + "</w:rPr>")
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_esc(text)}</w:t></w:r>'


@dataclass
class _Body:
    """Body XML built as strings (fast), with its running word count and the list's numId."""

    num_id: int
    xml: list[str] = field(default_factory=list)
    words: int = 0
    paragraphs: int = 0

    def para(self, segments: Sequence[tuple[str, str]], *, style: str | None = None, level: int | None = None,
             align: str | None = None, keep_next: bool = False, page_break: bool = False,
             extra_runs: str = "", space_after: int | None = None) -> None:
        ppr = []
        if style:
            ppr.append(f'<w:pStyle w:val="{style}"/>')
        if keep_next:
            ppr.append("<w:keepNext/>")
        if page_break:
            ppr.append("<w:pageBreakBefore/>")
        if level is not None:
            ppr.append(f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{self.num_id}"/></w:numPr>')
        if space_after is not None:
            ppr.append(f'<w:spacing w:after="{space_after}"/>')
        if align:
            ppr.append(f'<w:jc w:val="{align}"/>')
        runs = "".join(_run_xml(t, f) for t, f in segments)
        self.xml.append(f"<w:p>{'<w:pPr>' + ''.join(ppr) + '</w:pPr>' if ppr else ''}{runs}{extra_runs}</w:p>")
        self.words += sum(len(t.split()) for t, _ in segments)
        self.paragraphs += 1

    def text(self, text: str, **kw: Any) -> None:
        self.para(_segments(text), **kw)


def _footnote_ref_run(fid: int) -> str:
    return f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="{fid}"/></w:r>'


def _table_xml(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int],
               right: Sequence[bool], bold_rows: frozenset[int] = frozenset()) -> str:
    """Return a bordered table (Word's Table Grid) with a shaded, repeating header row."""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)

    def cell(text: str, width: int, is_right: bool, bold: bool, shade: bool) -> str:
        tcpr = f'<w:tcW w:w="{width}" w:type="dxa"/>' + ('<w:shd w:val="clear" w:color="auto" w:fill="D9E2F3"/>' if shade else "")
        jc = '<w:jc w:val="right"/>' if is_right else ""
        return (f'<w:tc><w:tcPr>{tcpr}</w:tcPr><w:p><w:pPr><w:spacing w:after="0"/>{jc}</w:pPr>'
                f'{_run_xml(text, "b" if bold else "", size=18)}</w:p></w:tc>')

    out = [(f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" '
            f'w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>')]
    out.append('<w:tr><w:trPr><w:tblHeader/></w:trPr>'
               + "".join(cell(h, w, r, True, True) for h, w, r in zip(header, widths, right)) + "</w:tr>")
    for i, row in enumerate(rows):
        out.append("<w:tr>" + "".join(cell(t, w, r, i in bold_rows, False) for t, w, r in zip(row, widths, right)) + "</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


# =============================================================================================
# The agreement
# =============================================================================================

@dataclass(frozen=True)
class Layout:
    """How big a generated document is and what it carries besides text."""

    #: Words of body text to aim for; the result lands within about 6% of it (never under
    #: ~4,000: the preamble, fixed clauses and exhibits).
    words: int = 20_000
    #: Header logo size in pixels ((0, 0) for none); the JPEG is about 0.4 bytes per pixel.
    logo: tuple[int, int] = (1500, 800)
    #: Exhibit photos (pixel sizes); each is a page of its own at the end.
    photos: tuple[tuple[int, int], ...] = ((2000, 1300),)
    footnote: bool = True
    #: Which logo/photo drawing to use (documents of one company share a logo).
    image_seed: int = 0


class _Writer:
    """Fills a body from Terms and a seeded random stream."""

    def __init__(self, terms: Terms, layout: Layout, rng: random.Random, body: _Body, articles: Sequence[str]) -> None:
        self.t = terms
        self.layout = layout
        self.rng = rng
        self.body = body
        self.articles = list(articles)
        self.number = {key: i + 1 for i, key in enumerate(self.articles)}
        self.footnotes: list[str] = []

    # -- text helpers ---------------------------------------------------------------------

    def fill(self, template: str, topic: _Topic | None = None) -> str:
        rng = self.rng
        P, C = self.t.provider_role, self.t.customer_role
        if topic is not None:
            actor = topic.actor if topic.actor != "both" else rng.choice("PC")
        else:
            actor = "P"
        a, b = (P, C) if actor == "P" else (C, P)
        values = {
            "P": P, "C": C, "A": a, "B": b,
            "P_name": self.t.provider, "C_name": self.t.customer,
            "pre": rng.choice(_PRE), "post": rng.choice(_POST),
            "obj": rng.choice(topic.objects) if topic else "",
            "duty": rng.choice(topic.duties) if topic else "",
        }
        # Objects and duties carry {P}/{C} themselves, so they go in before the one format().
        text = template.replace("{obj}", values.pop("obj")).replace("{duty}", values.pop("duty"))
        text = re.sub(r"\{ref:(\w+)\}", lambda m: str(self.number.get(m.group(1), "this")), text)
        return text.format(**values)

    def sentences(self, topic: _Topic, count: int, used: set[str], caption: str = "") -> list[str]:
        """Return ``count`` sentences: the topic's own (each once per article) and generic ones.

        The first is the unused own sentence sharing most words with ``caption``, so a clause
        captioned "Waiver" opens with the sentence about waivers.
        """
        own = [s for s in topic.sentences if s not in used]
        self.rng.shuffle(own)
        lead = None
        words = {w for w in re.findall(r"[a-z]{4,}", caption.lower())}
        if words and own:
            best = max(own, key=lambda s: len(words & set(re.findall(r"[a-z]{4,}", s.lower()))))
            if words & set(re.findall(r"[a-z]{4,}", best.lower())):
                lead = best
                own.remove(best)
        picked = own[:max(0, round(count * topic.own) - (lead is not None))]
        used.update(picked)
        out = [self.fill(s, topic) for s in picked]
        while len(out) < count - (lead is not None):
            out.append(self.fill(self.rng.choice(_GENERIC), topic))
        self.rng.shuffle(out)
        if lead is not None:
            used.add(lead)
            out.insert(0, self.fill(lead, topic))
        return out

    def heading(self, text: str) -> None:
        text = text.format(P=self.t.provider_role, C=self.t.customer_role)
        self.body.para([(text, "")], style="Heading1", level=0, keep_next=True)

    def clause(self, caption: str, text: str, level: int = 1) -> None:
        caption = caption.format(P=self.t.provider_role, C=self.t.customer_role)
        segs = [(caption + ".", "b"), (" ", "")] + _segments(text)
        self.body.para(segs, style="BodyText", level=level, align="both")

    # -- articles ---------------------------------------------------------------------------

    def filler_article(self, key: str, budget: int, fixed: Sequence[tuple[str, str]] = ()) -> None:
        """Write an article: its fixed sub-clauses first, then generated ones up to ``budget`` words."""
        topic = _TOPICS[key]
        self.heading(topic.heading)
        start = self.body.words
        for caption, text in fixed:
            self.clause(caption, text)
        captions = list(topic.captions)
        self.rng.shuffle(captions)
        remaining = max(0, budget - (self.body.words - start))
        n = max(1, min(len(captions), remaining // 90 or 1))
        per = max(2, round(remaining / n / 24))
        used: set[str] = set()
        for i, caption in enumerate(captions[:n]):
            if topic.items and i == 1:
                self.items(topic, caption)
                continue
            count = max(2, per + self.rng.randint(-1, 2))
            self.clause(caption, " ".join(self.sentences(topic, count, used, caption)))

    def items(self, topic: _Topic, caption: str) -> None:
        intro = self.fill(self.rng.choice(_ITEMS_INTRO), topic)
        self.clause(caption, intro)
        chosen = self.rng.sample(topic.items, k=min(len(topic.items), self.rng.randint(4, 7)))
        for j, item in enumerate(chosen):
            text = self.fill(item, topic)
            if j == len(chosen) - 2:
                text = text.rstrip(";") + "; or"
            if j == len(chosen) - 1:
                text = text.rstrip(";") + "."
            self.body.para(_segments(text), style="BodyText", level=2, align="both")

    def definitions(self) -> None:
        self.heading("Definitions")
        self.clause("Defined Terms", "Capitalized terms used in this Agreement have the meanings given to them in this Section or in the Section in which they are first used.")
        for term, meaning in _DEFINITIONS:
            self.body.para([("\"", ""), (term, "b"), ("\" ", "")] + _segments(self.fill(meaning) + "."),
                           style="BodyText", level=2, align="both")

    def fees(self, budget: int) -> None:
        t = self.t
        P, C = t.provider_role, t.customer_role
        fee = money(t.annual_fee, t.currency)
        extra = ""
        if self.layout.footnote:
            where = f" in accordance with Section {self.number['taxes']} (Taxes)" if "taxes" in self.number else ""
            self.footnotes.append("Fees exclude applicable sales, use and value-added taxes, which are invoiced "
                                  f"separately{where}.")
            extra = _footnote_ref_run(len(self.footnotes))
        self.heading("Fees and Payment")
        self.body.para([("Fees.", "b"), (" ", "")] + _segments(
            f"{C} shall pay {P} subscription fees of {fee} per year for the Subscription Services, as further "
            f"itemized in the Order Schedule attached as Exhibit A"), style="BodyText", level=1, align="both",
            extra_runs=extra + _run_xml(". Fees are based on the subscriptions purchased and not on actual usage."))
        self.clause("Invoicing", f"{P} shall invoice {C} annually in advance for the subscription fees, and for "
                    "Professional Services as stated in the applicable Statement of Work.")
        self.clause("Payment Terms", f"All invoices are due and payable within {spelled(t.payment_days)} days of the "
                    f"invoice date (net {t.payment_days}). {C} shall pay all amounts in {t.currency} by wire transfer "
                    f"to the account designated by {P} on the invoice.")
        self.clause("Late Payments", "Overdue amounts accrue interest at the lesser of one percent per month and the "
                    "maximum rate permitted by Applicable Law, from the date payment was due until the date paid.")
        self.clause("Disputed Amounts", f"{C} may withhold payment of any amount it disputes reasonably and in good "
                    f"faith, *provided* that it informs {P} in writing of the basis of the dispute before the due date "
                    "and pays all undisputed amounts when due.")
        self.clause("No Set-Off", f"{C} shall pay all fees without set-off or counterclaim, and payment obligations "
                    "are non-cancelable and fees paid are non-refundable except as expressly provided in this Agreement.")
        used: set[str] = set()
        remaining = budget - 250
        for caption in ("Purchase Orders", "Billing Contacts", "Currency", "Expenses", "Records of Usage"):
            if remaining <= 0:
                break
            text = " ".join(self.sentences(_FEES_TOPIC, 4, used))
            self.clause(caption, text)
            remaining -= len(text.split())

    def term(self, budget: int) -> None:
        t = self.t
        P, C = t.provider_role, t.customer_role
        self.heading("Term and Termination")
        self.clause("Term of Agreement", f"This Agreement commences on the Effective Date and continues for an initial "
                    f"term of {spelled(t.initial_term_months)} months (the \"**Initial Term**\").")
        if t.auto_renewal:
            years = spelled(t.renewal_term_years)
            unit = "year"
            self.clause("Renewal", f"Thereafter, this Agreement shall automatically renew for successive {years} {unit} "
                        f"terms (each, a \"**Renewal Term**\") unless either party gives the other party written notice "
                        f"of non-renewal at least {spelled(t.non_renewal_notice_days)} days before the end of the "
                        "then-current term.")
        else:
            self.clause("Expiry", "This Agreement expires at the end of the Initial Term. Any extension requires a "
                        "written amendment signed by both parties.")
        if t.termination_for_convenience:
            self.clause("Termination for Convenience", f"Either party may terminate this Agreement for convenience "
                        f"upon {spelled(t.termination_notice_days)} days' prior written notice to the other party.")
        self.clause("Termination for Cause", "Either party may terminate this Agreement for cause if the other party "
                    "materially breaches this Agreement and fails to cure the breach within thirty (30) days after "
                    "receiving written notice of it, or if the other party becomes the subject of a petition in "
                    "bankruptcy or any other proceeding relating to insolvency, receivership or liquidation.")
        self.clause("Refund upon Termination", f"If {C} terminates this Agreement for cause, {P} shall refund any "
                    "prepaid fees covering the remainder of the Subscription Term after the effective date of "
                    "termination.")
        remaining = budget - (200 if t.auto_renewal else 140)
        topic = _TOPICS["term"]
        captions = list(topic.captions)
        used: set[str] = set()
        for caption in captions:
            if remaining <= 0:
                break
            text = " ".join(self.sentences(topic, 3, used, caption))
            self.clause(caption, text)
            remaining -= len(text.split())

    def liability(self, budget: int) -> None:
        C = self.t.customer_role
        self.heading("Limitation of Liability")
        self.clause("Cap on Liability", "IN NO EVENT SHALL THE AGGREGATE LIABILITY OF EITHER PARTY TOGETHER WITH ALL "
                    "OF ITS AFFILIATES ARISING OUT OF OR RELATED TO THIS AGREEMENT EXCEED THE TOTAL AMOUNT PAID BY "
                    f"{C.upper()} AND ITS AFFILIATES UNDER THIS AGREEMENT IN THE PERIOD PRECEDING THE FIRST INCIDENT "
                    "OUT OF WHICH THE LIABILITY AROSE, UP TO THE FEES FOR ONE CONTRACT YEAR.")
        topic = _TOPICS["liability"]
        used: set[str] = set()
        start = self.body.words
        for caption in topic.captions:
            if self.body.words - start > budget:
                break
            self.clause(caption, " ".join(self.sentences(topic, 2, used, caption)))

    def publicity(self) -> None:
        P, C = self.t.provider_role, self.t.customer_role
        self.heading("Publicity")
        self.clause("Customer Marks", f"{C} grants {P} the right to use {C}'s name and logo in {P}'s customer lists, "
                    f"on its website and in its investor materials, in accordance with {C}'s trademark usage "
                    f"guidelines as provided to {P} from time to time.")
        used: set[str] = set()
        topic = _TOPICS["publicity"]
        for caption in topic.captions:
            self.clause(caption, " ".join(self.sentences(topic, 2, used, caption)))

    def law(self) -> None:
        t = self.t
        law, venue = _LAWS[t.governing_law]
        self.heading("Governing Law and Dispute Resolution")
        self.clause("Governing Law", f"This Agreement shall be governed by and construed in accordance with the laws of "
                    f"{law}, without regard to its conflict of laws principles.")
        self.clause("Venue", f"Each party irrevocably submits to the exclusive jurisdiction of {venue} for any "
                    "proceeding arising out of or relating to this Agreement.")
        used: set[str] = set()
        topic = _TOPICS["law"]
        for caption in topic.captions:
            self.clause(caption, " ".join(self.sentences(topic, 2, used, caption)))

    # -- the whole document -----------------------------------------------------------------

    def preamble(self) -> None:
        t = self.t
        rng = self.rng
        self.body.para([(t.title.upper(), "")], style="Title", align="center")
        segs = _segments(
            f"This {t.title} (this \"**Agreement**\") is entered into as of {long_date(t.effective_date)} (the "
            f"\"**Effective Date**\") by and between **{t.provider}**, {_entity(t.provider, rng)} (\"**{t.provider_role}**\"), "
            f"and **{t.customer}**, {_entity(t.customer, rng)} (\"**{t.customer_role}**\").")
        self.body.para(segs, style="BodyText", align="both")
        for r in _RECITALS:
            self.body.text(r.format(P_name=t.provider_role, C_name=t.customer_role), style="BodyText", align="both")
        self.body.text("NOW, THEREFORE, in consideration of the mutual covenants contained in this Agreement, and "
                       "for other good and valuable consideration, the receipt and sufficiency of which are hereby "
                       "acknowledged, the parties agree as follows:", style="BodyText", align="both")

    def signatures(self) -> None:
        t = self.t
        self.body.text("IN WITNESS WHEREOF, the parties have caused this Agreement to be executed by their duly "
                       "authorized representatives as of the Effective Date.", style="BodyText", align="both",
                       keep_next=True)
        for name in (t.provider, t.customer):
            self.body.para([(name.upper(), "b")], style="BodyText", keep_next=True, space_after=240)
            for label in ("By: ______________________________", "Name:", "Title:", "Date:"):
                self.body.para([(label, "")], style="BodyText", keep_next=label != "Date:", space_after=60)

    def exhibit_a(self) -> None:
        t = self.t
        self.body.para([("Exhibit A – Order Schedule", "")], style="Heading1", page_break=True, keep_next=True)
        self.body.para([("A.1 Subscription Details", "")], style="Heading2", keep_next=True)
        self.body.text(f"This Order Schedule is entered into under the {t.title} between {t.provider} and {t.customer} "
                       f"and lists the services ordered as of the Effective Date. The subscription fees below are "
                       f"stated per year and are invoiced annually in advance.", style="BodyText", align="both")
        self.body.xml.append(_table_xml(*_order_table(t)))
        self.body.para([("A.2 Invoicing Details", "")], style="Heading2", keep_next=True)
        self.body.text("Invoices shall reference the purchase order number supplied by the customer, if any, and shall "
                       "be sent to the billing contact named in the Order Form. One-time fees are invoiced upon "
                       "signature of this Agreement.", style="BodyText", align="both")

    def exhibit_b(self) -> None:
        P, C = self.t.provider_role, self.t.customer_role
        self.body.para([("Exhibit B – Service Level Agreement", "")], style="Heading1", page_break=True, keep_next=True)
        self.body.para([("B.1 Availability", "")], style="Heading2", keep_next=True)
        self.body.text(f"{P} shall make the Subscription Services available 99.9% of the time in each calendar month, "
                       "excluding scheduled maintenance announced at least two business days in advance and "
                       "unavailability caused by circumstances described in the Force Majeure article.",
                       style="BodyText", align="both")
        self.body.para([("B.2 Support Response Times", "")], style="Heading2", keep_next=True)
        rows = [("Severity 1", "Critical: production use stopped", "1 hour", "24x7"),
                ("Severity 2", "Major: important feature impaired", "4 business hours", "Business hours"),
                ("Severity 3", "Minor: workaround available", "1 business day", "Business hours"),
                ("Severity 4", "Question or enhancement request", "3 business days", "Business hours")]
        self.body.xml.append(_table_xml(("Severity", "Description", "Initial response", "Coverage"), rows,
                                        (1600, 3960, 2100, 1700), (False, False, False, False)))
        self.body.para([("B.3 Service Credits", "")], style="Heading2", keep_next=True)
        self.body.text(f"If availability in a calendar month falls below the commitment in B.1, {C} is entitled to a "
                       "service credit against the next invoice, calculated as a share of the subscription fees "
                       "attributable to that month: five percent below 99.9%, ten percent below 99.5% and twenty-five "
                       "percent below 99.0%. Credits must be requested through the support portal.",
                       style="BodyText", align="both")

    def exhibit_c(self, budget: int) -> None:
        self.body.para([("Exhibit C – Data Processing Terms", "")], style="Heading1", page_break=True, keep_next=True)
        topic = _TOPICS["data"]
        used: set[str] = set()
        sections = ("Scope and Roles", "Instructions", "Confidentiality of Processing", "Security Measures",
                    "Security Incidents", "Subprocessing", "Assistance", "Deletion and Return", "Audits")
        start = self.body.words
        for i, name in enumerate(sections):
            if self.body.words - start > budget and i >= 3:
                break
            self.body.para([(f"C.{i + 1} {name}", "")], style="Heading2", keep_next=True)
            self.body.text(" ".join(self.sentences(topic, 5, used)), style="BodyText", align="both")

    def write(self) -> None:
        target = self.layout.words
        self.preamble()
        weights = {k: _TOPICS[k].weight for k in self.articles if k in _TOPICS}
        fixed_share = 2600  # definitions, fees, term, exhibits A and B, signatures
        per_weight = max(0, target - fixed_share) / (sum(weights.values()) + 1.5)
        for key in self.articles:
            budget = int(per_weight * weights.get(key, 0.6))
            if key == "definitions":
                self.definitions()
            elif key == "fees":
                self.fees(int(per_weight * 0.4))
            elif key == "term":
                self.term(int(per_weight * 0.6))
            elif key == "liability":
                self.liability(budget)
            elif key == "publicity":
                self.publicity()
            elif key == "law":
                self.law()
            else:
                self.filler_article(key, budget)
        self.signatures()
        self.exhibit_a()
        self.exhibit_b()
        self.exhibit_c(int(per_weight * 1.5))


_FEES_TOPIC = _Topic(
    "", (),
    ("{C} may issue purchase orders for administrative purposes, but no term of a purchase order modifies this Agreement.",
     "{C} shall keep its billing contact information current and shall inform {P} of any change within a reasonable time.",
     "All amounts payable under this Agreement shall be paid in the currency stated in the applicable Order Form.",
     "Travel and living expenses incurred in performing Professional Services shall be reimbursed only if approved in advance in writing by {C}.",
     "{P} shall make available through the administrative console a record of the subscriptions purchased and the Users assigned to them.",
     "Invoices shall identify the Order Form to which they relate and the period covered.",
     "{C} shall notify {P} of any invoicing error within a reasonable time after receiving the invoice, and the parties shall correct the error promptly."),
    ("invoices", "billing contact information", "purchase orders", "usage records"),
    ("issue accurate and complete invoices", "keep usage records current"), actor="both")


def _order_table(t: Terms) -> tuple[tuple[str, ...], list[tuple[str, ...]], tuple[int, ...], tuple[bool, ...], frozenset[int]]:
    """Return the Order Schedule table: subscription lines summing to the annual fee, one-time lines, totals."""
    fee = t.annual_fee
    addon = (fee / 6).quantize(Decimal(1))
    platform = fee - addon
    one_time = [("Implementation Services", "Configuration, data migration and go-live support", Decimal(1),
                 (fee / 8).quantize(Decimal(1000))),
                ("Administrator Training", "Remote training sessions for administrators", Decimal(4),
                 (fee / 96).quantize(Decimal(10)))]

    def qty_for(amount: Decimal) -> int:
        return next(q for q in (250, 200, 100, 50, 25, 10, 1) if (amount * 100) % q == 0)

    cur = t.currency
    rows: list[tuple[str, ...]] = []
    for name, desc, amount in (("Enterprise Platform Subscription", "Named-user access to the Subscription Services", platform),
                               ("Analytics Add-on", "Dashboards, reporting and data export", addon)):
        q = qty_for(amount)
        rows.append((name, desc, str(q), money(amount / q, cur), money(amount, cur), "Annually in advance"))
    rows.append(("Subtotal: subscription fees per year", "", "", "", money(fee, cur), ""))
    total = fee
    for name, desc, count, unit in one_time:
        amount = unit * count
        total += amount
        rows.append((name, desc, str(count), money(unit, cur), money(amount, cur), "One-time, upon signature"))
    rows.append(("Total for the first contract year", "", "", "", money(total, cur), ""))
    header = ("Item", "Description", "Qty", "Unit price", "Amount", "Billing")
    widths = (1900, 2200, 600, 1450, 1750, 1460)  # 6.5 inches, the text width
    right = (False, False, True, True, True, False)
    return header, rows, widths, right, frozenset({2, len(rows) - 1})


# =============================================================================================
# The package: styles, numbering, header/footer, footnotes, deterministic zip
# =============================================================================================

def _numbering_xml(abstract_id: int, num_id: int) -> tuple[str, str]:
    """Return an abstractNum ("1.", "1.1", "(a)") and the num that uses it."""
    levels = (("decimal", "%1.", 0, 432), ("decimal", "%1.%2", 0, 720), ("lowerLetter", "(%3)", 720, 360))
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
        f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{left + hang}" w:hanging="{hang}"/></w:pPr></w:lvl>'
        for i, (fmt, text, left, hang) in enumerate(levels))
    abstract = (f'<w:abstractNum {_NSDECL} w:abstractNumId="{abstract_id}"><w:nsid w:val="5A1C0D3E"/>'
                f'<w:multiLevelType w:val="multilevel"/><w:tmpl w:val="7B3A1F20"/>{lvls}</w:abstractNum>')
    num = f'<w:num {_NSDECL} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
    return abstract, num


def _add_numbering(document: Any) -> int:
    """Add the agreement's multi-level list to numbering.xml; return its numId."""
    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(_w("abstractNumId"))) for a in numbering.iterchildren(_w("abstractNum"))]
    num_ids = [int(n.get(_w("numId"))) for n in numbering.iterchildren(_w("num"))]
    abstract_id, num_id = max(abstract_ids, default=-1) + 1, max(num_ids, default=0) + 1
    abstract_xml, num_xml = _numbering_xml(abstract_id, num_id)
    abstract = parse_xml(abstract_xml)
    first_num = numbering.find(_w("num"))
    if first_num is not None:
        first_num.addprevious(abstract)  # schema order: every abstractNum before the nums
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(num_xml))
    return num_id


def _style_document(document: Any) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    body = styles["Body Text"]
    body.paragraph_format.space_after = Pt(6)
    body.paragraph_format.space_before = Pt(0)
    for name, size in (("Heading 1", 13), ("Heading 2", 11.5)):
        st = styles[name]
        st.font.size = Pt(size)
        st.paragraph_format.space_before = Pt(12)
        st.paragraph_format.space_after = Pt(6)
    if "Footnote Text" not in [s.name for s in styles]:
        from docx.enum.style import WD_STYLE_TYPE

        ft = styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH)
        ft.base_style = normal
        ft.font.size = Pt(9)
        fr = styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
        fr.font.superscript = True


def _header_footer(document: Any, terms: Terms, logo: bytes | None) -> None:
    section = document.sections[0]
    section.left_margin = section.right_margin = Inches(1)
    width = section.page_width - section.left_margin - section.right_margin
    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    if logo is not None:
        w, h = _image_size(logo)
        header.add_run().add_picture(io.BytesIO(logo), width=Inches(1.5), height=Emu(int(Inches(1.5) * h / w)))
    header.add_run("\t")
    header.add_run(f"{terms.title} – {terms.customer}").italic = True
    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run(f"{terms.provider_role}–{terms.customer_role} Confidential\tPage ")

    def field(instr: str, shown: str) -> None:
        for xml in (f'<w:r {_NSDECL}><w:fldChar w:fldCharType="begin"/></w:r>',
                    f'<w:r {_NSDECL}><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>',
                    f'<w:r {_NSDECL}><w:fldChar w:fldCharType="separate"/></w:r>',
                    f'<w:r {_NSDECL}><w:t>{shown}</w:t></w:r>',
                    f'<w:r {_NSDECL}><w:fldChar w:fldCharType="end"/></w:r>'):
            footer._p.append(parse_xml(xml))

    field("PAGE", "1")
    footer.add_run(" of ")
    field("NUMPAGES", "1")


def _footnotes_part(document: Any, notes: Sequence[str]) -> None:
    """Add word/footnotes.xml (separators and ``notes``) and relate it to the main document."""
    sep = ('<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
           'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
           'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>')
    body = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {_esc(text)}</w:t></w:r></w:p></w:footnote>'
        for i, text in enumerate(notes, start=1))
    xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
           f'<w:footnotes {_NSDECL}>{sep}{body}</w:footnotes>').encode()
    part = Part(PackURI("/word/footnotes.xml"), _CT_FOOTNOTES, xml, document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)


def _add_photo(document: Any, image: bytes, caption: str) -> None:
    w, h = _image_size(image)
    heading = document.add_paragraph(caption, style="Heading 1")
    heading.paragraph_format.page_break_before = True
    width = Inches(6.5)
    document.add_paragraph().add_run().add_picture(io.BytesIO(image), width=width, height=Emu(int(width * h / w)))
    document.add_paragraph(f"Figure: {caption}", style="Caption")


def _save(document: Any) -> bytes:
    """Return the package as a zip whose bytes depend only on its content (fixed dates and order)."""
    package = document.part.package
    parts = list(package.iter_parts())
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
    overrides = {}
    for part in parts:
        ext = part.partname.ext.lower()
        if ext in ("jpeg", "jpg", "png", "gif"):
            defaults[ext] = part.content_type
        else:
            overrides[str(part.partname)] = part.content_type
    ct = ["<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n", f'<Types xmlns="{_CT_NS}">']
    ct += [f'<Default Extension="{e}" ContentType="{c}"/>' for e, c in sorted(defaults.items())]
    ct += [f'<Override PartName="{n}" ContentType="{c}"/>' for n, c in sorted(overrides.items())]
    ct.append("</Types>")
    members = [("[Content_Types].xml", "".join(ct).encode()), ("_rels/.rels", package.rels.xml)]
    for part in parts:
        members.append((part.partname.membername, part.blob))
        if len(part.rels):
            members.append((part.partname.rels_uri.membername, part.rels.xml))
    return _zip(members)


def _zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out.getvalue()


def _unzip(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


@dataclass(frozen=True)
class Built:
    """A generated document and what it is."""

    data: bytes
    terms: Terms
    layout: Layout
    #: Words of text in the body (table cells included) and body paragraphs written.
    words: int
    paragraphs: int


def build(seed: int = 0, *, terms: Terms | None = None, layout: Layout | None = None,
          articles: Sequence[str] = _ARTICLE_ORDER) -> Built:
    """Return a generated agreement with its terms and size (see :func:`agreement`)."""
    terms = terms or Terms()
    layout = layout or Layout()
    rng = random.Random(f"agreement:{seed}")
    document = docx.Document()
    _style_document(document)
    num_id = _add_numbering(document)
    logo = photo(*layout.logo, seed=layout.image_seed, label=terms.provider) if layout.logo[0] else None
    _header_footer(document, terms, logo)
    body = _Body(num_id)
    writer = _Writer(terms, layout, rng, body, articles)
    writer.write()
    fragment = parse_xml(f"<w:body {_NSDECL}>{''.join(body.xml)}</w:body>")
    sect_pr = document.element.body.find(_w("sectPr"))
    for child in list(fragment):
        sect_pr.addprevious(child)
    for i, size in enumerate(layout.photos):
        caption = ("Exhibit D – Primary Hosting Facility", "Exhibit E – Secondary Hosting Facility",
                   "Exhibit F – Network Operations Center")[i % 3]
        _add_photo(document, photo(*size, seed=layout.image_seed + 100 + i), caption)
    if writer.footnotes:
        _footnotes_part(document, writer.footnotes)
    props = document.core_properties
    props.title = terms.title
    props.subject = f"{terms.title} between {terms.provider} and {terms.customer}"
    props.author = f"{terms.provider} Legal"
    props.last_modified_by = f"{terms.provider} Legal"
    props.keywords = "contract"
    props.category = "Agreement"
    props.revision = 3
    stamp = datetime.combine(terms.effective_date - timedelta(days=21), datetime.min.time()).replace(hour=9)
    props.created = stamp
    props.modified = stamp + timedelta(days=7, hours=5, minutes=12)
    props.last_printed = stamp + timedelta(days=7)
    # docProps/core.xml keeps "generated by python-docx" in dc:description otherwise.
    props.comments = ""
    return Built(_save(document), terms, layout, body.words, body.paragraphs)


def agreement(seed: int = 0, *, words: int = 20_000, footnote: bool = True, **terms: Any) -> bytes:
    """Return a Master Subscription Agreement-like .docx of 30+ pages and 1-3 MB.

    ``terms`` override :class:`Terms` fields (title, provider, customer, effective_date, ...);
    :func:`expected_terms` with the same ``terms`` gives what clm should extract. ``seed``
    varies the clause text, never the terms.
    """
    return build(seed, terms=Terms(**terms), layout=Layout(words=words, footnote=footnote)).data


# =============================================================================================
# Tracked changes: the counterparty's redline, and accepting or rejecting it
# =============================================================================================

@dataclass(frozen=True)
class Change:
    """One change the counterparty made, as clm reports it (``Revision.kind/author/text``)."""

    kind: str  # "insert", "delete" or "comment"
    author: str
    text: str
    date: datetime


@dataclass(frozen=True)
class Revised:
    """The counterparty's copy: its bytes, its changes in document order, what they change in the terms."""

    data: bytes
    changes: tuple[Change, ...]
    #: Extracted values that differ once the changes are accepted (merge over expected_terms()).
    term_updates: dict[str, Any]

    @property
    def revisions(self) -> tuple[Change, ...]:
        """Return the tracked changes only (no comments), as clm's read_revisions lists them."""
        return tuple(c for c in self.changes if c.kind in ("insert", "delete"))


_INSERTED = (
    ("Security Incident Notification", "{P} shall inform {C} without undue delay, and in any event within forty-eight (48) hours, after becoming aware of a Security Incident affecting Customer Data, and shall provide {C} with the information it reasonably requires to meet its own reporting obligations."),
    ("Security Incident Notification", "Upon becoming aware of a Security Incident, {P} shall inform {C} without undue delay and shall take all reasonable steps to contain, investigate and mitigate its effects."),
)
_INSERTED_LIABILITY = (
    ("Data Breach Liability", "The cap in this Section does not apply to {P}'s liability for a Security Incident caused by its breach of Section {n} (Data Protection and Security), which is capped at three times the fees for one contract year."),
    ("Data Breach Liability", "{P}'s liability for any Security Incident resulting from its breach of Section {n} (Data Protection and Security) is subject to a separate cap equal to twice the fees for one contract year."),
)
_COMMENTS = (
    "Our insurer requires a higher cap for data incidents; see our proposed new sub-clause. Happy to discuss on the next call.",
    "We cannot accept a single-year cap here. Please see the carve-out we propose for data incidents.",
)


def _text_of(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(_w("t")))


def _body_paragraphs(root: etree._Element) -> list[etree._Element]:
    body = root.find(_w("body"))
    return [p for p in body if p.tag == _w("p")]


def _is_heading1(p: etree._Element) -> bool:
    ps = p.find(f"{_w('pPr')}/{_w('pStyle')}")
    return ps is not None and ps.get(_w("val")) == "Heading1"


def _article(paras: list[etree._Element], heading: str) -> tuple[int, list[etree._Element]]:
    """Return (article number, paragraphs) of the article whose Heading 1 reads ``heading``."""
    number = 0
    for i, p in enumerate(paras):
        if _is_heading1(p) and p.find(f"{_w('pPr')}/{_w('numPr')}") is not None:
            number += 1
            if _text_of(p) == heading:
                rest = []
                for q in paras[i + 1:]:
                    if _is_heading1(q):
                        break
                    rest.append(q)
                return number, rest
    raise ValueError(f"the base document has no article headed {heading!r}; revise() reads documents "
                     "made by agreement()")


def _clause(paras: list[etree._Element], caption: str) -> etree._Element:
    found = [p for p in paras if _text_of(p).startswith(caption + ".")]
    if len(found) != 1:
        raise ValueError(f"the base document has {len(found)} clauses captioned {caption!r}, not one")
    return found[0]


class _Reviser:
    """Makes tracked changes in a document part as one author at one time."""

    def __init__(self, root: etree._Element, author: str, when: datetime) -> None:
        self.root = root
        self.author = author
        self.when = when
        self.date = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = [int(v) for v in root.xpath("//@w:id", namespaces={"w": W_NS}) if v.lstrip("-").isdigit()]
        self.next_id = max(ids, default=0) + 1
        self.made: list[tuple[etree._Element, Change]] = []

    def mark(self, tag: str) -> etree._Element:
        el = etree.Element(_w(tag))
        el.set(_w("id"), str(self.next_id))
        el.set(_w("author"), self.author)
        el.set(_w("date"), self.date)
        self.next_id += 1
        return el

    def record(self, el: etree._Element, kind: str, text: str) -> None:
        self.made.append((el, Change(kind, self.author, text, self.when)))

    def replace_in_run(self, p: etree._Element, old: str, new: str) -> None:
        """Mark ``old`` (inside one run of ``p``) deleted and ``new`` inserted in its place."""
        for r in p.iter(_w("r")):
            t = r.find(_w("t"))
            if t is None or t.text is None or old not in t.text:
                continue
            before, _, after = t.text.partition(old)
            pieces = []
            if before:
                pieces.append(self._copy_run(r, before))
            d = self.mark("del")
            gone = self._copy_run(r, old)
            gone.find(_w("t")).tag = _w("delText")
            d.append(gone)
            pieces.append(d)
            i = self.mark("ins")
            i.append(self._copy_run(r, new))
            pieces.append(i)
            if after:
                pieces.append(self._copy_run(r, after))
            for piece in pieces:
                r.addprevious(piece)
            r.getparent().remove(r)
            self.record(d, "delete", old)
            self.record(i, "insert", new)
            return
        raise ValueError(f"{old!r} is not inside one run of the paragraph {_text_of(p)[:60]!r}")

    @staticmethod
    def _copy_run(r: etree._Element, text: str) -> etree._Element:
        new = etree.Element(_w("r"))
        rpr = r.find(_w("rPr"))
        if rpr is not None:
            new.append(copy.deepcopy(rpr))
        t = etree.SubElement(new, _w("t"))
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return new

    def insert_paragraph_after(self, anchor: etree._Element, like: etree._Element, caption: str, text: str) -> etree._Element:
        """Insert a tracked new numbered clause after ``anchor``, formatted like ``like``."""
        p = etree.Element(_w("p"))
        ppr = copy.deepcopy(like.find(_w("pPr")))
        for old in ppr.findall(_w("rPr")):
            ppr.remove(old)
        rpr = etree.SubElement(ppr, _w("rPr"))
        rpr.append(self.mark("ins"))
        p.append(ppr)
        ins = self.mark("ins")
        for seg, fmt in [(caption + ".", "b"), (" ", "")] + _segments(text):
            ins.append(parse_xml(_run_xml(seg, fmt).replace("<w:r>", f"<w:r {_NSDECL}>", 1)))
        p.append(ins)
        anchor.addnext(p)
        self.record(ins, "insert", _text_of(ins))
        return p

    def delete_paragraph(self, p: etree._Element) -> None:
        """Mark a whole paragraph (its text and its mark) deleted."""
        ppr = p.find(_w("pPr"))
        if ppr is None:
            ppr = etree.Element(_w("pPr"))
            p.insert(0, ppr)
        rpr = ppr.find(_w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, _w("rPr"))
        rpr.append(self.mark("del"))
        d = self.mark("del")
        runs = [c for c in p if c.tag == _w("r")]
        runs[0].addprevious(d)
        for r in runs:
            for t in r.iter(_w("t")):
                t.tag = _w("delText")
            d.append(r)
        self.record(d, "delete", "".join(t.text or "" for t in d.iter(_w("delText"))))

    def comment(self, p: etree._Element, cid: int, text: str) -> str:
        """Anchor comment ``cid`` on paragraph ``p``; return its comments.xml element."""
        runs = [c for c in p if c.tag == _w("r")]
        start = etree.Element(_w("commentRangeStart"))
        start.set(_w("id"), str(cid))
        end = etree.Element(_w("commentRangeEnd"))
        end.set(_w("id"), str(cid))
        runs[0].addprevious(start)
        runs[-1].addnext(end)
        ref = parse_xml(f'<w:r {_NSDECL}><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
                        f'<w:commentReference w:id="{cid}"/></w:r>')
        end.addnext(ref)
        self.record(ref, "comment", text)
        initials = "".join(w[0] for w in self.author.split()[:3])
        return (f'<w:comment w:id="{cid}" w:author="{_esc(self.author)}" w:date="{self.date}" w:initials="{_esc(initials)}">'
                f'<w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr><w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
                f'<w:annotationRef/></w:r><w:r><w:t xml:space="preserve">{_esc(text)}</w:t></w:r></w:p></w:comment>')

    def changes(self) -> tuple[Change, ...]:
        """Return the changes in document order."""
        order = {el: i for i, el in enumerate(self.root.iter())}
        return tuple(c for _, c in sorted(self.made, key=lambda m: order[m[0]]))


def _roles(paras: list[etree._Element]) -> tuple[str, str]:
    """Return the two role names the preamble defines ("Provider", "Customer")."""
    for p in paras[:4]:
        roles = re.findall(r"\(\"([A-Z][A-Za-z]+)\"\)", _text_of(p))
        if len(roles) >= 2:
            return roles[0], roles[1]
    raise ValueError("the base document has no preamble defining the parties' roles")


def revise(base: bytes, *, author: str = COUNTERPARTY_AUTHOR, date: datetime = COUNTERPARTY_DATE, seed: int = 0,
           comment: bool = False) -> Revised:
    """Return ``base`` (made by :func:`agreement`) as the counterparty sends it back, with tracked changes.

    The changes, all by ``author`` at ``date``: the non-renewal notice in the numbered Renewal
    clause goes up by thirty days (a deletion and an insertion inside the clause); the
    Implementation Services amount in the Order Schedule table goes down by a sixth; a new
    Security Incident Notification clause is inserted at the end of the data protection
    article and a Data Breach Liability clause after the liability cap; the Customer Marks
    clause (Publicity) is deleted. With ``comment=True`` the cap also carries a comment by
    ``author`` (word/comments.xml). Every other part of the package keeps its bytes.
    """
    if date.tzinfo is None:
        raise ValueError("date must carry a time zone (Word stores UTC)")
    rng = random.Random(f"revise:{seed}")
    members = _unzip(base)
    names = [n for n, _ in members]
    parts = dict(members)
    root = etree.fromstring(parts["word/document.xml"])
    paras = _body_paragraphs(root)
    P, C = _roles(paras)
    rev = _Reviser(root, author, date)
    updates: dict[str, Any] = {}

    # 1. Inside the numbered Renewal clause: a longer non-renewal notice.
    renewal = _clause(paras, "Renewal")
    m = re.search(r"at least ([a-z-]+(?: [a-z-]+)* \((\d+)\)) days", _text_of(renewal))
    if m is None:
        raise ValueError("the Renewal clause states no notice period")
    days = int(m.group(2)) + 30
    rev.replace_in_run(renewal, m.group(1), spelled(days))
    updates["non_renewal_notice"] = f"P{days}D"

    # 2. In the Order Schedule table: a lower implementation fee.
    rows = [tr for tr in root.iter(_w("tr")) if _text_of(tr).startswith("Implementation Services")]
    if len(rows) != 1:
        raise ValueError("the base document has no Implementation Services row in its order table")
    cells = list(rows[0].iterchildren(_w("tc")))
    amount_cell = cells[4]
    _currency, _, old_amount = _text_of(amount_cell).partition(" ")
    new_amount = Decimal(old_amount.replace(",", "")) * 5 / 6
    rev.replace_in_run(amount_cell.find(_w("p")), old_amount, f"{new_amount.quantize(Decimal(1)):,.2f}")

    # 3. Two inserted clauses.
    data_number, data = _article(paras, "Data Protection and Security")
    clauses = [p for p in data if p.find(f"{_w('pPr')}/{_w('numPr')}/{_w('ilvl')}[@{_w('val')}='1']") is not None]
    caption, text = rng.choice(_INSERTED)
    rev.insert_paragraph_after(data[-1], clauses[-1], caption, text.format(P=P, C=C))
    _, liability = _article(paras, "Limitation of Liability")
    cap = _clause(liability, "Cap on Liability")
    caption, text = rng.choice(_INSERTED_LIABILITY)
    rev.insert_paragraph_after(cap, cap, caption, text.format(P=P, C=C, n=data_number))

    # 4. One deleted clause.
    _, publicity = _article(paras, "Publicity")
    rev.delete_paragraph(_clause(publicity, "Customer Marks"))

    # 5. A comment on the cap.
    comments_xml = None
    if comment:
        body = rev.comment(cap, 0, rng.choice(_COMMENTS))
        comments_xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                        f'<w:comments {_NSDECL}>{body}</w:comments>').encode()

    parts["word/document.xml"] = _serialize(root)
    parts["word/settings.xml"] = _track_revisions(parts["word/settings.xml"])
    if comments_xml is not None:
        names.append("word/comments.xml")
        parts["word/comments.xml"] = comments_xml
        parts["word/_rels/document.xml.rels"] = _add_relationship(parts["word/_rels/document.xml.rels"], _RT_COMMENTS,
                                                                  "comments.xml")
        parts["[Content_Types].xml"] = _add_override(parts["[Content_Types].xml"], "/word/comments.xml", _CT_COMMENTS)
    return Revised(_zip([(n, parts[n]) for n in names]), rev.changes(), updates)


def counterparty_revision(base: bytes, *, author: str = COUNTERPARTY_AUTHOR, date: datetime = COUNTERPARTY_DATE,
                          seed: int = 0, comment: bool = False) -> bytes:
    """Return the bytes of :func:`revise` (the changes are on ``revise(...).changes``)."""
    return revise(base, author=author, date=date, seed=seed, comment=comment).data


#: CT_Settings children that come before w:trackRevisions (schema order).
_BEFORE_TRACK = {"writeProtection", "view", "zoom", "removePersonalInformation", "removeDateAndTime",
                 "doNotDisplayPageBoundaries", "displayBackgroundShape", "printPostScriptOverText",
                 "printFractionalCharacterWidth", "printFormsData", "embedTrueTypeFonts", "embedSystemFonts",
                 "saveSubsetFonts", "saveFormsData", "mirrorMargins", "alignBordersAndEdges",
                 "bordersDoNotSurroundHeader", "bordersDoNotSurroundFooter", "gutterAtTop", "hideSpellingErrors",
                 "hideGrammaticalErrors", "activeWritingStyle", "proofState", "formsDesign", "attachedTemplate",
                 "linkStyles", "stylePaneFormatFilter", "stylePaneSortMethod", "documentType", "mailMerge",
                 "revisionView"}


def _track_revisions(settings: bytes) -> bytes:
    """Return settings.xml with Track Changes switched on, as the counterparty's Word leaves it."""
    root = etree.fromstring(settings)
    if root.find(_w("trackRevisions")) is None:
        track = etree.Element(_w("trackRevisions"))
        earlier = [c for c in root if isinstance(c.tag, str) and etree.QName(c).localname in _BEFORE_TRACK]
        if earlier:
            earlier[-1].addnext(track)
        else:
            root.insert(0, track)
    return _serialize(root)


def _serialize(root: etree._Element) -> bytes:
    """Return a part's XML with the declaration Word writes."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _add_relationship(rels: bytes, rtype: str, target: str) -> bytes:
    root = etree.fromstring(rels)
    ids = {r.get("Id") for r in root}
    n = 1
    while f"rId{n}" in ids:
        n += 1
    etree.SubElement(root, f"{{{_REL_NS}}}Relationship", Id=f"rId{n}", Type=rtype, Target=target)
    return _serialize(root)


def _add_override(content_types: bytes, part: str, ctype: str) -> bytes:
    root = etree.fromstring(content_types)
    etree.SubElement(root, f"{{{_CT_NS}}}Override", PartName=part, ContentType=ctype)
    return _serialize(root)


_STORY = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_MARK_TAGS = {"ins", "del", "moveFrom", "moveTo"}
_RANGE_TAGS = {_w(t) for t in ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd")}
_CHANGE_TAGS = {_w(t) for t in ("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
                                "tblGridChange", "numberingChange")}


def _resolve(root: etree._Element, accept: bool) -> None:
    """Resolve every tracked change of one story part in place (Word's Accept All / Reject All)."""
    keep = {_w("ins"), _w("moveTo")} if accept else {_w("del"), _w("moveFrom")}
    drop = {_w("del"), _w("moveFrom")} if accept else {_w("ins"), _w("moveTo")}
    props = {_w("rPr"), _w("pPr"), _w("trPr"), _w("tcPr")}
    for el in [e for e in root.iter() if e.tag in _RANGE_TAGS]:
        el.getparent().remove(el)
    # Property changes: accepting keeps the new properties, rejecting restores the old ones.
    for change in [e for e in root.iter() if e.tag in _CHANGE_TAGS]:
        parent = change.getparent()
        if not accept:
            old = next(iter(change), None)
            for c in [c for c in parent if c is not change and c.tag not in props]:
                if parent.tag == _w("pPr") and c.tag in (_w("sectPr"),):
                    continue
                parent.remove(c)
            if old is not None:
                for c in old:
                    change.addprevious(c)
        parent.remove(change)
    # Table rows inserted or deleted as a whole.
    for tr in list(root.iter(_w("tr"))):
        trpr = tr.find(_w("trPr"))
        if trpr is None:
            continue
        if any(trpr.find(t) is not None for t in drop):
            tr.getparent().remove(tr)
            continue
        for t in keep:
            for m in trpr.findall(t):
                trpr.remove(m)
    # Paragraph marks: a dropped mark joins the paragraph to the next one (which keeps its own properties).
    marked = []
    for p in root.iter(_w("p")):
        rpr = p.find(f"{_w('pPr')}/{_w('rPr')}")
        if rpr is None:
            continue
        for m in [m for m in rpr if m.tag in keep]:
            rpr.remove(m)
        if any(m.tag in drop for m in rpr):
            for m in [m for m in rpr if m.tag in drop]:
                rpr.remove(m)
            marked.append(p)
    # Inline insertions and deletions.
    for el in [e for e in root.iter() if e.tag in drop or e.tag in keep]:
        parent = el.getparent()
        if parent is None or parent.tag in props:
            continue
        if el.tag in drop:
            parent.remove(el)
        else:
            for c in el:
                if not accept:
                    for t in c.iter(_w("delText")):
                        t.tag = _w("t")
                    for t in c.iter(_w("delInstrText")):
                        t.tag = _w("instrText")
                el.addprevious(c)
            parent.remove(el)
    for p in reversed(marked):
        nxt = p.getnext()
        content = [c for c in p if c.tag != _w("pPr")]
        if nxt is not None and nxt.tag == _w("p"):
            anchor = nxt.find(_w("pPr"))
            for c in reversed(content):
                if anchor is not None:
                    anchor.addnext(c)
                else:
                    nxt.insert(0, c)
            p.getparent().remove(p)
        elif not content:
            p.getparent().remove(p)


def _resolve_package(data: bytes, accept: bool) -> bytes:
    out = []
    for name, blob in _unzip(data):
        if _STORY.match(name):
            root = etree.fromstring(blob)
            _resolve(root, accept)
            blob = _serialize(root)
        out.append((name, blob))
    return _zip(out)


def accept_all(data: bytes) -> bytes:
    """Return the .docx with every tracked change accepted (comments stay)."""
    return _resolve_package(data, accept=True)


def reject_all(data: bytes) -> bytes:
    """Return the .docx with every tracked change rejected (comments stay)."""
    return _resolve_package(data, accept=False)


# =============================================================================================
# An archive for bulk import
# =============================================================================================

_COUNTERPARTY_STEMS = ("Fabrikam", "Litware", "Adventure Works", "Tailspin Toys", "Wingtip", "Alpine Ski House",
                       "Coho Winery", "Lamna Healthcare", "Proseware", "Trey Research", "Woodgrove", "Blue Yonder",
                       "Humongous Insurance", "Wide World Importers", "Fourth Coffee", "Relecloud", "VanArsdel",
                       "A. Datum", "Consolidated Messenger", "Southridge Video", "Lucerne Publishing",
                       "Margie's Travel", "City Power & Light", "Bellows College", "Graphic Design Institute",
                       "Nod Publishers", "Olympia Freight", "Fineline Medical", "Kestrel Aerospace", "Harborview Foods")
_COUNTERPARTY_FORMS = ("{} Inc.", "{} LLC", "{} Corporation", "{} Holdings LLC", "{} Group Ltd", "{} Retail Inc.",
                       "{} Logistics LLC", "{} Company", "{} Services Corp.", "{} plc")
_KINDS = (("Master Subscription Agreement", "Provider", "Customer"),
          ("Software License Agreement", "Licensor", "Licensee"),
          ("Cloud Services Agreement", "Provider", "Customer"),
          ("Professional Services Agreement", "Consultant", "Client"),
          ("Software as a Service Agreement", "Vendor", "Subscriber"),
          ("Support and Maintenance Agreement", "Supplier", "Customer"),
          ("Data Hosting Agreement", "Host", "Customer"))
_CURRENCY = {"England and Wales": "GBP", "Ontario": "CAD", "Ireland": "EUR"}


@dataclass(frozen=True)
class ArchiveEntry:
    """One file of the archive: where it goes, what it states, how big it is."""

    path: str
    seed: int
    terms: Terms
    layout: Layout
    articles: tuple[str, ...]


def archive_plan(n: int = 50, seed: int = 0) -> list[ArchiveEntry]:
    """Return what :func:`archive` generates (paths, terms, layouts) without building anything."""
    rng = random.Random(f"archive:{seed}")
    names = [form.format(stem) for stem in _COUNTERPARTY_STEMS for form in _COUNTERPARTY_FORMS]
    rng.shuffle(names)
    chosen: list[str] = []
    stems: set[str] = set()
    for name in names:  # one contract per counterparty family first, then any
        stem = next(s for s in _COUNTERPARTY_STEMS if name.startswith(s))
        if stem not in stems:
            stems.add(stem)
            chosen.append(name)
    chosen += [nm for nm in names if nm not in chosen]
    if n > len(chosen):
        raise ValueError(f"archive() makes at most {len(chosen)} distinct documents")
    out = []
    for i in range(n):
        title, prole, crole = rng.choice(_KINDS)
        law = rng.choice(tuple(_LAWS))
        eff = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365 + 180))
        terms = Terms(
            title=title, provider="Northwind Software, Inc.", customer=chosen[i], provider_role=prole, customer_role=crole,
            effective_date=eff, initial_term_months=rng.choice((12, 12, 24, 36)),
            auto_renewal=rng.random() > 0.15, renewal_term_years=rng.choice((1, 1, 1, 2)),
            non_renewal_notice_days=rng.choice((30, 45, 60, 90)),
            termination_for_convenience=rng.random() > 0.25, termination_notice_days=rng.choice((30, 45, 60, 90)),
            governing_law=law, payment_days=rng.choice((30, 30, 45, 60)),
            annual_fee=Decimal(12_000 * rng.choice((2, 3, 4, 5, 7, 8, 10, 12, 15, 20, 30))),
            currency=_CURRENCY.get(law, "USD"))
        size = rng.random()
        if size < 0.35:  # plain text, no images: 30-120 KB
            layout = Layout(words=rng.randrange(3_000, 9_000), logo=(0, 0), photos=(), footnote=False)
        elif size < 0.75:  # a letterhead logo: 300 KB - 1 MB
            layout = Layout(words=rng.randrange(6_000, 16_000), logo=rng.choice(((1500, 800), (2000, 1000), (2400, 1300))),
                            photos=(), footnote=rng.random() > 0.5, image_seed=rng.randrange(3))
        else:  # logo and exhibit photos: 1-3 MB
            layout = Layout(words=rng.randrange(12_000, 26_000), logo=(1500, 800),
                            photos=rng.choice((((2000, 1300),), ((2400, 1600),), ((2000, 1300), (2400, 1600)))),
                            footnote=True, image_seed=rng.randrange(3))
        articles = tuple(a for a in _ARTICLE_ORDER if a not in _OPTIONAL or rng.random() > 0.3)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", chosen[i]).strip("-")
        short = "".join(w[0] for w in title.split() if w[0].isupper())
        if i % 4 == 3:  # some as people name files, with spaces and parentheses
            name = f"{chosen[i]} - {title} ({eff:%Y-%m-%d}).docx"
        else:
            name = f"{slug}_{short}_{eff:%Y%m%d}.docx"
        path = name if i % 10 == 0 else f"{eff.year}/{name}"
        out.append(ArchiveEntry(path, seed * 1000 + i, terms, layout, articles))
    return out


def archive(n: int = 50, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield ``n`` distinct real-size .docx files as (relative path, bytes), for ``clm import --recursive``.

    Counterparties, titles, governing laws, terms and sizes vary (a third plain text of
    30-120 KB, the rest with a letterhead logo or exhibit photos up to about 3 MB); the same
    ``n`` and ``seed`` give the same files. :func:`archive_plan` says what each one states.
    """
    for entry in archive_plan(n, seed):
        yield entry.path, build(entry.seed, terms=entry.terms, layout=entry.layout, articles=entry.articles).data
