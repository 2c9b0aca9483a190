"""Issue 17, findings 1, 2 and 15: a sealed PDF proves itself only against a trust anchor the forger
cannot supply; the audit chain is keyed and held by the head sealed in the PDF; a damaged seal
signature is tampering (exit 1), not an unreadable file (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from clm import db
from clm.cli import main
from clm.signing import audit, keys, seal


@pytest.fixture
def outside(monkeypatch, tmp_path):
    """Run `clm verify` as a signer does: no installation folder, no database."""
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.setenv("CLM_INSTANCE_PATH", str(empty))
    monkeypatch.delenv("CLM_DATABASE_URL", raising=False)
    return empty


def _forge(tmp_path: Path, envelope_id: int) -> Path:
    """A PDF sealed with a key the forger made, naming itself like clm's seal and clm's envelope."""
    from clm.pdf import html_to_pdf

    key_pem, cert_pem = keys._generate("clm")
    (tmp_path / "forger-key.pem").write_bytes(key_pem)
    (tmp_path / "forger-cert.pem").write_bytes(cert_pem)
    html = (f'<html><head><meta name="description" content="clm envelope {envelope_id}"></head>'
            "<body><h1>Certificate of completion</h1><p>Signed by everyone. Pay USD 1,000,000.</p></body></html>")
    forged = seal.seal_pdf(html_to_pdf(html), str(tmp_path / "forger-key.pem"), str(tmp_path / "forger-cert.pem"),
                           reason=f"clm envelope {envelope_id} completed")
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    return path


def _real_fingerprint(app) -> str:
    fingerprint = keys.installation_fingerprint(app.instance_path)
    assert fingerprint is not None
    return fingerprint


# -- finding 1: the trust anchor ------------------------------------------------------------------


def test_a_forged_pdf_is_not_valid_outside_the_installation(app, runner, sealed, tmp_path, outside):
    envelope_id, _real = sealed
    forged = _forge(tmp_path, envelope_id)
    result = runner.invoke(main, ["verify", str(forged)])
    assert result.exit_code == 1, result.output
    assert "signer not trusted" in result.output
    result = runner.invoke(main, ["verify", str(forged), "--fingerprint", _real_fingerprint(app)])
    assert result.exit_code == 1 and "not a trusted certificate" in result.output, result.output


def test_the_real_pdf_is_valid_with_the_fingerprint_from_the_email_or_the_published_certificate(
        app, client, runner, sealed, tmp_path, outside):
    _id, real = sealed
    fingerprint = _real_fingerprint(app)
    for given in (fingerprint, fingerprint.replace(":", "").lower()):
        result = runner.invoke(main, ["verify", str(real), "--fingerprint", given])
        assert result.exit_code == 0, result.output
        assert f"trusted certificate (SHA-256 {fingerprint})" in result.output
    published = client.get("/verify/certificate.pem")
    assert published.status_code == 200 and published.headers["X-Clm-Certificate-SHA256"] == fingerprint
    cert = tmp_path / "published.pem"
    cert.write_bytes(published.data)
    assert runner.invoke(main, ["verify", str(real), "--cert", str(cert)]).exit_code == 0
    # Without any trust anchor nothing is trusted, not even the real PDF.
    bare = runner.invoke(main, ["verify", str(real)])
    assert bare.exit_code == 1 and "signer not trusted" in bare.output
    assert runner.invoke(main, ["verify", str(real), "--fingerprint", "12:34"]).exit_code == 2


def test_the_fingerprint_is_on_the_certificate_of_completion_and_in_the_email(app, factory, send_envelope,
                                                                             monkeypatch):
    import clm.pdf
    from tests.signing.conftest import complete, sign_as

    rendered: list[str] = []
    real_render = clm.pdf.html_to_pdf
    monkeypatch.setattr(clm.pdf, "html_to_pdf", lambda html, **kw: rendered.append(html) or real_render(html, **kw))
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    mails = complete(factory, app, envelope_id)
    fingerprint = _real_fingerprint(app)
    [certificate_page] = [html for html in rendered if "Certificate of completion" in html]
    assert fingerprint in certificate_page and "https://clm.example/verify/certificate.pem" in certificate_page
    [mail] = [m for m in mails if m.to == "a@example.test"]
    assert fingerprint in mail.body and "https://clm.example/verify/certificate.pem" in mail.body
    assert f"--fingerprint {fingerprint}" in mail.body


def test_the_verify_page_checks_against_the_installation_certificate(app, client, sealed, tmp_path):
    envelope_id, real = sealed
    forged = _forge(tmp_path, envelope_id)
    page = client.get("/verify")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    assert _real_fingerprint(app) in page.get_data(as_text=True)
    answer = client.post("/verify", data={"csrf_token": csrf, "pdf": (forged.open("rb"), "forged.pdf")})
    body = answer.get_data(as_text=True)
    assert "Not valid" in body and "not trusted" in body
    answer = client.post("/verify", data={"csrf_token": csrf, "pdf": (real.open("rb"), "signed.pdf")})
    assert "<h2>Valid: unchanged since it was sealed</h2>" in answer.get_data(as_text=True)


# -- finding 15: a damaged seal signature is tampering ------------------------------------------------


def test_a_damaged_seal_signature_exits_1(app, runner, sealed, tmp_path):
    _id, real = sealed
    data = bytearray(real.read_bytes())
    found = re.search(rb"/Contents <([0-9a-fA-F]+)>", bytes(data))
    assert found
    for offset in (200, 1000):
        damaged = bytearray(data)
        position = found.start(1) + offset
        damaged[position:position + 1] = b"0" if damaged[position:position + 1] != b"0" else b"1"
        path = tmp_path / f"damaged-{offset}.pdf"
        path.write_bytes(bytes(damaged))
        result = runner.invoke(main, ["verify", str(path)])
        assert result.exit_code == 1, result.output
        assert "TAMPERED" in result.output and "signature" in result.output


# -- finding 2: the keyed chain, and the head sealed in the PDF ------------------------------------------


def _rewrite(app, envelope_id: int, key: bytes | None) -> None:
    """Change the first signer's IP and recompute every hash after it, as someone with database
    write access would: unkeyed (they do not have the key), or keyed (they stole it too)."""
    engine = db.sessionmaker_for(app).kw["bind"]
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER envelope_audit_events_no_update"))
        else:
            connection.execute(text("ALTER TABLE envelope_audit_events DISABLE TRIGGER envelope_audit_events_immutable"))
        rows = connection.execute(text("SELECT id FROM envelope_audit_events WHERE envelope_id = :e ORDER BY seq"),
                                  {"e": envelope_id}).scalars().all()
        connection.execute(text("UPDATE envelope_audit_events SET ip = '203.0.113.66' WHERE envelope_id = :e "
                                "AND kind = 'signed'"), {"e": envelope_id})
    factory = db.sessionmaker_for(app)
    with factory() as s:
        events = audit.events_of(s, envelope_id)
        prev = audit.GENESIS
        updates = []
        for event in events:
            event_hash = audit.next_hash(prev, _Plain(event, prev), key)
            updates.append((event.id, prev, event_hash))
            prev = event_hash
        s.rollback()
    with engine.begin() as connection:
        for event_id, prev_hash, event_hash in updates:
            connection.execute(text("UPDATE envelope_audit_events SET prev_hash = :p, hash = :h, scheme = :s "
                                    "WHERE id = :i"), {"p": prev_hash, "h": event_hash, "i": event_id,
                                                       "s": 2 if key else 1})
        if engine.dialect.name != "sqlite":
            connection.execute(text("ALTER TABLE envelope_audit_events ENABLE TRIGGER envelope_audit_events_immutable"))
    assert len(rows) == len(updates)


class _Plain:
    def __init__(self, event, prev):
        for name in ("envelope_id", "seq", "kind", "at", "actor", "ip", "user_agent", "details"):
            setattr(self, name, getattr(event, name))
        self.prev_hash = prev


@pytest.mark.parametrize("stolen_key", [False, True])
def test_a_rewritten_audit_chain_with_recomputed_hashes_is_caught(app, runner, sealed, stolen_key):
    envelope_id, real = sealed
    key = None
    if stolen_key:
        with db.sessionmaker_for(app)() as s:
            key = audit.key_of(s)
    _rewrite(app, envelope_id, key)
    result = runner.invoke(main, ["verify", str(real)])
    assert result.exit_code == 1, result.output
    check = runner.invoke(main, ["audit", "check"])
    assert check.exit_code == 1, check.output
    if stolen_key:
        # Every hash matches under the stolen key: only the head sealed in the PDF shows it.
        assert "head sealed in the PDF" in result.output
        assert "head sealed in its PDF" in check.output
    else:
        assert "audit event #1" in result.output
        assert "not keyed" in check.output


def test_the_audit_key_lives_outside_the_database(app, sealed):
    path = Path(app.instance_path) / keys.AUDIT_KEY_FILE
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    with db.sessionmaker_for(app)() as s:
        key = audit.key_of(s)
        assert path.read_bytes().strip() == key
        hashes = s.execute(text("SELECT hash, scheme FROM envelope_audit_events")).all()
    assert hashes and all(scheme == audit.SCHEME_HMAC for _h, scheme in hashes)


def test_trails_written_before_the_keyed_chain_still_verify_after_the_upgrade(app, factory, send_envelope,
                                                                            database_url, monkeypatch):
    """The migration anchors each envelope's unkeyed trail with the audit key; new events are keyed;
    an unkeyed event after the anchor (a downgrade) is caught."""
    if not database_url.startswith("sqlite"):
        pytest.skip("downgrades the schema; run on SQLite")
    from alembic import command
    from alembic.config import Config

    from tests.signing.conftest import LEGAL, now
    from clm.signing import envelopes

    envelope_id, _tokens = send_envelope([("A", "a@example.test", 1)])
    engine = factory.kw["bind"]
    cfg = Config(str(Path(__file__).resolve().parents[2] / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    engine.dispose()
    command.downgrade(cfg, "d3a7c6e7f007")
    # What the code before keyed chains wrote: plain SHA-256 links.
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER envelope_audit_events_no_update"))
    with factory() as s:
        rows = s.execute(text("SELECT id, envelope_id, seq, kind, at, actor, ip, user_agent, details "
                              "FROM envelope_audit_events ORDER BY envelope_id, seq")).all()
        s.rollback()
    prev, updates = audit.GENESIS, []
    for row in rows:
        event = _Row(row, prev)
        digest = audit.next_hash(prev, event)
        updates.append({"i": row.id, "p": prev, "h": digest})
        prev = digest
    with engine.begin() as connection:
        for values in updates:
            connection.execute(text("UPDATE envelope_audit_events SET prev_hash = :p, hash = :h WHERE id = :i"), values)
    engine.dispose()
    monkeypatch.setenv("CLM_INSTANCE_PATH", app.instance_path)  # the migration reads the key the app uses
    command.upgrade(cfg, "head")
    with factory() as s:
        chain = audit.chain_key(s, envelope_id)
        assert chain.legacy_seq == len(rows)
        assert audit.verify_chain(audit.events_of(s, envelope_id), chain) is None
    with db.transaction_for(factory) as s:  # a new event on the old trail is keyed
        envelopes.remind(s, envelope_id, client=LEGAL, now=now())
    with factory() as s:
        events = audit.events_of(s, envelope_id)
        assert events[-1].scheme == audit.SCHEME_HMAC and len(events) > len(rows)
        assert audit.verify_chain(events, audit.chain_key(s, envelope_id)) is None
        # Downgrading that keyed event to an unkeyed hash is caught: the anchor does not cover it.
        last = events[-1]
        forged, last_id, last_seq = audit.next_hash(last.prev_hash, last), last.id, last.seq
        s.rollback()
    with engine.begin() as connection:
        connection.execute(text("UPDATE envelope_audit_events SET scheme = 1, hash = :h WHERE id = :i"),
                           {"h": forged, "i": last_id})
    with factory() as s:
        broken = audit.verify_chain(audit.events_of(s, envelope_id), audit.chain_key(s, envelope_id))
        assert broken is not None and broken.seq == last_seq


class _Row:
    def __init__(self, row, prev):
        import datetime as dt
        import json

        at = row.at if isinstance(row.at, dt.datetime) else dt.datetime.fromisoformat(str(row.at))
        self.envelope_id, self.seq, self.kind, self.actor = row.envelope_id, row.seq, row.kind, row.actor
        self.at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        self.ip, self.user_agent, self.prev_hash = row.ip, row.user_agent, prev
        self.details = json.loads(row.details) if isinstance(row.details, str) else row.details
