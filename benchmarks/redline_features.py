"""Generate the whole-document redline set (features x edits) and print its figures per feature.

    python benchmarks/redline_features.py [--out DIR] [--lo] [--shared ../shared] [--only FEATURE]

Each pair is an OLD and a NEW .docx written as Word writes them (raw WordprocessingML built by
``tests/versions/wordml.py``): a short agreement holding one feature (footnotes, endnotes,
comments, fields, hyperlinks, bookmarks, images, text boxes, math, content controls, tables,
lists, headers and footers, sections, right-to-left text, formatting, inputs that carry tracked
changes), and NEW made by one edit of it (the object added, removed, changed inside, text around
it changed, its paragraph deleted, inserted, moved, split or joined, formatting changed, another
paragraph changed). With ``--lo`` a third of the pairs is also rewritten by LibreOffice
(``soffice --convert-to docx``), another producer's OOXML, and every redline is opened by
LibreOffice (converted to PDF).

For every pair the redline (``clm.versions`` in process, as ``clm diff --format docx`` does) is
read back independently (``wordml.check``): accepting every change must give NEW and rejecting
must give OLD in every story (body, tables cell by cell, notes, comments, headers and footers,
text boxes), the counts of tables, rows, notes, fields, hyperlinks, images, text boxes, math,
content controls, bookmarks and comment anchors must be kept in both views, and a pair whose
documents differ must not be reported unchanged. The body is also checked by the shared oracle
(``redline_oracle.py``) when ``--shared`` has it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clm import documents
from clm.versions import diff as diff_engine
from clm.versions import docx_io
from tests.versions.wordml import Doc, check, png

WHEN = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

TITLE = "SUPPLY AGREEMENT"
PARTIES = "This Supply Agreement is made between Acme Corporation and Widget Holdings Limited."
DELIVERY = ("1. Delivery. The Supplier shall deliver the Goods ", "{obj}",
            " to the Customer at the agreed place within thirty days of each order.")
PAYMENT = "2. Payment. The Customer shall pay each invoice within forty-five days of receipt."
LAW = "3. Law. This Agreement is governed by the laws of the State of New York."

#: An inline feature: (variant "a"/"b") -> inline XML of the object in a Doc.
Inline = Callable[[Doc, str], str]


def _inline_features() -> dict[str, Inline]:
    return {
        "footnote": lambda d, v: d.fn("See Schedule 1." if v == "a" else "See Schedule 2 for the price list."),
        "endnote": lambda d, v: d.en("Prices exclude VAT." if v == "a" else "Prices include VAT at 20%."),
        "comment": lambda d, v: d.comment("Confirm the place." if v == "a" else "Confirm the place and the carrier.",
                                          d.r("Goods")),
        "field-ref": lambda d, v: d.field("REF _Ref1 \\h", "Section 4" if v == "a" else "Section 5"),
        "field-page": lambda d, v: d.field("PAGE" if v == "a" else "NUMPAGES", "1" if v == "a" else "3"),
        "field-simple": lambda d, v: d.simple_field("DATE \\@ \"d MMMM yyyy\"", "1 May 2026" if v == "a" else "2 June 2026"),
        "hyperlink": lambda d, v: d.link("https://example.com/terms" if v == "a" else "https://example.com/terms-v2",
                                         "the terms" if v == "a" else "the current terms"),
        "bookmark": lambda d, v: d.bookmark("Goods", d.r("(the Goods)" if v == "a" else "(the Products)")),
        "image": lambda d, v: d.image(png(200, 30, 30) if v == "a" else png(30, 30, 200)),
        "textbox": lambda d, v: d.textbox("Delivery address" if v == "a" else "Delivery address: Dock 4"),
        "math": lambda d, v: d.math("q=n×p" if v == "a" else "q=n×p+s"),
        "control": lambda d, v: d.control("Place", "Dock 4" if v == "a" else "Dock 7, North Quay"),
        "page-break": lambda d, v: d.page_break() if v == "a" else '<w:r><w:br w:type="column"/></w:r>',
        "rtl": lambda d, v: d.r("שלום עולם" if v == "a" else "שלום רב", rtl=True),
    }


def agreement(obj: Callable[[Doc], str] | None, edit: str = "base", moved: bool = False) -> bytes:
    """Return the agreement with ``obj`` in the delivery clause, changed by ``edit``."""
    d = Doc()
    o = obj(d) if obj is not None else ""
    first, _, last = DELIVERY
    if edit == "around":
        first, last = "1. Delivery. The Supplier shall deliver all the Goods ", \
            " to the Buyer at the agreed place within thirty days of each order."
    if edit == "rewritten":
        first, last = "1. Delivery. Each shipment of Goods ", \
            " must reach the Customer's warehouse no later than thirty days after the order date."
    delivery: list[str] = [first, o, last] if o else [first.rstrip() + " " + last.lstrip()]
    if edit == "format":
        delivery = [first, o, d.r(" to the Customer at the agreed place within "), d.r("thirty days", b=True),
                    d.r(" of each order.")] if o else [first + " to the Customer at the agreed place within ",
                                                        d.r("thirty days", b=True), d.r(" of each order.")]
    d.p(TITLE, style="Title").p(PARTIES)
    payment = PAYMENT if edit != "elsewhere" else PAYMENT.replace("forty-five days", "sixty days")
    if edit == "split":
        d.p(first, *( [o] if o else []), " to the Customer at the agreed place.")
        d.p("Delivery is due within thirty days of each order.")
    elif edit not in ("para_deleted",) and not moved:
        d.p(*delivery, jc="both" if edit == "format" else None)
    d.p(payment).p(LAW)
    if moved:
        d.p(*delivery)
    return d.to_docx()


def _inline_pairs(name: str, make: Inline) -> Iterator[tuple[str, str, bytes, bytes]]:
    a = lambda d: make(d, "a")
    b = lambda d: make(d, "b")
    base = agreement(a)
    yield name, "add", agreement(None), base
    yield name, "remove", base, agreement(None)
    yield name, "inside", base, agreement(b)
    yield name, "around", base, agreement(a, "around")
    yield name, "elsewhere", base, agreement(a, "elsewhere")
    yield name, "para_deleted", base, agreement(a, "para_deleted")
    yield name, "para_inserted", agreement(a, "para_deleted"), base
    yield name, "moved", base, agreement(a, moved=True)
    yield name, "split", base, agreement(a, "split")
    yield name, "joined", agreement(a, "split"), base
    yield name, "format", base, agreement(a, "format")
    yield name, "rewritten", base, agreement(a, "rewritten")


# -- block features ------------------------------------------------------------------------------


def _table_doc(rows: list[list[str]] | None, edit: str = "", before: bool = True) -> bytes:
    d = Doc()
    d.p(TITLE, style="Title")
    if before:
        d.p("Schedule 1. Prices. The following prices apply to every order placed under this Agreement.")
    if rows is not None:
        d.table(rows, header=True, jc="center" if edit == "table_props" else None,
                shade=(1, 1) if edit == "cell_props" else None)
    d.p(PAYMENT).p(LAW)
    return d.to_docx()


PRICES = [["Item", "Unit", "Price"], ["Widgets", "box of 10", "100"], ["Gadgets", "each", "25"],
          ["Sprockets", "box of 50", "40"]]


def _table_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    base = _table_doc(PRICES)
    changed = [r[:] for r in PRICES]
    changed[1][2] = "120"
    yield "table", "cell_changed", base, _table_doc(changed)
    yield "table", "row_added", base, _table_doc(PRICES[:2] + [["Gizmos", "each", "15"]] + PRICES[2:])
    yield "table", "row_deleted", base, _table_doc(PRICES[:2] + PRICES[3:])
    yield "table", "last_row_deleted", base, _table_doc(PRICES[:3])
    yield "table", "column_added", base, _table_doc([r + [x] for r, x in zip(PRICES, ["VAT", "20%", "20%", "5%"])])
    yield "table", "table_added", _table_doc(None), base
    yield "table", "table_deleted", base, _table_doc(None)
    yield "table", "table_props", base, _table_doc(PRICES, "table_props")
    yield "table", "cell_props", base, _table_doc(PRICES, "cell_props")
    yield "table", "rows_swapped", base, _table_doc([PRICES[0], PRICES[2], PRICES[1], PRICES[3]])
    yield "table", "text_before_deleted", base, _table_doc(PRICES, before=False)
    many = [r[:] for r in PRICES]
    many[2][0], many[3][1] = "Gadgets (blue)", "box of 100"
    yield "table", "cells_changed", base, _table_doc(many)


def _list_doc(kind: str, items: list[str], levels: list[int] | None = None) -> bytes:
    d = Doc()
    d.p(TITLE, style="Title").p("The Supplier shall:")
    num = {"decimal": 1, "bullet": 2, "letter": 3}
    for k, text in enumerate(items):
        if kind == "plain":
            d.p(text)
        else:
            d.p(text, num=(num[kind], (levels or [0] * len(items))[k]))
    d.p(LAW)
    return d.to_docx()


ITEMS = ["deliver the Goods on time and in full", "keep the Goods insured until delivery",
         "give notice of any delay without undue delay", "remedy any defect within ten days"]


def _list_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    base = _list_doc("decimal", ITEMS)
    yield "numbering", "bullets_to_numbers", _list_doc("bullet", ITEMS), base
    yield "numbering", "numbers_to_letters", base, _list_doc("letter", ITEMS)
    yield "numbering", "item_inserted", base, _list_doc("decimal", ITEMS[:1] + ["pack the Goods safely"] + ITEMS[1:])
    yield "numbering", "item_deleted", base, _list_doc("decimal", ITEMS[:1] + ITEMS[2:])
    yield "numbering", "level_changed", base, _list_doc("decimal", ITEMS, [0, 1, 1, 0])
    yield "numbering", "list_removed", base, _list_doc("plain", ITEMS)
    yield "numbering", "list_added", _list_doc("plain", ITEMS), base
    yield "numbering", "item_changed", base, _list_doc("decimal", ITEMS[:2] + ["give notice of any delay at once"] + ITEMS[3:])


def _control_doc(paragraphs: list[str] | None, tag: str = "Parties") -> bytes:
    d = Doc()
    d.p(TITLE, style="Title")
    if paragraphs is not None:
        d.block_control(tag, *(d.para(t) for t in paragraphs))
    d.p(PAYMENT).p(LAW)
    return d.to_docx()


def _control_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    base = _control_doc([PARTIES, "Each party signs as principal."])
    yield "block-control", "inside", base, _control_doc([PARTIES.replace("Limited", "plc"), "Each party signs as principal."])
    yield "block-control", "paragraph_added", base, _control_doc([PARTIES, "Each party signs as principal.",
                                                                  "Neither party signs as agent."])
    yield "block-control", "added", _control_doc(None), base
    yield "block-control", "removed", base, _control_doc(None)


def _header_doc(header: str | None, footer: str | None = "Confidential", first: str | None = None,
                field: str = "1") -> bytes:
    d = Doc()
    d.p(TITLE, style="Title").p(PARTIES).p(PAYMENT).p(LAW)
    if header is not None:
        d.header(header)
    if first is not None:
        d.header(first, kind="first")
    if footer is not None:
        d.footer(footer + " page ", d.simple_field("PAGE", field))
    return d.to_docx()


def _header_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    base = _header_doc("Supply Agreement (draft 1)")
    yield "header-footer", "header_changed", base, _header_doc("Supply Agreement (draft 2)")
    yield "header-footer", "footer_changed", base, _header_doc("Supply Agreement (draft 1)", "Strictly confidential")
    yield "header-footer", "header_added", _header_doc(None), base
    yield "header-footer", "header_removed", base, _header_doc(None)
    yield "header-footer", "first_page_added", base, _header_doc("Supply Agreement (draft 1)", first="Execution copy")
    yield "header-footer", "footer_field", base, _header_doc("Supply Agreement (draft 1)", field="2")


def _section_doc(orient: str | None = None, margin: int = 1440) -> bytes:
    d = Doc()
    d.p(TITLE, style="Title").p(PARTIES).p(PAYMENT).p(LAW)
    if orient:
        d.sect.update(orient=orient, w=15840, h=12240)
    d.sect["margin"] = margin
    return d.to_docx()


def _format_doc(edit: str = "") -> bytes:
    d = Doc()
    d.p(TITLE, style="Title" if edit != "style" else "Heading1")
    d.p(PARTIES, jc="center" if edit == "align" else None)
    if edit == "bold":
        d.p("2. Payment. The Customer shall pay each invoice within ", d.r("forty-five days", b=True),
            " of receipt.")
    elif edit == "underline":
        d.p("2. Payment. The Customer shall pay each invoice within ", d.r("forty-five days", u=True),
            " of receipt.")
    else:
        d.p("2. Payment. The Customer shall pay each invoice within ", d.r("forty-five days", i=True),
            " of receipt.")
    d.p(LAW)
    return d.to_docx()


def _format_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    base = _format_doc()
    yield "section", "margins", _section_doc(), _section_doc(margin=1080)
    yield "section", "orientation", _section_doc(), _section_doc("landscape")
    yield "formatting", "style", base, _format_doc("style")
    yield "formatting", "alignment", base, _format_doc("align")
    yield "formatting", "bold", base, _format_doc("bold")
    yield "formatting", "italic_to_underline", base, _format_doc("underline")


DANA = 'w:author="Dana Whitfield" w:date="2026-05-04T09:30:00Z"'


def _tracked_doc(kind: str) -> bytes:
    """Return the agreement as a counterparty's Word returns it, with tracked changes."""
    d = Doc()
    d.p(TITLE, style="Title").p(PARTIES)
    if kind == "replace":
        d.raw(d.para("1. Delivery. The Supplier shall deliver the Goods to the Customer within ",
                     f'<w:del w:id="901" {DANA}><w:r><w:delText>thirty</w:delText></w:r></w:del>'
                     f'<w:ins w:id="902" {DANA}><w:r><w:t>sixty</w:t></w:r></w:ins>', " days of each order."))
    else:
        d.p("1. Delivery. The Supplier shall deliver the Goods to the Customer within thirty days of each order.")
    if kind == "paragraph":
        d.raw(f'<w:p><w:pPr><w:rPr><w:ins w:id="903" {DANA}/></w:rPr></w:pPr><w:ins w:id="904" {DANA}><w:r>'
              '<w:t>Risk passes on delivery.</w:t></w:r></w:ins></w:p>')
    if kind == "joined":
        d.raw(f'<w:p><w:pPr><w:rPr><w:del w:id="905" {DANA}/></w:rPr></w:pPr><w:r><w:t xml:space="preserve">'
              '2. Payment. The Customer shall pay each invoice </w:t></w:r></w:p>'
              '<w:p><w:r><w:t>within forty-five days of receipt.</w:t></w:r></w:p>')
    else:
        d.p(PAYMENT)
    if kind == "row":
        d.raw('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>'
              '<w:gridCol w:w="4500"/><w:gridCol w:w="4500"/></w:tblGrid>'
              '<w:tr><w:tc><w:p><w:r><w:t>Widgets</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>100</w:t></w:r></w:p></w:tc></w:tr>'
              f'<w:tr><w:trPr><w:del w:id="906" {DANA}/></w:trPr><w:tc><w:p><w:del w:id="907" {DANA}><w:r>'
              '<w:delText>Gadgets</w:delText></w:r></w:del></w:p></w:tc><w:tc><w:p><w:del w:id="908" '
              f'{DANA}><w:r><w:delText>25</w:delText></w:r></w:del></w:p></w:tc></w:tr></w:tbl>')
    if kind == "footnote":
        d.p("3. Law. This Agreement is governed by the laws of the State of New York", d.fn("PLACEHOLDER"), ".")
        d.footnotes[-1] = "Without regard to conflict of laws rules."
    else:
        d.p(LAW)
    data = d.to_docx()
    if kind == "footnote":  # the counterparty's change inside the note
        import io
        import zipfile

        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in src.infolist():
                raw = src.read(info.filename)
                if info.filename == "word/footnotes.xml":
                    raw = raw.replace(b"Without regard to conflict of laws rules.",
                                      f'Without regard to </w:t></w:r><w:del w:id="909" {DANA}><w:r><w:delText>conflict'
                                      f'</w:delText></w:r></w:del><w:ins w:id="910" {DANA}><w:r><w:t>choice</w:t></w:r>'
                                      f'</w:ins><w:r><w:t xml:space="preserve"> of laws rules.'.encode())
                z.writestr(info, raw)
        data = out.getvalue()
    return data


