"""Signatures in place: the sealed PDF stamps each signer into the document's own signature block,
and a signer's used link later says "You signed this on ..." and gives their copy."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pypdf
import pytest
from flask import Flask

from clm import db
from clm.clauses.drafting import draft_docx
from clm.clauses.library import default_library_path, load_library
from clm.demo import _MSA_VALUES
from clm.signing import envelopes, keys, seal
from clm.signing.models import Envelope, Recipient
from clm.versions import store
from clm.versions.models import Blob

from .conftest import LEGAL, NO_APPROVALS, complete, make_contract, now, sign_as, tokens_in

NORTHWIND = ("Nora North", "nora@northwind.test", 1)
CONTOSO = ("Carl Contoso", "carl@contoso.test", 1)


@pytest.fixture
def msa_contract(app: Flask, factory: Any) -> int:
    """A contract whose version is a drafted MSA (.docx): headings, numbering, a two-party signature table."""
    library = load_library(default_library_path())
    data = draft_docx(library.template("master_subscription_agreement"), library, dict(_MSA_VALUES))
    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(data, "msa.docx"), limits=store.limits_from_settings(app.config),
                                    author="legal@example.test", counterparty="Contoso Retail LLC")
        return version.contract_id


def send(factory: Any, contract_id: int, signers: Any = (NORTHWIND, CONTOSO), fields: Any = None) -> tuple[int, dict[str, str]]:
    recipients = [envelopes.RecipientInput(name=n, email=e, routing_order=o, fields=(fields or {}).get(e))
                  for n, e, o in signers]
    with db.transaction_for(factory) as s:
        envelope = envelopes.create(s, contract_id, subject="MSA", message="", recipients=recipients, client=LEGAL,
                                    now=now(), approvals=NO_APPROVALS)
        mails = envelopes.send(s, envelope.id, client=LEGAL, now=now(), link_base="https://clm.example",
                               approvals=NO_APPROVALS)
    return envelope.id, tokens_in(mails)


def sealed_pdf(factory: Any, envelope_id: int) -> bytes:
    with factory() as s:
        envelope = s.get(Envelope, envelope_id)
        return s.get(Blob, envelope.final_blob_sha256).data


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def signed_msa(app: Flask, factory: Any, msa_contract: int) -> tuple[int, dict[str, str], bytes]:
    envelope_id, tokens = send(factory, msa_contract, fields={"carl@contoso.test": [{"kind": "text", "label": "Title"}]})
    sign_as(factory, tokens["nora@northwind.test"], "Nora North")
    sign_as(factory, tokens["carl@contoso.test"], "Carl Contoso", fields={"field-0": "Chief Executive Officer"})
    complete(factory, app, envelope_id)
    return envelope_id, tokens, sealed_pdf(factory, envelope_id)


def test_the_sealed_pdf_stamps_each_signer_next_to_their_by_line(app, signed_msa):
    _envelope_id, _tokens, pdf = signed_msa
    pages = page_texts(pdf)
    certificate = next(i for i, text in enumerate(pages) if "Certificate of completion" in text)
    document = "\n".join(pages[:certificate])
    # The document page, not the certificate: each signature sits right after "By:", the names after "Name:".
    assert re.search(r"By:\s*Nora North", document), document[-800:]
    assert re.search(r"By:\s*Carl Contoso", document)
    assert re.search(r"Name:\s*Nora North", document) and re.search(r"Name:\s*Carl Contoso", document)
    assert re.search(r"Title:\s*Chief Executive Officer", document)
    assert "______________________" not in document.split("Nora North")[1].split("Name:")[0]
    # Both signed: no separate signatures page; the certificate of completion is its own page.
    assert "Signatures\nNora North <" not in document and "Certificate of completion" not in document
    assert pages[certificate].lstrip().startswith("Certificate of completion") or \
        "Certificate of completion" in pages[certificate].splitlines()[0]
    # Headings keep their numbers in the PDF.
    assert re.search(r"1\.\s*Definitions", document)
    # And the seal still verifies, by this installation's certificate.
    own = keys.installation_fingerprint(app.instance_path)
    report = seal.check_seal(pdf, {own})
    assert report.problem is None and report.unmodified and report.trusted
    assert report.sealed_by and "document seal" in report.sealed_by and report.sealed_at is not None


def test_a_signer_without_a_block_still_appears_on_a_signatures_page(app, factory, msa_contract):
    third = ("Tina Third", "tina@third.test", 1)
    envelope_id, tokens = send(factory, msa_contract, signers=(NORTHWIND, CONTOSO, third))
    for (name, email, _order) in (NORTHWIND, CONTOSO, third):
        sign_as(factory, tokens[email], name)
    complete(factory, app, envelope_id)
    pages = page_texts(sealed_pdf(factory, envelope_id))
    document = "\n".join(p for p in pages if "Certificate of completion" not in p)
    assert re.search(r"By:\s*Nora North", document) and re.search(r"By:\s*Carl Contoso", document)
    assert "Signatures" in document and "tina@third.test" in document


def test_a_text_version_without_signature_lines_keeps_its_signatures_page(app, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    complete(factory, app, envelope_id)
    pages = page_texts(sealed_pdf(factory, envelope_id))
    assert "2. Fees. Customer pays USD 10,000 per year." in pages[0]
    assert any("Signatures" in p and "a@example.test" in p for p in pages)


def test_a_used_link_says_you_signed_and_gives_the_copy(app, client, factory, msa_contract):
    envelope_id, tokens = send(factory, msa_contract)
    nora = tokens["nora@northwind.test"]
    sign_as(factory, nora, "Nora North")
    # Before everyone has signed: the document as she signed it.
    page = client.get(f"/sign/{nora}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "You signed this on" in body and "Download your copy" in body
    assert "Others still have to sign" in body
    copy = client.get(f"/sign/{nora}/copy.pdf")
    assert copy.status_code == 200 and copy.mimetype == "application/pdf" and copy.data.startswith(b"%PDF-")
    assert "Master Subscription Agreement" in "".join(page_texts(copy.data))
    # Once everyone has signed: the sealed PDF itself, byte for byte.
    sign_as(factory, tokens["carl@contoso.test"], "Carl Contoso")
    complete(factory, app, envelope_id)
    body = client.get(f"/sign/{nora}").get_data(as_text=True)
    assert "Everyone has signed" in body and "/verify" in body
    copy = client.get(f"/sign/{nora}/copy.pdf")
    assert copy.status_code == 200 and copy.data == sealed_pdf(factory, envelope_id)
    # The link is scoped to its own envelope and recipient: a made-up token gives nothing.
    assert client.get("/sign/" + "A" * 43 + "/copy.pdf").status_code == 404
    assert "Link not valid" in client.get("/sign/" + "A" * 43).get_data(as_text=True)


def test_a_voided_or_old_used_link_gives_no_copy(app, client, factory, msa_contract):
    envelope_id, tokens = send(factory, msa_contract)
    nora = tokens["nora@northwind.test"]
    sign_as(factory, nora, "Nora North")
    with db.transaction_for(factory) as s:
        envelopes.void(s, envelope_id, reason="wrong version", client=LEGAL, now=now())
    page = client.get(f"/sign/{nora}")
    body = page.get_data(as_text=True)
    assert page.status_code == 410 and "voided" in body and "Download your copy" not in body
    assert client.get(f"/sign/{nora}/copy.pdf").status_code == 410

    # A copy link past its lifetime says where the copy is, and gives nothing.
    other = make_contract(factory, app)
    envelope_id, tokens = send(factory, other, signers=(NORTHWIND,))
    sign_as(factory, tokens["nora@northwind.test"], "Nora North")
    complete(factory, app, envelope_id)
    with db.transaction_for(factory) as s:
        recipient = s.query(Recipient).filter_by(envelope_id=envelope_id).one()
        recipient.signed_at = now() - envelopes.COPY_LIFETIME - dt.timedelta(minutes=1)
    late = client.get(f"/sign/{tokens['nora@northwind.test']}")
    assert late.status_code == 410 and "completion email" in late.get_data(as_text=True)
    assert client.get(f"/sign/{tokens['nora@northwind.test']}/copy.pdf").status_code == 410
