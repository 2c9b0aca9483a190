"""Comparing stored versions: the web compare view, the API in every format, and `clm diff`."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from clm.cli import main
from clm.demo import text_to_docx
from clm.users import Role
from clm.versions import store
from tests.versions.test_docx_io import texts

OLD = "SUPPLY AGREEMENT\n# 1. Fees\nFees are due within thirty (30) days.\n# 2. Law\nNew York law governs.\n"
NEW = ("SUPPLY AGREEMENT\n# 1. Fees\nFees are due within forty-five (45) days of receipt.\n# 2. Law\n"
       "New York law governs.\nThe courts of New York County decide disputes.\n")


@pytest.fixture
def contract(app, session):
    limits = store.limits_from_settings(app.config)
    first = store.import_file(session, store.Upload(text_to_docx(OLD), "supply.docx"), limits=limits, author="lee")
    store.import_file(session, store.Upload(text_to_docx(NEW), "supply-them.docx"), limits=limits,
                      author="counsel@them.example", contract_id=first.contract_id)
    session.commit()
    return first.contract


def _ops_spell(ops, old: str, new: str) -> None:
    assert "".join(t for op, t in ops if op != "insert") == old
    assert "".join(t for op, t in ops if op != "delete") == new


def test_api_json_ops_spell_both_versions(client, make_token, contract):
    headers = {"Authorization": f"Bearer {make_token(Role.VIEWER)}"}
    body = client.get(f"/api/v1/contracts/{contract.id}/compare?from=1&to=2", headers=headers).json
    versions = contract.versions
    _ops_spell(body["ops"], versions[0].text, versions[1].text)
    assert any(op == "delete" and "thirty (30)" in t for op, t in body["ops"])
    assert any(op == "insert" and "forty-five (45)" in t for op, t in body["ops"])
    assert not any(op != "equal" and "SUPPLY" in t for op, t in body["ops"])
    assert body["stats"]["paragraphs_inserted"] == 1 and body["stats"]["paragraphs_changed"] == 1


def test_api_docx_accepts_to_new_and_rejects_to_old(client, make_token, contract):
    headers = {"Authorization": f"Bearer {make_token(Role.VIEWER)}"}
    response = client.get(f"/api/v1/contracts/{contract.id}/compare?from=1&to=2&format=docx", headers=headers)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert texts(response.data, "accept") == contract.versions[1].text.split("\n")
    assert texts(response.data, "reject") == contract.versions[0].text.split("\n")
    assert b'w:author="counsel@them.example"' in response.data or "counsel@them.example" in _document_xml(response.data)


def _document_xml(data: bytes) -> str:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()


def test_api_pdf_and_html(client, make_token, contract):
    headers = {"Authorization": f"Bearer {make_token(Role.VIEWER)}"}
    pdf = client.get(f"/api/v1/contracts/{contract.id}/compare?from=1&to=2&format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    html = client.get(f"/api/v1/contracts/{contract.id}/compare?from=1&to=2&format=html", headers=headers)
    assert html.status_code == 200 and "<ins" in html.get_data(as_text=True)
    assert html.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(("query", "status", "message"), [
    ("from=1&to=9", 404, "has no version 9"),
    ("from=1", 422, "Give the two versions"),
    ("from=1&to=2&format=xml", 422, "Unknown format"),
])
def test_api_compare_errors(client, make_token, contract, query, status, message):
    response = client.get(f"/api/v1/contracts/{contract.id}/compare?{query}",
                          headers={"Authorization": f"Bearer {make_token(Role.VIEWER)}"})
    assert response.status_code == status and message in response.json["error"]


def test_comparing_a_version_with_itself_is_empty(client, make_token, contract):
    body = client.get(f"/api/v1/contracts/{contract.id}/compare?from=2&to=2",
                      headers={"Authorization": f"Bearer {make_token(Role.VIEWER)}"}).json
    assert [op for op, _ in body["ops"]] == ["equal"]
    assert body["stats"]["words_inserted"] == body["stats"]["words_deleted"] == 0


def test_compare_page_and_downloads(client, auth, contract):
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{contract.id}/compare?from=1&to=2").get_data(as_text=True)
    assert "<ins" in page and "forty-five (45)" in page and "Side by side" in page
    assert "<style>" not in page  # CSP forbids inline styles; the stylesheet is a static file
    docx = client.get(f"/contracts/{contract.id}/compare?from=1&to=2&format=docx")
    assert docx.status_code == 200 and texts(docx.data, "accept") == contract.versions[1].text.split("\n")
    assert client.get(f"/contracts/{contract.id}/compare?from=1&to=2&format=pdf").data.startswith(b"%PDF-")


def test_clm_diff_formats(tmp_path):
    old, new = tmp_path / "old.txt", tmp_path / "new.docx"
    old.write_text(OLD)
    new.write_bytes(text_to_docx(NEW))
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"ops", "stats"}
    assert "".join(t for op, t in body["ops"] if op != "insert") == OLD
    out = tmp_path / "redline.docx"
    result = runner.invoke(main, ["diff", str(old), str(new), "--format", "docx", "-o", str(out), "--author", "Kim"])
    assert result.exit_code == 0 and "Kim" in _document_xml(out.read_bytes())
    assert texts(out.read_bytes(), "reject") == OLD.split("\n")
    text = runner.invoke(main, ["diff", str(old), str(new)])
    assert "{+forty-five (45)+}" in text.stdout or "forty-five (45)" in text.stdout
    for fmt in ("html", "pdf"):
        target = tmp_path / f"r.{fmt}"
        assert runner.invoke(main, ["diff", str(old), str(new), "--format", fmt, "-o", str(target)]).exit_code == 0
        assert target.stat().st_size > 500


def test_clm_diff_bad_input_is_one_line_and_exit_2(tmp_path):
    good, bad = tmp_path / "a.txt", tmp_path / "b.docx"
    good.write_text("x\n")
    bad.write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(main, ["diff", str(good), str(bad), "--format", "json"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"clm: error: {bad}: This file is a PDF but is named .docx; name it .pdf "
                                     "(clm reads PDFs as PDFs, never as another kind of file).")
    missing = CliRunner().invoke(main, ["diff", str(good), str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "cannot read the file" in missing.stderr


def test_a_counterparty_redline_is_stored_as_sent_and_its_revisions_are_shown(app, client, auth, session, contract):
    import datetime as dt

    from clm.documents import from_docx
    from clm.versions import docx_io
    from clm.versions.diff import diff

    ours = contract.versions[1]
    changed = NEW.replace("forty-five (45) days of receipt", "sixty (60) days of receipt")
    tracked = docx_io.write_tracked(diff(from_docx(ours.blob.data), from_docx(text_to_docx(changed))),
                                    text_to_docx(changed), author="Dana Counsel",
                                    date=dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC))
    version = store.import_file(session, store.Upload(tracked, "them-redline.docx"),
                                limits=store.limits_from_settings(app.config), author="counsel@them.example",
                                contract_id=contract.id, source=store.VersionSource.COUNTERPARTY)
    session.commit()
    assert version.blob.data == tracked and version.revision_count >= 2
    assert "sixty (60)" in version.text and "forty-five" not in version.text
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{contract.id}/versions/3").get_data(as_text=True)
    assert "tracked changes in this file" in page and "Dana Counsel" in page and "May 4, 2026" in page
    rejected = client.get(f"/contracts/{contract.id}/versions/3?view=reject").get_data(as_text=True)
    assert "forty-five (45) days of receipt" in rejected and "every change rejected" in rejected
    compare = client.get(f"/contracts/{contract.id}/compare?from=2&to=3").get_data(as_text=True)
    assert "v3 arrived with" in compare and "tracked changes" in compare


# -- a counterparty's own tracked changes keep their author ----------------------------------------

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DANA = 'w:author="Dana Whitfield" w:date="2026-05-04T09:30:00Z"'


def _word_docx(body: str) -> bytes:
    """Return a .docx (python-docx's package) with ``body`` as its WordprocessingML body."""
    import zipfile

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body>{body}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info, xml.encode() if info.filename == "word/document.xml" else src.read(info.filename))
    return out.getvalue()


