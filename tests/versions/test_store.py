"""The version store: contracts, numbered immutable versions, de-duplicated blobs, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clm.demo import text_to_docx
from clm.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMedia
from clm.versions import store
from clm.versions.models import Blob, Contract, Version, VersionSource

DOCX = text_to_docx("SUPPLY AGREEMENT\n# 1. Term\nThis Agreement lasts one (1) year.\n")


def _counts(session):
    return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Contract, Version, Blob))


@pytest.fixture
def limits(app):
    return store.limits_from_settings(app.config)


def test_a_file_becomes_a_contract_with_version_one(session, limits):
    version = store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="lee")
    session.commit()
    assert (version.number, version.source, version.author) == (1, VersionSource.UPLOAD, "lee")
    assert version.contract.title == "SUPPLY AGREEMENT"
    assert version.text.split("\n") == ["SUPPLY AGREEMENT", "1. Term", "This Agreement lasts one (1) year."]
    assert version.word_count == 10 and version.paragraph_count == 3
    assert session.get(Blob, version.blob_sha256).data == DOCX


def test_versions_are_numbered_per_contract(session, limits):
    first = store.import_file(session, store.Upload(DOCX, "v1.docx"), limits=limits, author="a")
    second = store.import_file(session, store.Upload(b"SUPPLY AGREEMENT\nChanged.\n", "v2.txt"),
                               limits=limits, author="b", contract_id=first.contract_id,
                               source=VersionSource.COUNTERPARTY)
    other = store.import_file(session, store.Upload(b"Another contract\n", "x.md"), limits=limits, author="c")
    session.commit()
    assert [v.number for v in store.get_contract(session, first.contract_id).versions] == [1, 2]
    assert second.source is VersionSource.COUNTERPARTY
    assert other.number == 1 and other.contract_id != first.contract_id


def test_identical_bytes_as_a_new_version_are_reported_and_store_nothing(session, limits):
    first = store.import_file(session, store.Upload(DOCX, "v1.docx"), limits=limits, author="a")
    session.commit()
    before = _counts(session)
    with pytest.raises(Conflict, match="identical to version 1"):
        store.import_file(session, store.Upload(DOCX, "renamed.docx"), limits=limits, author="a",
                          contract_id=first.contract_id)
    session.rollback()
    assert _counts(session) == before


def test_the_same_bytes_in_two_contracts_share_one_blob(session, limits):
    a = store.import_file(session, store.Upload(DOCX, "a.docx"), limits=limits, author="a")
    b = store.import_file(session, store.Upload(DOCX, "b.docx"), limits=limits, author="a")
    session.commit()
    assert a.contract_id != b.contract_id and a.blob_sha256 == b.blob_sha256
    assert session.scalar(select(func.count()).select_from(Blob)) == 1


@pytest.mark.parametrize(("data", "filename", "error", "message"), [
    (b"", "empty.docx", InvalidInput, "empty"),
    (b"", "empty.txt", InvalidInput, "empty"),
    (b"%PDF-1.7\n%...", "contract.docx", UnsupportedMedia, "PDF"),
    (b"text with a \x00 NUL", "a.txt", InvalidInput, "NUL byte"),
    (b"\xff\xfe\xfa not utf-8", "a.txt", InvalidInput, "not valid UTF-8"),
    (DOCX[: len(DOCX) // 2], "truncated.docx", InvalidInput, "damaged"),
    (b"MZ\x90\x00 an executable", "contract.exe", UnsupportedMedia, "does not read .exe"),
])
def test_bad_files_are_refused_and_store_nothing(session, limits, data, filename, error, message):
    with pytest.raises(error, match=message):
        store.import_file(session, store.Upload(data, filename), limits=limits, author="a")
    session.rollback()
    assert _counts(session) == (0, 0, 0)


def test_a_file_over_the_size_limit_is_refused(session, app):
    limits = store.limits_from_settings({**app.config, "MAX_UPLOAD_BYTES": 100})
    with pytest.raises(TooLarge):
        store.import_file(session, store.Upload(DOCX, "big.docx"), limits=limits, author="a")
    session.rollback()
    assert _counts(session) == (0, 0, 0)


def test_a_version_of_a_missing_contract_is_not_found(session, limits):
    with pytest.raises(NotFound):
        store.import_file(session, store.Upload(DOCX, "a.docx"), limits=limits, author="a", contract_id=999)


@pytest.mark.parametrize(("given", "expected"), [
    ("contract.docx", "contract.docx"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\evil.docx", "evil.docx"),
    ("/abs/path/a.txt", "a.txt"),
    ("..", "document"),
    ("", "document"),
    ("weird\x00na\r\nme.docx", "weirdname.docx"),
    ('quote"<script>.docx', "quotescript.docx"),
    ("契約書 v2.docx", "契約書 v2.docx"),
    ("Übersicht.docx", "Übersicht.docx"),
    (".hidden.txt", "hidden.txt"),
])
def test_safe_filename(given, expected):
    assert store.safe_filename(given) == expected


def test_contracts_page_newest_first_with_keyset(session, limits):
    ids = [store.import_file(session, store.Upload(f"Contract {i}\n".encode(), f"{i}.txt"), limits=limits,
                             author="a").contract_id for i in range(5)]
    session.commit()
    page = store.list_contracts(session, limit=2)
    assert [c.id for c in page] == ids[::-1][:2]
    assert [c.id for c in store.list_contracts(session, before=page[-1].id, limit=10)] == ids[::-1][2:]
