"""The Document model (paragraphs, runs, styles, tracked changes) and its readers for .docx and text."""

from __future__ import annotations

import bisect
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

from lxml import etree

from clm.errors import InvalidInput

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"

View = Literal["accept", "reject"]
RevisionKind = Literal["insert", "delete", "move_from", "move_to", "format"]

#: A manual line break inside a paragraph; "\n" is reserved for paragraph ends in ``Document.text``.
LINE_BREAK = "\v"


def qn(tag: str) -> str:
    """Return the Clark name of a ``w:`` prefixed tag (``qn("w:p")`` -> ``{...}p``)."""
    prefix, _, local = tag.partition(":")
    if prefix != "w":
        raise ValueError(f"unknown namespace prefix {prefix!r}")
    return f"{{{W_NS}}}{local}"


@dataclass(frozen=True)
class Run:
    """A stretch of paragraph text with one character formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False

    @property
    def format(self) -> tuple[bool, bool, bool]:
        """Return (bold, italic, underline)."""
        return (self.bold, self.italic, self.underline)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: its runs, paragraph style name, and where it sits."""

    runs: tuple[Run, ...] = ()
    style: str | None = None
    in_table: bool = False
    #: The list number Word shows before the text ("4.2", "(a)", "•"); not part of ``text``.
    label: str = ""
    #: styleId in the package, for writers that rebuild the paragraph; not compared.
    style_id: str | None = field(default=None, compare=False)

    @cached_property
    def text(self) -> str:
        """Return the paragraph text (runs joined, no label)."""
        return "".join(r.text for r in self.runs)

    def formats(self) -> list[tuple[int, int, tuple[bool, bool, bool]]]:
        """Return the formatting as merged spans ``(start, end, (bold, italic, underline))``."""
        spans: list[tuple[int, int, tuple[bool, bool, bool]]] = []
        pos = 0
        for r in self.runs:
            if not r.text:
                continue
            end = pos + len(r.text)
            if spans and spans[-1][2] == r.format and spans[-1][1] == pos:
                spans[-1] = (spans[-1][0], end, r.format)
            else:
                spans.append((pos, end, r.format))
            pos = end
        return spans


@dataclass(frozen=True)
class Revision:
    """A tracked change found in an input document."""

    kind: RevisionKind
    author: str | None
    date: datetime | None
    text: str
    #: Index of the paragraph (in the document's paragraphs) the change sits in.
    paragraph: int


TrackedKind = Literal["insert", "delete", "mark_insert", "mark_delete"]


@dataclass(frozen=True)
class Tracked:
    """Where one of the input's own tracked changes sits in the accept-all view.

    ``insert``: text ``[start, end)`` of paragraph ``paragraph`` was inserted; ``delete``: the
    deleted ``text`` sat at ``start``; ``mark_insert``/``mark_delete``: the paragraph's end was
    inserted, or a deleted one joined text into it. Writers use these to keep the author and
    date of a counterparty's change when a redline carries it.
    """

    kind: TrackedKind
    paragraph: int
    start: int
    end: int
    author: str | None
    date: datetime | None
    text: str = ""


@dataclass(frozen=True)
class Document:
    """A parsed contract version; ``text`` is its paragraph texts joined by ``\\n``."""

    paragraphs: tuple[Paragraph, ...] = ()
    revisions: tuple[Revision, ...] = ()
    has_hidden_text: bool = False
    #: Which view of tracked changes ``paragraphs`` show.
    view: View = "accept"
    #: The input's own tracked changes, placed in the accept-all view (empty in the reject view).
    tracked: tuple[Tracked, ...] = ()

    @cached_property
    def text(self) -> str:
        """Return the paragraph texts joined by ``\\n``."""
        return "\n".join(p.text for p in self.paragraphs)

    @cached_property
    def paragraph_starts(self) -> tuple[int, ...]:
        """Return the offset in ``text`` where each paragraph starts."""
        starts = []
        pos = 0
        for p in self.paragraphs:
            starts.append(pos)
            pos += len(p.text) + 1
        return tuple(starts)

    def locate(self, offset: int) -> tuple[int, int]:
        """Return (paragraph index, offset in that paragraph) for an offset in ``text``.

        An offset on a paragraph break belongs to the paragraph it ends; ``len(text)`` is the
        end of the last paragraph.
        """
        if not 0 <= offset <= len(self.text) or not self.paragraphs:
            raise IndexError(f"offset {offset} outside the document text")
        i = bisect.bisect_right(self.paragraph_starts, offset) - 1
        return i, offset - self.paragraph_starts[i]


