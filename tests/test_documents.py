"""Tests for the Document model and its .txt / .docx readers."""

from __future__ import annotations

import io
import pickle
import zipfile
from datetime import UTC, datetime

import docx
import pytest

from clm import documents
from clm.documents import Document, Paragraph, Run, from_docx, from_text, read_revisions
from clm.errors import InvalidInput

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_docx(body: str) -> bytes:
    """Return a .docx (python-docx's blank package) whose body is the given WordprocessingML."""
    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info, xml.encode() if info.filename == "word/document.xml" else src.read(info.filename))
    return out.getvalue()


def texts(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


# -- from_text and offsets ----------------------------------------------------------------------


@pytest.mark.parametrize("text, paragraphs", [
    ("", [""]),
    ("one", ["one"]),
    ("one\ntwo", ["one", "two"]),
    ("one\n\ntwo\n", ["one", "", "two", ""]),
])
def test_from_text_keeps_every_line(text: str, paragraphs: list[str]) -> None:
    doc = from_text(text)
    assert texts(doc) == paragraphs
    assert doc.text == text


@pytest.mark.parametrize("offset, expected", [
    (0, (0, 0)), (2, (0, 2)), (3, (0, 3)), (4, (1, 0)), (5, (2, 0)), (9, (2, 4)),
])
def test_locate_maps_offsets_to_paragraphs(offset: int, expected: tuple[int, int]) -> None:
    doc = from_text("abc\n\nwxyz")
    assert doc.paragraph_starts == (0, 4, 5)
    assert doc.locate(offset) == expected


@pytest.mark.parametrize("offset", [-1, 10])
def test_locate_rejects_offsets_outside_the_text(offset: int) -> None:
    with pytest.raises(IndexError):
        from_text("abc\n\nwxyz").locate(offset)


def test_documents_pickle() -> None:
    doc = from_docx(make_docx('<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Bold</w:t></w:r></w:p>'))
    _ = doc.text  # cached values must pickle too
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_paragraph_formats_merge_equal_runs() -> None:
    p = Paragraph((Run("a", bold=True), Run("b", bold=True), Run("c"), Run("")))
    assert p.formats() == [(0, 2, (True, False, False)), (2, 3, (False, False, False))]


# -- from_docx ----------------------------------------------------------------------------------


def test_from_docx_reads_runs_styles_and_tables() -> None:
    d = docx.Document()
    d.add_heading("Terms", level=1)
    p = d.add_paragraph("Plain ")
    p.add_run("bold").bold = True
    p.add_run(" and ")
    p.add_run("italic").italic = True
    p.add_run(" and ")
    p.add_run("under").underline = True
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Cell A"
    inner = table.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "Nested"
    d.add_paragraph("After")
    buf = io.BytesIO()
    d.save(buf)
    doc = from_docx(buf.getvalue())
    # python-docx leaves an empty paragraph before and after the nested table in the cell.
    assert texts(doc) == ["Terms", "Plain bold and italic and under", "Cell A", "", "Nested", "", "After"]
    assert doc.paragraphs[0].style == "Heading 1"
    runs = doc.paragraphs[1].runs
    assert [(r.text, r.format) for r in runs] == [
        ("Plain ", (False, False, False)), ("bold", (True, False, False)), (" and ", (False, False, False)),
        ("italic", (False, True, False)), (" and ", (False, False, False)), ("under", (False, False, True))]
    assert [p.in_table for p in doc.paragraphs] == [False, False, True, True, True, True, False]


@pytest.mark.parametrize("body, accept, reject", [
    # content control text is kept
    ('<w:sdt><w:sdtContent><w:p><w:r><w:t>In a control</w:t></w:r></w:p></w:sdtContent></w:sdt>',
     ["In a control"], ["In a control"]),
    ('<w:p><w:sdt><w:sdtContent><w:r><w:t>inline</w:t></w:r></w:sdtContent></w:sdt></w:p>', ["inline"], ["inline"]),
    # tracked insertion and deletion
    (('<w:p><w:r><w:t xml:space="preserve">Pay in </w:t></w:r>'
      '<w:del w:id="1" w:author="Counsel" w:date="2025-01-02T03:04:05Z"><w:r><w:delText>30</w:delText></w:r></w:del>'
      '<w:ins w:id="2" w:author="Counsel" w:date="2025-01-02T03:04:05Z"><w:r><w:t>60</w:t></w:r></w:ins>'
      '<w:r><w:t xml:space="preserve"> days.</w:t></w:r></w:p>'), ["Pay in 60 days."], ["Pay in 30 days."]),
    # a deleted paragraph mark joins two paragraphs in the accept view
    (('<w:p><w:pPr><w:rPr><w:del w:id="3" w:author="A" w:date="2025-01-01T00:00:00Z"/></w:rPr></w:pPr>'
      '<w:r><w:t>One</w:t></w:r></w:p><w:p><w:r><w:t>Two</w:t></w:r></w:p>'), ["OneTwo"], ["One", "Two"]),
    # an inserted paragraph (mark and text) is absent from the reject view
    (('<w:p><w:r><w:t>Keep</w:t></w:r></w:p><w:p><w:pPr><w:rPr><w:ins w:id="4" w:author="A"/></w:rPr></w:pPr>'
      '<w:ins w:id="5" w:author="A"><w:r><w:t>New</w:t></w:r></w:ins></w:p><w:p><w:r><w:t>End</w:t></w:r></w:p>'),
     ["Keep", "New", "End"], ["Keep", "End"]),
    # moves read like deletions and insertions
    (('<w:p><w:moveFrom w:id="6" w:author="A"><w:r><w:t>Moved</w:t></w:r></w:moveFrom></w:p>'
      '<w:p><w:moveTo w:id="7" w:author="A"><w:r><w:t>Moved</w:t></w:r></w:moveTo></w:p>'), ["", "Moved"], ["Moved", ""]),
    # field codes are left out, field results kept
    (('<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
      '<w:r><w:instrText> REF _Ref1 \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
      '<w:r><w:t>Section 4</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'),
     ["See Section 4"], ["See Section 4"]),
    ('<w:p><w:fldSimple w:instr="PAGE"><w:r><w:t>7</w:t></w:r></w:fldSimple></w:p>', ["7"], ["7"]),
    # tabs and line breaks; "\n" stays reserved for paragraph ends
    ('<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>', ["a\tb\vc"], ["a\tb\vc"]),
    # hyperlinks and smart tags are read through
    ('<w:p><w:hyperlink><w:r><w:t>link</w:t></w:r></w:hyperlink></w:p>', ["link"], ["link"]),
])
def test_from_docx_views(body: str, accept: list[str], reject: list[str]) -> None:
    data = make_docx(body)
    assert texts(from_docx(data)) == accept
    assert texts(from_docx(data, view="reject")) == reject


def test_tracked_changes_are_listed_with_author_and_date() -> None:
    data = make_docx(
        '<w:p><w:r><w:t>Intro</w:t></w:r></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">Pay in </w:t></w:r>'
        '<w:del w:id="1" w:author="Counsel" w:date="2025-01-02T03:04:05Z"><w:r><w:delText>30</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="Other Side" w:date="2025-02-03T04:05:06Z"><w:r><w:t>60</w:t></w:r></w:ins>'
        '<w:r><w:rPr><w:b/><w:rPrChange w:id="3" w:author="Counsel"><w:rPr/></w:rPrChange></w:rPr>'
        '<w:t xml:space="preserve"> days</w:t></w:r></w:p>')
    revs = read_revisions(data)
    assert [(r.kind, r.author, r.text, r.paragraph) for r in revs] == [
        ("delete", "Counsel", "30", 1), ("insert", "Other Side", "60", 1), ("format", "Counsel", " days", 1)]
    assert revs[0].date == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert revs[2].date is None
    assert from_docx(data).revisions == tuple(revs)


def test_hidden_text_is_flagged_and_left_out() -> None:
    data = make_docx('<w:p><w:r><w:t xml:space="preserve">Shown </w:t></w:r>'
                     '<w:r><w:rPr><w:vanish/></w:rPr><w:t>secret</w:t></w:r></w:p>')
    doc = from_docx(data)
    assert doc.text == "Shown "
    assert doc.has_hidden_text
    assert not from_docx(make_docx('<w:p><w:r><w:t>x</w:t></w:r></w:p>')).has_hidden_text


def test_character_style_formatting_counts() -> None:
    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("strong", style="Strong")
    buf = io.BytesIO()
    d.save(buf)
    assert from_docx(buf.getvalue()).paragraphs[0].runs[0].bold


def test_entities_are_not_expanded() -> None:
    body = '<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>'
    data = make_docx(body)
    # Put a DOCTYPE with an external entity in front of the document part.
    src = zipfile.ZipFile(io.BytesIO(data))
    xml = src.read("word/document.xml").decode().replace(
        "<w:document", '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><w:document', 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info, xml.encode() if info.filename == "word/document.xml" else src.read(info.filename))
    doc = from_docx(out.getvalue())
    assert "root:" not in doc.text


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data", [
    b"",
    b"not a zip at all",
    b"PK\x03\x04 truncated",
    _zip({"hello.txt": b"hi"}),
    _zip({"word/document.xml": b"<w:document"}),
    _zip({"word/document.xml": f"<w:document {W}><w:nobody/></w:document>".encode()}),
])
def test_bad_files_raise_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput) as err:
        from_docx(data)
    assert "Word" in str(err.value) or "docx" in str(err.value)


