"""Tests of the journeys' document generator: real-size, well-formed, deterministic, and read by clm as meant."""

from __future__ import annotations

import difflib
import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from clm.clauses.extract import extract
from clm.documents import from_docx, read_revisions
from clm.versions.intake import Limits, check_docx_package, read_upload
from tests.journeys import documents as D

W = {"w": D.W_NS}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def xml(data: bytes, name: str) -> etree._Element:
    return etree.fromstring(members(data)[name])


@pytest.fixture(scope="module")
def base() -> bytes:
    return D.agreement()


@pytest.fixture(scope="module")
def revised(base: bytes) -> D.Revised:
    return D.revise(base, comment=True)


# --- the agreement ----------------------------------------------------------------------------

def test_agreement_is_real_size(base: bytes) -> None:
    doc = from_docx(base)
    words = len(doc.text.split())
    assert 1 * MiB <= len(base) <= 3 * MiB
    assert 15_000 <= words <= 25_000
    # LibreOffice lays these out on 50 pages (test_libreoffice_lays_out_30_pages_or_more); at
    # most 600 words a page that is 30 or more.
    assert words / 600 >= 30
    assert len(doc.paragraphs) > 250


def test_agreement_carries_logo_header_footer_table_footnote(base: bytes) -> None:
    parts = members(base)
    header_rels = etree.fromstring(parts["word/_rels/header1.xml.rels"])
    images = [r.get("Target") for r in header_rels.iter(REL) if r.get("Type").endswith("/image")]
    assert len(images) == 1
    logo = parts["word/" + images[0]]
    assert logo.startswith(b"\xff\xd8") and 200_000 <= len(logo) <= 900_000  # a JPEG of a few hundred KB
    header = etree.fromstring(parts["word/header1.xml"])
    assert header.xpath("//w:drawing", namespaces=W)
    footer = etree.fromstring(parts["word/footer1.xml"])
    assert [t.strip() for t in footer.xpath("//w:instrText/text()", namespaces=W)] == ["PAGE", "NUMPAGES"]
    document = etree.fromstring(parts["word/document.xml"])
    sect = document.find("w:body/w:sectPr", W)
    kinds = {ref.tag.split("}")[1] for ref in sect}
    assert {"headerReference", "footerReference"} <= kinds
    tables = document.xpath("//w:tbl", namespaces=W)
    assert len(tables) >= 1
    order = tables[0]
    rows = order.xpath("w:tr", namespaces=W)
    assert len(rows) >= 6 and all(len(r.xpath("w:tc", namespaces=W)) == 6 for r in rows)
    amounts = re.findall(r"USD [\d,]+\.\d\d", "".join(order.xpath(".//w:t/text()", namespaces=W)))
    assert "USD 120,000.00" in amounts and len(amounts) >= 8
    footnotes = etree.fromstring(parts["word/footnotes.xml"])
    assert footnotes.xpath("//w:footnote[@w:id='1']//w:t/text()", namespaces=W)
    assert document.xpath("//w:footnoteReference[@w:id='1']", namespaces=W)
    rels = etree.fromstring(parts["word/_rels/document.xml.rels"])
    assert any(r.get("Type").endswith("/footnotes") for r in rels.iter(REL))
    assert "/word/footnotes.xml" in parts["[Content_Types].xml"].decode()
    assert document.xpath("//w:r[w:rPr/w:b]", namespaces=W) and document.xpath("//w:r[w:rPr/w:i]", namespaces=W)