def from_text(text: str) -> Document:
    """Return a Document with one paragraph per line of ``text`` (.txt and .md files)."""
    return Document(tuple(Paragraph((Run(line),) if line else ()) for line in text.split("\n")))


# ---------------------------------------------------------------------------------------------
# .docx reading
# ---------------------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)

_T, _R, _P, _PPR, _RPR = qn("w:t"), qn("w:r"), qn("w:p"), qn("w:pPr"), qn("w:rPr")
_INS, _DEL, _MOVE_FROM, _MOVE_TO = qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo")
_DEL_TEXT, _INSTR = qn("w:delText"), qn("w:instrText")
_TBL, _TR, _TC, _SDT, _SDT_CONTENT = qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt"), qn("w:sdtContent")
_FLD_CHAR = qn("w:fldChar")
_VAL = qn("w:val")
_OFF = {"0", "false", "off", "none"}
#: Containers whose children are read as if they were in the paragraph itself.
_INLINE_CONTAINERS = {qn(f"w:{x}") for x in ("hyperlink", "smartTag", "fldSimple", "customXml", "sdt",
                                             "sdtContent", "bdo", "dir")}
_BLOCK_CONTAINERS = {_SDT, _SDT_CONTENT, qn("w:customXml"), _INS, _DEL, _MOVE_FROM, _MOVE_TO}
_REVISION_KIND: dict[str, RevisionKind] = {_INS: "insert", _DEL: "delete", _MOVE_FROM: "move_from",
                                           _MOVE_TO: "move_to"}


def _on(el: etree._Element | None) -> bool | None:
    """Return a toggle property's value (``<w:b/>`` is on, ``w:val="0"`` off), None if absent."""
    if el is None:
        return None
    v = el.get(_VAL)
    return not (v is not None and v.lower() in _OFF)


def _underlined(el: etree._Element | None) -> bool | None:
    if el is None:
        return None
    return (el.get(_VAL) or "single").lower() != "none"


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _ui_name(name: str) -> str:
    """Return the name Word shows for a style ("heading 1" is stored, "Heading 1" is shown)."""
    if name.startswith("heading ") or name in ("title", "subtitle", "caption", "normal"):
        return name[0].upper() + name[1:]
    return name


class _Styles:
    """Style names and the run formatting styles define (basedOn chains followed)."""

    def __init__(self, xml: bytes | None) -> None:
        self.names: dict[str, str] = {}
        self._el: dict[str, etree._Element] = {}
        self._fmt: dict[str, tuple[bool | None, bool | None, bool | None]] = {}
        self.default: tuple[bool, bool, bool] = (False, False, False)
        self.default_pstyle: str | None = None
        if not xml:
            return
        root = etree.fromstring(xml, _PARSER)
        for st in root.iter(qn("w:style")):
            sid = st.get(qn("w:styleId"))
            if not sid:
                continue
            self._el[sid] = st
            name = st.find(qn("w:name"))
            self.names[sid] = _ui_name(name.get(_VAL, sid) if name is not None else sid)
            if st.get(qn("w:type")) == "paragraph" and st.get(qn("w:default")) in ("1", "true"):
                self.default_pstyle = sid
        rpr = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            self.default = (bool(_on(rpr.find(qn("w:b")))), bool(_on(rpr.find(qn("w:i")))),
                            bool(_underlined(rpr.find(qn("w:u")))))

    def numpr(self, sid: str | None) -> tuple[str, int] | None:
        """Return the list numbering a paragraph style applies (basedOn chain followed)."""
        seen: set[str] = set()
        while sid and sid not in seen and sid in self._el:
            seen.add(sid)
            st = self._el[sid]
            found = _numpr(st.find(_PPR))
            if found is not None:
                return found
            based = st.find(qn("w:basedOn"))
            sid = based.get(_VAL) if based is not None else None
        return None

    def style_format(self, sid: str | None) -> tuple[bool | None, bool | None, bool | None]:
        """Return (bold, italic, underline) a style sets, None where it sets nothing."""
        if not sid:
            return (None, None, None)
        if sid in self._fmt:
            return self._fmt[sid]
        b = i = u = None
        seen: set[str] = set()
        cur: str | None = sid
        while cur and cur not in seen and cur in self._el:
            seen.add(cur)
            st = self._el[cur]
            rpr = st.find(_RPR)
            if rpr is not None:
                b = _on(rpr.find(qn("w:b"))) if b is None else b
                i = _on(rpr.find(qn("w:i"))) if i is None else i
                u = _underlined(rpr.find(qn("w:u"))) if u is None else u
            based = st.find(qn("w:basedOn"))
            cur = based.get(_VAL) if based is not None else None
        self._fmt[sid] = (b, i, u)
        return (b, i, u)

    def run_format(self, rpr: etree._Element | None) -> tuple[bool, bool, bool]:
        """Return a run's (bold, italic, underline): direct formatting > character style > defaults.

        Paragraph-style formatting (a bold Heading) is left out on purpose: it belongs to the
        paragraph, and the paragraph style is compared on its own.
        """
        b = i = u = None
        if rpr is not None:
            b, i, u = _on(rpr.find(qn("w:b"))), _on(rpr.find(qn("w:i"))), _underlined(rpr.find(qn("w:u")))
            rs = rpr.find(qn("w:rStyle"))
            if rs is not None and None in (b, i, u):
                sb, si, su = self.style_format(rs.get(_VAL))
                b, i, u = (sb if b is None else b), (si if i is None else i), (su if u is None else u)
        d = self.default
        return (d[0] if b is None else b, d[1] if i is None else i, d[2] if u is None else u)