def test_corrupt_compressed_part_raises_invalid_input() -> None:
    data = bytearray(make_docx("<w:p><w:r><w:t>" + "text " * 500 + "</w:t></w:r></w:p>"))
    # Damage the middle of the deflated document part, leaving the zip directory intact.
    start = data.find(b"word/document.xml") + len("word/document.xml") + 40
    data[start:start + 60] = bytes(60)
    with pytest.raises(InvalidInput):
        from_docx(bytes(data))


def test_view_must_be_accept_or_reject() -> None:
    with pytest.raises(ValueError):
        from_docx(make_docx("<w:p/>"), view="both")  # type: ignore[arg-type]


def test_qn_rejects_unknown_prefixes() -> None:
    assert documents.qn("w:p").endswith("}p")
    with pytest.raises(ValueError):
        documents.qn("x:p")


def test_list_numbering_labels_are_computed_but_not_part_of_the_text() -> None:
    d = docx.Document()
    for text, style in [("a", "List Number"), ("b", "List Number"), ("c", "List Bullet"), ("x", "Normal"),
                        ("d", "List Number 2"), ("e", "List Number")]:
        d.add_paragraph(text, style=style)
    buf = io.BytesIO()
    d.save(buf)
    doc = from_docx(buf.getvalue())
    assert [p.label for p in doc.paragraphs] == ["1.", "2.", "•", "", "1.", "3."]
    assert texts(doc) == ["a", "b", "c", "x", "d", "e"]