def test_agreement_numbers_clauses_with_word_lists(base: bytes) -> None:
    parts = members(base)
    numbering = etree.fromstring(parts["word/numbering.xml"])
    document = etree.fromstring(parts["word/document.xml"])
    heading_nums = set(document.xpath("//w:p[w:pPr/w:pStyle/@w:val='Heading1']/w:pPr/w:numPr/w:numId/@w:val",
                                      namespaces=W))
    assert len(heading_nums) == 1
    num_id = heading_nums.pop()
    abstract_id = numbering.xpath(f"w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val", namespaces=W)[0]
    abstract = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']", namespaces=W)[0]
    assert abstract.xpath("w:multiLevelType/@w:val", namespaces=W) == ["multilevel"]
    assert abstract.xpath("w:lvl/w:lvlText/@w:val", namespaces=W)[:2] == ["%1.", "%1.%2"]
    sub_clauses = document.xpath(f"//w:p[w:pPr/w:numPr[w:ilvl/@w:val='1' and w:numId/@w:val='{num_id}']]",
                                 namespaces=W)
    assert len(sub_clauses) > 100
    doc = from_docx(base)
    labels = [p.label for p in doc.paragraphs if p.label]
    assert labels[:3] == ["1.", "1.1", "(a)"] and "23." in labels and "7.2" in labels
    # The numbers are Word's, not typed: no clause text starts with one.
    assert not [p.text for p in doc.paragraphs if p.label and re.match(r"\d+\.", p.text)]
    styles = {p.style for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2", "Title", "Body Text"} <= styles


def test_agreement_states_the_preamble_and_terms_the_brief_names(base: bytes) -> None:
    text = from_docx(base).text
    assert ('is entered into as of March 1, 2026 (the "Effective Date") by and between Northwind Software, Inc.'
            in text)
    for phrase in ('("Provider")', '("Customer")', "an initial term of twelve (12) months",
                   "automatically renew for successive one (1) year terms",
                   "notice of non-renewal at least sixty (60) days",
                   "terminate this Agreement for convenience upon thirty (30) days' prior written notice",
                   "the laws of the State of New York", "(net 30)", "USD 120,000.00 per year",
                   "By: ____", "Name:", "Title:", "Date:"):
        assert phrase in text, phrase


def test_extractor_reads_the_expected_terms(base: bytes) -> None:
    found = extract(read_upload(base, "msa.docx", Limits()).text).fields
    expected = D.expected_terms()
    assert expected["parties"] == ["Northwind Software, Inc.", "Contoso Retail LLC"]
    assert (expected["effective_date"], expected["initial_term"], expected["renewal_term"]) == ("2026-03-01", "P12M", "P1Y")
    assert {k: found.get(k) for k in expected} == expected


def test_other_terms_are_written_and_read_back() -> None:
    terms = {"title": "Software License Agreement", "customer": "City Power & Light Company",
             "provider_role": "Licensor", "customer_role": "Licensee", "governing_law": "England and Wales",
             "initial_term_months": 36, "renewal_term_years": 2, "non_renewal_notice_days": 90,
             "termination_notice_days": 45, "payment_days": 45, "currency": "GBP"}
    data = D.build(3, terms=D.Terms(**terms), layout=D.Layout(words=4000, logo=(0, 0), photos=())).data
    assert len(data) < 200_000
    found = extract(from_docx(data).text).fields
    expected = D.expected_terms(**terms)
    assert expected["governing_law"] == "England and Wales" and expected["non_renewal_notice"] == "P90D"
    assert {k: found.get(k) for k in expected} == expected


def test_terms_refuse_what_the_generator_cannot_write() -> None:
    with pytest.raises(ValueError, match="governing_law"):
        D.Terms(governing_law="Atlantis")
    with pytest.raises(ValueError, match="whole amount"):
        D.Terms(annual_fee=Decimal("99.50"))


def test_agreement_is_deterministic(base: bytes) -> None:
    assert D.agreement() == base
    other = D.agreement(seed=1)
    assert other != base and D.expected_terms() == D.expected_terms()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        assert {i.date_time for i in z.infolist()} == {D.ZIP_DATE}
    core = members(base)["docProps/core.xml"].decode()
    assert "<dcterms:created" in core and "2026-02-08T09:00:00Z" in core
    assert "python-docx" not in core


def test_same_bytes_in_another_process() -> None:
    """Hash randomization and process state must not leak into the bytes."""
    code = ("import hashlib, sys; sys.path.insert(0, sys.argv[1]); from tests.journeys import documents as D; "
            "print(hashlib.sha256(D.agreement(seed=7, words=3000)).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60,
                         env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.strip() == hashlib.sha256(D.agreement(seed=7, words=3000)).hexdigest()


# --- the counterparty's revision --------------------------------------------------------------

def test_revision_lists_its_changes_as_clm_reads_them(revised: D.Revised) -> None:
    kinds = [c.kind for c in revised.changes]
    assert kinds.count("insert") == 4 and kinds.count("delete") == 3 and kinds.count("comment") == 1
    assert {c.author for c in revised.changes} == {"Dana Whitfield"}
    read = read_revisions(revised.data)
    assert [(r.kind, r.author, r.text) for r in read] == [(c.kind, c.author, c.text) for c in revised.revisions]
    assert {r.date for r in read} == {datetime(2026, 2, 20, 15, 42, tzinfo=UTC)}
    texts = [c.text for c in revised.revisions]
    assert texts[:2] == ["sixty (60)", "ninety (90)"]  # inside the numbered Renewal clause
    assert texts[-2:] == ["15,000.00", "12,500.00"]  # inside the order table
    assert any(t.startswith("Customer Marks.") for t in texts)


def test_revision_marks_are_native_and_dated(revised: D.Revised) -> None:
    document = xml(revised.data, "word/document.xml")
    for tag in ("ins", "del"):
        marks = document.xpath(f"//w:{tag}", namespaces=W)
        assert marks and {m.get(f"{{{D.W_NS}}}author") for m in marks} == {"Dana Whitfield"}
        assert {m.get(f"{{{D.W_NS}}}date") for m in marks} == {"2026-02-20T15:42:00Z"}
    ids = document.xpath("//w:ins/@w:id | //w:del/@w:id", namespaces=W)
    assert len(ids) == len(set(ids))
    # The changed amount sits in a table cell, the notice change in a numbered paragraph.
    assert document.xpath("//w:tc//w:del/w:r/w:delText[text()='15,000.00']", namespaces=W)
    renewal = document.xpath("//w:p[w:del/w:r/w:delText[text()='sixty (60)']]", namespaces=W)[0]
    assert renewal.xpath("w:pPr/w:numPr/w:ilvl/@w:val", namespaces=W) == ["1"]
    # A whole inserted clause (its mark too) and a whole deleted one.
    assert len(document.xpath("//w:p[w:pPr/w:rPr/w:ins]", namespaces=W)) == 2
    assert len(document.xpath("//w:p[w:pPr/w:rPr/w:del]", namespaces=W)) == 1
    assert xml(revised.data, "word/settings.xml").find("w:trackRevisions", W) is not None


def test_revision_comment_is_a_real_comment(revised: D.Revised) -> None:
    comments = xml(revised.data, "word/comments.xml")
    (comment,) = comments.xpath("w:comment", namespaces=W)
    assert comment.get(f"{{{D.W_NS}}}author") == "Dana Whitfield"
    (change,) = [c for c in revised.changes if c.kind == "comment"]
    assert "".join(comment.xpath(".//w:t/text()", namespaces=W)) == change.text
    document = xml(revised.data, "word/document.xml")
    for tag in ("commentRangeStart", "commentRangeEnd", "commentReference"):
        assert document.xpath(f"//w:{tag}[@w:id='0']", namespaces=W)
    assert "/word/comments.xml" in members(revised.data)["[Content_Types].xml"].decode()


def test_revision_keeps_everything_else(base: bytes, revised: D.Revised) -> None:
    before, after = members(base), members(revised.data)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed == {"word/document.xml", "word/settings.xml", "word/_rels/document.xml.rels",
                       "[Content_Types].xml"}
    assert set(after) - set(before) == {"word/comments.xml"}
    plain = members(D.counterparty_revision(base))
    assert {n for n in before if before[n] != plain.get(n)} == {"word/document.xml", "word/settings.xml"}


def test_accept_and_reject_views(base: bytes, revised: D.Revised) -> None:
    old = from_docx(base)
    assert from_docx(revised.data, "reject").text == old.text
    accepted = from_docx(revised.data, "accept")
    # Word's Accept All / Reject All, done in lxml, agree with clm's two views of the redline.
    resolved_accept, resolved_reject = D.accept_all(revised.data), D.reject_all(revised.data)
    assert from_docx(resolved_accept).text == accepted.text
    assert from_docx(resolved_reject).text == old.text
    assert [p.label for p in from_docx(resolved_reject).paragraphs] == [p.label for p in old.paragraphs]
    assert read_revisions(resolved_accept) == [] and read_revisions(resolved_reject) == []
    # The accepted text differs from the base by exactly the listed changes: paragraphs are
    # aligned first, then the words of each changed stretch.
    deleted, inserted = [], []
    pa, pb = old.text.split("\n"), accepted.text.split("\n")
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        a, b = " ".join(pa[i1:i2]).split(), " ".join(pb[j1:j2]).split()
        for wop, k1, k2, m1, m2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if wop in ("delete", "replace"):
                deleted.append(" ".join(a[k1:k2]))
            if wop in ("insert", "replace"):
                inserted.append(" ".join(b[m1:m2]))
    assert deleted == [c.text for c in revised.revisions if c.kind == "delete"]
    assert inserted == [c.text for c in revised.revisions if c.kind == "insert"]


def test_every_file_passes_clms_intake(base: bytes, revised: D.Revised) -> None:
    for data in (base, revised.data, D.accept_all(revised.data)):
        doc = read_upload(data, "contract.docx", Limits())
        assert doc.text == from_docx(data).text
    assert read_upload(revised.data, "contract.docx", Limits(), view="reject").text == from_docx(base).text


def test_extractor_reads_the_counterpartys_notice(revised: D.Revised) -> None:
    found = extract(from_docx(revised.data, "accept").text).fields
    expected = {**D.expected_terms(), **revised.term_updates}
    assert revised.term_updates == {"non_renewal_notice": "P90D"}
    assert {k: found.get(k) for k in expected} == expected


def test_revise_refuses_a_document_it_did_not_make() -> None:
    import docx

    other = docx.Document()
    other.add_paragraph("A letter of intent.")
    buf = io.BytesIO()
    other.save(buf)
    with pytest.raises(ValueError, match="preamble|no article|clauses captioned"):
        D.revise(buf.getvalue())
    with pytest.raises(ValueError, match="time zone"):
        D.revise(D.agreement(words=3000), date=datetime(2026, 2, 20))


# --- the archive ------------------------------------------------------------------------------

def test_archive_plan_varies_and_stays_distinct() -> None:
    plan = D.archive_plan(50)
    assert len({e.path for e in plan}) == 50 and len({e.terms.customer for e in plan}) == 50
    assert all(not e.path.startswith("/") and ".." not in e.path and e.path.endswith(".docx") for e in plan)
    assert len({e.terms.title for e in plan}) >= 5 and len({e.terms.governing_law for e in plan}) >= 6
    assert {e.terms.initial_term_months for e in plan} == {12, 24, 36}
    assert any(not e.terms.auto_renewal for e in plan) and any(not e.terms.termination_for_convenience for e in plan)
    assert sum(1 for e in plan if e.layout.photos) >= 5 and sum(1 for e in plan if not e.layout.logo[0]) >= 10
    assert D.archive_plan(50) == plan and D.archive_plan(50, seed=1) != plan


@pytest.mark.slow
def test_archive_documents_are_real_size_and_read_as_planned() -> None:
    plan = D.archive_plan(50)
    files = list(D.archive(50))
    assert [p for p, _ in files] == [e.path for e in plan]
    assert len({hashlib.sha256(b).hexdigest() for _, b in files}) == 50
    sizes = {e.path: len(b) for e, (_, b) in zip(plan, files)}
    with_images = [sizes[e.path] for e in plan if e.layout.logo[0]]
    assert all(300_000 <= s <= 3 * MiB for s in with_images) and max(with_images) > 2 * MiB
    assert all(s < 200_000 for e, s in zip(plan, sizes.values()) if not e.layout.logo[0])
    for _, data in files:
        check_docx_package(data, Limits())
    # Extraction on a spread of them: each kind of document, laws and a contract that just expires.
    picks = [0, 1, 2, 8] + [i for i, e in enumerate(plan) if not e.terms.auto_renewal][:1]
    for i in picks:
        doc = read_upload(files[i][1], files[i][0], Limits())
        expected = plan[i].terms.expected()
        found = extract(doc.text).fields
        assert {k: found.get(k) for k in expected} == expected, plan[i].path


# --- LibreOffice, when it is installed --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_lays_out_30_pages_or_more(revised: D.Revised, tmp_path: Path) -> None:
    """The redline (the base's layout plus one clause, with its comment) opens and fills 30+ pages."""
    (tmp_path / "redline.docx").write_bytes(revised.data)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(tmp_path / "redline.docx")],
                   check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "redline.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 30