@dataclass
class _Para:
    """A paragraph being read, before the views merge paragraphs whose mark is tracked."""

    element: etree._Element
    #: text, format, state ("eq", "ins", "del", "insdel"), the run's w:rPr and the index (in
    #: ``_Walk.revisions``) of the tracked change it sits in
    runs: list[tuple[str, tuple[bool, bool, bool], str, etree._Element | None, int | None]]
    mark: str
    row: str
    style_id: str | None
    in_table: bool
    #: (numId, level) of direct list numbering; None: whatever the style says.
    numpr: tuple[str, int] | None = None
    #: Index of the tracked change that inserted or deleted the paragraph mark.
    mark_revision: int | None = None


@dataclass
class _Walk:
    """Everything one pass over word/document.xml found."""

    paras: list[_Para] = field(default_factory=list)
    revisions: list[tuple[RevisionKind, str | None, str | None, str, int]] = field(default_factory=list)
    #: (author, date) of tracked paragraph marks, indexed by ``_Para.mark_revision``.
    marks: list[tuple[str | None, str | None]] = field(default_factory=list)
    hidden: bool = False


def _walk(root: etree._Element, styles: _Styles, read_runs: bool = True) -> _Walk:
    """Read body paragraphs (tables, content controls and tracked changes included) in order.

    With ``read_runs=False`` only the paragraph elements are collected (same order, same set).
    """
    out = _Walk()
    body = root.find(qn("w:body"))
    if body is None:
        raise InvalidInput("The Word file has no document body.")

    def revision(el: etree._Element, kind: RevisionKind, text: str) -> int:
        out.revisions.append((kind, el.get(qn("w:author")), el.get(qn("w:date")), text, len(out.paras)))
        return len(out.revisions) - 1

    def run(r: etree._Element, state: str, para: _Para, field_state: list[int], rev: int | None) -> None:
        rpr = r.find(_RPR)
        if rpr is not None:
            if _on(rpr.find(qn("w:vanish"))) or _on(rpr.find(qn("w:specVanish"))):
                out.hidden = True
                return
            change = rpr.find(qn("w:rPrChange"))
            if change is not None:
                revision(change, "format", "".join(t.text or "" for t in r.iter(_T)))
        fmt = styles.run_format(rpr)
        buf: list[str] = []
        for c in r:
            tag = c.tag
            if tag == _FLD_CHAR:
                # Between "begin" and "separate" sits the field code; the result follows it.
                kind = c.get(qn("w:fldCharType"))
                if kind == "begin":
                    field_state.append(1)
                elif kind == "separate" and field_state:
                    field_state[-1] = 2
                elif kind == "end" and field_state:
                    field_state.pop()
            elif field_state and field_state[-1] == 1:
                continue
            elif tag == _T or tag == _DEL_TEXT:
                buf.append(c.text or "")
            elif tag == qn("w:tab") or tag == qn("w:ptab"):
                buf.append("\t")
            elif tag == qn("w:br"):
                if c.get(qn("w:type")) in (None, "textWrapping"):
                    buf.append(LINE_BREAK)
            elif tag == qn("w:cr"):
                buf.append(LINE_BREAK)
            elif tag == qn("w:noBreakHyphen"):
                buf.append("-")
            elif tag == qn("w:softHyphen"):
                buf.append("\u00ad")
            elif tag == qn("w:sym"):
                try:
                    buf.append(chr(int(c.get(qn("w:char")) or "", 16)))
                except ValueError:
                    pass
        text = "".join(buf)
        if text:
            para.runs.append((text, fmt, state, rpr, rev))

    def inline(el: etree._Element, state: str, para: _Para, field_state: list[int], rev: int | None = None) -> None:
        for c in el:
            tag = c.tag
            if tag == _R:
                if read_runs:
                    run(c, state, para, field_state, rev)
            elif tag in _REVISION_KIND:
                kind = _REVISION_KIND[tag]
                index = revision(c, kind, "".join(t.text or "" for t in c.iter(_T, _DEL_TEXT)))
                new_state = "ins" if kind in ("insert", "move_to") else "del"
                inline(c, "insdel" if state != "eq" and state != new_state else new_state, para, field_state,
                       index)
            elif tag in _INLINE_CONTAINERS:
                inline(c, state, para, field_state, rev)
            elif tag == _P:  # a paragraph nested in a text box: read it as its own paragraph
                block(c, para.row, para.in_table)

    def paragraph(p: etree._Element, row: str, in_table: bool) -> None:
        ppr = p.find(_PPR)
        style_id = None
        mark = "eq"
        mark_el = None
        if ppr is not None:
            ps = ppr.find(qn("w:pStyle"))
            style_id = ps.get(_VAL) if ps is not None else None
            prpr = ppr.find(_RPR)
            if prpr is not None:
                for tag, state in ((_INS, "ins"), (_MOVE_TO, "ins"), (_DEL, "del"), (_MOVE_FROM, "del")):
                    m = prpr.find(tag)
                    if m is not None:
                        mark, mark_el = state, m
            change = ppr.find(qn("w:pPrChange"))
            if change is not None:
                revision(change, "format", "")
        para = _Para(p, [], mark, row, style_id, in_table, _numpr(ppr))
        if mark_el is not None:
            # Kept for attribution only; the paragraph mark is not listed as a change of its own.
            out.marks.append((mark_el.get(qn("w:author")), mark_el.get(qn("w:date"))))
            para.mark_revision = len(out.marks) - 1
        out.paras.append(para)
        inline(p, "eq", para, [])

    def block(el: etree._Element, row: str, in_table: bool) -> None:
        if el.tag == _P:
            paragraph(el, row, in_table)
            return
        for c in el:
            tag = c.tag
            if tag == _P:
                paragraph(c, row, in_table)
            elif tag == _TBL:
                for tr in c.iterchildren(_TR):
                    state = row
                    trpr = tr.find(qn("w:trPr"))
                    if trpr is not None:
                        if trpr.find(_INS) is not None:
                            state = "ins"
                        if trpr.find(_DEL) is not None:
                            state = "del"
                    for tc in tr.iterchildren(_TC):
                        block(tc, state, True)
            elif tag in _BLOCK_CONTAINERS:
                block(c, row, in_table)

    block(body, "eq", False)
    return out


