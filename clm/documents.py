"""The Document model (stories, blocks, paragraphs, runs, atoms, tracked changes) and its readers for .docx and text.

A Document is the whole package: the body (paragraphs, tables cell by cell, block content
controls), and beside it the other stories a Word file holds (footnotes, endnotes, comments,
headers and footers per section, text boxes). Objects inside a paragraph that are not plain text
(fields, hyperlinks, bookmarks, content controls, drawings, math, note and comment references)
are atoms: positioned in the paragraph's text, compared and kept whole.

``Document.text`` is only the body's paragraphs (body and table cells, in document order) joined
by ``"\\n"``; offsets into it are what extraction evidence and clause segmentation store.
"""

from __future__ import annotations

import bisect
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

from lxml import etree

from clm.errors import InvalidInput

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
V_NS = "urn:schemas-microsoft-com:vml"
O_NS = "urn:schemas-microsoft-com:office:office"
PR_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

View = Literal["accept", "reject"]
RevisionKind = Literal["insert", "delete", "move_from", "move_to", "format"]
StoryKind = Literal["body", "footnote", "endnote", "comment", "header", "footer", "textbox"]
AtomKind = Literal["field", "field_end", "hyperlink", "control", "direction", "bookmark", "bookmark_end",
                   "comment_start", "comment_end", "comment", "footnote", "endnote", "note_mark", "drawing",
                   "textbox", "math", "break", "symbol", "hidden", "object", "unknown"]

#: A manual line break inside a paragraph; "\n" is reserved for paragraph ends in ``Document.text``.
LINE_BREAK = "\v"

#: What an atom of each kind is called in views and messages.
ATOM_NAMES: dict[str, str] = {
    "field": "field", "field_end": "field end", "hyperlink": "hyperlink", "control": "content control",
    "direction": "text direction", "bookmark": "bookmark", "bookmark_end": "bookmark end",
    "comment_start": "comment start", "comment_end": "comment end", "comment": "comment",
    "footnote": "footnote", "endnote": "endnote", "note_mark": "note number", "drawing": "image",
    "textbox": "text box", "math": "equation", "break": "break", "symbol": "symbol", "hidden": "hidden text",
    "object": "object", "unknown": "unreadable object",
}


def qn(tag: str) -> str:
    """Return the Clark name of a ``w:`` prefixed tag (``qn("w:p")`` -> ``{...}p``)."""
    prefix, _, local = tag.partition(":")
    if prefix != "w":
        raise ValueError(f"unknown namespace prefix {prefix!r}")
    return f"{{{W_NS}}}{local}"


#: A run's bold, italic, underline and its other character formatting as a comparable key.
Look = tuple[bool, bool, bool, str]


@dataclass(frozen=True)
class Run:
    """A stretch of paragraph text with one character formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    #: Other direct character formatting (font, size, colour, strike, ...) as a comparable key.
    props: str = ""

    @property
    def format(self) -> tuple[bool, bool, bool]:
        """Return (bold, italic, underline)."""
        return (self.bold, self.italic, self.underline)

    @property
    def look(self) -> Look:
        """Return (bold, italic, underline, other formatting): all the formatting compared."""
        return (self.bold, self.italic, self.underline, self.props)


@dataclass(frozen=True)
class Atom:
    """An object inside a paragraph that is kept whole: a field, a hyperlink, an image...

    It sits at ``start`` in the paragraph's text and spans ``text`` there (the visible result of
    a hyperlink or a content control; "" for an image, a bookmark or a note reference). Two atoms
    with the same ``key`` are the same object; ``refs`` names the stories it carries (a
    footnote's, a comment's or a text box's id).
    """

    kind: str
    start: int
    text: str
    key: str
    label: str = ""
    refs: tuple[str, ...] = ()

    @property
    def end(self) -> int:
        """Return the offset after the atom's text."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: its runs, paragraph style name, atoms, and where it sits."""

    runs: tuple[Run, ...] = ()
    style: str | None = None
    in_table: bool = False
    #: The list number Word shows before the text ("4.2", "(a)", "•"); not part of ``text``.
    label: str = ""
    #: styleId in the package, for writers that rebuild the paragraph; not compared.
    style_id: str | None = field(default=None, compare=False)
    #: Objects in the paragraph, in order of ``start`` (then of the document).
    atoms: tuple[Atom, ...] = ()
    #: Direct paragraph formatting (alignment, indents, spacing ...) as a comparable key.
    props: str = ""
    #: The kind of list item ("decimal %1.|0": number format, level text, level); "" if none.
    numbering: str = ""

    @cached_property
    def text(self) -> str:
        """Return the paragraph text (runs joined, no label)."""
        return "".join(r.text for r in self.runs)

    def formats(self) -> list[tuple[int, int, tuple[bool, bool, bool]]]:
        """Return the formatting as merged spans ``(start, end, (bold, italic, underline))``."""
        return [(s, e, (k[0], k[1], k[2])) for s, e, k in _merged(self.runs, lambda r: r.look[:3] + ("",))]

    def looks(self) -> list[tuple[int, int, Look]]:
        """Return all compared formatting as merged spans ``(start, end, look)``."""
        return _merged(self.runs, lambda r: r.look)


def _merged(runs: tuple[Run, ...], key: Callable[[Run], Look]) -> list[tuple[int, int, Look]]:
    """Return the runs' formatting (as ``key`` sees it) as merged spans (start, end, key)."""
    spans: list[tuple[int, int, Look]] = []
    pos = 0
    for r in runs:
        if not r.text:
            continue
        end = pos + len(r.text)
        k = key(r)
        if spans and spans[-1][2] == k and spans[-1][1] == pos:
            spans[-1] = (spans[-1][0], end, k)
        else:
            spans.append((pos, end, k))
        pos = end
    return spans


@dataclass(frozen=True)
class Cell:
    """A table cell: its blocks and its properties as a comparable key."""

    blocks: tuple[Block, ...] = ()
    props: str = ""


@dataclass(frozen=True)
class Row:
    """A table row: its cells and its properties as a comparable key."""

    cells: tuple[Cell, ...] = ()
    props: str = ""


@dataclass(frozen=True)
class Table:
    """A table: rows of cells; ``props`` holds the table properties and its grid."""

    rows: tuple[Row, ...] = ()
    props: str = ""


@dataclass(frozen=True)
class Control:
    """A block-level content control holding paragraphs and tables; ``key`` is its properties."""

    blocks: tuple[Block, ...] = ()
    key: str = ""
    label: str = ""


Block = Paragraph | Table | Control


def paragraphs_of(blocks: tuple[Block, ...] | list[Block]) -> Iterator[Paragraph]:
    """Yield the paragraphs of ``blocks`` in reading order (table cells and controls entered)."""
    for b in blocks:
        if isinstance(b, Paragraph):
            yield b
        elif isinstance(b, Table):
            for row in b.rows:
                for cell in row.cells:
                    yield from paragraphs_of(cell.blocks)
        else:
            yield from paragraphs_of(b.blocks)


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
class Story:
    """A text of the package besides the body: a note, a comment, a header or footer, a text box."""

    kind: StoryKind
    #: "footnote:2", "comment:5", "header:word/header1.xml", "textbox:3" ...
    id: str
    blocks: tuple[Block, ...] = ()
    #: How views name it ("Footnote 2", "Header (first page)", "Comment by Dana Whitfield").
    label: str = ""
    tracked: tuple[Tracked, ...] = ()

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        """Return the story's paragraphs in reading order."""
        return tuple(paragraphs_of(self.blocks))

    @cached_property
    def text(self) -> str:
        """Return the story's paragraph texts joined by ``\\n``."""
        return "\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Section:
    """A section of the body: its page setup as a comparable key and its headers and footers."""

    props: str = ""
    #: (story kind "header"/"footer", type "default"/"first"/"even", story id), as the section
    #: references them (a section without its own inherits the previous section's).
    parts: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Revision:
    """A tracked change found in an input document."""

    kind: RevisionKind
    author: str | None
    date: datetime | None
    text: str
    #: Index of the paragraph (in the document's paragraphs, or its story's) the change sits in.
    paragraph: int
    #: The story it is in (a note, a header ...: ``Story.id``); None for the body.
    story: str | None = None


@dataclass(frozen=True)
class PageLine:
    """One line of a PDF page as read: where it sits in ``Document.text`` and on the page.

    ``box`` is (left, top, right, bottom) in PDF points from the page's top-left corner.
    """

    start: int
    end: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One page of a PDF: its size in points, its lines, and whether OCR read it (with what mean
    word confidence, 0-100)."""

    number: int
    width: float
    height: float
    lines: tuple[PageLine, ...] = ()
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Document:
    """A parsed contract version; ``text`` is its body paragraph texts joined by ``\\n``."""

    paragraphs: tuple[Paragraph, ...] = ()
    revisions: tuple[Revision, ...] = ()
    has_hidden_text: bool = False
    #: Which view of tracked changes ``paragraphs`` show.
    view: View = "accept"
    #: The input's own tracked changes, placed in the accept-all view (empty in the reject view).
    tracked: tuple[Tracked, ...] = ()
    #: The body as blocks (paragraphs, tables, block content controls); None: just ``paragraphs``.
    blocks: tuple[Block, ...] | None = None
    #: Notes, comments, headers and footers, text boxes.
    stories: tuple[Story, ...] = ()
    sections: tuple[Section, ...] = ()
    #: Parts of the file clm could not read, in words; they are kept as they are, not compared.
    problems: tuple[str, ...] = ()
    #: A PDF's pages with the box of every line (empty for .docx and text files).
    pages: tuple[Page, ...] = ()

    @property
    def ocr_pages(self) -> int:
        """Return how many pages were read by OCR (a scanned PDF's pages)."""
        return sum(1 for p in self.pages if p.ocr_confidence is not None)

    @property
    def ocr_confidence(self) -> float | None:
        """Return the mean OCR word confidence (0-100) over the pages OCR read, or None."""
        read = [p.ocr_confidence for p in self.pages if p.ocr_confidence is not None]
        return sum(read) / len(read) if read else None

    @property
    def body(self) -> tuple[Block, ...]:
        """Return the body's blocks."""
        return self.blocks if self.blocks is not None else self.paragraphs

    @cached_property
    def story_index(self) -> dict[str, Story]:
        """Return the stories by id."""
        return {s.id: s for s in self.stories}

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
# the package
# ---------------------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_MAIN_TYPES = ("wordprocessingml.document.main+xml", "document.macroEnabled.main+xml",
               "wordprocessingml.template.main+xml")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError, zlib.error, KeyError)


