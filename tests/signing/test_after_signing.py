"""After signing, the contract still reads: its signed version is the signed text, its sealed PDF the evidence.

Every reader of "the latest version" (the contract page and its clause review, compare, the terms
panel, the terms API and CSV, the finance terms table) must work on a signed contract and show the
terms of the version that was signed.
"""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from clm import db
from clm.clauses.services import extract_version
from clm.users import Role
from clm.versions import store
from clm.versions.models import Contract, VersionSource
from tests.signing.conftest import complete, sign_as

PARAGRAPHS = [
    "MASTER SERVICES AGREEMENT",
    "This Master Services Agreement is entered into as of March 1, 2026 by and between Northwind Software, "
    "Inc. (\"Provider\") and Contoso Retail LLC (\"Customer\").",
    "1. Term. This Agreement has an initial term of twelve (12) months.",
    "2. Governing Law. This Agreement is governed by the laws of the State of New York.",
]


def _docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    document.core_properties.title = "Northwind MSA as signed"
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def signed_contract(app: Flask, factory: Any, contract_id: int, send_envelope: Any) -> int:
    """Contract ``contract_id`` with a .docx version 2 (extracted), sent, signed by both and completed."""
    limits = store.limits_from_settings(app.config)
    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(_docx(PARAGRAPHS), "msa-v2.docx"), limits=limits,
                                    author="legal@example.test", contract_id=contract_id)
        extract_version(s, version.id)
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    sign_as(factory, tokens["b@example.test"], "B")
    complete(factory, app, envelope_id)
    with factory() as s:
        contract = s.get(Contract, contract_id)
        assert contract.status.value == "executed"
        assert contract.latest.source is VersionSource.SIGNED and contract.latest.number == 3
    return contract_id


def _signed_in(client: FlaskClient, auth: Any, role: Role) -> FlaskClient:
    auth.login(role)
    return client


def test_the_contract_page_reads_a_signed_contract(client: FlaskClient, auth: Any, signed_contract: int) -> None:
    _signed_in(client, auth, Role.LEGAL)
    page = client.get(f"/contracts/{signed_contract}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    body = page.get_data(as_text=True)
    assert "executed" in body
    # The clause review reads the signed text, not the sealed PDF.
    assert "This file is a PDF" not in body


def test_the_signed_version_compares_with_any_earlier_one(client: FlaskClient, auth: Any, signed_contract: int) -> None:
    _signed_in(client, auth, Role.LEGAL)
    for old in (1, 2):
        page = client.get(f"/contracts/{signed_contract}/compare?from={old}&to=3")
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
    same = client.get(f"/contracts/{signed_contract}/compare?from=2&to=3&format=json").get_json()
    assert all(op == "equal" for op, _text in same["ops"])  # the signed text is the text that was sent
    redline = client.get(f"/contracts/{signed_contract}/compare?from=1&to=3&format=docx")
    assert redline.status_code == 200
    # The redline is the .docx that was signed with tracked changes, not a document rebuilt from text.
    assert docx.Document(io.BytesIO(redline.data)).core_properties.title == "Northwind MSA as signed"
    version_page = client.get(f"/contracts/{signed_contract}/versions/3")
    assert version_page.status_code == 200 and "State of New York" in version_page.get_data(as_text=True)
    download = client.get(f"/contracts/{signed_contract}/versions/3/download")
    assert download.data.startswith(b"%PDF")  # the evidence downloads as what it is


def test_terms_of_a_signed_contract_are_those_it_was_signed_with(client: FlaskClient, auth: Any, make_token: Any,
                                                                 signed_contract: int) -> None:
    token = make_token(Role.FINANCE)
    terms = client.get(f"/api/v1/contracts/{signed_contract}/terms", headers={"Authorization": f"Bearer {token}"})
    assert terms.status_code == 200
    extracted = terms.get_json()["extracted"]
    assert extracted["governing_law"]["value"] == "New York", extracted
    assert extracted["initial_term"]["value"] == "P12M"
    csv = client.get("/api/v1/terms.csv", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    row = next(line for line in csv.splitlines() if line.startswith(f"{signed_contract},"))
    assert "New York" in row and "P12M" in row
    _signed_in(client, auth, Role.FINANCE)
    table = client.get("/finance/contracts").get_data(as_text=True)
    assert "March 1, 2027" in table  # the expiration date extracted from the signed text (CLM_DATE_LOCALE en-US)
    _signed_in(client, auth, Role.LEGAL)
    page = client.get(f"/contracts/{signed_contract}").get_data(as_text=True)
    assert "New York" in page and "12 months" in page and "From v2" in page
