"""Demo data for ``clm init --demo``: users of each role and contracts with several versions."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clm.users import Role, User, create_user
from clm.versions import store
from clm.versions.models import Contract, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Shared by every demo user; printed by `clm init --demo`. Demo only.
DEMO_PASSWORD = "clm-demo-password"
DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("legal@example.com", "Lee Legal", Role.LEGAL),
    ("finance@example.com", "Fran Finance", Role.FINANCE),
    ("viewer@example.com", "Val Viewer", Role.VIEWER),
]

_ORDER_FORM = """ORDER FORM No. 2026-014
Customer: Contoso Retail LLC
Subscription: Northwind Analytics, Enterprise edition, 250 users
Subscription Term: March 1, 2026 to February 28, 2027
Fees: USD 60,000.00 per year, invoiced annually in advance
Payment terms: net 45 days
This Order Form is governed by the Master Subscription Agreement between the parties.
"""


_MSA_VALUES = {
    "provider_name": "Northwind Software, Inc.",
    "customer_name": "Contoso Retail LLC",
    "customer_description": "a New York limited liability company",
    "effective_date": "2026-03-01",
    "price_increase_cap": "5%",
    "include_insurance": True,
    "include_security_audits": False,
    "customer_may_terminate_for_convenience": True,
    "include_non_solicitation": False,
    "include_arbitration": False,
}
_NDA_VALUES = {
    "party_a_name": "Northwind Software, Inc.",
    "party_a_description": "a Delaware corporation",
    "party_b_name": "Fabrikam Manufacturing GmbH",
    "party_b_description": "a German limited liability company",
    "effective_date": "2026-01-15",
    "include_non_solicitation": False,
}
#: The counterparty's own sentence in the confidentiality clause: off the library, needs approval.
_CONTOSO_EDIT = ("Recipient may disclose Confidential Information to its auditors and regulators without "
                 "notice to Discloser.")


def _edit_paragraph(data: bytes, contains: str, append: str) -> bytes:
    """Return the .docx ``data`` with ``append`` added to the first paragraph containing ``contains``."""
    from docx import Document as open_docx

    document = open_docx(io.BytesIO(data))
    paragraph = next(p for p in document.paragraphs if contains in p.text)
    paragraph.add_run(" " + append)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _drafted_chains() -> list[tuple[str, str, list[tuple[str, bytes, VersionSource, str]]]]:
    """Return the demo contracts drafted from the clause library, with their negotiation rounds."""
    from clm.clauses.drafting import draft_docx
    from clm.clauses.library import default_library_path, load_library

    library = load_library(default_library_path())
    msa = library.template("master_subscription_agreement")
    ours = draft_docx(msa, library, _MSA_VALUES)
    # Contoso asks for good-faith invoice disputes and a higher liability cap, and adds a
    # disclosure right of its own to the confidentiality clause.
    theirs = _edit_paragraph(
        draft_docx(msa, library, _MSA_VALUES, positions={"fees_and_payment": "fallback_1",
                                                         "limitation_of_liability": "fallback_2"}),
        "reasonable person would understand to be confidential", _CONTOSO_EDIT)
    # Our answer: the invoice-dispute fallback is fine, the cap goes back to fallback 1, and the
    # disclosure right stays for legal to decide.
    answer = _edit_paragraph(
        draft_docx(msa, library, {**_MSA_VALUES, "price_increase_cap": "4%"},
                   positions={"fees_and_payment": "fallback_1", "limitation_of_liability": "fallback_1"}),
        "reasonable person would understand to be confidential", _CONTOSO_EDIT)
    nda = library.template("mutual_nda")
    nda_v1 = draft_docx(nda, library, _NDA_VALUES)
    nda_v2 = draft_docx(nda, library, {**_NDA_VALUES, "effective_date": "2026-02-01"})
    return [
        ("Master Subscription Agreement", "Contoso Retail LLC", [
            ("northwind-msa-contoso.docx", ours, VersionSource.TEMPLATE, "legal@example.com"),
            ("northwind-msa-contoso-comments.docx", theirs, VersionSource.COUNTERPARTY, "counsel@contoso.example"),
            ("northwind-msa-contoso-v3.docx", answer, VersionSource.UPLOAD, "legal@example.com"),
        ]),
        ("Mutual Non-Disclosure Agreement", "Fabrikam Manufacturing GmbH", [
            ("mutual-nda-fabrikam.docx", nda_v1, VersionSource.TEMPLATE, "legal@example.com"),
            ("mutual-nda-fabrikam-signed-date.docx", nda_v2, VersionSource.COUNTERPARTY, "legal@fabrikam.example"),
        ]),
    ]


def text_to_docx(text: str) -> bytes:
    """Return a .docx of ``text``: ``# `` lines become headings, the first line the title."""
    from docx import Document as new_docx

    document = new_docx()
    lines = text.strip("\n").split("\n")
    document.add_paragraph(lines[0], style="Title")
    for line in lines[1:]:
        if line.startswith("# "):
            heading = line[2:].strip()
            if heading:
                document.add_heading(heading, level=1)
        elif line.strip():
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _plain(text: str) -> str:
    return "\n".join(line[2:] if line.startswith("# ") else line for line in text.split("\n")
                     if line.strip() and line.strip() != "#") + "\n"