@pytest.mark.parametrize("n, fmt, expected", [
    (1, "decimal", "1"), (4, "lowerLetter", "d"), (27, "lowerLetter", "aa"), (2, "upperLetter", "B"),
    (4, "lowerRoman", "iv"), (14, "upperRoman", "XIV"), (7, "decimalZero", "07"), (3, "none", ""),
])
def test_number_formats(n: int, fmt: str, expected: str) -> None:
    assert documents._format_number(n, fmt) == expected


def test_tracked_changes_are_placed_in_the_accept_view() -> None:
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Pay in </w:t></w:r>'
        '<w:del w:id="1" w:author="Dana" w:date="2025-01-02T03:04:05Z"><w:r><w:delText>30</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="Lee"><w:r><w:t>60</w:t></w:r></w:ins><w:r><w:t xml:space="preserve"> days.</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:rPr><w:ins w:id="3" w:author="Kim"/></w:rPr></w:pPr><w:ins w:id="4" w:author="Kim">'
        '<w:r><w:t>Added</w:t></w:r></w:ins></w:p>')
    doc = from_docx(data)
    assert [(t.kind, t.paragraph, t.start, t.end, t.author, t.text) for t in doc.tracked] == [
        ("delete", 0, 7, 7, "Dana", "30"), ("insert", 0, 7, 9, "Lee", ""),
        ("insert", 1, 0, 5, "Kim", ""), ("mark_insert", 1, 5, 5, "Kim", "")]
    assert doc.tracked[0].date == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert from_docx(data, view="reject").tracked == ()


# -- the whole package: stories, tables, atoms ----------------------------------------------------


