"""Write a Redline as a .docx with native tracked changes (w:ins, w:del, moves, format changes)."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from lxml import etree

from clm.documents import (
    W_NS,
    Paragraph,
    Tracked,
    paragraph_runs,
    parse_xml,
    qn,
    read_revisions,
)
from clm.errors import InvalidInput
from clm.versions.diff import Op, ParagraphDiff, Redline, Segment

__all__ = ["read_revisions", "write_tracked"]

Format = tuple[bool, bool, bool]

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_P, _R, _PPR, _RPR, _T, _DEL_TEXT = qn("w:p"), qn("w:r"), qn("w:pPr"), qn("w:rPr"), qn("w:t"), qn("w:delText")
_INS, _DEL, _MOVE_FROM, _MOVE_TO = qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo")
_ID, _AUTHOR, _DATE, _VAL = qn("w:id"), qn("w:author"), qn("w:date"), qn("w:val")
_FMT_TAGS = (qn("w:b"), qn("w:i"), qn("w:u"))
_SPECIAL = re.compile(r"([\t\v])")
#: pPr children that must stay after w:rPr (schema order of CT_PPr).
_PPR_TAIL = {qn("w:sectPr"), qn("w:pPrChange")}
_MAIN_PART = "word/document.xml"


@dataclass
class _Out:
    """One paragraph of the output: the redline paragraphs it holds and how its mark reads."""

    parts: list[ParagraphDiff]
    mark: Op | None


class _Writer:
    """Builds tracked-change XML; holds the author, date and the revision id counter."""

    def __init__(self, redline: Redline, author: str, date: datetime, first_id: int,
                 run_props: list[list[tuple[int, int, etree._Element | None]]] | None = None) -> None:
        self.red = redline
        #: Per NEW paragraph, the w:rPr of its text (fonts, sizes...), to keep in rebuilt runs.
        self.run_props = run_props or []
        self.author = author
        if date.tzinfo is not None:
            date = date.astimezone(UTC)
        self.date = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = first_id

    def revision(self, tag: str, parent: etree._Element | None = None, who: Tracked | None = None) -> etree._Element:
        """Return a new revision element (w:ins, w:del, ...) with a unique id, author and date.

        ``who`` is the tracked change of NEW's own file that made this change: its author and
        date are kept (a counterparty's edit stays theirs).
        """
        el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        el.set(_ID, str(self.next_id))
        if who is not None:
            el.set(_AUTHOR, who.author or "Unknown")
            if who.date is not None:
                date = who.date.astimezone(UTC) if who.date.tzinfo is not None else who.date
                el.set(_DATE, date.strftime("%Y-%m-%dT%H:%M:%SZ"))
        else:
            el.set(_AUTHOR, self.author)
            el.set(_DATE, self.date)
        self.next_id += 1
        return el

    # -- runs ------------------------------------------------------------------------------

    def run(self, parent: etree._Element, text: str, fmt: Format, deleted: bool, old_fmt: Format | None,
            template: etree._Element | None = None, own: bool = True) -> None:
        """Append a run; ``old_fmt`` (when it differs) becomes a w:rPrChange.

        ``template`` is NEW's w:rPr to start from (fonts, sizes, colours); ``own`` says it is
        the rPr of this very text, whose bold/italic/underline are then already right.
        """
        r = etree.SubElement(parent, _R)
        rpr = _copy_rpr(template)
        if rpr is not None and not own:
            _force_format(rpr, fmt)
        elif rpr is None and any(fmt):
            rpr = etree.Element(_RPR)
            _set_format(rpr, fmt)
        if old_fmt is not None and old_fmt != fmt:
            if rpr is None:
                rpr = etree.Element(_RPR)
            old_rpr = copy.deepcopy(rpr)
            _force_format(old_rpr, old_fmt)
            change = self.revision(qn("w:rPrChange"), rpr)
            change.append(old_rpr)
        if rpr is not None and len(rpr):
            r.append(rpr)
        for piece in _SPECIAL.split(text):
            if not piece:
                continue
            if piece == "\t":
                etree.SubElement(r, qn("w:tab"))
            elif piece == "\v":
                etree.SubElement(r, qn("w:br"))
            else:
                t = etree.SubElement(r, _DEL_TEXT if deleted else _T)
                t.text = piece
                if piece[0] == " " or piece[-1] == " ":
                    t.set(_XML_SPACE, "preserve")

    def template_at(self, pd: ParagraphDiff, pos: int) -> etree._Element | None:
        """Return the w:rPr of NEW's text at ``pos`` in the paragraph (the one before it at an end)."""
        if pd.new_index is None or pd.new_index >= len(self.run_props):
            return None
        spans = self.run_props[pd.new_index]
        for s, e, rpr in spans:
            if s <= pos < e:
                return rpr
        return spans[-1][2] if spans else None

    def segment(self, parent: etree._Element, seg: Segment, pd: ParagraphDiff, wrap: str | None,
                new_pos: int) -> None:
        """Append one segment's runs to ``parent``, wrapped in ``wrap`` (w:ins, w:moveTo...) if set.

        ``new_pos`` is where in NEW's paragraph the segment sits (for text only OLD has). An
        insertion or deletion that NEW's file itself tracks keeps that change's author.
        """
        if wrap in (_INS, _DEL) and self.red.new.tracked:
            for piece, who in self.red.attribute(pd, seg, new_pos):
                self.pieces(parent, piece, pd, wrap, new_pos, who)
        else:
            self.pieces(parent, seg, pd, wrap, new_pos, None)

    def pieces(self, parent: etree._Element, seg: Segment, pd: ParagraphDiff, wrap: str | None, new_pos: int,
               who: Tracked | None) -> None:
        """Append the runs of one segment (see ``segment``), its wrapper attributed to ``who``."""
        target = self.revision(wrap, parent, who) if wrap else parent
        deleted = wrap in (_DEL, _MOVE_FROM)
        if seg.op == "delete" or (seg.op == "equal" and deleted):
            para = self.red.old.paragraphs[pd.old_index] if pd.old_index is not None else None
            # OLD's own run properties are not at hand: borrow NEW's at the same place.
            pos = seg.new_start if seg.new_start is not None else new_pos
            template = self.template_at(pd, max(pos - 1, 0) if seg.new_start is None else pos)
            for text, fmt, _ in _pieces(para, None, seg.old_start, None, seg.text):
                self.run(target, text, fmt, deleted, None, template, own=False)
            return
        new = self.red.new.paragraphs[pd.new_index] if pd.new_index is not None else None
        old = None
        if seg.op == "equal" and pd.old_index is not None and pd.kind not in ("inserted",):
            old = self.red.old.paragraphs[pd.old_index]
        pos = seg.new_start or 0
        for text, fmt, old_fmt in _pieces(new, old, seg.new_start, seg.old_start, seg.text):
            for part, template in self.split_by_props(pd, pos, text):
                self.run(target, part, fmt, deleted, old_fmt, template)
            pos += len(text)

    def split_by_props(self, pd: ParagraphDiff, pos: int, text: str) -> list[tuple[str, etree._Element | None]]:
        """Split NEW text starting at ``pos`` where its run properties change."""
        if pd.new_index is None or pd.new_index >= len(self.run_props):
            return [(text, None)]
        out: list[tuple[str, etree._Element | None]] = []
        end = pos + len(text)
        for s, e, rpr in self.run_props[pd.new_index]:
            if e <= pos or s >= end:
                continue
            out.append((text[max(s, pos) - pos:min(e, end) - pos], rpr))
        return out if "".join(t for t, _ in out) == text else [(text, None)]

    def content(self, p: etree._Element, pd: ParagraphDiff) -> None:
        """Append the runs of one redline paragraph to the w:p ``p``."""
        pos = 0
        if pd.kind in ("moved_from", "moved_to"):
            name = f"move{pd.move_id}"
            start, end = ("moveFromRangeStart", "moveFromRangeEnd") if pd.kind == "moved_from" else \
                ("moveToRangeStart", "moveToRangeEnd")
            rs = self.revision(qn(f"w:{start}"), p)
            rs.set(qn("w:name"), name)
            range_id = rs.get(_ID)
            move_tag = _MOVE_FROM if pd.kind == "moved_from" else _MOVE_TO
            for seg in pd.segments:
                wrap = move_tag if seg.op == "equal" else _DEL if seg.op == "delete" else _INS
                self.segment(p, seg, pd, wrap, pos)
                if seg.new_start is not None:
                    pos = seg.new_start + len(seg.text)
            etree.SubElement(p, qn(f"w:{end}")).set(_ID, range_id or "")
            return
        for seg in pd.segments:
            self.segment(p, seg, pd, None if seg.op == "equal" else _INS if seg.op == "insert" else _DEL, pos)
            if seg.new_start is not None:
                pos = seg.new_start + len(seg.text)

    # -- paragraphs ------------------------------------------------------------------------

    def mark(self, p: etree._Element, mark: Op | None, new_index: int | None = None) -> None:
        """Mark the paragraph end of ``p`` as inserted or deleted (or leave it); ``new_index``
        is NEW's paragraph it ends or joins into, whose own tracked mark keeps its author."""
        ppr = _ensure_ppr(p)
        rpr = ppr.find(_RPR)
        if rpr is not None:
            for old in rpr.findall(_INS) + rpr.findall(_DEL):
                rpr.remove(old)
        if mark not in ("insert", "delete"):
            return
        if rpr is None:
            rpr = etree.Element(_RPR)
            tail = next((c for c in ppr if c.tag in _PPR_TAIL), None)
            if tail is not None:
                tail.addprevious(rpr)
            else:
                ppr.append(rpr)
        rpr.insert(0, self.revision(_INS if mark == "insert" else _DEL, who=self.red.mark_author(new_index, mark)))

    def style_change(self, p: etree._Element, old: Paragraph) -> None:
        """Record the paragraph's old style as a w:pPrChange."""
        ppr = _ensure_ppr(p)
        for c in ppr.findall(qn("w:pPrChange")):
            ppr.remove(c)
        change = self.revision(qn("w:pPrChange"), ppr)
        old_ppr = etree.SubElement(change, _PPR)
        if old.style_id:
            etree.SubElement(old_ppr, qn("w:pStyle")).set(_VAL, old.style_id)

    def fresh(self, out: _Out) -> etree._Element:
        """Return a new w:p for an output paragraph that has no paragraph in NEW's body."""
        p = etree.Element(_P)
        source = _source_paragraph(self.red, out)
        if source is not None and source.style_id:
            etree.SubElement(etree.SubElement(p, _PPR), qn("w:pStyle")).set(_VAL, source.style_id)
        for pd in out.parts:
            self.content(p, pd)
        self.mark(p, out.mark, _new_index(out))
        return p

    def rewrite(self, p: etree._Element, out: _Out) -> None:
        """Replace the content of NEW's paragraph ``p`` with the redline, keeping its pPr."""
        for c in list(p):
            if c.tag != _PPR:
                p.remove(c)
        for pd in out.parts:
            self.content(p, pd)
        self.mark(p, out.mark, _new_index(out))


def _new_index(out: _Out) -> int | None:
    """Return NEW's paragraph an output paragraph ends in (None: only OLD has it)."""
    return next((pd.new_index for pd in reversed(out.parts) if pd.has_new and pd.new_index is not None), None)


def _ensure_ppr(p: etree._Element) -> etree._Element:
    ppr = p.find(_PPR)
    if ppr is None:
        ppr = etree.Element(_PPR)
        p.insert(0, ppr)
    return ppr


#: Schema order of w:rPr children (CT_RPr); Word rejects files with children out of order.
_RPR_ORDER = {qn(f"w:{x}"): k for k, x in enumerate((
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
    "em", "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange"))}
_REVISION_MARKS = {_INS, _DEL, _MOVE_FROM, _MOVE_TO, qn("w:rPrChange")}


def _copy_rpr(template: etree._Element | None) -> etree._Element | None:
    """Return a copy of a run's w:rPr without the revision marks it may carry."""
    if template is None:
        return None
    rpr = copy.deepcopy(template)
    for c in list(rpr):
        if c.tag in _REVISION_MARKS or not isinstance(c.tag, str):
            rpr.remove(c)
    return rpr


def _insert_ordered(rpr: etree._Element, child: etree._Element) -> None:
    rank = _RPR_ORDER.get(child.tag, len(_RPR_ORDER))
    for k, c in enumerate(rpr):
        if _RPR_ORDER.get(c.tag, len(_RPR_ORDER)) > rank:
            rpr.insert(k, child)
            return
    rpr.append(child)


def _force_format(rpr: etree._Element, fmt: Format) -> None:
    """Set bold/italic/underline of a copied w:rPr to ``fmt``, keeping its other properties."""
    for tag in (*_FMT_TAGS, qn("w:bCs"), qn("w:iCs")):
        for c in rpr.findall(tag):
            rpr.remove(c)
    styled = rpr.find(qn("w:rStyle")) is not None
    for tag, on in zip(_FMT_TAGS, fmt, strict=True):
        if on or styled:  # "off" only needs saying when a character style could turn it on
            el = etree.Element(tag)
            if tag == _FMT_TAGS[2]:
                el.set(_VAL, "single" if on else "none")
            elif not on:
                el.set(_VAL, "0")
            _insert_ordered(rpr, el)


def _set_format(rpr: etree._Element, fmt: Format) -> None:
    for tag, on in zip(_FMT_TAGS, fmt):
        if on:
            el = etree.SubElement(rpr, tag)
            if tag == _FMT_TAGS[2]:
                el.set(_VAL, "single")


def _spans(para: Paragraph | None, start: int | None, length: int) -> list[tuple[int, int, Format]]:
    """Return formatting spans of ``para`` over ``[start, start + length)``, relative to start."""
    if para is None or start is None:
        return [(0, length, (False, False, False))]
    end = start + length
    out = [(max(s, start) - start, min(e, end) - start, f) for s, e, f in para.formats() if e > start and s < end]
    return out or [(0, length, (False, False, False))]


def _pieces(para: Paragraph | None, old: Paragraph | None, start: int | None, old_start: int | None,
            text: str) -> list[tuple[str, Format, Format | None]]:
    """Split ``text`` where the formatting changes in ``para`` (and in ``old``, if given)."""
    new_spans = _spans(para, start, len(text))
    if old is None:
        return [(text[s:e], f, None) for s, e, f in new_spans]
    old_spans = _spans(old, old_start, len(text))
    cuts = sorted({0, len(text)} | {s for s, _, _ in new_spans + old_spans} | {e for _, e, _ in new_spans + old_spans})
    out: list[tuple[str, Format, Format | None]] = []
    for s, e in pairwise(cuts):
        if s >= e:
            continue
        f = next((f for a, b, f in new_spans if a <= s < b), (False, False, False))
        of = next((f for a, b, f in old_spans if a <= s < b), (False, False, False))
        if out and out[-1][1] == f and out[-1][2] == of:
            out[-1] = (out[-1][0] + text[s:e], f, of)
        else:
            out.append((text[s:e], f, of))
    return out


def _source_paragraph(red: Redline, out: _Out) -> Paragraph | None:
    """Return the paragraph whose style an output paragraph takes (NEW's, else OLD's)."""
    for pd in reversed(out.parts):
        if pd.has_new and pd.new_index is not None:
            return red.new.paragraphs[pd.new_index]
    for pd in reversed(out.parts):
        if pd.old_index is not None:
            return red.old.paragraphs[pd.old_index]
    return None


def _outputs(red: Redline) -> list[_Out]:
    """Return the output paragraphs: redline paragraphs grouped up to each paragraph mark."""
    return [_Out(list(parts), mark) for parts, mark in red.blocks()]


def _unchanged(out: _Out) -> bool:
    return (len(out.parts) == 1 and out.parts[0].kind == "equal" and not out.parts[0].format_changed
            and out.mark in ("equal", None))


def _blank_package() -> bytes:
    """Return the bytes of python-docx's default (empty) document."""
    import docx  # imported here: only text-to-text redlines need it

    buf = io.BytesIO()
    docx.Document().save(buf)
    return buf.getvalue()


def write_tracked(redline: Redline, new_docx: bytes | None, *, author: str, date: datetime) -> bytes:
    """Return NEW as a .docx whose tracked changes turn it back into OLD when all are rejected.

    When ``new_docx`` is given, its package (styles, numbering, sections, headers) is kept and
    only the body paragraphs that changed are rewritten; otherwise a blank document is used.
    """
    package = new_docx if new_docx is not None else _blank_package()
    try:
        zin = zipfile.ZipFile(io.BytesIO(package))
        main = zin.read(_MAIN_PART)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise InvalidInput("The new version is not a Word document that clm can write changes into.") from e
    root = parse_xml(main)
    body = root.find(qn("w:body"))
    if body is None:
        raise InvalidInput("The new version's Word file has no document body.")
    layout = paragraph_runs(root) if new_docx is not None else []
    elements = [el for el, _ in layout]
    run_props = [spans for _, spans in layout]
    if len(elements) != len(redline.new.paragraphs) or redline.new.revisions:
        # NEW's body does not line up with its paragraphs (it has tracked changes of its own, or
        # was not the source): rebuild the whole body instead of editing it in place.
        for c in list(body):
            if c.tag != qn("w:sectPr"):
                body.remove(c)
        elements = []
        run_props = []
    ids = [int(v) for v in root.xpath("//@w:id", namespaces={"w": W_NS}) if v.lstrip("-").isdigit()]
    writer = _Writer(redline, author, date, max(ids, default=0) + 1, run_props)

    outs = _outputs(redline)
    anchored = [k for k, o in enumerate(outs) if o.mark != "delete"]
    if not elements:
        sect = body.find(qn("w:sectPr"))
        for o in outs:
            p = writer.fresh(o)
            _style_change(writer, redline, o, p)
            if sect is not None:
                sect.addprevious(p)
            else:
                body.append(p)
    else:
        element_of = dict(zip(anchored, elements))
        added: set[etree._Element] = set()  # NEW paragraphs that are wholly inserted
        pending: list[etree._Element] = []
        for k, o in enumerate(outs):
            el = element_of.get(k)
            if el is None:
                pending.append(writer.fresh(o))
                continue
            for p in pending:
                el.addprevious(p)
            pending = []
            if not _unchanged(o):
                writer.rewrite(el, o)
            _style_change(writer, redline, o, el)
            if o.mark == "insert" and o.parts and all(pd.kind in ("inserted", "moved_to") for pd in o.parts):
                added.add(el)
        _mark_inserted_rows(writer, body, added)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    buf = io.BytesIO()
    with zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = xml if info.filename == _MAIN_PART else zin.read(info.filename)
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _mark_inserted_rows(writer: _Writer, body: etree._Element, added: set[etree._Element]) -> None:
    """Mark table rows whose paragraphs are all inserted as inserted rows (w:trPr/w:ins), so
    rejecting all removes the row, not just its text."""
    for tr in body.iter(qn("w:tr")):
        paras = list(tr.iter(_P))
        if not paras or not all(p in added for p in paras):
            continue
        trpr = tr.find(qn("w:trPr"))
        if trpr is None:
            trpr = etree.Element(qn("w:trPr"))
            prex = tr.find(qn("w:tblPrEx"))
            if prex is not None:
                prex.addnext(trpr)
            else:
                tr.insert(0, trpr)
        if trpr.find(_INS) is None:
            trpr.append(writer.revision(_INS))


def _style_change(writer: _Writer, red: Redline, out: _Out, p: etree._Element) -> None:
    pd = out.parts[-1] if out.parts else None
    if pd is not None and pd.style_changed and pd.old_index is not None and out.mark != "delete":
        writer.style_change(p, red.old.paragraphs[pd.old_index])