def _plain_doc(footnote: bool = False) -> bytes:
    d = Doc()
    d.p(TITLE, style="Title").p(PARTIES)
    d.p("1. Delivery. The Supplier shall deliver the Goods to the Customer within thirty days of each order.")
    d.p(PAYMENT)
    if footnote:
        d.p("3. Law. This Agreement is governed by the laws of the State of New York", d.fn("x"), ".")
        d.footnotes[-1] = "Without regard to conflict of laws rules."
    else:
        d.p(LAW)
    return d.to_docx()


def _tracked_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    plain = _plain_doc()
    for kind in ("replace", "paragraph", "joined", "row"):
        yield "tracked-input", f"new_{kind}", plain, _tracked_doc(kind)
        yield "tracked-input", f"old_{kind}", _tracked_doc(kind), plain
    yield "tracked-input", "new_footnote", _plain_doc(True), _tracked_doc("footnote")


def _combined_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    feats = _inline_features()

    def everything(v: str, edit: str = "") -> bytes:
        d = Doc()
        d.p(TITLE, style="Title").p(PARTIES)
        for k, (name, make) in enumerate(feats.items()):
            if edit == "half" and k % 2 and v == "b":
                d.p(f"Clause {k}. Subject to {name}.")
                continue
            d.p(f"Clause {k}. Subject to ", make(d, v if (edit != "half" or k % 2) else "a"), f" as to {name}.")
        d.table(PRICES if v == "a" else PRICES[:2] + [["Gizmos", "each", "15"]] + PRICES[3:], header=True)
        d.header("Supply Agreement (draft 1)" if v == "a" else "Supply Agreement (draft 2)")
        d.footer("Confidential page ", d.simple_field("PAGE", "1"))
        d.p(LAW)
        return d.to_docx()

    yield "combined", "everything_inside", everything("a"), everything("b")
    yield "combined", "half_removed", everything("a"), everything("b", "half")
    yield "combined", "half_added", everything("b", "half"), everything("a")


