"""`clm audit check`: an attacker with database access edits, deletes or reorders evidence rows.

Each test first bypasses the insert-only triggers (as such an attacker would: dropped on
SQLite, disabled on PostgreSQL and enabled again afterwards), tampers with one thing, and
checks that the command exits 1 and names the row and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, text

from clm import db
from clm.cli import main
from tests.downstream.conftest import make_signed, plain  # noqa: F401 - fixtures
from tests.signing.conftest import contract_id, factory, make_contract, send_envelope, sealed, sign_as  # noqa: F401


@dataclass(frozen=True)
class Evidence:
    sealed_envelope: int
    frozen_envelope: int
    frozen_contract: int
    decision_id: int
    three_versions: int
    signed_contract: int


@pytest.fixture
def evidence(app: Any, factory: Any, sealed: Any, send_envelope: Any, make_signed: Any) -> Evidence:
    from clm.clauses.models import DecisionAction, TermDecision
    from clm.signing.models import Envelope
    from clm.versions import store
    from clm.versions.models import Version

    sealed_envelope, _path = sealed
    # A contract whose confirmed terms an envelope froze.
    frozen_contract = make_contract(factory, app)
    with db.transaction_for(factory) as s:
        version_id = s.scalar(select(Version.id).where(Version.contract_id == frozen_contract))
        decision = TermDecision(contract_id=frozen_contract, version_id=version_id, field="governing_law",
                                value="New York", action=DecisionAction.CORRECTED, decided_by="legal@example.test",
                                decided_at=db.utcnow())
        s.add(decision)
        s.flush()
        decision_id = decision.id
    frozen_envelope, _tokens = send_envelope(contract=frozen_contract)
    with factory() as s:
        assert s.get(Envelope, frozen_envelope).terms_sha256 != s.get(Envelope, sealed_envelope).terms_sha256
    # A contract with three versions.
    with db.transaction_for(factory) as s:
        limits = store.limits_from_settings(app.config)
        first = store.import_file(s, store.Upload(b"AGREEMENT\nOne.\n", "v1.txt"), limits=limits, author="x")
        for n in (2, 3):
            store.import_file(s, store.Upload(f"AGREEMENT\nVersion {n}.\n".encode(), f"v{n}.txt"), limits=limits,
                              author="x", contract_id=first.contract_id)
        three = first.contract_id
    signed = make_signed(via=db.sessionmaker_for(app))
    return Evidence(sealed_envelope, frozen_envelope, frozen_contract, decision_id, three, signed.contract_id)


def tamper(app: Any, tables: list[str], *statements: tuple[str, dict[str, Any]]) -> None:
    """Run ``statements`` with the insert-only triggers of ``tables`` out of the way."""
    engine = db.sessionmaker_for(app).kw["bind"]
    dialect = engine.dialect.name
    with engine.begin() as connection:
        for table in tables:
            if dialect == "sqlite":
                for statement in db.insert_only_ddl("sqlite", table)[1]:
                    connection.execute(text(statement))
            else:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for statement, params in statements:
            connection.execute(text(statement), params)
        if dialect != "sqlite":
            for table in tables:
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def delete_version(c: int, number: int) -> list[tuple[str, dict[str, Any]]]:
    """The statements that delete version ``number`` of contract ``c`` and what refers to it (its
    extraction job and extracted terms: every stored version is extracted after commit)."""
    version = "(SELECT id FROM versions WHERE contract_id = :c AND number = :n)"
    params = {"c": c, "n": number}
    return [(f"DELETE FROM extracted_terms WHERE version_id = {version}", params),
            (f"DELETE FROM extraction_runs WHERE version_id = {version}", params),
            (f"DELETE FROM jobs WHERE version_id = {version}", params),
            ("DELETE FROM versions WHERE contract_id = :c AND number = :n", params)]


def check(runner: Any) -> tuple[int, list[str]]:
    result = runner.invoke(main, ["audit", "check"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, [line for line in result.stdout.splitlines() if line.strip()]


def one(app: Any, sql: str, **params: Any) -> Any:
    with db.sessionmaker_for(app)() as s:
        return s.execute(text(sql), params).scalar_one()


def test_untouched_evidence_is_clean(runner: Any, evidence: Evidence) -> None:
    code, lines = check(runner)
    assert code == 0, runner.invoke(main, ["audit", "check"]).output
    assert lines == ["audit check: no edited, deleted or reordered evidence found"]


def test_an_edited_audit_event_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    event_id = one(app, "SELECT id FROM envelope_audit_events WHERE envelope_id = :e AND seq = 2",
                   e=evidence.sealed_envelope)
    tamper(app, ["envelope_audit_events"],
           ("UPDATE envelope_audit_events SET ip = '203.0.113.9' WHERE id = :id", {"id": event_id}))
    code, lines = check(runner)
    assert code == 1
    assert lines == [f"envelope_audit_events {event_id} (envelope {evidence.sealed_envelope}, #2 "
                     f"{one(app, 'SELECT kind FROM envelope_audit_events WHERE id = :id', id=event_id)}): "
                     "was edited: its hash no longer matches its content"]


def test_a_deleted_audit_event_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    tamper(app, ["envelope_audit_events"],
           ("DELETE FROM envelope_audit_events WHERE envelope_id = :e AND seq = 2", {"e": evidence.sealed_envelope}))
    code, lines = check(runner)
    assert code == 1
    assert f"envelope_audit_events envelope {evidence.sealed_envelope}: event #2 is missing (deleted)" in lines


def test_the_last_audit_event_deleted_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    last = one(app, "SELECT MAX(seq) FROM envelope_audit_events WHERE envelope_id = :e", e=evidence.frozen_envelope)
    tamper(app, ["envelope_audit_events"], ("DELETE FROM envelope_audit_events WHERE envelope_id = :e AND seq = :s",
                                            {"e": evidence.frozen_envelope, "s": last}))
    code, lines = check(runner)
    assert code == 1
    assert lines == [f"envelope_audit_events envelope {evidence.frozen_envelope}: event #{last} is missing "
                     f"(deleted); the envelope counted {last}"]


def test_reordered_audit_events_are_named(app: Any, runner: Any, evidence: Evidence) -> None:
    e = evidence.sealed_envelope
    ids = [one(app, "SELECT id FROM envelope_audit_events WHERE envelope_id = :e AND seq = :s", e=e, s=s)
           for s in (2, 3)]
    tamper(app, ["envelope_audit_events"],
           ("UPDATE envelope_audit_events SET seq = -1 WHERE id = :id", {"id": ids[0]}),
           ("UPDATE envelope_audit_events SET seq = 2 WHERE id = :id", {"id": ids[1]}),
           ("UPDATE envelope_audit_events SET seq = 3 WHERE id = :id", {"id": ids[0]}))
    code, lines = check(runner)
    assert code == 1
    assert any(line.startswith(f"envelope_audit_events {ids[1]} ") for line in lines), lines
    assert any(line.startswith(f"envelope_audit_events {ids[0]} ") for line in lines), lines


def test_a_changed_sealed_pdf_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    sha = one(app, "SELECT final_blob_sha256 FROM envelopes WHERE id = :e", e=evidence.sealed_envelope)
    tamper(app, ["blobs"], ("UPDATE blobs SET data = :d WHERE sha256 = :s", {"d": b"%PDF-1.7 forged", "s": sha}))
    code, lines = check(runner)
    assert code == 1
    assert any(line.startswith(f"blobs {sha}: the bytes were changed") for line in lines), lines
    assert f"envelopes {evidence.sealed_envelope}: its sealed PDF (blob {sha[:12]}…) was changed" in lines


def test_an_edited_version_file_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    sha = one(app, "SELECT blob_sha256 FROM versions WHERE contract_id = :c AND number = 2", c=evidence.three_versions)
    tamper(app, ["blobs"], ("UPDATE blobs SET data = :d WHERE sha256 = :s", {"d": b"AGREEMENT\nForged.\n", "s": sha}))
    code, lines = check(runner)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"blobs {sha}: the bytes were changed")


def test_a_deleted_version_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    tamper(app, ["versions"], *delete_version(evidence.three_versions, 2))
    code, lines = check(runner)
    assert code == 1
    assert lines == [f"versions contract {evidence.three_versions}: version 2 is missing (deleted or renumbered)"]


def test_renumbered_versions_are_named(app: Any, runner: Any, evidence: Evidence) -> None:
    c = evidence.three_versions
    third = one(app, "SELECT id FROM versions WHERE contract_id = :c AND number = 3", c=c)
    tamper(app, ["versions"],
           ("UPDATE versions SET number = 99 WHERE contract_id = :c AND number = 1", {"c": c}),
           ("UPDATE versions SET number = 1 WHERE id = :id", {"id": third}),
           ("UPDATE versions SET number = 3 WHERE contract_id = :c AND number = 99", {"c": c}))
    code, lines = check(runner)
    assert code == 1
    assert any(line.startswith(f"versions {third}: version 1 of contract {c} was stored after") for line in lines), lines


def test_signed_text_edited_in_the_database_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    version_id = one(app, "SELECT version_id FROM envelopes WHERE id = :e", e=evidence.sealed_envelope)
    tamper(app, ["versions"], ("UPDATE versions SET text = text || ' (and a forged promise)' WHERE id = :id",
                               {"id": version_id}))
    code, lines = check(runner)
    assert code == 1
    contract, number = (one(app, f"SELECT {column} FROM versions WHERE id = :id", id=version_id)
                        for column in ("contract_id", "number"))
    assert lines == [f"versions {version_id}: version {number} of contract {contract} was edited, "
                     "or the version before it was (its fields or text no longer hash to its record)",
                     f"versions {version_id}: its text changed after envelope {evidence.sealed_envelope} froze it"]


def test_an_edited_confirmed_term_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    tamper(app, ["term_decisions"], ("UPDATE term_decisions SET value = :v WHERE id = :id",
                                     {"v": '"Delaware"', "id": evidence.decision_id}))
    code, lines = check(runner)
    assert code == 1
    assert lines == [f"term_decisions contract {evidence.frozen_contract}: the confirmed terms no longer hash to "
                     f"what envelope {evidence.frozen_envelope} froze (a decision was edited or deleted)"]


def test_a_deleted_confirmed_term_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    tamper(app, ["term_decisions"], ("DELETE FROM term_decisions WHERE id = :id", {"id": evidence.decision_id}))
    code, lines = check(runner)
    assert code == 1 and len(lines) == 1 and f"envelope {evidence.frozen_envelope} froze" in lines[0]


def test_edited_commercial_terms_are_named(app: Any, runner: Any, evidence: Evidence) -> None:
    document_id = one(app, "SELECT id FROM contract_terms_documents WHERE contract_id = :c",
                      c=evidence.signed_contract)
    data = one(app, "SELECT data FROM contract_terms_documents WHERE id = :id", id=document_id)
    forged = data.replace("120000", "1200") if isinstance(data, str) else None
    if forged is None or forged == data:  # PostgreSQL hands JSON back parsed
        import json

        raw = json.loads(data) if isinstance(data, str) else data
        forged = json.dumps(raw).replace("120000", "1200")
        assert forged != json.dumps(raw)
    tamper(app, ["contract_terms_documents"],
           ("UPDATE contract_terms_documents SET data = :d WHERE id = :id", {"d": forged, "id": document_id}))
    code, lines = check(runner)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"contract_terms_documents {document_id}: the terms were changed")


def test_a_billing_row_with_another_terms_hash_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    invoice_id = one(app, "SELECT MIN(id) FROM invoices WHERE contract_id = :c", c=evidence.signed_contract)
    tamper(app, ["invoices"], ("UPDATE invoices SET terms_sha256 = :s WHERE id = :id",
                               {"s": "0" * 64, "id": invoice_id}))
    code, lines = check(runner)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"invoices {invoice_id}: terms hash 000000000000… differs")


def test_it_exits_2_when_the_database_cannot_be_read(runner: Any, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Any) -> None:
    monkeypatch.setenv("CLM_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/clm.sqlite3")
    result = runner.invoke(main, ["audit", "check"])
    assert result.exit_code == 2
    assert result.stderr.startswith("clm: error: the audit check could not read the database")
    assert "Traceback" not in result.output


def test_deep_finds_edited_text_of_a_version_no_envelope_froze(app: Any, runner: Any, evidence: Evidence) -> None:
    clean = runner.invoke(main, ["audit", "check", "--deep"])
    assert clean.exit_code == 0, clean.output
    version_id = one(app, "SELECT id FROM versions WHERE contract_id = :c AND number = 1", c=evidence.three_versions)
    tamper(app, ["versions"], ("UPDATE versions SET text = 'AGREEMENT\nForged.' WHERE id = :id", {"id": version_id}))
    code, lines = check(runner)  # the version chain covers the text: the cheap check sees it
    assert code == 1 and lines[0] == (f"versions {version_id}: version 1 of contract {evidence.three_versions} was "
                                      "edited, or the version before it was (its fields or text no longer hash to "
                                      "its record)")
    result = runner.invoke(main, ["audit", "check", "--deep"])
    assert result.exit_code == 1
    assert (f"versions {version_id}: its stored text (version 1 of contract {evidence.three_versions}) is not what "
            "its file reads as: edited") in result.stdout.splitlines()  # and --deep says how


def test_blobs_kept_in_a_file_store_are_checked_too(app: Any, runner: Any, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Any) -> None:
    from clm.versions import blobs, store

    setting = f"file://{tmp_path}/blobs"
    monkeypatch.setenv("CLM_BLOB_STORE", setting)
    blobs.configure({"BLOB_STORE": setting})
    try:
        factory = db.sessionmaker_for(app)
        with db.transaction_for(factory) as s:
            version = store.import_file(s, store.Upload(b"AGREEMENT\nKept on disk.\n", "disk.txt"),
                                        limits=store.limits_from_settings(app.config), author="x")
            sha = version.blob_sha256
        assert check(runner)[0] == 0
        path = blobs.FileStore(tmp_path / "blobs").path(sha)
        path.write_bytes(b"AGREEMENT\nEdited on disk.\n")
        code, lines = check(runner)
        assert code == 1 and len(lines) == 1 and lines[0].startswith(f"blobs {sha}: the bytes were changed")
        path.unlink()
        assert check(runner) == (1, [f"blobs {sha}: its file in the file store is missing"])
    finally:
        blobs.configure({"BLOB_STORE": ""})


def test_an_edited_author_of_an_unsigned_version_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    version_id = one(app, "SELECT id FROM versions WHERE contract_id = :c AND number = 2", c=evidence.three_versions)
    tamper(app, ["versions"], ("UPDATE versions SET author = 'mallory', filename = 'other.txt' WHERE id = :id",
                               {"id": version_id}))
    code, lines = check(runner)
    assert code == 1
    assert lines[0] == (f"versions {version_id}: version 2 of contract {evidence.three_versions} was edited, or the "
                        "version before it was (its fields or text no longer hash to its record)")


def test_the_last_version_deleted_is_named(app: Any, runner: Any, evidence: Evidence) -> None:
    c = evidence.three_versions
    tamper(app, ["versions"], *delete_version(c, 3))
    code, lines = check(runner)
    assert code == 1
    assert lines == [f"contracts {c}: its recorded latest version is not version 2 as stored (a later version was "
                     "deleted, or the record was edited)"]


def test_new_versions_are_chained_to_the_one_before(app: Any, evidence: Evidence) -> None:
    from clm.versions.models import Contract, Version, chain_head

    with db.sessionmaker_for(app)() as s:
        versions = s.scalars(select(Version).where(Version.contract_id == evidence.three_versions)
                             .order_by(Version.number)).all()
        records = [v.record_sha256 for v in versions]
        assert all(records) and len(set(records)) == 3
        assert s.get(Contract, evidence.three_versions).versions_sha256 == chain_head(
            evidence.three_versions, 3, records[-1])
