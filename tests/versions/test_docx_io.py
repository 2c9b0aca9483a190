"""Tests for writing redlines as .docx tracked changes: accept all gives NEW, reject all gives OLD."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import docx
import pytest
from lxml import etree

from clm.documents import from_docx, from_text
from clm.versions import docx_io
from clm.versions.diff import diff

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LONG = "The Supplier shall deliver the Goods to the Customer at the agreed place within thirty days."
OTHER = "Either party may terminate this Agreement by written notice if the other party materially breaches it."
THIRD = "This Agreement is governed by the laws of the State of New York without regard to conflicts rules."


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read("word/document.xml")).find(w("body"))


def is_on(el: etree._Element | None) -> bool:
    return el is not None and el.get(w("val"), "true") not in ("0", "false", "off")


def view(data: bytes, which: str) -> list[list[tuple[str, bool]]]:
    """Return accept-all or reject-all paragraphs as lists of (character, bold)."""
    hide = {w("del"), w("moveFrom")} if which == "accept" else {w("ins"), w("moveTo")}
    paras: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    for p in body(data).iter(w("p")):
        row = next(p.iterancestors(w("tr")), None)
        if row is not None and any(m.tag in hide for m in row.iterfind(f"{w('trPr')}/*")):
            continue  # a row inserted (deleted) is not in the reject (accept) view at all
        for r in p.iter(w("r")):
            if any(a.tag in hide for a in r.iterancestors()):
                continue
            rpr = r.find(w("rPr"))
            bold = is_on(rpr.find(w("b")) if rpr is not None else None)
            if which == "reject" and rpr is not None and rpr.find(w("rPrChange")) is not None:
                bold = is_on(rpr.find(f"{w('rPrChange')}/{w('rPr')}/{w('b')}"))
            for c in r:
                if c.tag in (w("t"), w("delText")):
                    current.extend((ch, bold) for ch in c.text or "")
                elif c.tag == w("tab"):
                    current.append(("\t", bold))
                elif c.tag == w("br"):
                    current.append(("\v", bold))
        mark = p.find(f"{w('pPr')}/{w('rPr')}")
        if mark is not None and any(m.tag in hide for m in mark):
            continue  # the paragraph mark is gone in this view: text runs on
        paras.append(current)
        current = []
    if current:
        paras.append(current)
    return paras


def texts(data: bytes, which: str) -> list[str]:
    return ["".join(ch for ch, _ in p) for p in view(data, which)]


def make(paragraphs: list[str | list[tuple[str, bool]]], styles: list[str | None] | None = None) -> bytes:
    d = docx.Document()
    for k, p in enumerate(paragraphs):
        para = d.add_paragraph(style=styles[k] if styles else None)
        for text, bold in ([(p, False)] if isinstance(p, str) else p):
            para.add_run(text).bold = bold
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def redline(old: bytes, new: bytes) -> bytes:
    return docx_io.write_tracked(diff(from_docx(old), from_docx(new)), new, author="Reviewer", date=WHEN)


CASES = {
    "identical": ([LONG, OTHER], [LONG, OTHER]),
    "word change": ([LONG, OTHER], [LONG.replace("thirty", "sixty"), OTHER]),
    "inserted first": ([LONG], ["New opening paragraph.", LONG]),
    "inserted last": ([LONG], [LONG, "New closing paragraph."]),
    "deleted first": ([LONG, OTHER], [OTHER]),
    "deleted last": ([LONG, OTHER], [LONG]),
    "replaced last": ([LONG, OTHER], [LONG, THIRD]),
    "all replaced": ([LONG], [THIRD]),
    "from empty": ([""], [LONG, OTHER]),
    "to empty": ([LONG, OTHER], [""]),
    "split": ([LONG + " " + OTHER], [LONG, OTHER]),
    "join": ([LONG, OTHER], [LONG + " " + OTHER]),
    "moved": ([f"{k}: {LONG}" for k in range(4)], [f"{k}: {LONG}" for k in (0, 2, 3, 1)]),
    "moved and edited": ([f"{k}: {LONG}" for k in range(4)],
                         [f"{k}: {LONG}" for k in (0, 2, 3)] + [f"1: {LONG}".replace("thirty", "forty")]),
    "moved to the end": ([OTHER, LONG, THIRD], [LONG, THIRD, OTHER]),
    "tabs and breaks": (["a\tb c"], ["a\tb\nc d"]),  # python-docx writes "\n" as a w:br
}


@pytest.mark.parametrize("old, new", CASES.values(), ids=CASES.keys())
def test_accept_all_gives_new_and_reject_all_gives_old(old: list[str], new: list[str]) -> None:
    old_docx, new_docx = make(old), make(new)
    out = redline(old_docx, new_docx)
    assert texts(out, "accept") == [p.text for p in from_docx(new_docx).paragraphs]
    assert texts(out, "reject") == [p.text for p in from_docx(old_docx).paragraphs]
    # python-docx can open what we wrote, and the reader sees NEW in the accept view
    docx.Document(io.BytesIO(out))
    assert from_docx(out).text == from_docx(new_docx).text
    assert from_docx(out, view="reject").text == from_docx(old_docx).text


def test_revisions_carry_author_date_and_unique_ids() -> None:
    out = redline(make([LONG, OTHER, THIRD]), make([LONG.replace("thirty", "sixty"), THIRD, "Added."]))
    revs = [el for el in body(out).iter(w("ins"), w("del"), w("moveFrom"), w("moveTo"))]
    assert revs
    assert {el.get(w("author")) for el in revs} == {"Reviewer"}
    assert {el.get(w("date")) for el in revs} == {"2026-03-04T05:06:07Z"}
    ids = [el.get(w("id")) for el in body(out).iter() if el.get(w("id")) is not None]
    assert len(ids) == len(set(ids))
    # deleted text is w:delText, never w:t
    for d in body(out).iter(w("del")):
        assert not list(d.iter(w("t")))


def test_moves_are_native_moves_with_ranges() -> None:
    old = [f"{k}: {LONG}" for k in range(4)]
    out = redline(make(old), make([old[0], old[2], old[3], old[1]]))
    b = body(out)
    assert len(b.findall(f".//{w('moveFrom')}")) >= 1 and len(b.findall(f".//{w('moveTo')}")) >= 1
    starts = {el.get(w("name")) for el in b.iter(w("moveFromRangeStart"))}
    assert starts == {el.get(w("name")) for el in b.iter(w("moveToRangeStart"))} == {"move1"}
    assert len(list(b.iter(w("moveFromRangeEnd")))) == len(list(b.iter(w("moveToRangeEnd")))) == 1


def test_formatting_is_kept_and_formatting_only_changes_are_tracked() -> None:
    old = make([[("Pay ", False), ("now", True), (" please.", False)], LONG])
    new = make([[("Pay ", False), ("now", False), (" please", True), (".", False)], LONG.replace("thirty", "ten")])
    out = redline(old, new)
    assert view(out, "accept")[0] == [(c, b) for t, b in [("Pay ", False), ("now", False), (" please", True),
                                                           (".", False)] for c in t]
    assert view(out, "reject")[0] == [(c, b) for t, b in [("Pay ", False), ("now", True), (" please.", False)]
                                      for c in t]
    assert len(list(body(out).iter(w("rPrChange")))) == 2


def test_style_change_is_a_paragraph_property_change() -> None:
    out = redline(make(["Terms", LONG], ["Normal", None]), make(["Terms", LONG], ["Heading 1", None]))
    changes = list(body(out).iter(w("pPrChange")))
    assert len(changes) == 1
    # The old style was the default one (Normal), which an empty w:pPr expresses.
    assert changes[0].find(w("pPr")) is not None
    assert changes[0].find(f"{w('pPr')}/{w('pStyle')}") is None
    assert body(out).find(f"{w('p')}/{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading1"


def test_new_package_is_kept() -> None:
    d = docx.Document()
    d.add_paragraph("Intro")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Fee: 100"
    table.cell(0, 1).text = "Term: 1 year"
    d.sections[0].left_margin = docx.shared.Inches(2)
    buf = io.BytesIO()
    d.save(buf)
    new_docx = buf.getvalue()
    old = from_text("Intro\nFee: 90\nTerm: 1 year")
    out = docx_io.write_tracked(diff(old, from_docx(new_docx)), new_docx, author="R", date=WHEN)
    assert texts(out, "accept") == ["Intro", "Fee: 100", "Term: 1 year"]
    assert texts(out, "reject") == ["Intro", "Fee: 90", "Term: 1 year"]
    b = body(out)
    assert len(list(b.iter(w("tbl")))) == 1
    assert b.find(f"{w('sectPr')}/{w('pgMar')}").get(w("left")) == str(docx.shared.Inches(2).twips)
    with zipfile.ZipFile(io.BytesIO(out)) as zo, zipfile.ZipFile(io.BytesIO(new_docx)) as zn:
        assert zo.read("word/styles.xml") == zn.read("word/styles.xml")


def test_text_versions_get_a_fresh_document() -> None:
    red = diff(from_text("one\ntwo\nthree"), from_text("one\n2\nthree\nfour"))
    out = docx_io.write_tracked(red, None, author="R", date=WHEN)
    assert texts(out, "accept") == ["one", "2", "three", "four"]
    assert texts(out, "reject") == ["one", "two", "three"]


def test_new_with_its_own_tracked_changes_is_rebuilt() -> None:
    new_docx = make(["placeholder"])
    # Give NEW a tracked insertion of its own: the body is rebuilt rather than edited.
    with zipfile.ZipFile(io.BytesIO(new_docx)) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    members["word/document.xml"] = (
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t xml:space="preserve">Fee </w:t></w:r>'
        '<w:ins w:id="1" w:author="Them"><w:r><w:t>100</w:t></w:r></w:ins></w:p><w:sectPr/></w:body></w:document>'
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    new_docx = buf.getvalue()
    out = docx_io.write_tracked(diff(from_text("Fee 90"), from_docx(new_docx)), new_docx, author="R", date=WHEN)
    assert texts(out, "accept") == ["Fee 100"]
    assert texts(out, "reject") == ["Fee 90"]


def test_read_revisions_is_reexported() -> None:
    from clm import documents

    assert docx_io.read_revisions is documents.read_revisions


def test_inserted_table_row_is_an_inserted_row() -> None:
    def table_doc(rows: list[tuple[str, str]]) -> bytes:
        d = docx.Document()
        d.add_paragraph("Fees")
        table = d.add_table(rows=len(rows), cols=2)
        for k, (a, b) in enumerate(rows):
            table.cell(k, 0).text = a
            table.cell(k, 1).text = b
        d.add_paragraph("Signatures")
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    old = table_doc([("Setup", "100"), ("Support", "50")])
    new = table_doc([("Setup", "100"), ("Training", "75"), ("Support", "50")])
    out = redline(old, new)
    rows = list(body(out).iter(w("tr")))
    assert [r.find(f"{w('trPr')}/{w('ins')}") is not None for r in rows] == [False, True, False]
    assert texts(out, "accept") == ["Fees", "Setup", "100", "Training", "75", "Support", "50", "Signatures"]
    assert texts(out, "reject") == ["Fees", "Setup", "100", "Support", "50", "Signatures"]


def test_rebuilt_paragraphs_keep_run_properties_in_schema_order() -> None:
    def styled(text: str, bold_word: str) -> bytes:
        d = docx.Document()
        p = d.add_paragraph()
        for k, word in enumerate(text.split(" ")):
            r = p.add_run(("" if k == 0 else " ") + word)
            r.font.name = "Arial"
            r.font.size = docx.shared.Pt(11)
            r.font.color.rgb = docx.shared.RGBColor(0x11, 0x22, 0x33)
            r.bold = word == bold_word
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    out = redline(styled("Pay within thirty days", "Pay"), styled("Pay within sixty days", "days"))
    runs = list(body(out).iter(w("r")))
    assert runs
    for r in runs:
        rpr = r.find(w("rPr"))
        assert rpr.find(w("rFonts")).get(w("ascii")) == "Arial"
        assert rpr.find(w("sz")).get(w("val")) == "22"
        order = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "color", "sz", "szCs", "u", "rPrChange"]
        ranks = [order.index(c.tag.split("}")[1]) for c in rpr]
        assert ranks == sorted(ranks)
    assert texts(out, "accept") == ["Pay within sixty days"]
    assert texts(out, "reject") == ["Pay within thirty days"]
    bold_accept = "".join(ch for ch, b in view(out, "accept")[0] if b)
    bold_reject = "".join(ch for ch, b in view(out, "reject")[0] if b)
    assert (bold_accept, bold_reject) == (" days", "Pay")  # runs carry their leading space
