"""A version's document as its reader sees it: headings, numbered clauses, tables, emphasis, images.

Built from clm's own :class:`~clm.documents.Document` (the model every other view reads), not
by re-parsing the file with a second converter: the list numbers Word shows ("4.2", "(a)") are
already resolved there, the paragraphs line up with ``Document.text`` (so evidence highlights
keep their offsets), and the signature block is found by the same paragraphs the seal signs.

Sanitised by construction: the view is plain dataclasses of text, a fixed set of tags chosen
here, and image bytes sniffed as PNG, JPEG or GIF and given as ``data:`` URLs. Nothing of the
file's markup, no hyperlink target, no external image and no script ever reaches the HTML; the
templates autoescape every string. (An HTML converter plus an allow-list cleaner would clean
markup after it is made; here no file markup is made at all.)

Signatures in place: the signature block's field lines ("By: ____", "Name: ____", "Title:
____", "Date: ____") are the anchors. Each party's block (a column of the signature table, or a
run of field lines outside a table) is a *slot*; the n-th signer fills the n-th slot, and a
:class:`Stamp` replaces the blank after each label.

Pure: no Flask, no database.
"""

from __future__ import annotations

import base64
import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clm.documents import Control, Paragraph, Table, paragraphs_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from clm.documents import Block, Document

#: A field line's anchor: a label the signature block names, then a blank of underscores.
ANCHOR = re.compile(r"\b(By|Name|Title|Date)\s*:[ \t]*(_{3,})", re.IGNORECASE)
#: Images larger than this are shown by their description, not inlined.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                (b"GIF89a", "image/gif"))
#: EMUs per CSS pixel.
_EMU_PER_PX = 9525


@dataclass(frozen=True)
class Stamp:
    """What one signer puts into their signature block: the signature and the filled-in lines."""

    #: The typed signature, shown in a script face ("" when drawn).
    typed: str = ""
    #: A drawn signature as a URL the page may load (a ``data:`` URL, or ``clm-asset:`` in PDFs).
    image: str = ""
    name: str = ""
    title: str = ""
    date: str = ""
    #: Who signed, for the image's alternative text.
    signer: str = ""
    #: On the signing page: this is the reader's own block ("Your signature goes here" at "By:").
    here: bool = False


@dataclass
class Span:
    """A stretch of a paragraph: text with its emphasis, a highlight, an image or a stamp."""

    text: str = ""
    bold: bool = False
    italic: bool = False
    underline: bool = False
    mark: bool = False
    #: The ``data:`` URL of an inline image (then ``text`` is its description).
    image: str = ""
    width: int = 0
    #: "signature", "name", "title", "date" for a stamped field, "here" for the reader's own block.
    stamp: str = ""
    #: For a stamped signature: the drawn image's URL ("" for a typed one).
    stamp_image: str = ""
    #: The first highlighted span of the document (the page scrolls to it: ``id="evidence"``).
    first_mark: bool = False


@dataclass
class ParagraphView:
    """A paragraph: its tag (p, h2..h6), Word's list number, its spans and where it sits."""

    tag: str
    index: int
    spans: list[Span]
    label: str = ""
    title: bool = False
    align: str = ""
    #: The signature slot (0-based) whose fields this paragraph holds, or None.
    slot: int | None = None
    is_table: bool = field(default=False, init=False)


@dataclass
class TableView:
    """A table: rows of cells, each cell a list of blocks; ``signatures`` when it is a signature block."""

    rows: list[list[list[ParagraphView | TableView]]]
    signatures: bool = False
    is_table: bool = field(default=True, init=False)


def image_parts(data: bytes) -> dict[str, tuple[str, bytes]]:
    """Return the inline images of a .docx as (media type, bytes), by the digest atoms name them with.

    Only PNG, JPEG and GIF (told by their first bytes, not their names) up to
    :data:`MAX_IMAGE_BYTES`; SVG and everything else is left out. Never raises on a damaged file.
    """
    from clm.documents import Package
    from clm.errors import InvalidInput

    try:
        package = Package(data)
    except InvalidInput:
        return {}
    out: dict[str, tuple[str, bytes]] = {}
    for name in sorted(package.names):
        if not name.startswith("word/media/"):
            continue
        try:
            if package.zip.getinfo(name).file_size > MAX_IMAGE_BYTES:
                continue
            raw = package.read(name)
        except (InvalidInput, KeyError):
            continue
        mime = next((m for magic, m in _IMAGE_TYPES if raw.startswith(magic)), None)
        if mime is not None:
            out[package.digest(name)] = (mime, raw)
    return out