def _doc(build: Callable[[Doc], None]) -> bytes:
    d = Doc()
    build(d)
    return d.to_docx()


def _harder_pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    """Objects as contracts hold them: several notes, anchors alone, nested and merged tables,
    notes with tables, a table of contents, nested fields, two sections, boxes holding tables."""

    def notes(texts: list[str], sentence: str = "The Supplier shall deliver the Goods") -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title").p(PARTIES)
            d.p(sentence, *(x for t in texts for x in (d.fn(t), " and more")), ".")
            d.p(PAYMENT).p(LAW)
        return build

    three = ["See Schedule 1.", "Within the meaning of section 2.", "Subject to clause 9."]
    yield "notes-several", "one_deleted", _doc(notes(three)), _doc(notes([three[0], three[2]]))
    yield "notes-several", "one_inserted", _doc(notes([three[0], three[2]])), _doc(notes(three))
    yield "notes-several", "reordered", _doc(notes(three)), _doc(notes([three[1], three[0], three[2]]))
    yield "notes-several", "all_changed", _doc(notes(three)), _doc(notes([t.replace(".", " (as amended).") for t in three]))

    def note_table(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title").p("Prices are set out below", d.fn("x"), ".").p(LAW)
            cell = "100" if v == "a" else "120"
            d.footnotes[-1] = "PLACEHOLDER"
            d.footnotes[-1] = f"Prices: widgets {cell}, gadgets 25."
        return build
    yield "notes-several", "note_text_in_table_doc", _doc(note_table("a")), _doc(note_table("b"))

    def anchored(on: bool, text: str = "Confirm the place.") -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title").p(PARTIES)
            goods = d.comment(text, d.r("the Goods")) if on else d.r("the Goods")
            d.p("1. Delivery. The Supplier shall deliver ", goods, " to the Customer within thirty days.")
            d.p(PAYMENT).p(LAW)
        return build
    yield "comment-anchor", "anchor_added", _doc(anchored(False)), _doc(anchored(True))
    yield "comment-anchor", "anchor_removed", _doc(anchored(True)), _doc(anchored(False))
    yield "comment-anchor", "reply_text", _doc(anchored(True)), _doc(anchored(True, "Confirm the place. Agreed."))

    def tables(kind: str, v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title").p("Schedule 1. Prices.")
            if kind == "nested":
                inner_rows = [["Colour", "Price"], ["red", "100" if v == "a" else "110"], ["blue", "105"]]
                inner = Doc()
                inner.table(inner_rows)
                d.table([["Widgets", [inner.blocks[0] + d.para("")]], ["Gadgets", "25"]])
            elif kind == "merged":
                span = '<w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr>' + d.para("Total" if v == "a" else "Total (net)") + "</w:tc>"
                d.raw('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
                      '<w:tblGrid><w:gridCol w:w="3000"/><w:gridCol w:w="3000"/><w:gridCol w:w="3000"/></w:tblGrid>'
                      f'<w:tr><w:tc>{d.para("Widgets")}</w:tc><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr>{d.para("box")}</w:tc>'
                      f'<w:tc>{d.para("100")}</w:tc></w:tr>'
                      f'<w:tr><w:tc>{d.para("Gadgets")}</w:tc><w:tc><w:tcPr><w:vMerge/></w:tcPr>{d.para("")}</w:tc>'
                      f'<w:tc>{d.para("25" if v == "a" else "30")}</w:tc></w:tr>'
                      f'<w:tr>{span}<w:tc>{d.para("125" if v == "a" else "130")}</w:tc></w:tr></w:tbl>')
            elif kind == "objects":
                note = d.fn("Per box." if v == "a" else "Per box of ten.")
                d.table([["Item", "Price"], ["Widgets", [d.para("100", note)]],
                         ["Logo", [d.para(d.image(png(10, 120, 10) if v == "a" else png(120, 10, 10)))]],
                         ["Terms", [d.para(d.link("https://example.com/t", "terms" if v == "a" else "the terms"))]]])
            d.p(PAYMENT).p(LAW)
        return build
    for kind in ("nested", "merged", "objects"):
        yield "table-complex", f"{kind}_changed", _doc(tables(kind, "a")), _doc(tables(kind, "b"))

    def toc(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            heads = ["Delivery", "Payment", "Law"] if v == "a" else ["Delivery", "Payment terms", "Law"]
            d.p(TITLE, style="Title")
            d.raw('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h </w:instrText></w:r>'
                  f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1. {heads[0]}</w:t></w:r></w:p>')
            d.raw(f'<w:p><w:r><w:t>2. {heads[1]}</w:t></w:r></w:p>')
            d.raw(f'<w:p><w:r><w:t>3. {heads[2]}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
            for k, h in enumerate(heads, start=1):
                d.p(f"{k}. {h}", style="Heading1").p(f"Text of clause {k} about {h.lower()}.")
        return build
    yield "field-complex", "toc_heading_changed", _doc(toc("a")), _doc(toc("b"))

    def nested_field(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title")
            d.p("The fee is ", '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> IF </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> MERGEFIELD Tier </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Gold</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
                '<w:r><w:instrText xml:space="preserve"> = "Gold" "reduced" "standard" </w:instrText></w:r>'
                f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{"reduced" if v == "a" else "standard"}</w:t></w:r>'
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>', " for this order.")
            d.p(PAYMENT).p(LAW)
        return build
    yield "field-complex", "nested_result_changed", _doc(nested_field("a")), _doc(nested_field("b"))

    def sections(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title").p(PARTIES)
            d.raw('<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rIdHdrdefault"/>'
                  '<w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" '
                  '</w:sectPr></w:pPr><w:r><w:t>End of the terms.</w:t></w:r></w:p>'.replace('w:left="1440" </w:sectPr>', 'w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>'))
            d.p("Schedule 1. Prices.").p("Widgets: 100." if v == "a" else "Widgets: 120.")
            d.header("Supply Agreement")
            d.footer("Schedule page ", d.simple_field("PAGE", "2"))
            if v == "b":
                d.sect["orient"] = "landscape"
                d.sect.update(w=15840, h=12240)
        return build
    yield "section", "second_section_changed", _doc(sections("a")), _doc(sections("b"))

    def box_table(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title")
            inner = Doc()
            inner.table([["Carrier", "DHL" if v == "a" else "UPS"]])
            k = d._id()
            d.p("Shipping: ", '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:inline>'
                f'<wp:extent cx="1828800" cy="457200"/><wp:docPr id="{k}" name="Box"/><a:graphic><a:graphicData '
                'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/>'
                f'<wps:spPr/><wps:txbx><w:txbxContent>{inner.blocks[0]}{d.para("")}</w:txbxContent></wps:txbx><wps:bodyPr/>'
                '</wps:wsp></a:graphicData></a:graphic></wp:inline></w:drawing></mc:Choice></mc:AlternateContent></w:r>')
            d.p(PAYMENT).p(LAW)
        return build
    yield "textbox", "table_inside_changed", _doc(box_table("a")), _doc(box_table("b"))

    def symbols(v: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title")
            box = "F06F" if v == "a" else "F0FE"
            d.p('<w:r><w:sym w:font="Wingdings" w:char="' + box + '"/></w:r>', " The Customer accepts the terms.")
            d.p("Display equation:").raw(d.para('<m:oMathPara>' + d.math("p = q × r" if v == "a" else "p = q × r × s") + '</m:oMathPara>'))
            d.p(LAW)
        return build
    yield "symbol-math", "changed", _doc(symbols("a")), _doc(symbols("b"))

    def tracked_more(kind: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title")
            if kind == "cell":
                d.table([["Widgets", [d.para("The price is ", f'<w:del w:id="911" {DANA}><w:r><w:delText>100</w:delText></w:r></w:del>'
                                             f'<w:ins w:id="912" {DANA}><w:r><w:t>120</w:t></w:r></w:ins>', ".")]]])
            elif kind == "move":
                d.raw(f'<w:p><w:moveFromRangeStart w:id="913" w:name="m1" {DANA}/><w:moveFrom w:id="914" {DANA}><w:r>'
                      '<w:t>Each party bears its own costs of negotiating this Agreement.</w:t></w:r></w:moveFrom>'
                      '<w:moveFromRangeEnd w:id="913"/></w:p>')
                d.p(PAYMENT)
                d.raw(f'<w:p><w:moveToRangeStart w:id="915" w:name="m1" {DANA}/><w:moveTo w:id="916" {DANA}><w:r>'
                      '<w:t>Each party bears its own costs of negotiating this Agreement.</w:t></w:r></w:moveTo>'
                      '<w:moveToRangeEnd w:id="915"/></w:p>')
            elif kind == "format":
                d.p("2. Payment. The Customer shall pay within ",
                    f'<w:r><w:rPr><w:b/><w:rPrChange w:id="917" {DANA}><w:rPr/></w:rPrChange></w:rPr><w:t>forty-five days</w:t></w:r>',
                    " of receipt.")
            elif kind == "note_ref":
                d.p("3. Law. New York law governs",
                    f'<w:del w:id="918" {DANA}>' + d.fn("Without regard to conflicts rules.") + '</w:del>', ".")
            d.p(LAW)
        return build

    def plain_more(kind: str) -> Callable[[Doc], None]:
        def build(d: Doc) -> None:
            d.p(TITLE, style="Title")
            if kind == "cell":
                d.table([["Widgets", "The price is 100."]])
            elif kind == "move":
                d.p("Each party bears its own costs of negotiating this Agreement.").p(PAYMENT)
            elif kind == "format":
                d.p("2. Payment. The Customer shall pay within forty-five days of receipt.")
            elif kind == "note_ref":
                d.p("3. Law. New York law governs", d.fn("Without regard to conflicts rules."), ".")
            d.p(LAW)
        return build
    for kind in ("cell", "move", "format", "note_ref"):
        yield "tracked-input", f"new_{kind}", _doc(plain_more(kind)), _doc(tracked_more(kind))


def pairs() -> Iterator[tuple[str, str, bytes, bytes]]:
    """Yield (feature, edit, OLD .docx, NEW .docx) for the whole set."""
    for name, make in _inline_features().items():
        yield from _inline_pairs(name, make)
    yield from _table_pairs()
    yield from _list_pairs()
    yield from _control_pairs()
    yield from _header_pairs()
    yield from _format_pairs()
    yield from _tracked_pairs()
    yield from _combined_pairs()
    yield from _harder_pairs()


# -- running -------------------------------------------------------------------------------------


def redline(old: bytes, new: bytes) -> tuple[bytes, bool]:
    """Return clm's tracked-changes redline of a pair and whether clm calls it unchanged."""
    red = diff_engine.diff(documents.from_docx(old), documents.from_docx(new))
    return docx_io.write_tracked(red, new, author="clm", date=WHEN, old_docx=old), red.is_empty


def lo_convert(files: list[Path], fmt: str, outdir: Path, chunk: int = 25) -> dict[Path, Path]:
    """Convert files with LibreOffice, a few dozen per run (a crash costs one run, whose files
    are then tried one by one); return the outputs that came out."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not files:
        return {}
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":")[0]

    def target(f: Path) -> Path:
        return outdir / (f.stem + "." + ext)

    def run(batch: list[Path]) -> None:
        with tempfile.TemporaryDirectory(prefix="clm_lo_profile_") as prof:
            try:
                subprocess.run([soffice, f"-env:UserInstallation=file://{prof}", "--headless", "--norestore",
                                "--convert-to", fmt, "--outdir", str(outdir), *map(str, batch)],
                               capture_output=True, timeout=120 + 10 * len(batch), check=False)
            except subprocess.TimeoutExpired:
                pass

    for k in range(0, len(files), chunk):
        batch = files[k:k + chunk]
        run(batch)
        for f in batch:
            if not target(f).exists():
                run([f])
    return {f: target(f) for f in files if target(f).exists() and target(f).stat().st_size > 0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="keep the pairs and redlines here (default: a temporary folder)")
    ap.add_argument("--lo", action="store_true", help="also LibreOffice-rewritten pairs, and open every redline in LibreOffice")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--only", help="only the pairs of this feature")
    ap.add_argument("--show", type=int, default=3, help="failures to describe")
    ap.add_argument("--agreements", action="store_true",
                    help="also the shared agreement pairs (data/redline/dev), checked in every part (with --lo: "
                         "also as LibreOffice rewrites them)")
    a = ap.parse_args(argv)
    oracle = None
    if (a.shared / "tools" / "redline_oracle.py").exists():
        sys.path.insert(0, str(a.shared / "tools"))
        import redline_oracle as oracle  # type: ignore[import-not-found,no-redef]

    work = a.out or Path(tempfile.mkdtemp(prefix="clm_redline_features_"))
    work.mkdir(parents=True, exist_ok=True)
    items = [(f, e, o, n) for f, e, o, n in pairs() if not a.only or f == a.only]
    agreements: list[tuple[str, str, bytes, bytes]] = []
    if a.agreements:
        for pair in sorted((a.shared / "data" / "redline" / "dev").iterdir()):
            if (pair / "old.docx").exists():
                agreements.append(("agreements", pair.name, (pair / "old.docx").read_bytes(),
                                   (pair / "new.docx").read_bytes()))
    if a.lo:  # a third of the pairs again, as LibreOffice writes them
        chosen = [(f, e, o, n) for k, (f, e, o, n) in enumerate(items) if k % 3 == 0 and f != "tracked-input"]
        chosen += agreements
        src = work / "lo-src"
        src.mkdir(exist_ok=True)
        files = []
        for f, e, o, n in chosen:
            for side, data in (("old", o), ("new", n)):
                path = src / f"{f}--{e}--{side}.docx"
                path.write_bytes(data)
                files.append(path)
        converted = lo_convert(files, "docx:MS Word 2007 XML", work / "lo-docx")
        for f, e, _, _ in chosen:
            o, n = (converted.get(src / f"{f}--{e}--{s}.docx") for s in ("old", "new"))
            if o is not None and n is not None:
                items.append((f + " (LibreOffice)", e, o.read_bytes(), n.read_bytes()))
    items += agreements
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for feature, edit, old, new in items:
        name = f"{feature.replace(' ', '_')}--{edit}"
        pdir = work / name
        pdir.mkdir(exist_ok=True)
        (pdir / "old.docx").write_bytes(old)
        (pdir / "new.docx").write_bytes(new)
        row: dict[str, Any] = {"feature": feature, "edit": edit, "dir": pdir}
        try:
            out, empty = redline(old, new)
            (pdir / "redline.docx").write_bytes(out)
            v = check(old, new, out)
            row.update(correct=v.correct, structure=v.structure_ok, differ=v.differ,
                       silent=v.differ and (empty or v.revisions == 0), detail=v.accept_diff + v.reject_diff)
            if oracle is not None:
                ev = oracle.evaluate(str(pdir / "old.docx"), str(pdir / "new.docx"), str(pdir / "redline.docx"))
                row["oracle"] = bool(ev["correct"])
        except Exception as e:  # noqa: BLE001 - a crash is a failed pair, reported
            row.update(correct=False, structure=False, differ=True, silent=True, detail=[f"{type(e).__name__}: {e}"])
        rows.append(row)
    seconds = time.perf_counter() - t0
    if a.lo:  # LibreOffice names each PDF after its file: one uniquely named copy per redline
        todo = work / "lo-in"
        todo.mkdir(exist_ok=True)
        files = []
        for r in rows:
            if (r["dir"] / "redline.docx").exists():
                files.append(todo / (r["dir"].name + ".docx"))
                shutil.copyfile(r["dir"] / "redline.docx", files[-1])
        opened = lo_convert(files, "pdf", work / "lo-pdf")
        names = {p.stem for p in opened}
        for r in rows:
            pdf = work / "lo-pdf" / (r["dir"].name + ".pdf")
            r["lo"] = r["dir"].name in names and pdf.exists() and pdf.stat().st_size > 0
    _report(rows, seconds, a.lo, oracle is not None, a.show)
    if a.out is None:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(r["correct"] and r["structure"] and not r["silent"] for r in rows)
    return 0 if ok else 1


def _report(rows: list[dict[str, Any]], seconds: float, lo: bool, oracle: bool, show: int) -> None:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["feature"]].append(r)
    head = f"{'feature':34} {'pairs':>5} {'correct':>8} {'structure':>9} {'silent':>6}"
    head += f" {'oracle':>6}" if oracle else ""
    head += f" {'LO opens':>8}" if lo else ""
    print(head)
    for feature, rs in by.items():
        line = (f"{feature:34} {len(rs):>5} {sum(r['correct'] for r in rs):>8} {sum(r['structure'] for r in rs):>9}"
                f" {sum(r['silent'] for r in rs):>6}")
        if oracle:
            line += f" {sum(r.get('oracle', False) for r in rs):>6}"
        if lo:
            line += f" {sum(r.get('lo', False) for r in rs):>8}"
        print(line)
    n = len(rows)
    both = sum(r["correct"] and r["structure"] for r in rows)
    summary = (f"SUMMARY {n} pairs: correct in every part {sum(r['correct'] for r in rows)}/{n}, structure kept "
               f"{sum(r['structure'] for r in rows)}/{n}, both {both}/{n} ({100 * both / max(n, 1):.1f}%), reported "
               f"unchanged though different {sum(r['silent'] for r in rows)}")
    if oracle:
        summary += f", shared oracle (body) {sum(r.get('oracle', False) for r in rows)}/{n}"
    if lo:
        summary += f", LibreOffice opens {sum(r.get('lo', False) for r in rows)}/{n}"
    summary += f", {seconds:.1f} s"
    print(summary)
    failed = [r for r in rows if not (r["correct"] and r["structure"]) or r["silent"]]
    for r in failed[:show]:
        print(f"  FAIL {r['feature']} / {r['edit']}: " + " | ".join(r["detail"][:2])[:600])


if __name__ == "__main__":
    raise SystemExit(main())