def seed(session: Session) -> list[str]:
    """Create the demo users and contracts unless they exist; return lines to print."""
    from clm.versions.intake import Limits

    report: list[str] = []
    if session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])) is None:
        for email, name, role in DEMO_USERS:
            create_user(session, email=email, name=name, password=DEMO_PASSWORD, role=role)
        report.append("Demo users (password: %s): %s" % (DEMO_PASSWORD, ", ".join(e for e, _, _ in DEMO_USERS)))
    if session.scalar(select(Contract.id).limit(1)) is not None:
        report.append("Contracts exist already; no demo contracts added.")
        return report
    limits = Limits()
    chains = _drafted_chains() + [
        ("Order Form 2026-014", "Contoso Retail LLC", [
            ("order-form-2026-014.txt", _plain(_ORDER_FORM).encode(), VersionSource.UPLOAD, "legal@example.com"),
        ]),
    ]
    for title, counterparty, versions in chains:
        contract_id = None
        for filename, data, source, author in versions:
            version = store.import_file(session, store.Upload(data=data, filename=filename), limits=limits,
                                        author=author, contract_id=contract_id, title=title,
                                        counterparty=counterparty, source=source)
            contract_id = version.contract_id
        report.append(f"Demo contract {contract_id}: {title} ({len(versions)} versions)")
    return report


# Three subscriptions signed with commercial terms, dated around today so the finance charts have data
# (the README screenshots, benchmarks/page_lengths.py and the accessibility tests).
FINANCE_CONTRACTS = (
    ("Globex hosting", "Globex Corporation", "36000.00", "monthly", -200, 165, "P30D"),
    ("Initech analytics", "Initech", "90000.00", "quarterly", -45, 320, "P60D"),
    ("Umbrella support", "Umbrella Health", "18000.00", "annual", -300, 65, "P60D"),
)


def seed_finance(app: Any) -> None:
    """Sign the FINANCE_CONTRACTS with their terms (as a completed envelope leaves them) and process the outbox."""
    import datetime as dt

    from clm import db, events
    from clm.clauses.services import confirmed_terms_digest
    from clm.downstream import commercial
    from clm.signing import envelopes
    from clm.signing.models import Envelope, EnvelopeStatus

    factory = db.sessionmaker_for(app)
    today, now = dt.date.today(), db.utcnow()
    for title, party, price, frequency, start, end, notice in FINANCE_CONTRACTS:
        first, last = today + dt.timedelta(days=start), today + dt.timedelta(days=end)
        terms = {"currency": "USD", "signed_on": (first - dt.timedelta(days=7)).isoformat(), "payment_terms_days": 30,
                 "lines": [{"id": "sub", "description": title, "price": price, "recognition": "ratable",
                            "start": first.isoformat(), "end": last.isoformat(),
                            "billing": {"frequency": frequency, "timing": "advance"}},
                           {"id": "setup", "description": "Onboarding", "price": "5000.00", "ssp": "6000.00",
                            "recognition": "point_in_time", "satisfied_on": (first + dt.timedelta(days=30)).isoformat(),
                            "billing": {"frequency": "once", "timing": "arrears"}}],
                 "renewal": {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": notice,
                             "price_increase_cap": "5"}}
        with db.transaction_for(factory) as s:
            text = f"SUBSCRIPTION AGREEMENT\n1. Fees. USD {price} for the term.\n"
            version = store.import_file(s, store.Upload(text.encode(), f"{title}.txt"),
                                        limits=store.limits_from_settings(app.config),
                                        author="legal@example.com", title=title, counterparty=party)
            commercial.attach_terms(s, version.contract, terms, by="finance@example.com", now=now)
            envelope = Envelope(contract_id=version.contract_id, version_id=version.id,
                                version_sha256=version.blob_sha256, document_sha256=envelopes.sha256_text(version.text),
                                terms_sha256=confirmed_terms_digest(s, version.contract_id), subject="Please sign",
                                message="",
                                status=EnvelopeStatus.COMPLETED, expires_at=now + dt.timedelta(days=30),
                                created_by="legal@example.com", created_at=now, sent_at=now, completed_at=now,
                                audit_seq=0)
            s.add(envelope)
            s.flush()
            events.publish(s, "envelope.completed", f"envelope-{envelope.id}-completed", {
                "envelope_id": envelope.id, "contract_id": envelope.contract_id,
                "signed_on": now.date().isoformat(), "terms_sha256": envelope.terms_sha256}, now=now)
    events.drain(factory, app.config)