def data_urls(parts: Mapping[str, tuple[str, bytes]]) -> dict[str, str]:
    """Return images ((media type, bytes) by digest) as ``data:`` URLs, for pages."""
    return {d: f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}" for d, (mime, raw) in parts.items()}


def images_of(data: bytes) -> dict[str, str]:
    """Return the inline images of a .docx as ``data:`` URLs (for pages), by digest."""
    return data_urls(image_parts(data))


def heading_tag(p: Paragraph) -> tuple[str, bool]:
    """Return the tag of a paragraph by its style, and whether it is the document's title."""
    style = (p.style or "").strip().lower()
    if style == "title":
        return "h2", True
    found = re.fullmatch(r"heading ?(\d)", style)
    if found and not p.in_table:
        return f"h{min(6, int(found.group(1)) + 1)}", False
    return "p", False


def _align(props: str) -> str:
    found = re.search(r'jc[^>]*?val="(center|right|both|end|start|left)"', props)
    if not found:
        return ""
    return {"both": "justify", "end": "right", "start": "left"}.get(found.group(1), found.group(1))


def _cuts(p: Paragraph, bounds: list[int], marks: Sequence[tuple[int, int]],
          anchors: list[tuple[int, int, str]]) -> list[int]:
    points = {0, len(p.text), *bounds}
    for s, e in marks:
        points.update((max(0, min(len(p.text), s)), max(0, min(len(p.text), e))))
    for s, e, _ in anchors:
        points.update((s, e))
    for a in p.atoms:
        if a.kind == "drawing":
            points.add(a.start)
    return sorted(points)


def _run_bounds(p: Paragraph) -> list[int]:
    out, pos = [], 0
    for r in p.runs:
        pos += len(r.text)
        out.append(pos)
    return out


def _look_at(p: Paragraph, bounds: list[int], offset: int) -> tuple[bool, bool, bool]:
    """Return the emphasis at ``offset``; ``bounds`` are the runs' end offsets."""
    k = bisect.bisect_right(bounds, offset)
    if k >= len(p.runs):
        return False, False, False
    r = p.runs[k]
    return r.bold, r.italic, r.underline


def _stamp_span(kind: str, stamp: Stamp) -> Span | None:
    if stamp.here:
        return Span(text="Your signature goes here", stamp="here") if kind == "by" else None
    if kind == "by":
        if stamp.image:
            return Span(text=f"Signature of {stamp.signer or stamp.name}", stamp="signature",
                        stamp_image=stamp.image)
        return Span(text=stamp.typed, stamp="signature") if stamp.typed else None
    value = {"name": stamp.name, "title": stamp.title, "date": stamp.date}.get(kind, "")
    return Span(text=value, stamp=kind) if value else None


def _spans(p: Paragraph, marks: Sequence[tuple[int, int]], images: Mapping[str, str],
           stamp: Stamp | None) -> list[Span]:
    text = p.text
    anchors = [(m.start(2), m.end(2), m.group(1).lower()) for m in ANCHOR.finditer(text)] if stamp else []
    bounds = _run_bounds(p)
    cuts = _cuts(p, bounds, marks, anchors)
    drawings = {a.start: a for a in p.atoms if a.kind == "drawing"}
    out: list[Span] = []
    done_anchor: set[int] = set()
    for a, b in zip(cuts, cuts[1:]):
        atom = drawings.pop(a, None)
        if atom is not None:
            out.append(_image_span(atom.key, atom.label, images))
        anchor = next(((s, e, k) for s, e, k in anchors if s <= a < e), None)
        if anchor is not None and stamp is not None:
            if anchor[0] in done_anchor:
                continue
            done_anchor.add(anchor[0])
            stamped = _stamp_span(anchor[2], stamp)
            if stamped is not None:
                out.append(stamped)
                continue
        piece = text[a:b].replace("\v", "\n")
        if not piece:
            continue
        bold, italic, underline = _look_at(p, bounds, a)
        marked = any(s <= a and b <= e for s, e in marks)
        last = out[-1] if out else None
        if (last is not None and not last.image and not last.stamp and last.mark == marked
                and (last.bold, last.italic, last.underline) == (bold, italic, underline)):
            last.text += piece
        else:
            out.append(Span(piece, bold, italic, underline, marked))
    for atom in drawings.values():  # an image at the paragraph's end
        out.append(_image_span(atom.key, atom.label, images))
    return out