def _p(inner: str, rsid: str = "00A1B2C3") -> str:
    return f'<w:p w:rsidR="{rsid}" w:rsidRDefault="{rsid}">{inner}</w:p>'


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


#: Our draft, and the same draft as the counterparty's lawyer returned it from Word with her
#: tracked changes (a replaced number, a deleted phrase, an inserted paragraph).
OURS = _word_docx(_p(_r("SUPPLY AGREEMENT")) + _p(_r("Fees are due within thirty (30) days of the invoice date."))
                  + _p(_r("Either party may terminate this Agreement for convenience on written notice."))
                  + _p(_r("New York law governs.")))
THEIRS_BODY = (
    _p(_r("SUPPLY AGREEMENT"))
    + _p(_r("Fees are due within ") + f'<w:del w:id="11" {_DANA}><w:r><w:delText>thirty (30)</w:delText></w:r></w:del>'
         + f'<w:ins w:id="12" {_DANA}><w:r><w:t>sixty (60)</w:t></w:r></w:ins>' + _r(" days of the invoice date."))
    + _p(_r("Either party may terminate this Agreement ")
         + f'<w:del w:id="13" {_DANA}><w:r><w:delText xml:space="preserve">for convenience </w:delText></w:r></w:del>'
         + _r("on written notice."))
    + _p(f'<w:pPr><w:rPr><w:ins w:id="14" {_DANA}/></w:rPr></w:pPr>'
         + f'<w:ins w:id="15" {_DANA}><w:r><w:t>Each party bears its own costs.</w:t></w:r></w:ins>', "00D4E5F6")
    + _p(_r("New York law governs.")))
