"""Demo data for ``clm init --demo``: users of each role and contracts with several versions."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from sqlalchemy import select

from clm.users import Role, User, create_user
from clm.versions import store
from clm.versions.models import Contract, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Shared by every demo user; printed by `clm init --demo`. Demo only.
DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("legal@example.com", "Lee Legal", Role.LEGAL),
    ("finance@example.com", "Fran Finance", Role.FINANCE),
    ("viewer@example.com", "Val Viewer", Role.VIEWER),
]

_MSA_V1 = """MASTER SUBSCRIPTION AGREEMENT
# 
This Master Subscription Agreement (the "Agreement") is entered into as of March 1, 2026 (the "Effective Date") between Northwind Software, Inc., a Delaware corporation ("Provider"), and Contoso Retail LLC, a New York limited liability company ("Customer").
# 1. Definitions
1.1 "Services" means the hosted software services described in an Order Form.
1.2 "Order Form" means an ordering document signed by both parties that references this Agreement.
1.3 "Customer Data" means all data that Customer or its users submit to the Services.
# 2. Subscription and Use
2.1 Provider grants Customer a non-exclusive, non-transferable right to use the Services during the Subscription Term for its internal business purposes.
2.2 Customer shall not resell, sublicense or reverse engineer the Services.
# 3. Fees and Payment
3.1 Customer shall pay the fees set out in each Order Form. Fees are invoiced annually in advance.
3.2 Invoices are due within thirty (30) days of the invoice date. Late amounts bear interest at one percent (1%) per month.
3.3 Provider may increase fees on renewal by no more than five percent (5%) per year.
# 4. Term and Renewal
4.1 This Agreement starts on the Effective Date and continues for an initial term of one (1) year.
4.2 The Agreement renews automatically for successive one (1) year terms unless either party gives written notice of non-renewal at least sixty (60) days before the end of the then-current term.
# 5. Termination
5.1 Either party may terminate this Agreement for material breach that remains uncured thirty (30) days after written notice.
5.2 Customer may terminate this Agreement for convenience on ninety (90) days' written notice.
# 6. Confidentiality
6.1 Each party shall keep the other party's Confidential Information secret and use it only to perform this Agreement.
6.2 These obligations survive for three (3) years after termination.
# 7. Limitation of Liability
7.1 Neither party's total liability under this Agreement will exceed the fees paid by Customer in the twelve (12) months before the claim.
7.2 Neither party is liable for indirect, incidental or consequential damages.
# 8. Data Protection
8.1 Provider shall process Customer Data only on Customer's documented instructions and shall maintain appropriate technical and organisational security measures.
# 9. General
9.1 This Agreement is governed by the laws of the State of New York, without regard to its conflict of laws rules.
9.2 Neither party may assign this Agreement without the other party's prior written consent, except to a successor in a merger or sale of substantially all of its assets.
9.3 This Agreement is the entire agreement of the parties about its subject matter.
"""

# The counterparty's redline: payment terms, liability cap, law, a new clause, a moved clause.
_MSA_V2 = (_MSA_V1
           .replace("within thirty (30) days of the invoice date", "within forty-five (45) days of receipt of a correct invoice")
           .replace("the fees paid by Customer in the twelve (12) months before the claim",
                    "two times (2x) the fees paid or payable by Customer in the twelve (12) months before the claim")
           .replace("governed by the laws of the State of New York", "governed by the laws of the State of Delaware")
           .replace("7.2 Neither party is liable for indirect, incidental or consequential damages.\n",
                    "7.2 Neither party is liable for indirect, incidental or consequential damages.\n"
                    "7.3 The limits in this Section 7 do not apply to a party's breach of Section 6 or to its indemnity obligations.\n")
           .replace("by no more than five percent (5%) per year", "by no more than three percent (3%) per year"))

# Our answer: accept Delaware and 45 days, push the cap back to 1x, keep the carve-out narrower.
_MSA_V3 = (_MSA_V2
           .replace("two times (2x) the fees paid or payable", "the fees paid or payable")
           .replace("to a party's breach of Section 6 or to its indemnity obligations",
                    "to a party's breach of Section 6"))

_NDA_V1 = """MUTUAL NON-DISCLOSURE AGREEMENT
This Mutual Non-Disclosure Agreement is made on January 15, 2026 between Northwind Software, Inc. ("Northwind") and Fabrikam Manufacturing GmbH ("Fabrikam").
# 1. Purpose
The parties wish to exchange Confidential Information to evaluate a possible business relationship (the "Purpose").
# 2. Confidential Information
"Confidential Information" means any non-public information disclosed by one party to the other, in any form, that is marked confidential or that a reasonable person would understand to be confidential.
# 3. Obligations
The receiving party shall use Confidential Information only for the Purpose and shall protect it with at least reasonable care.
# 4. Term
This Agreement lasts for two (2) years from its date. Confidentiality obligations survive for three (3) years after it ends.
# 5. Governing Law
This Agreement is governed by the laws of England and Wales.
"""
_NDA_V2 = (_NDA_V1.replace("two (2) years", "three (3) years")
           .replace("at least reasonable care", "at least the care it uses for its own confidential information, and never less than reasonable care"))

_ORDER_FORM = """ORDER FORM No. 2026-014
Customer: Contoso Retail LLC
Subscription: Northwind Analytics, Enterprise edition, 250 users
Subscription Term: March 1, 2026 to February 28, 2027
Fees: USD 60,000.00 per year, invoiced annually in advance
Payment terms: net 45 days
This Order Form is governed by the Master Subscription Agreement between the parties.
"""


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
    chains = [
        ("Master Subscription Agreement", "Contoso Retail LLC", [
            ("northwind-msa-v1.docx", text_to_docx(_MSA_V1), VersionSource.TEMPLATE, "legal@example.com"),
            ("northwind-msa-contoso-comments.docx", text_to_docx(_MSA_V2), VersionSource.COUNTERPARTY, "counsel@contoso.example"),
            ("northwind-msa-v3.docx", text_to_docx(_MSA_V3), VersionSource.UPLOAD, "legal@example.com"),
        ]),
        ("Mutual Non-Disclosure Agreement", "Fabrikam Manufacturing GmbH", [
            ("mutual-nda.docx", text_to_docx(_NDA_V1), VersionSource.TEMPLATE, "legal@example.com"),
            ("mutual-nda-fabrikam.docx", text_to_docx(_NDA_V2), VersionSource.COUNTERPARTY, "legal@fabrikam.example"),
        ]),
        ("Order Form 2026-014", "Contoso Retail LLC", [
            ("order-form-2026-014.txt", _plain(_ORDER_FORM).encode(), VersionSource.UPLOAD, "finance@example.com"),
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