def _image_span(key: str, label: str, images: Mapping[str, str]) -> Span:
    parts = key.split(":")
    digest = parts[1].split(",")[0] if len(parts) > 1 else ""
    width = 0
    if len(parts) > 2 and "x" in parts[2]:
        cx = parts[2].split("x")[0]
        width = int(cx) // _EMU_PER_PX if cx.isdigit() else 0
    description = label if label and label != "drawing" else "image"
    url = images.get(digest, "")
    return Span(text=description, image=url, width=min(width, 900)) if url else Span(text=f"[{description}]")


class _Builder:
    def __init__(self, document: Document, marks: Sequence[tuple[int, int]], images: Mapping[str, str],
                 stamps: Sequence[Stamp]) -> None:
        self.starts = document.paragraph_starts
        self.marks = marks
        self.images = images
        self.stamps = stamps
        self.index = 0
        self.slot_of: dict[int, int] = {}
        self.slots = 0
        self.marked = False

    # Signature slots: found before building, by paragraph index.

    def find_slots(self, blocks: Sequence[Block]) -> None:
        """Number every party's signature block in reading order (see the module docstring)."""
        index = 0
        open_slot: int | None = None

        def visit(bs: Sequence[Block]) -> None:
            nonlocal index, open_slot
            for b in bs:
                if isinstance(b, Paragraph):
                    labels = {m.group(1).lower() for m in ANCHOR.finditer(b.text)}
                    if labels:
                        if "by" in labels or open_slot is None:
                            open_slot = self.slots
                            self.slots += 1
                        self.slot_of[index] = open_slot
                    elif b.text.strip():
                        open_slot = None
                    index += 1
                elif isinstance(b, Table):
                    open_slot = None
                    columns: dict[int, int] = {}
                    for row in b.rows:
                        for c, cell in enumerate(row.cells):
                            for p in paragraphs_of(cell.blocks):
                                if ANCHOR.search(p.text):
                                    if c not in columns:
                                        columns[c] = -1
                    # Columns in their order are the parties, left to right.
                    for c in sorted(columns):
                        columns[c] = self.slots
                        self.slots += 1
                    for row in b.rows:
                        for c, cell in enumerate(row.cells):
                            for p in paragraphs_of(cell.blocks):
                                if c in columns and ANCHOR.search(p.text):
                                    self.slot_of[index] = columns[c]
                                index += 1
                else:
                    visit(b.blocks)

        visit(blocks)

    def blocks(self, blocks: Sequence[Block], in_table: bool = False) -> list[ParagraphView | TableView]:
        out: list[ParagraphView | TableView] = []
        for b in blocks:
            if isinstance(b, Paragraph):
                out.append(self.paragraph(b))
            elif isinstance(b, Table):
                rows = [[self.blocks(cell.blocks, True) for cell in row.cells] for row in b.rows]
                signatures = any(isinstance(x, ParagraphView) and x.slot is not None
                                 for row in rows for cell in row for x in cell)
                out.append(TableView(rows, signatures))
            elif isinstance(b, Control):
                out.extend(self.blocks(b.blocks, in_table))
        return out

    def paragraph(self, p: Paragraph) -> ParagraphView:
        i = self.index
        self.index += 1
        start = self.starts[i] if i < len(self.starts) else 0
        marks = [(s - start, e - start) for s, e in self.marks if e > start and s < start + len(p.text) + 1]
        slot = self.slot_of.get(i)
        stamp = self.stamps[slot] if slot is not None and slot < len(self.stamps) else None
        tag, title = heading_tag(p)
        spans = _spans(p, marks, self.images, stamp)
        if not self.marked:
            first = next((s for s in spans if s.mark), None)
            if first is not None:
                first.first_mark = self.marked = True
        return ParagraphView(tag, i, spans, p.label, title, _align(p.props), slot)


def build(document: Document, *, marks: Sequence[tuple[int, int]] = (), images: Mapping[str, str] | None = None,
          stamps: Sequence[Stamp] = ()) -> list[ParagraphView | TableView]:
    """Return the body of ``document`` as blocks for the ``document`` macro (``_document.html``).

    ``marks`` are highlighted spans of ``document.text`` (evidence); ``images`` come from
    :func:`images_of`; ``stamps[n]`` fills the n-th signature slot.
    """
    b = _Builder(document, marks, images or {}, stamps)
    b.find_slots(document.body)
    return b.blocks(document.body)


def signature_slots(document: Document) -> int:
    """Return how many signature blocks (slots) the document has."""
    b = _Builder(document, (), {}, ())
    b.find_slots(document.body)
    return b.slots