def parse_xml(data: bytes) -> etree._Element:
    """Return the root of an XML part, parsed without entities, network or huge trees."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise InvalidInput("The Word file is damaged: its text cannot be read.") from e


@dataclass(frozen=True)
class Relationship:
    """One relationship of a part: its type, and its target (a part name, or a URL if external)."""

    type: str
    target: str
    external: bool


class Package:
    """A .docx opened for reading: its parts by name (parsed once, on demand) and relationships."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise InvalidInput("The file is not a Word document (.docx): it cannot be opened as one.") from e
        self.names = set(self.zip.namelist())
        self.main = "word/document.xml"
        if "[Content_Types].xml" in self.names:
            try:
                ct = etree.fromstring(self.read("[Content_Types].xml"), _PARSER)
                for o in ct:
                    if o.get("ContentType", "").endswith(_MAIN_TYPES):
                        self.main = (o.get("PartName") or "/word/document.xml").lstrip("/")
            except etree.XMLSyntaxError:
                pass
        if self.main not in self.names:
            raise InvalidInput("The Word file has no main document; it may be damaged or not a .docx.")
        self._xml: dict[str, etree._Element] = {}
        self._rels: dict[str, dict[str, Relationship]] = {}
        self._digests: dict[str, str] = {}

    def read(self, name: str) -> bytes:
        """Return a part's bytes; raise InvalidInput when the package is damaged there."""
        try:
            return self.zip.read(name)
        except NotImplementedError as e:  # an unsupported compression method
            raise InvalidInput("The Word file uses a compression method clm cannot read.") from e
        except _ZIP_ERRORS as e:
            raise InvalidInput("The Word file is damaged: part of it cannot be read.") from e

    def xml(self, name: str) -> etree._Element:
        """Return a part's parsed root (cached); raise InvalidInput when it is not well-formed."""
        root = self._xml.get(name)
        if root is None:
            root = self._xml[name] = parse_xml(self.read(name))
        return root

    def rels(self, part: str) -> dict[str, Relationship]:
        """Return a part's relationships by id ({} when it has none or they cannot be read)."""
        found = self._rels.get(part)
        if found is not None:
            return found
        found = {}
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if name in self.names:
            try:
                root = etree.fromstring(self.read(name), _PARSER)
            except (etree.XMLSyntaxError, InvalidInput):
                root = None
            for rel in root if root is not None else ():
                rid, target = rel.get("Id"), rel.get("Target") or ""
                if not rid:
                    continue
                external = rel.get("TargetMode") == "External"
                if not external:
                    target = target.lstrip("/") if target.startswith("/") else \
                        posixpath.normpath(posixpath.join(folder, target))
                found[rid] = Relationship(rel.get("Type") or "", target, external)
        self._rels[part] = found
        return found

    def related(self, part: str, kind: str) -> list[str]:
        """Return the parts ``part`` relates to with a relationship type ending in ``/kind``."""
        return [r.target for r in self.rels(part).values()
                if not r.external and r.type.endswith("/" + kind) and r.target in self.names]

    def digest(self, name: str) -> str:
        """Return a short fingerprint of a part's bytes (how images are told apart)."""
        found = self._digests.get(name)
        if found is None:
            try:
                data = self.read(name)
                found = f"{zlib.crc32(data):08x}{len(data):x}"
            except InvalidInput:
                found = "unreadable"
            self._digests[name] = found
        return found