def _numpr(ppr: etree._Element | None) -> tuple[str, int] | None:
    """Return (numId, level) of a pPr's w:numPr, or None when it has none."""
    if ppr is None:
        return None
    num = ppr.find(qn("w:numPr"))
    if num is None:
        return None
    num_id = num.find(qn("w:numId"))
    ilvl = num.find(qn("w:ilvl"))
    try:
        level = int(ilvl.get(_VAL, "0")) if ilvl is not None else 0
    except ValueError:
        level = 0
    return (num_id.get(_VAL, "0") if num_id is not None else "0"), level


def _roman(n: int) -> str:
    out = []
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out.append(digits)
            n -= value
    return "".join(out)


def _format_number(n: int, fmt: str) -> str:
    """Return a list counter as Word writes it in the given w:numFmt."""
    if fmt in ("lowerLetter", "upperLetter"):
        # Word repeats the letter past z: y, z, aa, bb ...
        text = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""
        return text.upper() if fmt == "upperLetter" else text
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "none":
        return ""
    return str(n)


@dataclass
class _Level:
    start: int
    fmt: str
    text: str


class _Numbering:
    """List definitions (numbering.xml) and the running counters that give each item its label."""

    def __init__(self, xml: bytes | None) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if not xml:
            return
        root = etree.fromstring(xml, _PARSER)
        for an in root.iterchildren(qn("w:abstractNum")):
            levels: dict[int, _Level] = {}
            for lvl in an.iterchildren(qn("w:lvl")):
                try:
                    ilvl = int(lvl.get(qn("w:ilvl"), "0"))
                    start_el = lvl.find(qn("w:start"))
                    start = int(start_el.get(_VAL, "1")) if start_el is not None else 1
                except ValueError:
                    continue
                fmt_el, text_el = lvl.find(qn("w:numFmt")), lvl.find(qn("w:lvlText"))
                levels[ilvl] = _Level(start, fmt_el.get(_VAL, "decimal") if fmt_el is not None else "decimal",
                                      text_el.get(_VAL, "") if text_el is not None else "")
            self.abstract[an.get(qn("w:abstractNumId"), "")] = levels
        for num in root.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            overrides: dict[int, int] = {}
            for ov in num.iterchildren(qn("w:lvlOverride")):
                so = ov.find(qn("w:startOverride"))
                try:
                    if so is not None:
                        overrides[int(ov.get(qn("w:ilvl"), "0"))] = int(so.get(_VAL, "1"))
                except ValueError:
                    pass
            self.nums[num.get(qn("w:numId"), "")] = (ref.get(_VAL, "") if ref is not None else "", overrides)

    def label(self, num_id: str, ilvl: int) -> str:
        """Return the label of the next item of list ``num_id`` at ``ilvl`` and count it."""
        if num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                counters[lv] = start - 1
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if level.fmt == "bullet":
            return "•"
        text = level.text
        for k in range(ilvl + 1):
            outer = levels.get(k)
            if outer is not None and f"%{k + 1}" in text:
                text = text.replace(f"%{k + 1}", _format_number(counters.get(k, outer.start), outer.fmt))
        return text


