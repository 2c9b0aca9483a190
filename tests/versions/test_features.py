"""Whole-document redlines, feature by feature: accepting every change gives NEW and rejecting
gives OLD in every story, with the objects kept, on Word-style fixtures (tests/versions/wordml.py)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest

from benchmarks.redline_features import agreement, pairs
from clm.documents import from_docx
from clm.versions import docx_io, render
from clm.versions.diff import diff
from tests.versions.wordml import Doc, check, png, read_view

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
#: Per inline feature, the edits every fixture test runs (the benchmark runs all of them).
EDITS = {"add", "remove", "inside", "around", "para_deleted", "moved", "split"}
CASES = [(f, e, o, n) for f, e, o, n in pairs() if e in EDITS or f not in _INLINE] if (
    _INLINE := {"footnote", "endnote", "comment", "field-ref", "field-page", "field-simple", "hyperlink", "bookmark",
                "image", "textbox", "math", "control", "page-break", "rtl"}) else []


def redline(old: bytes, new: bytes) -> bytes:
    return docx_io.write_tracked(diff(from_docx(old), from_docx(new)), new, author="Reviewer", date=WHEN,
                                 old_docx=old)


@pytest.mark.parametrize(("feature", "edit", "old", "new"), CASES, ids=[f"{f}-{e}" for f, e, _, _ in CASES])
def test_every_story_reads_back_as_old_and_new(feature: str, edit: str, old: bytes, new: bytes) -> None:
    red = diff(from_docx(old), from_docx(new))
    out = docx_io.write_tracked(red, new, author="Reviewer", date=WHEN, old_docx=old)
    verdict = check(old, new, out)
    assert verdict.accept_ok, verdict.accept_diff
    assert verdict.reject_ok, verdict.reject_diff
    assert verdict.structure_ok
    if verdict.differ:  # never reported unchanged
        assert not red.is_empty and verdict.revisions > 0


def test_the_check_fails_a_redline_that_leaves_changes_out() -> None:
    old = agreement(lambda d: d.fn("See Schedule 1."))
    new = agreement(lambda d: d.fn("See Schedule 2 for the price list."))
    verdict = check(old, new, new)  # NEW itself, no tracked changes: rejecting gives NEW, not OLD
    assert verdict.accept_ok and not verdict.reject_ok
    assert any("footnote 1" in line for line in verdict.reject_diff)


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def test_revision_ids_are_unique_across_parts() -> None:
    def doc(v: str) -> bytes:
        d = Doc()
        d.p("Terms", d.fn("Note " + v)).p("Body " + v).header("Header " + v).footer("Footer " + v)
        return d.to_docx()

    out = redline(doc("one"), doc("two"))
    ids = []
    for name in ("word/document.xml", "word/footnotes.xml", "word/header_default.xml", "word/footer_default.xml"):
        xml = _part(out, name).decode()
        assert "w:ins " in xml and "w:del " in xml, name
        from lxml import etree

        root = etree.fromstring(xml.encode())
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        ids += [el.get(w + "id") for el in root.iter(w + "ins", w + "del")]
    assert len(ids) == len(set(ids)) > 4


def test_a_deleted_image_comes_back_with_its_part() -> None:
    old = agreement(lambda d: d.image(png(200, 30, 30)))
    new = agreement(None)
    out = redline(old, new)
    names = zipfile.ZipFile(io.BytesIO(out)).namelist()
    assert any(n.startswith("word/media/") for n in names)
    assert check(old, new, out).correct
    assert read_view(out, "reject").counts["images"] == 1 and read_view(out, "accept").counts["images"] == 0


def test_a_deleted_note_comes_back_into_a_new_notes_part() -> None:
    old = agreement(lambda d: d.fn("See Schedule 1."))
    new = agreement(None)
    assert "word/footnotes.xml" not in zipfile.ZipFile(io.BytesIO(new)).namelist()
    out = redline(old, new)
    assert b"See Schedule 1." in _part(out, "word/footnotes.xml")
    assert read_view(out, "reject").stories["footnote 1"] == read_view(old).stories["footnote 1"]


def test_deleted_table_row_stays_a_row() -> None:
    def doc(rows: list[list[str]]) -> bytes:
        return Doc().p("Prices").table(rows).p("End").to_docx()

    old = doc([["Widgets", "100"], ["Gadgets", "25"], ["Gizmos", "15"]])
    new = doc([["Widgets", "100"], ["Gizmos", "15"]])
    out = redline(old, new)
    xml = _part(out, "word/document.xml").decode()
    assert xml.count("<w:tr>") + xml.count("<w:tr ") == 3 and "<w:trPr><w:del " in xml
    assert check(old, new, out).correct
    red = diff(from_docx(old), from_docx(new))
    assert red.stats["rows_deleted"] == 1 and red.stats["paragraphs_deleted"] == 2


@pytest.mark.parametrize(("tag", "make"), [
    ("w:pPrChange", lambda v: Doc().p("Clause one.", jc="center" if v else None).to_docx()),
    ("w:rPrChange", lambda v: Doc().p("Pay ", Doc.r("now", b=v)).to_docx()),
    ("w:tblPrChange", lambda v: Doc().p("x").table([["a", "b"]], jc="center" if v else None).p("y").to_docx()),
    ("w:tcPrChange", lambda v: Doc().p("x").table([["a", "b"]], shade=(0, 1) if v else None).p("y").to_docx()),
    ("w:trPrChange", lambda v: Doc().p("x").table([["a", "b"], ["c", "d"]], header=v).p("y").to_docx()),
])
def test_property_only_changes_are_native_property_revisions(tag: str, make) -> None:  # type: ignore[no-untyped-def]
    old, new = make(False), make(True)
    red = diff(from_docx(old), from_docx(new))
    assert not red.is_empty
    out = redline(old, new)
    assert f"<{tag} " in _part(out, "word/document.xml").decode()
    assert check(old, new, out).correct


def test_section_page_setup_change_is_a_section_revision() -> None:
    def doc(orient: str | None) -> bytes:
        d = Doc().p("Terms.")
        if orient:
            d.sect.update(orient=orient, w=15840, h=12240)
        return d.to_docx()

    old, new = doc(None), doc("landscape")
    red = diff(from_docx(old), from_docx(new))
    assert not red.is_empty and red.sections[0].props_changed
    out = redline(old, new)
    assert "<w:sectPrChange " in _part(out, "word/document.xml").decode()
    assert check(old, new, out).correct


def test_counterparty_revisions_in_a_note_keep_their_author() -> None:
    from benchmarks.redline_features import _plain_doc, _tracked_doc

    old, new = _plain_doc(True), _tracked_doc("footnote")
    out = redline(old, new)
    notes = _part(out, "word/footnotes.xml").decode()
    assert 'w:author="Dana Whitfield"' in notes and 'w:author="Reviewer"' not in notes
    assert check(old, new, out).correct


def test_new_with_tracked_changes_keeps_its_structure() -> None:
    # A counterparty's file with a table, a note and an image, and its own tracked changes.
    d = Doc()
    dana = 'w:author="Dana Whitfield" w:date="2026-05-04T09:30:00Z"'
    d.p("Terms", d.fn("See Schedule 1."), " and ", d.image(png(1, 2, 3)))
    d.table([["Widgets", "100"]])
    d.raw(d.para("Pay within ", f'<w:del w:id="801" {dana}><w:r><w:delText>30</w:delText></w:r></w:del>'
                 f'<w:ins w:id="802" {dana}><w:r><w:t>60</w:t></w:r></w:ins>', " days."))
    new = d.to_docx()
    old = Doc().p("Terms", Doc().fn("See Schedule 1.")).to_docx()
    out = redline(old, new)
    accepted = read_view(out, "accept")
    assert accepted.counts["tables"] == 1 and accepted.counts["images"] == 1 and accepted.counts["footnotes"] == 1
    assert check(old, new, out).accept_ok


def test_an_unreadable_part_is_kept_byte_for_byte_and_said() -> None:
    def broken(data: bytes) -> bytes:
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for info in src.infolist():
                raw = src.read(info.filename)
                if info.filename == "word/footnotes.xml":
                    raw = raw.replace(b"</w:footnotes>", b"<w:footnote>")  # not well-formed any more
                z.writestr(info, raw)
        return out.getvalue()

    old = broken(agreement(lambda d: d.fn("See Schedule 1."), "base"))
    new = broken(agreement(lambda d: d.fn("See Schedule 1."), "elsewhere"))
    doc = from_docx(new)
    assert any("footnotes" in p for p in doc.problems)
    red = diff(from_docx(old), doc)
    out = docx_io.write_tracked(red, new, author="R", date=WHEN, old_docx=old)
    assert _part(out, "word/footnotes.xml") == _part(new, "word/footnotes.xml")
    assert "[-forty-five-]{+sixty+} days" in render.to_text(red)
    assert "Not compared: word/footnotes.xml" in render.to_html(red)


def test_an_unknown_object_is_kept_as_an_atom() -> None:
    def doc(word: str) -> bytes:
        return Doc().p(f"Pay {word} ", '<w:r><w:customThing xmlns:w="http://schemas.openxmlformats.org/'
                                        'wordprocessingml/2006/main" w:val="7"/></w:r>', " days.").to_docx()

    old, new = doc("thirty"), doc("sixty")
    out = redline(old, new)
    assert _part(out, "word/document.xml").count(b"customThing") == 1
    assert check(old, new, out).correct


def test_html_shows_tables_notes_and_objects() -> None:
    def doc(v: str) -> bytes:
        d = Doc()
        d.p("Terms", d.fn("Note " + v), " and ", d.image(png(9, 9, 9) if v == "a" else png(9, 9, 90)))
        d.table([["Widgets", "100"], ["Gadgets", "25"]] if v == "a" else [["Widgets", "100"]])
        d.header("Draft " + v)
        return d.to_docx()

    html = render.to_html(diff(from_docx(doc("a")), from_docx(doc("b"))))
    assert 'class="rl-table rl-table-changed"' in html and 'class="rl-row-deleted"' in html
    assert "Footnote 1" in html and "Header" in html
    assert 'class="rl-del rl-atom"' in html and 'class="rl-ins rl-atom"' in html and "Deleted image" in html
    assert "Row deleted" in html