THEIRS = _word_docx(THEIRS_BODY)


@pytest.fixture
def countered(app, session):
    limits = store.limits_from_settings(app.config)
    first = store.import_file(session, store.Upload(OURS, "supply.docx"), limits=limits, author="lee@us.example")
    store.import_file(session, store.Upload(THEIRS, "supply-dw.docx"), limits=limits, author="counsel@them.example",
                      contract_id=first.contract_id, source=store.VersionSource.COUNTERPARTY)
    session.commit()
    return first.contract


def _authors_and_dates(data: bytes) -> set[tuple[str | None, str | None]]:
    from lxml import etree

    root = etree.fromstring(_document_xml(data).encode())
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return {(el.get(ns + "author"), el.get(ns + "date")) for el in root.iter(ns + "ins", ns + "del")}


def test_counterparty_changes_are_credited_to_their_author_not_the_uploader(client, auth, countered):
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{countered.id}/versions/2").get_data(as_text=True)
    assert "tracked changes in this file, by Dana Whitfield" in page
    assert "stored by counsel@them.example" in page

    compare = client.get(f"/contracts/{countered.id}/compare?from=1&to=2").get_data(as_text=True)
    assert 'title="Dana Whitfield, 2026-05-04 09:30">sixty (60)</ins>' in compare
    assert 'title="Dana Whitfield, 2026-05-04 09:30">thirty (30)</del>' in compare
    assert "(Dana Whitfield, 2026-05-04 09:30)" in compare  # in the change list
    assert "keeps its author and date (Dana Whitfield)" in compare

    docx_data = client.get(f"/contracts/{countered.id}/compare?from=1&to=2&format=docx").data
    assert _authors_and_dates(docx_data) == {("Dana Whitfield", "2026-05-04T09:30:00Z")}
    versions = countered.versions
    assert texts(docx_data, "accept") == versions[1].text.split("\n")
    assert texts(docx_data, "reject") == versions[0].text.split("\n")


def test_changes_the_counterparty_did_not_track_are_the_uploaders(app, client, auth, session, countered):
    # The counterparty also changed "New York" to "Delaware" without tracking it.
    untracked = _word_docx(THEIRS_BODY.replace("New York law governs.", "Delaware law governs."))
    store.import_file(session, store.Upload(untracked, "supply-dw2.docx"),
                      limits=store.limits_from_settings(app.config), author="counsel@them.example",
                      contract_id=countered.id, source=store.VersionSource.COUNTERPARTY)
    session.commit()
    auth.login(Role.VIEWER)
    docx_data = client.get(f"/contracts/{countered.id}/compare?from=1&to=3&format=docx").data
    authors = {a for a, _ in _authors_and_dates(docx_data)}
    assert authors == {"Dana Whitfield", "counsel@them.example"}
    assert texts(docx_data, "accept") == countered.versions[2].text.split("\n")
    assert texts(docx_data, "reject") == countered.versions[0].text.split("\n")


def test_clm_diff_keeps_counterparty_authors_unless_told(tmp_path):
    old, new = tmp_path / "ours.docx", tmp_path / "theirs.docx"
    old.write_bytes(OURS)
    new.write_bytes(THEIRS)
    kept, flat = tmp_path / "kept.docx", tmp_path / "flat.docx"
    runner = CliRunner()
    assert runner.invoke(main, ["diff", str(old), str(new), "--format", "docx", "-o", str(kept)]).exit_code == 0
    assert runner.invoke(main, ["diff", str(old), str(new), "--format", "docx", "-o", str(flat), "--author", "Kim",
                                "--no-keep-authors"]).exit_code == 0
    assert {a for a, _ in _authors_and_dates(kept.read_bytes())} == {"Dana Whitfield"}
    assert {a for a, _ in _authors_and_dates(flat.read_bytes())} == {"Kim"}