def _view(walk: _Walk, styles: _Styles, numbering: _Numbering,
          view: View) -> tuple[list[Paragraph], list[int], list[Tracked]]:
    """Return the paragraphs one view shows, per walked paragraph its index in that view, and
    (accept view only) where the input's tracked changes sit in it."""
    hide = "del" if view == "accept" else "ins"
    paras: list[Paragraph] = []
    index: list[int] = []
    runs: list[Run] = []
    tracked: list[Tracked] = []
    pos = 0

    def track(kind: TrackedKind, who: tuple[str | None, str | None], start: int, end: int, text: str = "") -> None:
        if view == "accept":
            tracked.append(Tracked(kind, len(paras), start, end, who[0], _parse_date(who[1]), text))

    for p in walk.paras:
        index.append(len(paras))
        if p.row == hide:
            continue
        for text, fmt, state, _, rev in p.runs:
            if state == "eq" or (state != hide and state != "insdel"):
                if runs and runs[-1].format == fmt:
                    runs[-1] = Run(runs[-1].text + text, *fmt)
                else:
                    runs.append(Run(text, *fmt))
                if rev is not None and state != "eq":
                    track("insert", walk.revisions[rev][1:3], pos, pos + len(text))
                pos += len(text)
            elif rev is not None and state == hide:
                track("delete", walk.revisions[rev][1:3], pos, pos, text)
        if p.mark == hide:
            # Its mark is gone in this view: the text flows into the next paragraph.
            if p.mark_revision is not None:
                track("mark_delete", walk.marks[p.mark_revision], pos, pos)
            continue
        if p.mark != "eq" and p.mark_revision is not None:
            track("mark_insert", walk.marks[p.mark_revision], pos, pos)
        sid = p.style_id or styles.default_pstyle
        numpr = p.numpr or styles.numpr(sid)
        label = numbering.label(*numpr) if numpr and numpr[0] != "0" else ""
        paras.append(Paragraph(tuple(runs), styles.names.get(sid, sid) if sid else None, p.in_table, label,
                               style_id=p.style_id))
        runs = []
        pos = 0
    if runs:
        paras.append(Paragraph(tuple(runs)))
    return paras, index, tracked


