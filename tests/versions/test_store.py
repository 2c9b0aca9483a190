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


# -- blob storage: the database by default, a content-addressed directory as an option ---------


@pytest.fixture
def file_store(app, tmp_path):
    """Switch this process to a file store under tmp_path (as CLM_BLOB_STORE=file://... does)."""
    from clm.versions import blobs

    root = tmp_path / "blobs"
    store_ = blobs.configure({"BLOB_STORE": f"file://{root}"})
    yield store_
    blobs.configure(app.config)


def test_by_default_blobs_live_in_the_database(session, limits):
    store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="a")
    session.commit()
    assert session.execute(select(Blob.location, Blob.data)).one() == ("db", DOCX)


def test_a_file_store_keeps_bytes_on_disk_named_by_hash(session, limits, file_store):
    version = store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="a")
    session.commit()
    sha = version.blob_sha256
    path = file_store.path(sha)
    assert path == file_store.root / sha[:2] / sha[2:4] / sha and path.read_bytes() == DOCX
    assert session.execute(select(Blob.location, Blob.data)).one() == ("file", b"")
    session.expire_all()
    assert session.get(Blob, sha).data == DOCX
    assert store.document_of(session.get(Version, version.id), limits).text.startswith("SUPPLY AGREEMENT")
    assert not list(path.parent.glob(".tmp-*"))  # the temporary file was renamed into place


def test_a_changed_or_missing_file_is_caught_on_read(session, limits, file_store):
    from clm.versions.blobs import BlobMissingError

    version = store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="a")
    session.commit()
    path = file_store.path(version.blob_sha256)
    path.chmod(0o600)
    path.write_bytes(DOCX[:-1] + b"!")
    session.expire_all()
    with pytest.raises(BlobMissingError, match="damaged"):
        session.get(Blob, version.blob_sha256).data
    path.unlink()
    session.expire_all()
    with pytest.raises(BlobMissingError):
        session.get(Blob, version.blob_sha256).data


def test_a_failed_write_leaves_no_file_and_no_row(session, limits, file_store, monkeypatch):
    import os as os_module

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os_module, "replace", full_disk)
    with pytest.raises(OSError):
        store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="a")
    session.rollback()
    assert _counts(session) == (0, 0, 0)
    assert not [p for p in file_store.root.rglob("*") if p.is_file()]


def test_file_stored_blobs_stay_insert_only(session, limits, file_store):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    store.import_file(session, store.Upload(DOCX, "supply.docx"), limits=limits, author="a")
    session.commit()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("UPDATE blobs SET location = 'db'"))
    session.rollback()


@pytest.mark.parametrize("setting", ["s3://bucket/x", "file://relative/path", "file:relative", "/no/scheme"])
def test_a_bad_blob_store_setting_is_named(setting):
    from clm.versions.blobs import store_for

    with pytest.raises(ValueError, match="CLM_BLOB_STORE"):
        store_for(setting)


def test_clm_import_honours_the_blob_store_setting(app, runner, session, tmp_path, monkeypatch):
    from clm.cli import main
    from clm.versions import blobs

    root = tmp_path / "drive-blobs"
    monkeypatch.setenv("CLM_BLOB_STORE", f"file://{root}")
    path = tmp_path / "supply.docx"
    path.write_bytes(DOCX)
    try:
        result = runner.invoke(main, ["import", str(path)])
    finally:
        blobs.configure(app.config)
    assert result.exit_code == 0, result.output
    sha = session.scalar(select(Blob.sha256))
    assert (root / sha[:2] / sha[2:4] / sha).read_bytes() == DOCX
    assert session.execute(select(Blob.location, Blob.data)).one() == ("file", b"")