def _rich() -> bytes:
    from tests.versions.wordml import Doc, png

    d = Doc()
    d.p("Terms", d.fn("See Schedule 1."), " apply", d.en("VAT extra."))
    d.p("Link ", d.link("https://example.com/t", "the terms"), " image ", d.image(png(1, 2, 3)), " box ",
        d.textbox("Inside the box"))
    d.p("Maths ", d.math("x=1"), " control ", d.control("Party", "Acme"), " page ", d.field("PAGE", "3"))
    d.p(d.comment("Check", d.r("noted")), " and ", d.bookmark("b1", d.r("marked")))
    d.table([["A", "B"], ["C", "D"]])
    d.block_control("Parties", d.para("Acme Ltd"))
    d.header("Draft").footer("Confidential")
    return d.to_docx()


def test_text_is_the_body_and_table_cells_only() -> None:
    doc = from_docx(_rich())
    assert texts(doc) == ["Terms apply", "Link the terms image  box ", "Maths  control Acme page 3",
                          "noted and marked", "A", "B", "C", "D", "Acme Ltd"]
    assert "Inside the box" not in doc.text and "See Schedule" not in doc.text and "Draft" not in doc.text
    assert tuple(documents.paragraphs_of(doc.body)) == doc.paragraphs


def test_stories_are_read_beside_the_body() -> None:
    doc = from_docx(_rich())
    found = {s.id.split(":")[0]: s.text for s in doc.stories}
    assert found == {"header": "Draft", "footer": "Confidential", "footnote": " See Schedule 1.",
                     "endnote": " VAT extra.", "comment": "Check", "textbox": "Inside the box"}
    assert doc.sections[0].parts == (("footer", "default", "footer:word/footer_default.xml"),
                                     ("header", "default", "header:word/header_default.xml"))


def test_objects_are_atoms_at_their_place() -> None:
    doc = from_docx(_rich())
    kinds = [[(a.kind, a.start, a.text) for a in p.atoms] for p in doc.paragraphs[:4]]
    assert kinds[0] == [("footnote", 5, ""), ("endnote", 11, "")]
    assert kinds[1] == [("hyperlink", 5, "the terms"), ("drawing", 21, ""), ("textbox", 26, "")]
    assert kinds[2] == [("math", 6, ""), ("control", 15, "Acme"), ("field", 25, ""), ("field_end", 26, "")]
    assert [k for k, _, _ in kinds[3]] == ["comment_start", "comment_end", "comment", "bookmark", "bookmark_end"]
    assert doc.paragraphs[0].atoms[0].refs == ("footnote:1",)


def test_tables_and_block_controls_are_blocks() -> None:
    doc = from_docx(_rich())
    table = next(b for b in doc.body if isinstance(b, documents.Table))
    assert [[c.blocks[0].text for c in r.cells] for r in table.rows] == [["A", "B"], ["C", "D"]]  # type: ignore[union-attr]
    control = next(b for b in doc.body if isinstance(b, documents.Control))
    assert control.label == "Parties" and control.blocks[0].text == "Acme Ltd"  # type: ignore[union-attr]


def test_revisions_in_notes_are_listed_with_their_story() -> None:
    from benchmarks.redline_features import _tracked_doc

    revs = from_docx(_tracked_doc("footnote")).revisions
    assert [(r.kind, r.author, r.text, r.story) for r in revs] == [
        ("delete", "Dana Whitfield", "conflict", "footnote:1"), ("insert", "Dana Whitfield", "choice", "footnote:1")]


def test_a_broken_notes_part_costs_the_notes_only() -> None:
    from tests.versions.wordml import Doc

    d = Doc()
    d.p("Body text", d.fn("A note."))
    src = zipfile.ZipFile(io.BytesIO(d.to_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            raw = src.read(info.filename)
            z.writestr(info, b"<w:footnotes" if info.filename == "word/footnotes.xml" else raw)
    doc = from_docx(out.getvalue())
    assert doc.text == "Body text" and doc.paragraphs[0].atoms[0].kind == "footnote"
    assert not any(s.kind == "footnote" for s in doc.stories)
    assert doc.problems and "word/footnotes.xml" in doc.problems[0]


def test_a_revision_names_the_paragraph_it_is_in() -> None:
    data = make_docx(
        '<w:p><w:r><w:t>First</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:pPrChange w:id="1" w:author="A"><w:pPr/></w:pPrChange></w:pPr>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t>Second</w:t></w:r></w:ins></w:p>'
        '<w:p><w:r><w:t>Third</w:t></w:r></w:p>')
    assert [(r.kind, r.paragraph) for r in from_docx(data).revisions] == [("format", 1), ("insert", 1)]
