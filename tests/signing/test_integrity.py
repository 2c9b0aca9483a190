"""Tamper evidence: insert-only audit rows, and `clm verify` on the sealed PDF and the trail."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clm import db
from clm.cli import main
from clm.signing import seal


def test_the_database_refuses_to_update_or_delete_audit_events(app, factory, send_envelope):
    send_envelope()
    for statement in ("UPDATE envelope_audit_events SET kind = 'forged'", "DELETE FROM envelope_audit_events"):
        with factory() as s:
            with pytest.raises(DBAPIError, match="immutable"):
                s.execute(text(statement))
            s.rollback()


def test_verify_passes_an_untouched_sealed_pdf(runner, sealed):
    envelope_id, path = sealed
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "unmodified" in result.output and f"envelope {envelope_id}" in result.output and "intact" in result.output


def test_verify_fails_a_copy_with_one_byte_changed(runner, sealed, tmp_path):
    _id, path = sealed
    data = bytearray(path.read_bytes())
    # A byte inside the signed content (a compressed page stream), not the signature itself.
    offset = data.index(b"stream", len(data) // 4) + 20
    data[offset] ^= 0x01
    copy = tmp_path / "changed.pdf"
    copy.write_bytes(bytes(data))
    result = runner.invoke(main, ["verify", str(copy)])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "TAMPERED" in result.output


def test_verify_reports_an_incremental_update(runner, sealed, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _id, path = sealed
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(out.getvalue())
    result = runner.invoke(main, ["verify", str(updated)])
    assert result.exit_code == 1 and "incremental update" in result.output


def test_verify_names_an_edited_audit_event(app, runner, sealed, factory):
    envelope_id, path = sealed
    engine = db.sessionmaker_for(app).kw["bind"]
    dialect = engine.dialect.name
    with engine.begin() as connection:
        # Bypass the trigger, as someone with direct database access would.
        if dialect == "sqlite":
            connection.execute(text("DROP TRIGGER envelope_audit_events_no_update"))
        else:
            connection.execute(text("ALTER TABLE envelope_audit_events DISABLE TRIGGER envelope_audit_events_immutable"))
        connection.execute(text("UPDATE envelope_audit_events SET ip = '203.0.113.9' "
                                "WHERE envelope_id = :id AND kind = 'signed' AND seq = "
                                "(SELECT MIN(seq) FROM envelope_audit_events WHERE envelope_id = :id AND kind = 'signed')"),
                           {"id": envelope_id})
        if dialect != "sqlite":
            connection.execute(text("ALTER TABLE envelope_audit_events ENABLE TRIGGER envelope_audit_events_immutable"))
        seq = connection.execute(text("SELECT MIN(seq) FROM envelope_audit_events WHERE envelope_id = :id "
                                      "AND kind = 'signed'"), {"id": envelope_id}).scalar_one()
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 1, result.output
    assert f"audit event #{seq} (signed)" in result.output


def test_verify_fails_when_the_signed_text_is_edited_in_the_database(app, runner, sealed):
    envelope_id, path = sealed
    engine = db.sessionmaker_for(app).kw["bind"]
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER IF EXISTS versions_no_update"))
        else:
            connection.execute(text("ALTER TABLE versions DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE versions SET text = text || ' (amended)' WHERE id = "
                                "(SELECT version_id FROM envelopes WHERE id = :id)"), {"id": envelope_id})
        if engine.dialect.name != "sqlite":
            connection.execute(text("ALTER TABLE versions ENABLE TRIGGER USER"))
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 1 and "document hash" in result.output


def test_verify_exits_2_on_unreadable_input(runner, tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert runner.invoke(main, ["verify", str(junk)]).exit_code == 2
    assert runner.invoke(main, ["verify", str(tmp_path / "missing.pdf")]).exit_code == 2


def test_the_seal_uses_the_installation_key_kept_private(app, sealed):
    key = os.path.join(app.instance_path, "signing-key.pem")
    assert os.stat(key).st_mode & 0o777 == 0o600
    from clm.signing import keys

    report = seal.check_seal(sealed[1].read_bytes(), {keys.installation_fingerprint(app.instance_path)})
    assert report.unmodified and report.trusted and report.envelope_id == sealed[0] and report.problem is None