def _read_package(data: bytes) -> tuple[bytes, bytes | None, bytes | None]:
    """Return the main document, styles and numbering parts of a .docx, as bytes."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InvalidInput("The file is not a Word document (.docx): it cannot be opened as one.") from e
    with z:
        names = set(z.namelist())
        main = "word/document.xml"
        if "[Content_Types].xml" in names:
            try:
                ct = etree.fromstring(z.read("[Content_Types].xml"), _PARSER)
                for o in ct:
                    ctype = o.get("ContentType", "")
                    if ctype.endswith(("wordprocessingml.document.main+xml", "document.macroEnabled.main+xml",
                                       "wordprocessingml.template.main+xml")):
                        main = (o.get("PartName") or "/word/document.xml").lstrip("/")
            except etree.XMLSyntaxError:
                pass
        if main not in names:
            raise InvalidInput("The Word file has no main document; it may be damaged or not a .docx.")
        try:
            doc = z.read(main)
            styles = z.read("word/styles.xml") if "word/styles.xml" in names else None
            numbering = z.read("word/numbering.xml") if "word/numbering.xml" in names else None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError, zlib.error) as e:
            raise InvalidInput("The Word file is damaged: part of it cannot be read.") from e
        except NotImplementedError as e:  # an unsupported compression method
            raise InvalidInput("The Word file uses a compression method clm cannot read.") from e
    return doc, styles, numbering


def parse_xml(data: bytes) -> etree._Element:
    """Return the root of an XML part, parsed without entities, network or huge trees."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise InvalidInput("The Word file is damaged: its text cannot be read.") from e


def _load(data: bytes) -> tuple[_Walk, _Styles, _Numbering]:
    doc, styles_xml, numbering_xml = _read_package(data)
    root = parse_xml(doc)
    # A broken styles or numbering part costs style names or list labels, not the text.
    try:
        styles = _Styles(styles_xml)
    except etree.XMLSyntaxError:
        styles = _Styles(None)
    try:
        numbering = _Numbering(numbering_xml)
    except etree.XMLSyntaxError:
        numbering = _Numbering(None)
    return _walk(root, styles), styles, numbering


def from_docx(data: bytes, view: View = "accept") -> Document:
    """Return the Document of a .docx; ``view`` chooses accept-all or reject-all of tracked changes.

    Raise InvalidInput when the bytes are not a readable Word document.
    """
    if view not in ("accept", "reject"):
        raise ValueError(f"view must be 'accept' or 'reject', not {view!r}")
    walk, styles, numbering = _load(data)
    paras, index, tracked = _view(walk, styles, numbering, view)
    revisions = tuple(_revision(r, index, len(paras)) for r in walk.revisions)
    return Document(tuple(paras), revisions, walk.hidden, view, tuple(tracked))


def _revision(r: tuple[RevisionKind, str | None, str | None, str, int], index: list[int], n: int) -> Revision:
    kind, author, date, text, walked = r
    para = index[walked] if walked < len(index) else n - 1
    return Revision(kind, author, _parse_date(date), text, max(0, min(para, n - 1)))


def read_revisions(data: bytes) -> list[Revision]:
    """Return the tracked changes of a .docx (paragraph indexes refer to its accept-all view)."""
    return list(from_docx(data).revisions)


def paragraph_runs(root: etree._Element) -> list[tuple[etree._Element, list[tuple[int, int, etree._Element | None]]]]:
    """Return each ``w:p`` of a document part, in ``from_docx`` order, with its text's run
    properties as ``(start, end, w:rPr or None)`` spans (offsets into the paragraph text).

    Meant for documents without tracked changes, where offsets match ``Paragraph.text``;
    writers use it to keep fonts and sizes when they rebuild a paragraph.
    """
    out = []
    for p in _walk(root, _Styles(None)).paras:
        spans = []
        pos = 0
        for text, _, state, rpr, _rev in p.runs:
            if state == "eq":
                spans.append((pos, pos + len(text), rpr))
                pos += len(text)
        out.append((p.element, spans))
    return out