# ---------------------------------------------------------------------------------------------
# styles and numbering
# ---------------------------------------------------------------------------------------------

_T, _R, _P, _PPR, _RPR = qn("w:t"), qn("w:r"), qn("w:p"), qn("w:pPr"), qn("w:rPr")
_INS, _DEL, _MOVE_FROM, _MOVE_TO = qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo")
_DEL_TEXT, _INSTR, _DEL_INSTR = qn("w:delText"), qn("w:instrText"), qn("w:delInstrText")
_TBL, _TR, _TC, _SDT, _SDT_CONTENT = qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt"), qn("w:sdtContent")
_SDT_PR, _TC_PR, _TR_PR, _TBL_PR = qn("w:sdtPr"), qn("w:tcPr"), qn("w:trPr"), qn("w:tblPr")
_FLD_CHAR, _SECT_PR = qn("w:fldChar"), qn("w:sectPr")
_TXBX = qn("w:txbxContent")
_VAL, _ID = qn("w:val"), qn("w:id")
_VANISH, _SPEC_VANISH, _RPR_CHANGE, _PPR_CHANGE = qn("w:vanish"), qn("w:specVanish"), qn("w:rPrChange"), qn("w:pPrChange")
_FLD_CHAR_TYPE, _TAB, _BR, _CR, _TYPE = qn("w:fldCharType"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:type")
_PSTYLE, _NUMPR, _NUM_ID, _ILVL = qn("w:pStyle"), qn("w:numPr"), qn("w:numId"), qn("w:ilvl")
_AUTHOR_A, _DATE_A = qn("w:author"), qn("w:date")
_B, _I, _U, _RSTYLE = qn("w:b"), qn("w:i"), qn("w:u"), qn("w:rStyle")
_PTAB, _NB_HYPHEN, _SOFT_HYPHEN, _SYM = qn("w:ptab"), qn("w:noBreakHyphen"), qn("w:softHyphen"), qn("w:sym")
_SYM_CHAR, _SYM_FONT = qn("w:char"), qn("w:font")
#: Run children that are plain text, and what each one reads as.
_PLAIN = {_T: None, _DEL_TEXT: None, _TAB: "\t", _CR: LINE_BREAK}
_OFF = {"0", "false", "off", "none"}
_MATH = {f"{{{M_NS}}}oMath", f"{{{M_NS}}}oMathPara"}
_ALTERNATE = f"{{{MC_NS}}}AlternateContent"
#: Paragraph-level containers read through as if their runs were the paragraph's own.
_TRANSPARENT = {qn("w:smartTag"), qn("w:customXml")}
#: Paragraph-level containers kept as one atom (with the text inside them).
_CONTAINERS = {qn("w:hyperlink"): "hyperlink", qn("w:fldSimple"): "field", _SDT: "control",
               qn("w:bdo"): "direction", qn("w:dir"): "direction"}
_BLOCK_CONTAINERS = {qn("w:customXml"), _INS, _DEL, _MOVE_FROM, _MOVE_TO}
_REVISION_KIND: dict[str, RevisionKind] = {_INS: "insert", _DEL: "delete", _MOVE_FROM: "move_from",
                                           _MOVE_TO: "move_to"}
#: Paragraph children that carry nothing to compare or keep (proofing marks, permissions, move ranges).
_IGNORED_IN_P = {qn(f"w:{x}") for x in (
    "pPr", "proofErr", "permStart", "permEnd", "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart",
    "moveToRangeEnd", "customXmlInsRangeStart", "customXmlInsRangeEnd", "customXmlDelRangeStart",
    "customXmlDelRangeEnd", "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd",
    "customXmlMoveToRangeStart", "customXmlMoveToRangeEnd")}
_IGNORED_IN_R = {_RPR, qn("w:lastRenderedPageBreak")}
#: Run children that are one object each, by the kind of atom they become.
_RUN_ATOMS = {qn("w:footnoteReference"): "footnote", qn("w:endnoteReference"): "endnote",
              qn("w:commentReference"): "comment", qn("w:footnoteRef"): "note_mark",
              qn("w:endnoteRef"): "note_mark", qn("w:annotationRef"): "note_mark"}
_GRAPHICS = {qn("w:drawing"), qn("w:pict"), qn("w:object"), _ALTERNATE}
#: Attributes that only record editing sessions or identities, never content.
_VOLATILE = {qn("w:rsidR"), qn("w:rsidRPr"), qn("w:rsidRDefault"), qn("w:rsidP"), qn("w:rsidDel"),
             qn("w:rsidSect"), qn("w:rsidTr"), qn("w:rsidRPr"), _ID,
             "{http://schemas.microsoft.com/office/word/2010/wordml}paraId",
             "{http://schemas.microsoft.com/office/word/2010/wordml}textId"}
_RPR_SKIP = {qn(f"w:{x}") for x in ("rPrChange", "ins", "del", "moveFrom", "moveTo", "b", "i", "u", "lang",
                                     "noProof", "bCs", "iCs", "szCs", "webHidden", "vanish", "specVanish")}
_PPR_SKIP = {qn(f"w:{x}") for x in ("pStyle", "rPr", "sectPr", "pPrChange", "numPr")}
_TBLPR_SKIP = {qn("w:tblPrChange")}
_TRPR_SKIP = {qn(f"w:{x}") for x in ("ins", "del", "trPrChange", "cnfStyle")}
_TCPR_SKIP = {qn(f"w:{x}") for x in ("tcPrChange", "cellIns", "cellDel", "cellMerge", "cnfStyle")}
_SECT_SKIP = {qn(f"w:{x}") for x in ("headerReference", "footerReference", "sectPrChange")}
_SDTPR_SKIP = {_ID, _RPR, qn("w:placeholder"), qn("w:showingPlcHdr")}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def canon(el: etree._Element | None, skip: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """Return a comparable key of a properties element: its children (except ``skip``) with their
    attributes, recursively, without editing-session ids; "" for None or an empty element."""
    if el is None:
        return ""
    parts = []
    for c in el:
        if not isinstance(c.tag, str) or c.tag in skip:
            continue
        attrs = ",".join(f"{_local(k)}={v}" for k, v in sorted(c.attrib.items()) if k not in _VOLATILE)
        inner = canon(c) if len(c) else ""
        parts.append(f"{_local(c.tag)}[{attrs}]{{{inner}}}" if inner else f"{_local(c.tag)}[{attrs}]")
    return ";".join(parts)


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
        self._numpr: dict[str | None, tuple[str, int] | None] = {}
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
        if sid in self._numpr:
            return self._numpr[sid]
        found = self._find_numpr(sid)
        self._numpr[sid] = found
        return found

    def _find_numpr(self, sid: str | None) -> tuple[str, int] | None:
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
            b, i, u = _on(rpr.find(_B)), _on(rpr.find(_I)), _underlined(rpr.find(_U))
            rs = rpr.find(_RSTYLE)
            if rs is not None and None in (b, i, u):
                sb, si, su = self.style_format(rs.get(_VAL))
                b, i, u = (sb if b is None else b), (si if i is None else i), (su if u is None else u)
        d = self.default
        return (d[0] if b is None else b, d[1] if i is None else i, d[2] if u is None else u)


def _numpr(ppr: etree._Element | None) -> tuple[str, int] | None:
    """Return (numId, level) of a pPr's w:numPr, or None when it has none."""
    if ppr is None:
        return None
    num = ppr.find(_NUMPR)
    if num is None:
        return None
    num_id = num.find(_NUM_ID)
    ilvl = num.find(_ILVL)
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

    def fresh(self) -> _Numbering:
        """Return the same definitions with counters of their own (a note's lists count apart)."""
        other = _Numbering(None)
        other.abstract, other.nums = self.abstract, self.nums
        return other

    def signature(self, num_id: str, ilvl: int) -> str:
        """Return what kind of list item ``num_id`` at ``ilvl`` is ("decimal %1.|0"), "" if none."""
        abstract_id = self.nums.get(num_id, ("", {}))[0]
        level = self.abstract.get(abstract_id, {}).get(ilvl)
        return f"{level.fmt} {level.text}|{ilvl}" if level is not None else ""

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


# ---------------------------------------------------------------------------------------------
# walking a story: the element layout (shared with writers)
# ---------------------------------------------------------------------------------------------

#: One piece of a walked paragraph: text, look, state ("eq", "ins", "del", "insdel"), the run's
#: w:rPr, the index of the tracked change it sits in (in ``StoryLayout.revisions``), and the index
#: of the atom it belongs to (in ``StoryLayout.atoms``; None for plain text).
Piece = tuple[str, Look, str, "etree._Element | None", "int | None", "int | None"]


@dataclass
class AtomLayout:
    """An atom as found in the XML: what it is and the elements that make it.

    ``groups`` are (run, children): the children of one ``w:r`` that belong to the atom (run is
    None for a paragraph-level element such as a hyperlink or a bookmark, given whole).
    """

    kind: str
    key: str
    label: str = ""
    groups: list[tuple[etree._Element | None, list[etree._Element]]] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    #: Whether the atom's text belongs in its key (a hyperlink's words, not a field's result).
    keyed_text: bool = False

    def add(self, run: etree._Element | None, child: etree._Element) -> None:
        """Add one element (a child of ``run``, or a paragraph-level element) to the atom."""
        if self.groups and run is not None and self.groups[-1][0] is run:
            self.groups[-1][1].append(child)
        else:
            self.groups.append((run, [child]))


@dataclass
class ParagraphLayout:
    """A paragraph as walked, before the views merge paragraphs whose mark is tracked."""

    element: etree._Element
    pieces: list[Piece]
    mark: str
    row: str
    style_id: str | None
    in_table: bool
    #: (numId, level) of direct list numbering; None: whatever the style says.
    numpr: tuple[str, int] | None = None
    #: Index of the tracked change that inserted or deleted the paragraph mark.
    mark_revision: int | None = None
    props: str = ""


@dataclass
class CellLayout:
    """A table cell as walked."""

    element: etree._Element
    blocks: list[BlockLayout] = field(default_factory=list)
    props: str = ""


@dataclass
class RowLayout:
    """A table row as walked; ``state`` says whether the row is tracked as inserted or deleted."""

    element: etree._Element
    state: str
    cells: list[CellLayout] = field(default_factory=list)
    props: str = ""


@dataclass
class TableLayout:
    """A table as walked."""

    element: etree._Element
    rows: list[RowLayout] = field(default_factory=list)
    props: str = ""


@dataclass
class ControlLayout:
    """A block-level content control as walked."""

    element: etree._Element
    blocks: list[BlockLayout] = field(default_factory=list)
    key: str = ""
    label: str = ""


BlockLayout = ParagraphLayout | TableLayout | ControlLayout


@dataclass
class StoryLayout:
    """Everything one pass over a story's XML found: blocks, the flat paragraph list, atoms."""

    part: str
    blocks: list[BlockLayout] = field(default_factory=list)
    paras: list[ParagraphLayout] = field(default_factory=list)
    atoms: list[AtomLayout] = field(default_factory=list)
    revisions: list[tuple[RevisionKind, str | None, str | None, str, int]] = field(default_factory=list)
    #: (author, date) of tracked paragraph marks, indexed by ``ParagraphLayout.mark_revision``.
    marks: list[tuple[str | None, str | None]] = field(default_factory=list)
    hidden: bool = False
    #: sectPr elements met in the body, in order (the body's own last).
    sections: list[etree._Element] = field(default_factory=list)
    #: The element the story's blocks are in (w:body, w:footnote, w:hdr, w:txbxContent ...).
    root: etree._Element | None = None


class _Walker:
    """Reads the blocks of one story (the body, a note, a header, a text box) into a StoryLayout."""

    def __init__(self, reader: Reader, part: str, root: etree._Element) -> None:
        self.reader = reader
        self.styles = reader.styles
        self.out = StoryLayout(part)
        self.part = part
        #: bookmark names by id, so an end is keyed like its start
        self.bookmarks = {b.get(_ID): b.get(qn("w:name")) or "" for b in root.iter(qn("w:bookmarkStart"))}
        # per paragraph: the field being collected as an atom, and the nesting depth it started at
        self.field: int | None = None
        self.field_depth = 0
        self.instr: list[str] = []

    # -- atoms -----------------------------------------------------------------------------

    def atom(self, kind: str, key: str, label: str = "", keyed_text: bool = False) -> int:
        self.out.atoms.append(AtomLayout(kind, key, label, keyed_text=keyed_text))
        return len(self.out.atoms) - 1

    def graphic(self, el: etree._Element) -> AtomLayout:
        """Return the atom of a drawing, a VML picture, an embedded object or AlternateContent."""
        txbx = next(el.iter(_TXBX), None)
        targets = []
        for node in el.iter():
            for k, v in node.attrib.items():
                if k.startswith(f"{{{R_NS}}}") or k == f"{{{O_NS}}}relid":
                    rel = self.reader.package.rels(self.part).get(v)
                    if rel is not None:
                        targets.append(rel.target if rel.external else self.reader.package.digest(rel.target))
        extent = next(el.iter(f"{{{WP_NS}}}extent"), None)
        size = f"{extent.get('cx')}x{extent.get('cy')}" if extent is not None else ""
        doc_pr = next(el.iter(f"{{{WP_NS}}}docPr"), None)
        label = (doc_pr.get("descr") or doc_pr.get("name") or "") if doc_pr is not None else ""
        if txbx is not None:
            story = self.reader.add_textbox(self.part, txbx)
            return AtomLayout("textbox", f"textbox:{size}", label or "text box", refs=[story])
        if targets:
            kind = "drawing" if any(node.tag.endswith("}blip") or node.tag.endswith("}imagedata")
                                    for node in el.iter() if isinstance(node.tag, str)) else "object"
            return AtomLayout(kind, f"{kind}:{','.join(targets)}:{size}", label or kind)
        return AtomLayout("object", f"object:{_fingerprint(el)}", label or _local(el.tag))

    def piece(self, para: ParagraphLayout, text: str, look: Look, state: str, rpr: etree._Element | None,
              rev: int | None, atom: int | None) -> None:
        para.pieces.append((text, look, state, rpr, rev, atom))

    def zero(self, para: ParagraphLayout, a: AtomLayout, state: str, rev: int | None, text: str = "",
             look: Look = (False, False, False, ""), rpr: etree._Element | None = None) -> None:
        """Add a whole atom (made elsewhere) as one piece of the paragraph."""
        self.out.atoms.append(a)
        self.piece(para, text, look, state, rpr, rev, len(self.out.atoms) - 1)

    # -- revisions -------------------------------------------------------------------------

    def revision(self, el: etree._Element, kind: RevisionKind, text: str, before: bool = False) -> int:
        """Record a tracked change of the paragraph being read (``before``: of the one about to be)."""
        out = self.out
        out.revisions.append((kind, el.get(_AUTHOR_A), el.get(_DATE_A), text,
                              len(out.paras) if before else max(len(out.paras) - 1, 0)))
        return len(out.revisions) - 1

    # -- runs ------------------------------------------------------------------------------

    def run(self, r: etree._Element, state: str, para: ParagraphLayout, fs: list[int], rev: int | None,
            inside: int | None) -> None:
        rpr = r.find(_RPR)
        if rpr is not None:
            if _on(rpr.find(_VANISH)) or _on(rpr.find(_SPEC_VANISH)):
                self.out.hidden = True
                if inside is None and self.field is None:
                    hidden = "".join(t.text or "" for t in r.iter(_T))
                    a = AtomLayout("hidden", f"hidden:{hidden}", hidden[:80])
                    a.groups.append((r, [c for c in r if c.tag != _RPR]))
                    self.zero(para, a, state, rev)
                return
            change = rpr.find(_RPR_CHANGE)
            if change is not None:
                self.revision(change, "format", "".join(t.text or "" for t in r.iter(_T)))
        b, i, u = self.styles.run_format(rpr)
        look: Look = (b, i, u, canon(rpr, _RPR_SKIP) if rpr is not None and len(rpr) else "")
        if self.field is None and not (fs and fs[-1] == 1):
            # Most runs hold text only: read them without the general machinery below.
            parts = []
            for c in r:
                tag = c.tag
                if tag in _PLAIN:
                    parts.append(c.text or "" if _PLAIN[tag] is None else _PLAIN[tag])
                elif tag == _BR and c.get(_TYPE) in (None, "textWrapping"):
                    parts.append(LINE_BREAK)
                elif tag != _RPR and tag not in _IGNORED_IN_R:
                    break
            else:
                text = "".join(parts)  # type: ignore[arg-type]
                if text:
                    para.pieces.append((text, look, state, rpr, rev, inside))
                return
        buf: list[str] = []

        def flush() -> None:
            if buf:
                self.piece(para, "".join(buf), look, state, rpr, rev, inside)
                buf.clear()

        def own(a: AtomLayout, child: etree._Element, text: str = "") -> None:
            """Make ``child`` an atom of its own (or part of the atom the run is inside)."""
            if inside is not None:
                self.out.atoms[inside].refs.extend(a.refs)
                if text:
                    buf.append(text)
                return
            flush()
            a.add(r, child)
            self.zero(para, a, state, rev, text, look, rpr)

        for c in r:
            tag = c.tag
            if tag == _FLD_CHAR:
                # Between "begin" and "separate" sits the field code; the result follows it.
                kind = c.get(_FLD_CHAR_TYPE)
                if kind == "begin":
                    fs.append(1)
                    if self.field is None and inside is None:
                        flush()
                        self.field, self.field_depth, self.instr = self.atom("field", ""), len(fs), []
                elif kind == "separate":
                    if fs:
                        fs[-1] = 2
                elif kind == "end":
                    depth = len(fs)
                    if fs:
                        fs.pop()
                    if self.field is None and inside is None:
                        own(AtomLayout("field_end", "field_end", "end of field"), c)
                        continue
                    if self.field is not None and inside is None and depth == self.field_depth:
                        self.out.atoms[self.field].add(r, c)
                        self.finish_field(para, state, rev, look, rpr)
                        continue
                if self.field is not None and inside is None:
                    self.out.atoms[self.field].add(r, c)
                    if kind == "separate" and len(fs) == self.field_depth:
                        self.finish_field(para, state, rev, look, rpr)
                continue
            if self.field is not None:
                if inside is None:
                    self.out.atoms[self.field].add(r, c)
                if tag == _INSTR or tag == _DEL_INSTR:
                    self.instr.append(c.text or "")
                continue
            if fs and fs[-1] == 1:
                continue
            if tag == _T or tag == _DEL_TEXT:
                buf.append(c.text or "")
            elif tag == _TAB:
                buf.append("\t")
            elif tag == _BR:
                if c.get(_TYPE) in (None, "textWrapping"):
                    buf.append(LINE_BREAK)
                else:
                    own(AtomLayout("break", f"break:{c.get(_TYPE)}", f"{c.get(_TYPE)} break"), c)
            elif tag == _CR:
                buf.append(LINE_BREAK)
            elif tag in _IGNORED_IN_R or not isinstance(tag, str):
                continue
            elif tag == _PTAB:
                own(AtomLayout("symbol", f"ptab:{canon(c)}{sorted(c.attrib.items())}", "tab"), c, "\t")
            elif tag == _NB_HYPHEN:
                own(AtomLayout("symbol", "nbh", "non-breaking hyphen"), c, "-")
            elif tag == _SOFT_HYPHEN:
                own(AtomLayout("symbol", "shy", "optional hyphen"), c, "\u00ad")
            elif tag == _SYM:
                try:
                    char = chr(int(c.get(qn("w:char")) or "", 16))
                except ValueError:
                    char = ""
                own(AtomLayout("symbol", f"sym:{c.get(qn('w:font'))}:{c.get(qn('w:char'))}", "symbol"), c, char)
            elif tag in _RUN_ATOMS:
                kind = _RUN_ATOMS[tag]
                ref = c.get(_ID)
                if kind in ("footnote", "endnote", "comment") and ref is not None:
                    key = kind + (":custom" if c.get(qn("w:customMarkFollows")) in ("1", "true") else "")
                    own(AtomLayout(kind, key, kind, refs=[f"{kind}:{ref}"]), c)
                else:
                    own(AtomLayout(kind, f"{kind}:{_local(tag)}", ""), c)
            elif tag in _GRAPHICS:
                own(self.graphic(c), c)
            else:
                own(AtomLayout("object", f"object:{_fingerprint(c)}", _local(tag)), c)
        flush()

    def finish_field(self, para: ParagraphLayout, state: str, rev: int | None, look: Look,
                     rpr: etree._Element | None) -> None:
        """Close the field atom being collected: its code is read, it becomes one piece."""
        assert self.field is not None
        a = self.out.atoms[self.field]
        code = " ".join("".join(self.instr).split())
        a.key, a.label = f"field:{code}", code or "field"
        self.piece(para, "", look, state, rpr, rev, self.field)
        self.field = None

    # -- inline content --------------------------------------------------------------------

    def inline(self, el: etree._Element, state: str, para: ParagraphLayout, fs: list[int], rev: int | None,
               inside: int | None) -> None:
        for c in el:
            tag = c.tag
            if tag == _R:
                self.run(c, state, para, fs, rev, inside)
            elif tag in _REVISION_KIND:
                kind = _REVISION_KIND[tag]
                index = self.revision(c, kind, "".join(t.text or "" for t in c.iter(_T, _DEL_TEXT)))
                new_state = "ins" if kind in ("insert", "move_to") else "del"
                self.inline(c, "insdel" if state != "eq" and state != new_state else new_state, para, fs, index,
                            inside)
            elif tag in _TRANSPARENT:
                self.inline(c, state, para, fs, rev, inside)
            elif tag in _CONTAINERS:
                if inside is not None or self.field is not None:
                    if inside is None and self.field is not None:
                        self.out.atoms[self.field].add(None, c)  # a container inside a field's code
                    content = c.find(_SDT_CONTENT) if tag == _SDT else c
                    if content is not None:
                        self.inline(content, state, para, fs, rev, inside if inside is not None else self.field)
                    continue
                a = self.container(c, _CONTAINERS[tag])
                self.out.atoms[a].add(None, c)
                # A marker piece, so an atom with no text is still found where it is.
                self.piece(para, "", (False, False, False, ""), state, None, rev, a)
                content = c.find(_SDT_CONTENT) if tag == _SDT else c
                if content is not None:
                    self.inline(content, state, para, fs, rev, a)
            elif tag in _IGNORED_IN_P or not isinstance(tag, str):
                continue
            elif tag == _P:  # a paragraph nested in inline content: read it as its own paragraph
                self.paragraph(c, para.row, para.in_table, self.current)
            elif inside is not None or self.field is not None:
                target = inside if inside is not None else self.field
                assert target is not None
                if self.field is not None and inside is None:
                    self.out.atoms[self.field].add(None, c)
                continue
            else:
                found = self.loose(c)
                if found is not None:
                    found.add(None, c)
                    self.zero(para, found, state, rev)

    def container(self, c: etree._Element, kind: str) -> int:
        """Return a new container atom (hyperlink, simple field, content control, direction)."""
        if kind == "hyperlink":
            rid = c.get(f"{{{R_NS}}}id")
            rel = self.reader.package.rels(self.part).get(rid) if rid else None
            target = (rel.target if rel is not None else "") + ("#" + c.get(qn("w:anchor"), "")
                                                                if c.get(qn("w:anchor")) else "")
            return self.atom("hyperlink", f"link:{target}", target or "link", keyed_text=True)
        if kind == "field":
            code = " ".join((c.get(qn("w:instr")) or "").split())
            return self.atom("field", f"field:{code}", code or "field", keyed_text=True)
        if kind == "control":
            pr = c.find(_SDT_PR)
            return self.atom("control", f"control:{canon(pr, _SDTPR_SKIP)}", _control_label(pr), keyed_text=True)
        return self.atom("direction", f"dir:{c.get(_VAL)}", f"text direction {c.get(_VAL)}", keyed_text=True)

    def loose(self, c: etree._Element) -> AtomLayout | None:
        """Return the atom of a paragraph-level element (bookmark, comment range, math ...)."""
        tag = c.tag
        if tag == qn("w:bookmarkStart"):
            name = c.get(qn("w:name")) or ""
            if name == "_GoBack":  # Word's "last edit" marker, moved on every save
                return None
            return AtomLayout("bookmark", f"bookmark:{name}", name)
        if tag == qn("w:bookmarkEnd"):
            name = self.bookmarks.get(c.get(_ID)) or ""
            if name == "_GoBack":
                return None
            return AtomLayout("bookmark_end", f"bookmark_end:{name}", name)
        if tag == qn("w:commentRangeStart"):
            return AtomLayout("comment_start", "comment_start", "comment", refs=[f"comment:{c.get(_ID)}"])
        if tag == qn("w:commentRangeEnd"):
            return AtomLayout("comment_end", "comment_end", "comment", refs=[f"comment:{c.get(_ID)}"])
        if tag in _MATH:
            text = "".join(t.text or "" for t in c.iter(f"{{{M_NS}}}t"))
            return AtomLayout("math", f"math:{_fingerprint(c)}", text or "equation")
        if tag in _GRAPHICS:
            return self.graphic(c)
        return AtomLayout("object", f"object:{_fingerprint(c)}", _local(tag))

    # -- blocks ----------------------------------------------------------------------------

    current: list[BlockLayout]

    def paragraph(self, p: etree._Element, row: str, in_table: bool, into: list[BlockLayout]) -> None:
        ppr = p.find(_PPR)
        style_id = None
        mark = "eq"
        mark_el = None
        props = ""
        if ppr is not None:
            ps = ppr.find(_PSTYLE)
            style_id = ps.get(_VAL) if ps is not None else None
            prpr = ppr.find(_RPR)
            if prpr is not None and len(prpr):
                for tag, state in ((_INS, "ins"), (_MOVE_TO, "ins"), (_DEL, "del"), (_MOVE_FROM, "del")):
                    m = prpr.find(tag)
                    if m is not None:
                        mark, mark_el = state, m
            change = ppr.find(_PPR_CHANGE)
            if change is not None:
                self.revision(change, "format", "", before=True)
            sect = ppr.find(_SECT_PR)
            if sect is not None:
                self.out.sections.append(sect)
            props = canon(ppr, _PPR_SKIP)
        para = ParagraphLayout(p, [], mark, row, style_id, in_table, _numpr(ppr), props=props)
        if mark_el is not None:
            # Kept for attribution only; the paragraph mark is not listed as a change of its own.
            self.out.marks.append((mark_el.get(_AUTHOR_A), mark_el.get(_DATE_A)))
            para.mark_revision = len(self.out.marks) - 1
        self.out.paras.append(para)
        into.append(para)
        saved = self.current, self.field, self.field_depth, self.instr
        self.current = into
        self.field = None
        self.inline(p, "eq", para, [], None, None)
        if self.field is not None:  # a field whose code runs on past the paragraph
            self.finish_field(para, "eq", None, (False, False, False, ""), None)
        self.current, self.field, self.field_depth, self.instr = saved

    def blocks(self, el: etree._Element, row: str, in_table: bool, into: list[BlockLayout]) -> None:
        if el.tag == _P:
            self.paragraph(el, row, in_table, into)
            return
        for c in el:
            tag = c.tag
            if tag == _P:
                self.paragraph(c, row, in_table, into)
            elif tag == _TBL:
                table = TableLayout(c, props=canon(c.find(_TBL_PR), _TBLPR_SKIP) + "|"
                                    + canon(c.find(qn("w:tblGrid")), {qn("w:tblGridChange")}))
                into.append(table)
                for tr in c.iterchildren(_TR):
                    state = row
                    trpr = tr.find(_TR_PR)
                    if trpr is not None:
                        if trpr.find(_INS) is not None:
                            state = "ins"
                        if trpr.find(_DEL) is not None:
                            state = "del"
                    r = RowLayout(tr, state, props=canon(trpr, _TRPR_SKIP) + "|" + canon(tr.find(qn("w:tblPrEx"))))
                    table.rows.append(r)
                    for tc in tr.iterchildren(_TC):
                        cell = CellLayout(tc, props=canon(tc.find(_TC_PR), _TCPR_SKIP))
                        r.cells.append(cell)
                        self.blocks(tc, state, True, cell.blocks)
            elif tag == _SDT:
                pr = c.find(_SDT_PR)
                control = ControlLayout(c, key=canon(pr, _SDTPR_SKIP), label=_control_label(pr))
                into.append(control)
                content = c.find(_SDT_CONTENT)
                if content is not None:
                    self.blocks(content, row, in_table, control.blocks)
            elif tag == _SDT_CONTENT or tag in _BLOCK_CONTAINERS:
                self.blocks(c, row, in_table, into)
            elif tag == _SECT_PR:
                self.out.sections.append(c)

    def walk(self, root: etree._Element) -> StoryLayout:
        """Read the blocks under ``root`` (w:body, w:footnote, w:hdr, w:txbxContent ...)."""
        self.current = self.out.blocks
        self.out.root = root
        self.blocks(root, "eq", False, self.out.blocks)
        return self.out


def _control_label(pr: etree._Element | None) -> str:
    if pr is None:
        return "content control"
    for tag in ("w:alias", "w:tag"):
        el = pr.find(qn(tag))
        if el is not None and el.get(_VAL):
            return str(el.get(_VAL))
    return "content control"


def _fingerprint(el: etree._Element) -> str:
    """Return a short fingerprint of an element's XML, ids and editing sessions left out."""
    data = etree.tostring(el)
    return f"{_local(el.tag)}:{zlib.crc32(data):08x}"


# ---------------------------------------------------------------------------------------------
# views: what a reader of the file sees with tracked changes accepted or rejected
# ---------------------------------------------------------------------------------------------


def _view(walk: StoryLayout, styles: _Styles, numbering: _Numbering,
          view: View) -> tuple[list[Paragraph], list[int], list[Tracked]]:
    """Return the paragraphs one view shows, per walked paragraph its index in that view, and
    (accept view only) where the input's tracked changes sit in it."""
    hide = "del" if view == "accept" else "ins"
    paras: list[Paragraph] = []
    index: list[int] = []
    runs: list[Run] = []
    atoms: list[Atom] = []
    tracked: list[Tracked] = []
    pos = 0
    current: list = []  # type: ignore[type-arg]  # [atom index, start, [texts]] of the atom being read

    def track(kind: TrackedKind, who: tuple[str | None, str | None], start: int, end: int, text: str = "") -> None:
        if view == "accept":
            tracked.append(Tracked(kind, len(paras), start, end, who[0], _parse_date(who[1]), text))

    def close() -> None:
        if current:
            a = walk.atoms[current[0]]
            text = "".join(current[2])
            atoms.append(Atom(a.kind, current[1], text, f"{a.key}|{text}" if a.keyed_text else a.key, a.label,
                              tuple(a.refs)))
            current.clear()

    for p in walk.paras:
        index.append(len(paras))
        if p.row == hide:
            continue
        for text, look, state, _, rev, a in p.pieces:
            if state == "eq" or (state != hide and state != "insdel"):
                if a is not None:
                    if not current or current[0] != a:
                        close()
                        current.extend((a, pos, []))
                    current[2].append(text)
                elif current:
                    close()
                if text:
                    if runs and runs[-1].look == look:
                        runs[-1] = Run(runs[-1].text + text, *look)
                    else:
                        runs.append(Run(text, *look))
                    if rev is not None and state != "eq":
                        track("insert", walk.revisions[rev][1:3], pos, pos + len(text))
                    pos += len(text)
            elif rev is not None and state == hide and text:
                track("delete", walk.revisions[rev][1:3], pos, pos, text)
        close()
        if p.mark == hide:
            # Its mark is gone in this view: the text flows into the next paragraph.
            if p.mark_revision is not None:
                track("mark_delete", walk.marks[p.mark_revision], pos, pos)
            continue
        if p.mark != "eq" and p.mark_revision is not None:
            track("mark_insert", walk.marks[p.mark_revision], pos, pos)
        sid = p.style_id or styles.default_pstyle
        numpr = p.numpr or styles.numpr(sid)
        listed = bool(numpr and numpr[0] != "0")
        label = numbering.label(*numpr) if listed and numpr else ""
        paras.append(Paragraph(tuple(runs), styles.names.get(sid, sid) if sid else None, p.in_table, label,
                               style_id=p.style_id, atoms=tuple(atoms), props=p.props,
                               numbering=numbering.signature(*numpr) if listed and numpr else ""))
        runs, atoms = [], []
        pos = 0
    if runs or atoms:
        paras.append(Paragraph(tuple(runs), atoms=tuple(atoms)))
    return paras, index, tracked


def _tree(walk: StoryLayout, paras: list[Paragraph], index: list[int], view: View) -> list[Block]:
    """Return the view's paragraphs arranged as the story's blocks (tables, controls)."""
    hide = "del" if view == "accept" else "ins"
    position = {id(p): k for k, p in enumerate(walk.paras)}

    def build(blocks: list[BlockLayout]) -> list[Block]:
        out: list[Block] = []
        for b in blocks:
            if isinstance(b, ParagraphLayout):
                if b.row != hide and b.mark != hide:
                    out.append(paras[index[position[id(b)]]])
            elif isinstance(b, TableLayout):
                rows = tuple(Row(tuple(Cell(tuple(build(c.blocks)), c.props) for c in r.cells), r.props)
                             for r in b.rows if r.state != hide)
                if rows:
                    out.append(Table(rows, b.props))
            else:
                out.append(Control(tuple(build(b.blocks)), b.key, b.label))
        return out

    out = build(walk.blocks)
    if len(paras) > sum(1 for p in walk.paras if p.row != hide and p.mark != hide):
        out.append(paras[-1])  # text left over after a last deleted paragraph mark
    return out


_NOTE_SEPARATORS = {"separator", "continuationSeparator", "continuationNotice"}


class Reader:
    """Reads a .docx package into a Document: the body, then every other story."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.problems: list[str] = []
        self.textboxes: list[tuple[str, str, etree._Element]] = []
        main = package.main
        styles = (package.related(main, "styles") or ["word/styles.xml"])[0]
        numbering = (package.related(main, "numbering") or ["word/numbering.xml"])[0]
        # A broken styles or numbering part costs style names or list labels, not the text.
        try:
            self.styles = _Styles(package.read(styles) if styles in package.names else None)
        except (etree.XMLSyntaxError, InvalidInput):
            self.styles = _Styles(None)
            self.problems.append(f"{styles}: the styles could not be read; style names are left out.")
        try:
            self.numbering = _Numbering(package.read(numbering) if numbering in package.names else None)
        except (etree.XMLSyntaxError, InvalidInput):
            self.numbering = _Numbering(None)
            self.problems.append(f"{numbering}: the list definitions could not be read; list numbers are left out.")
        root = package.xml(main)
        body = root.find(qn("w:body"))
        if body is None:
            raise InvalidInput("The Word file has no document body.")
        self.body = _Walker(self, main, root).walk(body)
        #: (kind, id, label, layout) of every other story, in the order views show them.
        self.stories: list[tuple[StoryKind, str, str, StoryLayout]] = []
        self.sections: list[tuple[str, list[tuple[str, str, str]]]] = []
        self._read_sections()
        self._read_notes()
        k = 0
        while k < len(self.textboxes):  # a text box found while reading may hold another
            sid, part, el = self.textboxes[k]
            self._story("textbox", sid, f"Text box {k + 1}", part, lambda el=el: el)
            k += 1

    def add_textbox(self, part: str, el: etree._Element) -> str:
        """Return the id of the text box story whose content is ``el`` (read later)."""
        sid = f"textbox:{len(self.textboxes) + 1}"
        self.textboxes.append((sid, part, el))
        return sid

    def _story(self, kind: StoryKind, sid: str, label: str, part: str, root) -> None:  # type: ignore[no-untyped-def]
        try:
            el = root()
            self.stories.append((kind, sid, label, _Walker(self, part, el).walk(el)))
        except (InvalidInput, etree.LxmlError, ValueError, RecursionError) as e:  # never the whole document
            self.problems.append(f"{part}: {label} could not be read ({type(e).__name__}); it is kept as it is "
                                 "and not compared.")

    def _read_sections(self) -> None:
        rels = self.package.rels(self.package.main)
        effective: dict[tuple[str, str], str] = {}
        seen: set[str] = set()
        names = {("header", "default"): "Header", ("header", "first"): "First-page header",
                 ("header", "even"): "Even-page header", ("footer", "default"): "Footer",
                 ("footer", "first"): "First-page footer", ("footer", "even"): "Even-page footer"}
        for number, sect in enumerate(self.body.sections, start=1):
            for ref in sect:
                kind = "header" if ref.tag == qn("w:headerReference") else \
                    "footer" if ref.tag == qn("w:footerReference") else None
                if kind is None:
                    continue
                rel = rels.get(ref.get(f"{{{R_NS}}}id") or "")
                if rel is None or rel.external or rel.target not in self.package.names:
                    continue
                kind_type = (kind, ref.get(qn("w:type")) or "default")
                effective[kind_type] = rel.target
                if rel.target not in seen:
                    seen.add(rel.target)
                    suffix = f" (section {number})" if len(self.body.sections) > 1 else ""
                    self._story(kind, f"{kind}:{rel.target}", names.get(kind_type, kind.title()) + suffix,  # type: ignore[arg-type]
                                rel.target, lambda t=rel.target: self.package.xml(t))
            self.sections.append((canon(sect, _SECT_SKIP),
                                  [(k, t, f"{k}:{part}") for (k, t), part in sorted(effective.items())]))

    def _read_notes(self) -> None:
        main = self.package.main
        for kind, rel in (("footnote", "footnotes"), ("endnote", "endnotes"), ("comment", "comments")):
            for part in self.package.related(main, rel):
                try:
                    root = self.package.xml(part)
                except InvalidInput:
                    self.problems.append(f"{part}: the {rel} could not be read; they are kept as they are and not "
                                         "compared.")
                    continue
                number = 0
                for note in root.iterchildren(qn(f"w:{kind}")):
                    if note.get(qn("w:type")) in _NOTE_SEPARATORS:
                        continue
                    number += 1
                    author = note.get(qn("w:author"))
                    label = f"Comment by {author}" if kind == "comment" and author else \
                        f"{kind.title()} {number}"
                    self._story(kind, f"{kind}:{note.get(_ID)}", label, part,  # type: ignore[arg-type]
                                lambda note=note: note)

    def document(self, view: View = "accept") -> Document:
        """Return the Document in one view of its tracked changes."""
        paras, index, tracked = _view(self.body, self.styles, self.numbering, view)
        blocks = _tree(self.body, paras, index, view)
        revisions = tuple(_revision(r, index, len(paras)) for r in self.body.revisions)
        stories = []
        for kind, sid, label, walk in self.stories:
            sparas, sindex, stracked = _view(walk, self.styles, self.numbering.fresh(), view)
            stories.append(Story(kind, sid, tuple(_tree(walk, sparas, sindex, view)), label, tuple(stracked)))
            revisions += tuple(_revision(r, sindex, len(sparas), sid) for r in walk.revisions)
        sections = tuple(Section(props, tuple(parts)) for props, parts in self.sections)
        return Document(tuple(paras), revisions, self.body.hidden, view, tuple(tracked), tuple(blocks),
                        tuple(stories), sections, tuple(self.problems))

    def layouts(self) -> dict[str, StoryLayout]:
        """Return every story's element layout by story id ("body" for the body)."""
        out = {"body": self.body}
        out.update((sid, walk) for _, sid, _, walk in self.stories)
        return out


def from_docx(data: bytes, view: View = "accept") -> Document:
    """Return the Document of a .docx; ``view`` chooses accept-all or reject-all of tracked changes.

    Raise InvalidInput when the bytes are not a readable Word document.
    """
    if view not in ("accept", "reject"):
        raise ValueError(f"view must be 'accept' or 'reject', not {view!r}")
    return Reader(Package(data)).document(view)


def _revision(r: tuple[RevisionKind, str | None, str | None, str, int], index: list[int], n: int,
              story: str | None = None) -> Revision:
    kind, author, date, text, walked = r
    para = index[walked] if walked < len(index) else n - 1
    return Revision(kind, author, _parse_date(date), text, max(0, min(para, n - 1)), story)


def read_revisions(data: bytes) -> list[Revision]:
    """Return the tracked changes of a .docx (paragraph indexes refer to its accept-all view)."""
    return list(from_docx(data).revisions)
