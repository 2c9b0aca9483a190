"""Compare two Documents into a Redline: every story (the body, notes, comments, headers and
footers, text boxes) aligned block by block (paragraphs, tables by rows then cells, content
controls), then words inside paragraphs, with moves; atoms (fields, images, references ...) are
tokens of their own, kept, inserted or deleted whole."""

from __future__ import annotations

import bisect
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Literal

from diff_match_patch import diff_match_patch

from clm.documents import (
    Atom,
    Block,
    Control,
    Document,
    Look,
    Paragraph,
    Run,
    Table,
    Tracked,
)

Op = Literal["equal", "insert", "delete"]
Kind = Literal["equal", "changed", "inserted", "deleted", "moved_from", "moved_to"]
BlockKind = Literal["equal", "changed", "inserted", "deleted"]

#: A paragraph of at least this many words deleted in one place and inserted in another is a move.
MOVE_MIN_WORDS = 8
#: Word similarity (Dice over word multisets) above which a deleted and an inserted paragraph
#: are one paragraph that was edited, rather than one removed and another added.
PAIR_SIMILARITY = 0.5
#: Similarity above which a deleted and an inserted paragraph in different places are a move.
MOVE_SIMILARITY = 0.8
#: Unchanged words (at most this many) between two edits are folded into them.
_FOLD_WORDS = 1
#: Above this many paragraph comparisons a change region is paired greedily, not optimally.
_MAX_PAIRING_CELLS = 40_000

#: Atoms reach the word diff as one character each, from these planes (never in real text).
_ATOM_FIRST, _ATOM_LAST = 0xF0000, 0x10FFFD
_TOKEN = re.compile(r"\n|[\U000F0000-\U0010FFFD]|[^\S\n]+|[^\s\U000F0000-\U0010FFFD]+")
#: The end of a sentence: its closing punctuation and the spaces after it.
_SENTENCE_END = re.compile(r"(?<=[.;:!?])[^\S\n]+")
#: A clause number at the start of a paragraph ("4.2 ", "(a) ", "E. ", "(iv) ").
_NUMBER = re.compile(r"^\s*(?:\(?\d+(?:\.\d+)*\.?\)?|\(?[a-zA-Z]{1,4}\)|[A-Z]\.)\s+")

_dmp = diff_match_patch()
# Paragraphs are small once aligned; an exact (minimal) word diff of each is cheap.
_dmp.Diff_Timeout = 0
#: Token count above which one paragraph's diff gets a time limit (a whole agreement pasted
#: into one paragraph must not stall the diff; the result is then near-minimal, not minimal).
_BIG_PARAGRAPH_TOKENS = 6000
_bounded_dmp = diff_match_patch()
_bounded_dmp.Diff_Timeout = 0.5


@dataclass(frozen=True)
class Segment:
    """A piece of one redline paragraph: unchanged, inserted or deleted text, or an atom.

    ``old_start``/``new_start`` are offsets into the old/new paragraph's text (None when the
    text is not in that version), so writers can find the runs and their formatting. An atom's
    segment names it by its index in the paragraph's atoms (``old_atom``/``new_atom``); its text
    is the atom's text (often "").
    """

    op: Op
    text: str
    old_start: int | None = None
    new_start: int | None = None
    old_atom: int | None = None
    new_atom: int | None = None

    @property
    def is_atom(self) -> bool:
        """Return whether the segment is an atom (a field, an image, a reference ...)."""
        return self.old_atom is not None or self.new_atom is not None


@dataclass(frozen=True)
class ParagraphDiff:
    """One paragraph of the redline, in reading order (old order and new order both kept).

    ``mark`` is the paragraph end: "equal" if both versions end a paragraph here, "delete" if
    only OLD does (paragraphs joined), "insert" if only NEW does (a paragraph split or added),
    None if neither does (the end of the story, or text that runs on into the next
    ParagraphDiff). ``old_index``/``new_index`` name the OLD/NEW paragraph the text belongs to,
    in its story's paragraphs (for the body: ``Document.paragraphs``).
    """

    kind: Kind
    old_index: int | None
    new_index: int | None
    segments: tuple[Segment, ...]
    mark: Op | None = None
    #: Links a ``moved_from`` paragraph to its ``moved_to`` (same number).
    move_id: int | None = None
    #: Same text in places, different character formatting there.
    format_changed: bool = False
    #: The paragraph style changed (e.g. Normal -> Heading 2).
    style_changed: bool = False
    #: Other paragraph formatting changed: alignment, indents, spacing, the kind of list item.
    props_changed: bool = False

    @property
    def old_text(self) -> str:
        """Return the text this paragraph had in OLD ("" if it was not there)."""
        return "".join(s.text for s in self.segments if s.op != "insert") if self.has_old else ""

    @property
    def new_text(self) -> str:
        """Return the text this paragraph has in NEW ("" if it is not there)."""
        return "".join(s.text for s in self.segments if s.op != "delete") if self.has_new else ""

    @property
    def has_old(self) -> bool:
        """Return whether the paragraph's text exists (at this place) in OLD."""
        return self.kind not in ("inserted", "moved_to")

    @property
    def has_new(self) -> bool:
        """Return whether the paragraph's text exists (at this place) in NEW."""
        return self.kind not in ("deleted", "moved_from")

    @property
    def changed(self) -> bool:
        """Return whether anything about the paragraph changed (text, objects or formatting)."""
        return self.kind != "equal" or self.format_changed or self.style_changed or self.props_changed

    def ops(self) -> list[tuple[Op, str]]:
        """Return this paragraph's flat ops, its end included (moves as delete / insert)."""
        if self.kind == "moved_from":
            out: list[tuple[Op, str]] = [("delete", self.old_text)] if self.old_text else []
        elif self.kind == "moved_to":
            out = [("insert", self.new_text)] if self.new_text else []
        else:
            out = [(s.op, s.text) for s in self.segments]
        if self.mark is not None:
            out.append((self.mark, "\n"))
        return out


@dataclass(frozen=True)
class CellDiff:
    """A table cell of the redline; ``old_index``/``new_index`` are its place in its row."""

    kind: BlockKind
    old_index: int | None
    new_index: int | None
    blocks: tuple[BlockDiff, ...]
    props_changed: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the cell or anything in it changed."""
        return self.kind != "equal" or self.props_changed or any(b.changed for b in self.blocks)


@dataclass(frozen=True)
class RowDiff:
    """A table row of the redline, a unit: kept (its cells compared), inserted or deleted."""

    kind: BlockKind
    old_index: int | None
    new_index: int | None
    cells: tuple[CellDiff, ...]
    props_changed: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the row or anything in it changed."""
        return self.kind != "equal" or self.props_changed or any(c.changed for c in self.cells)


@dataclass(frozen=True)
class TableDiff:
    """A table of the redline; ``old_index``/``new_index`` number it among its story's tables."""

    kind: BlockKind
    old_index: int | None
    new_index: int | None
    rows: tuple[RowDiff, ...]
    props_changed: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the table or anything in it changed."""
        return self.kind != "equal" or self.props_changed or any(r.changed for r in self.rows)


@dataclass(frozen=True)
class ControlDiff:
    """A block-level content control of the redline, numbered among its story's controls."""

    kind: BlockKind
    old_index: int | None
    new_index: int | None
    blocks: tuple[BlockDiff, ...]
    label: str = ""

    @property
    def changed(self) -> bool:
        """Return whether the control or anything in it changed."""
        return self.kind != "equal" or any(b.changed for b in self.blocks)


BlockDiff = ParagraphDiff | TableDiff | ControlDiff


def paragraph_diffs(blocks: Iterable[BlockDiff]) -> Iterator[ParagraphDiff]:
    """Yield the ParagraphDiffs of ``blocks`` in reading order (cells and controls entered)."""
    for b in blocks:
        if isinstance(b, ParagraphDiff):
            yield b
        elif isinstance(b, TableDiff):
            for row in b.rows:
                for cell in row.cells:
                    yield from paragraph_diffs(cell.blocks)
        else:
            yield from paragraph_diffs(b.blocks)


def paragraph_blocks(paragraphs: Sequence[ParagraphDiff]) -> list[tuple[tuple[ParagraphDiff, ...], Op | None]]:
    """Return paragraphs as shown: runs of ParagraphDiffs up to each paragraph end.

    Each item is (parts, mark); text of parts whose mark is None runs on into the next part,
    so an item is what a reader sees as one paragraph of the redline.
    """
    out: list[tuple[tuple[ParagraphDiff, ...], Op | None]] = []
    parts: list[ParagraphDiff] = []
    for p in paragraphs:
        parts.append(p)
        if p.mark is not None:
            out.append((tuple(parts), p.mark))
            parts = []
    if parts or not out:
        out.append((tuple(parts), None))
    return out


@dataclass(frozen=True)
class StoryDiff:
    """The redline of one story besides the body: a note, a comment, a header, a text box."""

    kind: str
    old_id: str | None
    new_id: str | None
    label: str
    blocks: tuple[BlockDiff, ...]

    @cached_property
    def paragraphs(self) -> tuple[ParagraphDiff, ...]:
        """Return the story's ParagraphDiffs in reading order."""
        return tuple(paragraph_diffs(self.blocks))

    @property
    def changed(self) -> bool:
        """Return whether the story changed (or is only in one version)."""
        return self.old_id is None or self.new_id is None or any(b.changed for b in self.blocks)


@dataclass(frozen=True)
class SectionDiff:
    """A section's page setup (margins, orientation, columns ...) in both versions."""

    old_index: int | None
    new_index: int | None
    props_changed: bool = False


def merge_ops(ops: Iterable[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Return ``ops`` without empty pieces and with neighbours of the same op joined."""
    out: list[tuple[Op, str]] = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


class Credits:
    """The input's own tracked changes of one story, to credit a redline's changes to them."""

    def __init__(self, tracked: Sequence[Tracked]) -> None:
        self.tracked = tracked
        self.by_paragraph: dict[int, list[Tracked]] = {}
        for t in tracked:
            self.by_paragraph.setdefault(t.paragraph, []).append(t)

    def attribute(self, pd: ParagraphDiff, seg: Segment, new_pos: int) -> list[tuple[Segment, Tracked | None]]:
        """Return ``seg`` cut where NEW's own tracked changes begin and end, each piece with the
        change of NEW's file that made it (None: a change only this redline makes).

        NEW's file may carry a counterparty's tracked changes: where the redline inserts text
        that NEW's file marks inserted, or deletes text NEW's file marks deleted at the same
        place, the piece keeps that change's author and date. ``new_pos`` is where a deletion
        sits in NEW's paragraph.
        """
        if seg.op == "equal" or not self.tracked:
            return [(seg, None)]
        if seg.op == "insert":
            if pd.new_index is None or seg.new_start is None:
                return [(seg, None)]
            start, end = seg.new_start, seg.new_start + len(seg.text)
            spans = [t for t in self.by_paragraph.get(pd.new_index, ()) if t.kind == "insert"
                     and t.start <= end and t.end >= start]
            if seg.is_atom or start == end:
                return [(seg, next((t for t in spans), None))]
            spans = [t for t in spans if t.start < end and t.end > start]
            cuts = {start, end}
            for t in spans:
                cuts.update(x for x in (t.start, t.end) if start < x < end)
            out: list[tuple[Segment, Tracked | None]] = []
            for a, b in pairwise(sorted(cuts)):
                who = next((t for t in spans if t.start <= a < t.end), None)
                out.append((Segment("insert", seg.text[a - start:b - start], None, a), who))
            return out
        wanted = " ".join(seg.text.split())
        candidates = [t for t in self.by_paragraph.get(pd.new_index, ()) if t.kind == "delete"] \
            if pd.new_index is not None else []
        if wanted and not any(wanted in " ".join(t.text.split()) for t in candidates):
            # A whole deleted paragraph has no place in NEW: any deletion of the same text will do.
            candidates = [t for t in self.tracked if t.kind == "delete"]
        best = None
        for t in candidates:
            if wanted and wanted not in " ".join(t.text.split()):
                continue
            if not wanted and t.start != new_pos:
                continue
            if best is None or abs(t.start - new_pos) < abs(best.start - new_pos):
                best = t
        return [(seg, best)]

    def mark_author(self, new_index: int | None, mark: Op | None) -> Tracked | None:
        """Return the change of NEW's file that inserted (or, joining text into NEW's paragraph
        ``new_index``, deleted) a paragraph end, if it tracked one."""
        if new_index is None or mark not in ("insert", "delete") or not self.tracked:
            return None
        kind = "mark_insert" if mark == "insert" else "mark_delete"
        return next((t for t in self.by_paragraph.get(new_index, ()) if t.kind == kind), None)


@dataclass(frozen=True)
class Redline:
    """The comparison of two Documents: the body paragraph by paragraph (``paragraphs``), the
    body as blocks (``tree``), the other stories and the sections."""

    old: Document
    new: Document
    paragraphs: tuple[ParagraphDiff, ...]
    tree: tuple[BlockDiff, ...] | None = None
    stories: tuple[StoryDiff, ...] = ()
    sections: tuple[SectionDiff, ...] = ()

    @property
    def body(self) -> tuple[BlockDiff, ...]:
        """Return the body's block diffs (paragraphs, tables, controls)."""
        return self.tree if self.tree is not None else self.paragraphs

    def ops(self) -> list[tuple[Op, str]]:
        """Return flat ``(op, text)`` ops: equal+delete spell OLD's text, equal+insert NEW's.

        Moves appear as a deletion at the old place and an insertion at the new one.
        """
        return merge_ops(op for p in self.paragraphs for op in p.ops())

    def blocks(self) -> list[tuple[tuple[ParagraphDiff, ...], Op | None]]:
        """Return the body paragraphs as shown: runs of ParagraphDiffs up to each paragraph end."""
        return paragraph_blocks(self.paragraphs)

    @cached_property
    def stats(self) -> dict[str, int]:
        """Return counts of changed words, paragraphs, rows, objects and other parts."""
        st = dict.fromkeys(("words_inserted", "words_deleted", "words_moved", "paragraphs_changed",
                            "paragraphs_inserted", "paragraphs_deleted", "paragraphs_moved",
                            "paragraphs_format_changed", "rows_inserted", "rows_deleted", "objects_inserted",
                            "objects_deleted", "properties_changed", "parts_changed"), 0)
        for p in self.paragraphs:
            if p.kind == "changed":
                st["paragraphs_changed"] += 1
            elif p.kind == "inserted":
                st["paragraphs_inserted"] += 1
            elif p.kind == "deleted":
                st["paragraphs_deleted"] += 1
            elif p.kind == "moved_to":
                st["paragraphs_moved"] += 1
                st["words_moved"] += len(p.new_text.split())
            if p.format_changed or p.style_changed or p.props_changed:
                st["paragraphs_format_changed"] += 1
            if p.kind in ("moved_from", "moved_to"):
                # Edits made while moving count as edits too.
                op = "delete" if p.kind == "moved_from" else "insert"
                key = "words_deleted" if op == "delete" else "words_inserted"
                st[key] += sum(_count_words(s.text) for s in p.segments if s.op == op)
                continue
            for s in p.segments:
                if s.op == "insert":
                    st["words_inserted"] += _count_words(s.text)
                    st["objects_inserted"] += s.is_atom
                elif s.op == "delete":
                    st["words_deleted"] += _count_words(s.text)
                    st["objects_deleted"] += s.is_atom
        for t in _tables(self.body):
            st["properties_changed"] += t.props_changed
            for r in t.rows:
                st["rows_inserted"] += r.kind == "inserted"
                st["rows_deleted"] += r.kind == "deleted"
                st["properties_changed"] += r.props_changed + sum(c.props_changed for c in r.cells)
        st["properties_changed"] += sum(s.props_changed for s in self.sections)
        st["parts_changed"] = sum(s.changed for s in self.stories)
        return st

    @property
    def is_empty(self) -> bool:
        """Return whether OLD and NEW are the same (text, objects, formatting, every part)."""
        return (not any(b.changed for b in self.body) and not any(s.changed for s in self.stories)
                and not any(s.props_changed for s in self.sections))

    @cached_property
    def _credits(self) -> dict[str | None, Credits]:
        out: dict[str | None, Credits] = {None: Credits(self.new.tracked)}
        for s in self.new.stories:
            out[s.id] = Credits(s.tracked)
        return out

    def credits(self, story: str | None = None) -> Credits:
        """Return the tracked changes of NEW's story ``story`` (None: the body), for crediting."""
        return self._credits.get(story) or Credits(())

    def attribute(self, pd: ParagraphDiff, seg: Segment, new_pos: int) -> list[tuple[Segment, Tracked | None]]:
        """Return ``seg`` cut and credited to the body's own tracked changes (see Credits)."""
        return self._credits[None].attribute(pd, seg, new_pos)

    def mark_author(self, new_index: int | None, mark: Op | None) -> Tracked | None:
        """Return the body's own tracked change that made a paragraph end (see Credits)."""
        return self._credits[None].mark_author(new_index, mark)


def _tables(blocks: Iterable[BlockDiff]) -> Iterator[TableDiff]:
    for b in blocks:
        if isinstance(b, TableDiff):
            yield b
            for r in b.rows:
                for c in r.cells:
                    yield from _tables(c.blocks)
        elif isinstance(b, ControlDiff):
            yield from _tables(b.blocks)


# ---------------------------------------------------------------------------------------------
# atoms as characters
# ---------------------------------------------------------------------------------------------

#: How a paragraph's diff text maps back: (diff start, diff end, real start, atom index or None).
_Map = list[tuple[int, int, int, "int | None"]]


class _Atoms:
    """Atom keys as single characters shared by OLD and NEW, so a word diff sees each atom as one
    token (equal keys are the same object); and each paragraph's text with its atoms coded."""

    def __init__(self, old: Document | None = None, new: Document | None = None) -> None:
        self.codes: dict[str, str] = {}
        self.keyed: dict[int, tuple[str, _Map | None]] = {}
        #: The texts of the stories atoms carry (notes, comments, text boxes), per side: a
        #: reference is the same object when what it refers to is the same.
        self.stories = {"old": {s.id: s.text for s in old.stories} if old else {},
                        "new": {s.id: s.text for s in new.stories} if new else {}}

    def code(self, key: str) -> str:
        c = self.codes.get(key)
        if c is None:
            n = _ATOM_FIRST + len(self.codes)
            # Past the last code, atoms share one: they then only ever compare as changed.
            c = self.codes[key] = chr(min(n, _ATOM_LAST))
        return c

    def key(self, a: Atom, side: str) -> str:
        if not a.refs or a.kind in ("comment_start", "comment_end"):  # the reference says which comment
            return str(a.key)
        stories = self.stories[side]
        return str(a.key) + "|" + "|".join(" ".join(stories.get(r, "").split()) for r in a.refs)

    def text(self, p: Paragraph, side: str = "new") -> tuple[str, _Map | None]:
        """Return the paragraph's diff text (atoms coded) and its map back (None: no atoms)."""
        found = self.keyed.get(id(p))
        if found is not None:
            return found
        if not p.atoms:
            found = (p.text, None)
        else:
            out: list[str] = []
            pieces: _Map = []
            d = r = 0
            text = p.text
            for k, a in enumerate(p.atoms):
                if a.start < r:  # overlapping atoms cannot be told apart; keep the text once
                    continue
                if a.start > r:
                    out.append(text[r:a.start])
                    pieces.append((d, d + a.start - r, r, None))
                    d += a.start - r
                out.append(self.code(self.key(a, side)))
                pieces.append((d, d + 1, a.start, k))
                d += 1
                r = a.end
            if r < len(text):
                out.append(text[r:])
                pieces.append((d, d + len(text) - r, r, None))
            found = ("".join(out), pieces)
        self.keyed[id(p)] = found
        return found


def _split(m: _Map | None, start: int, length: int) -> list[tuple[int, int, int, int | None]]:
    """Return the pieces of diff text ``[start, start + length)``: (diff start, diff end, real
    start, atom index or None)."""
    if m is None:
        return [(start, start + length, start, None)]
    end = start + length
    out = []
    k = max(0, bisect.bisect_right(m, (start, float("inf"))) - 1)
    while k < len(m) and m[k][0] < end:
        ds, de, rs, atom = m[k]
        a, b = max(start, ds), min(end, de)
        if a < b:
            out.append((a, b, rs if atom is not None else rs + a - ds, atom))
        k += 1
    return out


def _real(segs: Iterable[Segment], old: Paragraph | None, new: Paragraph | None, old_map: _Map | None,
          new_map: _Map | None) -> tuple[Segment, ...]:
    """Return segments made over diff texts as segments over the real texts, atoms apart."""
    if old_map is None and new_map is None:
        return tuple(segs)
    out: list[Segment] = []
    for s in segs:
        if s.op == "equal" and s.old_start is not None and s.new_start is not None:
            po = _split(old_map, s.old_start, len(s.text))
            pn = _split(new_map, s.new_start, len(s.text))
            if len(po) == len(pn) and all((x[3] is None) == (y[3] is None) for x, y in zip(po, pn, strict=True)):
                for (a, b, ro, ao), (_, _, rn, an) in zip(po, pn, strict=True):
                    if ao is None:
                        out.append(Segment("equal", s.text[a - s.old_start:b - s.old_start], ro, rn))
                    else:
                        assert old is not None and an is not None
                        out.append(Segment("equal", old.atoms[ao].text, ro, rn, ao, an))
                continue
            # Never expected (equal text codes the same atoms); spell both sides anyway.
            out.extend(_real([Segment("delete", s.text, s.old_start, None)], old, new, old_map, new_map))
            out.extend(_real([Segment("insert", s.text, None, s.new_start)], old, new, old_map, new_map))
            continue
        if s.op == "delete" and s.old_start is not None:
            for a, b, ro, ao in _split(old_map, s.old_start, len(s.text)):
                if ao is None:
                    out.append(Segment("delete", s.text[a - s.old_start:b - s.old_start], ro, None))
                else:
                    assert old is not None
                    out.append(Segment("delete", old.atoms[ao].text, ro, None, ao, None))
        elif s.op == "insert" and s.new_start is not None:
            for a, b, rn, an in _split(new_map, s.new_start, len(s.text)):
                if an is None:
                    out.append(Segment("insert", s.text[a - s.new_start:b - s.new_start], None, rn))
                else:
                    assert new is not None
                    out.append(Segment("insert", new.atoms[an].text, None, rn, None, an))
        else:
            out.append(s)
    return tuple(out)


#: Atoms whose content is a story of its own: a changed note is the same note, edited.
_REF_KINDS = {"footnote", "endnote", "comment", "comment_start", "comment_end", "textbox"}


def _pair_refs(segs: tuple[Segment, ...], old: Paragraph, new: Paragraph) -> tuple[Segment, ...]:
    """Return segments where a reference deleted and one of its kind inserted in the same change
    are one reference kept (its note, comment or text box then shows what changed in it)."""
    out: list[Segment] = []
    k = 0
    while k < len(segs):
        if segs[k].op == "equal":
            out.append(segs[k])
            k += 1
            continue
        j = k
        while j < len(segs) and segs[j].op != "equal":
            j += 1
        dels = [s for s in segs[k:j] if s.op == "delete"]
        ins = [s for s in segs[k:j] if s.op == "insert"]
        pairs: list[tuple[int, int]] = []
        y0 = 0
        for x, d in enumerate(dels):
            if d.old_atom is None or old.atoms[d.old_atom].kind not in _REF_KINDS:
                continue
            kind = old.atoms[d.old_atom].kind
            y = next((y for y in range(y0, len(ins)) if (n := ins[y].new_atom) is not None
                      and new.atoms[n].kind == kind), None)
            if y is not None:
                pairs.append((x, y))
                y0 = y + 1
        if not pairs:
            out.extend(segs[k:j])
        else:
            px = py = 0
            for x, y in pairs:
                out.extend(dels[px:x])
                out.extend(ins[py:y])
                d, i = dels[x], ins[y]
                out.append(Segment("equal", "", d.old_start, i.new_start, d.old_atom, i.new_atom))
                px, py = x + 1, y + 1
            out.extend(dels[px:])
            out.extend(ins[py:])
        k = j
    return tuple(out)


def _count_words(text: str) -> int:
    return len(text.split())


# ---------------------------------------------------------------------------------------------
# tokens as characters (dmp's line mode, applied to words)
# ---------------------------------------------------------------------------------------------


class _Codec:
    """Map strings (paragraphs or word tokens) to single characters, so dmp diffs them as units."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.values: list[str] = []

    def encode(self, items: Iterable[str]) -> str:
        """Return one character per item, the same character for equal items."""
        codes, values = self.codes, self.values
        out = []
        for it in items:
            c = codes.get(it)
            if c is None:
                n = len(values)
                # Private-use code points first; surrogates are never produced.
                c = chr(0xE000 + n) if n < 6400 else chr(0xF0000 + n - 6400)
                codes[it] = c
                values.append(it)
            out.append(c)
        return "".join(out)

    def decode(self, chars: str) -> list[str]:
        """Return the items the characters stand for."""
        values = self.values
        return [values[ord(c) - 0xE000] if ord(c) < 0xF0000 else values[ord(c) - 0xF0000 + 6400] for c in chars]


def _tokens(text: str) -> list[str]:
    """Return words (runs of non-space), spaces and line ends; they spell ``text`` exactly."""
    return _TOKEN.findall(text)


# ---------------------------------------------------------------------------------------------
# block alignment
# ---------------------------------------------------------------------------------------------


def _heaviest_increasing(pairs: list[tuple[int, int]], weights: list[int]) -> list[tuple[int, int]]:
    """Return the pairs (sorted by i) whose j also increase and whose total weight is largest.

    Weighting by words keeps the bigger block in place when two blocks swap, so the smaller
    one is shown as moved (a Fenwick tree over j gives O(n log n)).
    """
    if not pairs:
        return []
    js = sorted({j for _, j in pairs})
    rank = {j: k + 1 for k, j in enumerate(js)}
    size = len(js)
    tree_val = [0] * (size + 1)
    tree_idx = [-1] * (size + 1)
    best = [0] * len(pairs)
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        r = rank[j] - 1
        v, p = 0, -1
        while r > 0:
            if tree_val[r] > v:
                v, p = tree_val[r], tree_idx[r]
            r -= r & -r
        best[k] = v + weights[k]
        prev[k] = p
        r = rank[j]
        while r <= size:
            if best[k] > tree_val[r]:
                tree_val[r], tree_idx[r] = best[k], k
            r += r & -r
    k = max(range(len(pairs)), key=best.__getitem__)
    out = []
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def _align(a: Sequence[str], b: Sequence[str]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return (equal paragraph pairs in order, identical paragraphs that moved).

    Patience diff: paragraphs unique in both versions anchor the alignment (their longest
    increasing run), the gaps between anchors are aligned the same way, and what is left
    is diffed with dmp over paragraphs-as-characters.
    """
    matched: list[tuple[int, int]] = []
    moved: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b), True)]
    while stack:
        alo, ahi, blo, bhi, top = stack.pop()
        # common prefix and suffix
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            matched.append((alo, blo))
            alo += 1
            blo += 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            matched.append((ahi - 1, bhi - 1))
            ahi -= 1
            bhi -= 1
        if alo == ahi or blo == bhi:
            continue
        ca = Counter(a[alo:ahi])
        cb = Counter(b[blo:bhi])
        first_b: dict[str, int] = {}
        for j in range(blo, bhi):
            if cb[b[j]] == 1:
                first_b[b[j]] = j
        uniq = [(i, first_b[a[i]]) for i in range(alo, ahi) if ca[a[i]] == 1 and a[i] in first_b]
        anchors = _heaviest_increasing(uniq, [len(a[i].split()) + 1 for i, _ in uniq])
        if top:
            kept = set(anchors)
            moved.extend(p for p in uniq if p not in kept)
        if not anchors:
            matched.extend(_dmp_align(a, b, alo, ahi, blo, bhi))
            continue
        prev_i, prev_j = alo, blo
        for i, j in anchors:
            matched.append((i, j))
            stack.append((prev_i, i, prev_j, j, False))
            prev_i, prev_j = i + 1, j + 1
        stack.append((prev_i, ahi, prev_j, bhi, False))
    matched.sort()
    return matched, moved


def _dmp_align(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Return equal paragraph pairs of a gap with no unique anchors (repeated paragraphs)."""
    codec = _Codec()
    ca = codec.encode(a[alo:ahi])
    cb = codec.encode(b[blo:bhi])
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.2  # only repeated boilerplate lands here; a bounded answer is fine
    out: list[tuple[int, int]] = []
    i, j = alo, blo
    for op, text in dmp.diff_main(ca, cb, False):
        n = len(text)
        if op == 0:
            # Blank paragraphs match anywhere; as anchors they would cut change regions apart.
            out.extend((i + k, j + k) for k in range(n) if a[i + k].strip())
            i += n
            j += n
        elif op == -1:
            i += n
        else:
            j += n
    return out


def _similarity(x: Counter[str], y: Counter[str]) -> float:
    """Return the Dice coefficient of two word multisets."""
    total = sum(x.values()) + sum(y.values())
    if not total:
        return 1.0
    return 2 * sum((x & y).values()) / total


def _unnumbered(text: str) -> str:
    """Return a paragraph's text without its leading clause number, spaces normalised."""
    return " ".join(_NUMBER.sub("", text, count=1).split())


def _pair_region(olds: list[int], news: list[int], a: Sequence[str], b: Sequence[str],
                 words_a: Sequence[Counter[str]], words_b: Sequence[Counter[str]], kinds_a: Sequence[str] | None = None,
                 kinds_b: Sequence[str] | None = None) -> list[tuple[int | None, int | None]]:
    """Return an order-preserving pairing of a change region's paragraphs.

    A big region (a new edition, a renumbered article) is first cut at paragraphs that are
    unique and equal once clause numbers are ignored; each piece is then paired optimally.
    """
    if len(olds) * len(news) <= _MAX_PAIRING_CELLS:
        return _pair(olds, news, words_a, words_b, kinds_a, kinds_b)
    ka = [_unnumbered(a[i]) for i in olds]
    kb = [_unnumbered(b[j]) for j in news]
    ca, cb = Counter(ka), Counter(kb)
    pos_b = {k: y for y, k in enumerate(kb) if cb[k] == 1 and k}
    uniq = [(x, pos_b[k]) for x, k in enumerate(ka) if ca[k] == 1 and k in pos_b
            and (kinds_a is None or kinds_b is None or kinds_a[olds[x]] == kinds_b[news[pos_b[k]]])]
    anchors = _heaviest_increasing(uniq, [len(ka[x].split()) + 1 for x, _ in uniq])
    out: list[tuple[int | None, int | None]] = []
    px = py = 0
    for x, y in anchors + [(len(olds), len(news))]:
        sub_o, sub_n = olds[px:x], news[py:y]
        if len(sub_o) * len(sub_n) <= _MAX_PAIRING_CELLS:
            out.extend(_pair(sub_o, sub_n, words_a, words_b, kinds_a, kinds_b))
        else:
            out.extend(_pair_greedy(sub_o, sub_n, words_a, words_b, kinds_a, kinds_b))
        if x < len(olds):
            out.append((olds[x], news[y]))
        px, py = x + 1, y + 1
    return out


def _pair(olds: list[int], news: list[int], words_a: Sequence[Counter[str]], words_b: Sequence[Counter[str]],
          kinds_a: Sequence[str] | None = None, kinds_b: Sequence[str] | None = None
          ) -> list[tuple[int | None, int | None]]:
    """Return an order-preserving pairing of paragraphs with the best total similarity.

    Unpaired paragraphs come back as (i, None) or (None, j), in an order that keeps both
    versions in sequence.
    """
    m, n = len(olds), len(news)
    if not m or not n:
        return [(i, None) for i in olds] + [(None, j) for j in news]
    sim = [[0.0] * n for _ in range(m)]
    for x, i in enumerate(olds):
        wa = words_a[i]
        la = sum(wa.values())
        row = sim[x]
        for y, j in enumerate(news):
            wb = words_b[j]
            lb = sum(wb.values())
            if kinds_a is not None and kinds_b is not None and kinds_a[i] != "p":
                # A table pairs with a table (a control with a control of its kind) wherever
                # the order allows: its rows are then compared one by one.
                if kinds_a[i] == kinds_b[j] and kinds_a[i][0] in "tc":
                    row[y] = max(_similarity(wa, wb), PAIR_SIMILARITY)
                elif kinds_a[i] == kinds_b[j]:
                    s = _similarity(wa, wb)
                    row[y] = s if s >= PAIR_SIMILARITY else 0.0
                continue
            if kinds_b is not None and kinds_b[j] != "p":
                continue
            # Paragraphs of very different length cannot reach the threshold.
            if la and lb and min(la, lb) * 2 < PAIR_SIMILARITY * (la + lb):
                continue
            if not la and not lb:
                row[y] = 0.1  # blank lines pair up, but never at the expense of text
                continue
            s = _similarity(wa, wb)
            if s >= PAIR_SIMILARITY:
                row[y] = s
    # best[x][y]: best total for olds[x:], news[y:]
    best = [[0.0] * (n + 1) for _ in range(m + 1)]
    for x in range(m - 1, -1, -1):
        bx, bx1, row = best[x], best[x + 1], sim[x]
        for y in range(n - 1, -1, -1):
            v = max(bx1[y], bx[y + 1])
            if row[y] and row[y] + bx1[y + 1] > v:
                v = row[y] + bx1[y + 1]
            bx[y] = v
    out: list[tuple[int | None, int | None]] = []
    x = y = 0
    while x < m and y < n:
        if sim[x][y] and abs(best[x][y] - (sim[x][y] + best[x + 1][y + 1])) < 1e-12:
            out.append((olds[x], news[y]))
            x += 1
            y += 1
        elif best[x][y] == best[x + 1][y]:
            out.append((olds[x], None))
            x += 1
        else:
            out.append((None, news[y]))
            y += 1
    out.extend((olds[k], None) for k in range(x, m))
    out.extend((None, news[k]) for k in range(y, n))
    return out


def _groups(pairing: list[tuple[int | None, int | None]], a: Sequence[str], b: Sequence[str],
            words_a: Sequence[Counter[str]], words_b: Sequence[Counter[str]], kinds_a: Sequence[str] | None = None,
            kinds_b: Sequence[str] | None = None) -> list[tuple[list[int], list[int]]]:
    """Return the pairing as diff units: (old paragraphs, new paragraphs) diffed together.

    A paired paragraph takes in the unpaired neighbours that hold its missing words: a new
    paragraph made of words the old one lost is a split, an old paragraph made of words the
    new one gained is a join. Everything else stays one paragraph (or one pair) per unit.
    """
    spans: dict[int, int] = {}  # first item of a unit -> its last item
    taken = [False] * len(pairing)
    for k, (i, j) in enumerate(pairing):
        if i is None or j is None or not (a[i].strip() or b[j].strip()):
            continue
        if kinds_a is not None and kinds_b is not None and (kinds_a[i] != "p" or kinds_b[j] != "p"):
            continue  # tables and controls are units of their own
        lost = words_a[i] - words_b[j]      # words a split-off new paragraph would hold
        gained = words_b[j] - words_a[i]    # words a joined old paragraph would hold
        lo = hi = k
        for step in (1, -1):
            x = k + step
            # Blank paragraphs in between join the unit only if a paragraph beyond them does.
            while 0 <= x < len(pairing) and not taken[x]:
                xi, xj = pairing[x]
                if kinds_a is not None and kinds_b is not None and \
                        ((xi is not None and kinds_a[xi] != "p") or (xj is not None and kinds_b[xj] != "p")):
                    break
                if xi is not None and xj is not None:
                    if a[xi].strip() or b[xj].strip():
                        break
                    x += step
                    continue
                words = words_a[xi] if xi is not None else words_b[xj] if xj is not None else Counter()
                total = sum(words.values())
                if not total:
                    x += step
                    continue
                pool = gained if xi is not None else lost
                if sum((words & pool).values()) < 0.5 * total:
                    break
                pool -= words
                if step == 1:
                    hi = x
                else:
                    lo = x
                x += step
        olds = [pi for pi, _ in pairing[lo:hi + 1] if pi is not None]
        news = [pj for _, pj in pairing[lo:hi + 1] if pj is not None]
        # Only neighbours in both versions can be diffed as one stretch of text.
        if olds != list(range(olds[0], olds[-1] + 1)) or news != list(range(news[0], news[-1] + 1)):
            lo = hi = k
        for x in range(lo, hi + 1):
            taken[x] = True
        spans[lo] = hi
    out: list[tuple[list[int], list[int]]] = []
    x = 0
    while x < len(pairing):
        if x in spans:
            hi = spans[x]
            out.append(([pi for pi, _ in pairing[x:hi + 1] if pi is not None],
                        [pj for _, pj in pairing[x:hi + 1] if pj is not None]))
            x = hi + 1
            continue
        pi, pj = pairing[x]
        out.append(([pi] if pi is not None else [], [pj] if pj is not None else []))
        x += 1
    return out


def _pair_greedy(olds: list[int], news: list[int], words_a: Sequence[Counter[str]], words_b: Sequence[Counter[str]],
                 kinds_a: Sequence[str] | None = None, kinds_b: Sequence[str] | None = None
                 ) -> list[tuple[int | None, int | None]]:
    """Pair a very large change region by walking both sides, looking a few paragraphs ahead."""
    out: list[tuple[int | None, int | None]] = []
    x = y = 0
    look = 8
    while x < len(olds) and y < len(news):
        best = (0.0, 0, 0)
        for dx in range(min(look, len(olds) - x)):
            for dy in range(min(look, len(news) - y)):
                i, j = olds[x + dx], news[y + dy]
                if kinds_a is not None and kinds_b is not None and kinds_a[i] != kinds_b[j]:
                    continue
                s = _similarity(words_a[i], words_b[j]) - 0.05 * (dx + dy)
                if s > best[0]:
                    best = (s, dx, dy)
        if best[0] < PAIR_SIMILARITY - 0.2:
            out.append((olds[x], None))
            x += 1
            continue
        _, dx, dy = best
        out.extend((olds[x + k], None) for k in range(dx))
        out.extend((None, news[y + k]) for k in range(dy))
        out.append((olds[x + dx], news[y + dy]))
        x += dx + 1
        y += dy + 1
    out.extend((olds[k], None) for k in range(x, len(olds)))
    out.extend((None, news[k]) for k in range(y, len(news)))
    return out


# ---------------------------------------------------------------------------------------------
# word diff inside a paragraph
# ---------------------------------------------------------------------------------------------


def _word_diff(x: str, y: str, codec: _Codec) -> list[tuple[Op, str]]:
    """Return a word-granular diff of two paragraph texts, cleaned up to read as edits."""
    if x == y:
        return [("equal", x)] if x else []
    ca = codec.encode(_tokens(x))
    cb = codec.encode(_tokens(y))
    if len(ca) + len(cb) > _BIG_PARAGRAPH_TOKENS:
        xs, ys = _sentences(x), _sentences(y)
        if len(xs) > 1 or len(ys) > 1:
            return _sentence_diff(xs, ys)
    engine = _dmp if len(ca) + len(cb) <= _BIG_PARAGRAPH_TOKENS else _bounded_dmp
    diffs = engine.diff_main(ca, cb, False)
    _cleanup(diffs, codec)
    out: list[tuple[Op, str]] = []
    for op, chars in diffs:
        text = "".join(codec.decode(chars))
        if text:
            out.append(("equal" if op == 0 else "insert" if op == 1 else "delete", text))
    return out


def _sentences(text: str) -> list[str]:
    """Return the sentences of a text, each with the spaces after it; they spell it exactly."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    return [text[a:b] for a, b in pairwise([0, *cuts, len(text)]) if a < b]


def _sentence_diff(xs: list[str], ys: list[str]) -> list[tuple[Op, str]]:
    """Return the diff of two very long paragraphs, aligned sentence by sentence first.

    The paragraph engine does the work, with sentences standing in for paragraphs; the
    sentence breaks it adds are taken out again.
    """
    inner = _flat_diff([Paragraph((Run(t),)) for t in xs], [Paragraph((Run(t),)) for t in ys])
    return merge_ops((op, text.replace("\n", "")) for pd in inner if isinstance(pd, ParagraphDiff)
                     for op, text in pd.ops())


def _cleanup(diffs: list[tuple[int, str]], codec: _Codec) -> None:
    """Clean a token diff up so it reads as a lawyer's edits, staying close to minimal.

    An equality of at most one word (or only spaces) between two edits, each at least as
    long, is folded into them: "[-net thirty-]{+net sixty+}" rather than keeping a lone word
    or a lone space between two changes. Then a lone insertion or deletion starting with a
    space slides to end with one, so it covers whole words with the space after them.
    """
    def words(chars: str) -> int:
        return sum(1 for t in codec.decode(chars) if not t.isspace())

    k = 1
    while k < len(diffs) - 1:
        op, chars = diffs[k]
        if op != 0 or any(t == "\n" for t in codec.decode(chars)):
            k += 1
            continue
        lo = k
        while lo > 0 and diffs[lo - 1][0] != 0:
            lo -= 1
        hi = k + 1
        while hi < len(diffs) and diffs[hi][0] != 0:
            hi += 1
        left, right = diffs[lo:k], diffs[k + 1:hi]
        n = words(chars)
        if left and right and n <= _FOLD_WORDS:
            around = left + right
            side = [max(sum(words(c) for o, c in g if o == -1), sum(words(c) for o, c in g if o == 1))
                    for g in (left, right)]
            if n <= min(side) and any(o == -1 for o, _ in around) and any(o == 1 for o, _ in around):
                dels = "".join(c for o, c in left if o == -1) + chars + "".join(c for o, c in right if o == -1)
                ins = "".join(c for o, c in left if o == 1) + chars + "".join(c for o, c in right if o == 1)
                diffs[lo:hi] = [(-1, dels), (1, ins)]
                k = max(1, lo)
                continue
        k += 1
    _dmp.diff_cleanupMerge(diffs)
    for k in range(1, len(diffs) - 1):
        (o0, c0), (op, chars), (o2, c2) = diffs[k - 1], diffs[k], diffs[k + 1]
        if o0 != 0 or op == 0 or o2 != 0:
            continue
        while chars and c2 and chars[0] == c2[0] and codec.decode(chars[0])[0].isspace():
            c0, chars, c2 = c0 + chars[0], chars[1:] + chars[0], c2[1:]
        diffs[k - 1], diffs[k], diffs[k + 1] = (o0, c0), (op, chars), (o2, c2)
    if any(not c for _, c in diffs):
        diffs[:] = [d for d in diffs if d[1]]
        _dmp.diff_cleanupMerge(diffs)


# ---------------------------------------------------------------------------------------------
# the diff of one story
# ---------------------------------------------------------------------------------------------


def _segments(ops: list[tuple[Op, str]]) -> tuple[Segment, ...]:
    out = []
    i = j = 0
    for op, text in ops:
        if op == "equal":
            out.append(Segment(op, text, i, j))
            i += len(text)
            j += len(text)
        elif op == "delete":
            out.append(Segment(op, text, i, None))
            i += len(text)
        else:
            out.append(Segment(op, text, None, j))
            j += len(text)
    return tuple(out)


_NO_LOOK: Look = (False, False, False, "")


def _formats_in(spans: list[tuple[int, int, Look]], start: int, length: int) -> list[tuple[int, int, Look]]:
    """Return the formatting spans covering ``[start, start + length)``, relative to start."""
    end = start + length
    out = []
    for s, e, f in spans:
        if e <= start or s >= end:
            continue
        out.append((max(s, start) - start, min(e, end) - start, f))
    if not out:
        out.append((0, length, _NO_LOOK))
    return out


@dataclass
class _Builder:
    """Builds ParagraphDiffs of one story's paragraphs (indexes are the story's, flat)."""

    old: Sequence[Paragraph]
    new: Sequence[Paragraph]
    codec: _Codec
    atoms: _Atoms

    def key_a(self, i: int) -> str:
        return self.atoms.text(self.old[i], "old")[0]

    def key_b(self, j: int) -> str:
        return self.atoms.text(self.new[j])[0]

    def real(self, segs: Iterable[Segment], i: int | None, j: int | None) -> tuple[Segment, ...]:
        po = self.old[i] if i is not None else None
        pn = self.new[j] if j is not None else None
        mo = self.atoms.text(po, "old")[1] if po is not None else None
        mn = self.atoms.text(pn)[1] if pn is not None else None
        out = _real(segs, po, pn, mo, mn)
        return _pair_refs(out, po, pn) if po is not None and pn is not None and (mo or mn) else out

    def mark(self, i: int | None, j: int | None) -> Op | None:
        """Return the end of a paragraph that is OLD's i-th and NEW's j-th (None: not there)."""
        in_old = i is not None and i < len(self.old) - 1
        in_new = j is not None and j < len(self.new) - 1
        return "equal" if in_old and in_new else "delete" if in_old else "insert" if in_new else None

    def format_changed(self, i: int, j: int, segments: Iterable[Segment] | None = None) -> bool:
        """Return whether text that is the same in both has different run formatting."""
        po, pn = self.old[i], self.new[j]
        fo, fn = po.looks(), pn.looks()
        if segments is None:
            return fo != fn
        if fo == fn and len(fo) <= 1:
            return False
        return any(
            s.op == "equal" and s.old_start is not None and s.new_start is not None
            and _formats_in(fo, s.old_start, len(s.text)) != _formats_in(fn, s.new_start, len(s.text))
            for s in segments)

    def style_changed(self, i: int, j: int) -> bool:
        """Return whether OLD's i-th and NEW's j-th paragraph have different styles."""
        return (self.old[i].style or "Normal") != (self.new[j].style or "Normal")

    def props_changed(self, i: int, j: int) -> bool:
        """Return whether OLD's i-th and NEW's j-th paragraph differ in other paragraph formatting."""
        po, pn = self.old[i], self.new[j]
        return po.props != pn.props or po.numbering != pn.numbering

    def equal(self, i: int, j: int) -> ParagraphDiff:
        """Return an unchanged paragraph (its formatting may still have changed)."""
        text = self.key_b(j)
        segs = self.real((Segment("equal", text, 0, 0),), i, j) if text else ()
        return ParagraphDiff("equal", i, j, segs, self.mark(i, j), format_changed=self.format_changed(i, j),
                             style_changed=self.style_changed(i, j), props_changed=self.props_changed(i, j))

    def deleted(self, i: int) -> ParagraphDiff:
        """Return OLD's i-th paragraph, deleted whole."""
        text = self.key_a(i)
        segs = self.real((Segment("delete", text, 0, None),), i, None) if text else ()
        return ParagraphDiff("deleted", i, None, segs, self.mark(i, None))

    def inserted(self, j: int) -> ParagraphDiff:
        """Return NEW's j-th paragraph, inserted whole."""
        text = self.key_b(j)
        segs = self.real((Segment("insert", text, None, 0),), None, j) if text else ()
        return ParagraphDiff("inserted", None, j, segs, self.mark(None, j))

    def group(self, olds: list[int], news: list[int]) -> list[ParagraphDiff]:
        """Return the redline of consecutive OLD paragraphs against consecutive NEW ones.

        Usually one paragraph each; more when a paragraph was split or paragraphs joined, so
        the split shows as a new paragraph end rather than as deleted and re-inserted text.
        """
        a = [self.key_a(i) for i in olds]
        b = [self.key_b(j) for j in news]
        ops = _word_diff("\n".join(a), "\n".join(b), self.codec)
        out: list[ParagraphDiff] = []
        oi = ni = 0  # which paragraph of the group, on each side
        op_, np_ = 0, 0  # offset inside it
        segs: list[Segment] = []
        start = (oi, ni)

        def close(mark: Op | None) -> None:
            i, j = olds[start[0]], news[start[1]]
            has_old = any(s.op != "insert" for s in segs) or mark in ("equal", "delete")
            has_new = any(s.op != "delete" for s in segs) or mark in ("equal", "insert")
            real = self.real(segs, i if has_old else None, j if has_new else None)
            if not has_new:
                kind: Kind = "deleted"
            elif not has_old:
                kind = "inserted"
            elif all(s.op == "equal" for s in real) and mark == self.mark(i, j) and len(olds) == len(news) == 1:
                kind = "equal"
            else:
                kind = "changed"
            both = has_old and has_new
            out.append(ParagraphDiff(kind, i if has_old else None, j if has_new else None, real, mark,
                                     format_changed=self.format_changed(i, j, real) if both else False,
                                     style_changed=self.style_changed(i, j) if both else False,
                                     props_changed=self.props_changed(i, j) if both else False))

        for op, text in ops:
            parts = text.split("\n")
            for k, part in enumerate(parts):
                if k:
                    close(op)
                    segs = []
                    if op != "insert":
                        oi, op_ = oi + 1, 0
                    if op != "delete":
                        ni, np_ = ni + 1, 0
                    start = (min(oi, len(olds) - 1), min(ni, len(news) - 1))
                if not part:
                    continue
                segs.append(Segment(op, part, op_ if op != "insert" else None, np_ if op != "delete" else None))
                if op != "insert":
                    op_ += len(part)
                if op != "delete":
                    np_ += len(part)
        close(self.mark(olds[-1], news[-1]))
        return out

    def move(self, i: int, j: int, move_id: int) -> tuple[ParagraphDiff, ParagraphDiff]:
        """Return the moved_from and moved_to halves of a move; edits made while moving show on
        their side (deleted words at the old place, inserted words at the new one)."""
        segs = self.real(_segments(_word_diff(self.key_a(i), self.key_b(j), self.codec)), i, j)
        src = tuple(s for s in segs if s.op != "insert")
        dst = tuple(s for s in segs if s.op != "delete")
        fmt = self.format_changed(i, j, segs)
        return (ParagraphDiff("moved_from", i, j, src, self.mark(i, None), move_id),
                ParagraphDiff("moved_to", i, j, dst, self.mark(None, j), move_id, format_changed=fmt,
                              style_changed=self.style_changed(i, j), props_changed=self.props_changed(i, j)))


@dataclass
class _Node:
    """A block of a story as the diff sees it: what it is, its number, its key and words."""

    kind: str  # "p" paragraph, "t" table, "c:<properties>" content control
    index: int  # the paragraph's flat index, or the table's / control's number in the story
    block: Block
    key: str
    rows: list[tuple[str, list[list[_Node]]]] = field(default_factory=list)  # tables: (properties, cells)
    children: list[_Node] = field(default_factory=list)  # controls
    _words: Counter[str] | None = None

    @property
    def words(self) -> Counter[str]:
        if self._words is None:
            self._words = Counter(self.key.split())
        return self._words


def _nodes(blocks: Iterable[Block], atoms: _Atoms, counters: list[int], side: str) -> list[_Node]:
    """Return ``blocks`` as nodes; ``counters`` = [paragraphs, tables, controls] seen so far."""
    out = []
    for b in blocks:
        if isinstance(b, Paragraph):
            out.append(_Node("p", counters[0], b, atoms.text(b, side)[0]))
            counters[0] += 1
        elif isinstance(b, Table):
            node = _Node("t", counters[1], b, "")
            counters[1] += 1
            for row in b.rows:
                node.rows.append((row.props, [_nodes(cell.blocks, atoms, counters, side) for cell in row.cells]))
            node.key = "\U0010FFFE" + "\x1e".join(_row_key(cells) for _, cells in node.rows)
            out.append(node)
        else:
            assert isinstance(b, Control)
            node = _Node("c:" + b.key, counters[2], b, "")
            counters[2] += 1
            node.children = _nodes(b.blocks, atoms, counters, side)
            node.key = "\U0010FFFF" + b.key + "\x1e" + "\n".join(n.key for n in node.children)
            out.append(node)
    return out


def _row_key(cells: list[list[_Node]]) -> str:
    return "\x1f".join("\n".join(n.key for n in cell) for cell in cells)


def _sequence(a: Sequence[str], b: Sequence[str], kinds_a: Sequence[str] | None, kinds_b: Sequence[str] | None,
              words_a: Sequence[Counter[str]] | None = None, words_b: Sequence[Counter[str]] | None = None,
              moves_allowed: bool = True) -> tuple[list[tuple], dict[int, int]]:  # type: ignore[type-arg]
    """Return how two sequences of blocks line up, in reading order, and the moves.

    Items: ("equal", i, j) for identical blocks, ("unit", olds, news) for blocks diffed
    together (one side may be empty), ("from", i) and ("to", j) where a moved block leaves and
    lands; the dict maps each moved OLD index to its NEW index. Only paragraphs move, group
    and split; tables pair with tables, controls with controls of their kind.
    """
    matched, exact_moves = _align(a, b)

    def is_p(kinds: Sequence[str] | None, k: int) -> bool:
        return kinds is None or kinds[k] == "p"

    # Identical paragraphs that changed place (long enough to be a move, not a coincidence),
    # grown into blocks over neighbouring identical paragraphs that were also left unmatched.
    done_a = {i for i, _ in matched}
    done_b = {j for _, j in matched}
    moves: dict[int, int] = {}
    if moves_allowed:
        for i, j in sorted(exact_moves):
            if i in done_a or j in done_b or _count_words(a[i]) < MOVE_MIN_WORDS or not is_p(kinds_a, i):
                continue
            moves[i] = j
            done_a.add(i)
            done_b.add(j)
            for step in (1, -1):
                x, y = i + step, j + step
                while 0 <= x < len(a) and 0 <= y < len(b) and x not in done_a and y not in done_b and \
                        a[x] == b[y] and is_p(kinds_a, x):
                    moves[x] = y
                    done_a.add(x)
                    done_b.add(y)
                    x += step
                    y += step

    # Change regions: the unmatched blocks between two equal ones.
    regions: list[tuple[list[int], list[int]]] = []
    bounds = [(-1, -1)] + matched + [(len(a), len(b))]
    for (i0, j0), (i1, j1) in pairwise(bounds):
        olds = [i for i in range(i0 + 1, i1) if i not in done_a]
        news = [j for j in range(j0 + 1, j1) if j not in done_b]
        regions.append((olds, news))

    if words_a is None or words_b is None:
        wa: list[Counter[str]] = [Counter()] * len(a)
        wb: list[Counter[str]] = [Counter()] * len(b)
        for olds, news in regions:
            for i in olds:
                wa[i] = Counter(a[i].split())
            for j in news:
                wb[j] = Counter(b[j].split())
        words_a, words_b = wa, wb
    pairings = [_pair_region(olds, news, a, b, words_a, words_b, kinds_a, kinds_b) for olds, news in regions]

    # Edited paragraphs that also moved: left unpaired in their own region but very close to an
    # unpaired paragraph elsewhere.
    if moves_allowed:
        lone_a = [i for pr in pairings for i, j in pr if j is None and i is not None
                  and _count_words(a[i]) >= MOVE_MIN_WORDS and is_p(kinds_a, i)]
        lone_b = [j for pr in pairings for i, j in pr if i is None and j is not None
                  and _count_words(b[j]) >= MOVE_MIN_WORDS and is_p(kinds_b, j)]
        if lone_a and lone_b and len(lone_a) * len(lone_b) <= _MAX_PAIRING_CELLS:
            cands = []
            for i in lone_a:
                la = len(a[i].split())
                for j in lone_b:
                    lb = len(b[j].split())
                    if min(la, lb) * 2 < MOVE_SIMILARITY * (la + lb):
                        continue
                    s = _similarity(words_a[i], words_b[j])
                    if s >= MOVE_SIMILARITY:
                        cands.append((-s, i, j))
            used_a: set[int] = set()
            used_b: set[int] = set()
            for _, i, j in sorted(cands):
                if i in used_a or j in used_b:
                    continue
                used_a.add(i)
                used_b.add(j)
                moves[i] = j
            if used_a:
                pairings = [[(i, j) for i, j in pr if not ((j is None and i in used_a) or (i is None and j in used_b))]
                            for pr in pairings]

    out: list[tuple] = []  # type: ignore[type-arg]
    to_at = {j: i for i, j in moves.items()}
    # Walk both versions in order; a moved half is placed where it sits in its own version.
    ai = bj = 0

    def take(i: int, j: int) -> None:
        """Emit moved halves before old block i and new block j (-1: no constraint)."""
        nonlocal ai, bj
        while ai < i:
            if ai in moves:
                out.append(("from", ai))
            ai += 1
        while bj < j:
            if bj in to_at:
                out.append(("to", bj))
            bj += 1

    for k in range(len(regions)):
        for olds, news in _groups(pairings[k], a, b, words_a, words_b, kinds_a, kinds_b):
            take(olds[0] if olds else -1, news[0] if news else -1)
            out.append(("unit", olds, news))
            if olds:
                ai = olds[-1] + 1
            if news:
                bj = news[-1] + 1
        if k < len(matched):
            i, j = matched[k]
            take(i, j)
            out.append(("equal", i, j))
            ai, bj = i + 1, j + 1
    take(len(a), len(b))
    return out, moves


class _StoryBuilder:
    """Diffs one story: its containers block by block, tables row by row, cells as stories."""

    def __init__(self, old: Sequence[Paragraph], new: Sequence[Paragraph], codec: _Codec, atoms: _Atoms) -> None:
        self.build = _Builder(old, new, codec, atoms)
        self.atoms = atoms
        self.move_id = 0

    def diff(self, old_blocks: Iterable[Block], new_blocks: Iterable[Block]) -> list[BlockDiff]:
        old = _nodes(old_blocks, self.atoms, [0, 0, 0], "old")
        new = _nodes(new_blocks, self.atoms, [0, 0, 0], "new")
        return self.container(old, new)

    def container(self, olds: list[_Node], news: list[_Node]) -> list[BlockDiff]:
        build = self.build
        plain = all(n.kind == "p" for n in olds) and all(n.kind == "p" for n in news)
        kinds_a = None if plain else [n.kind for n in olds]
        kinds_b = None if plain else [n.kind for n in news]
        words_a = None if plain else [n.words for n in olds]
        words_b = None if plain else [n.words for n in news]
        items, moves = _sequence([n.key for n in olds], [n.key for n in news], kinds_a, kinds_b, words_a, words_b)
        halves: dict[int, tuple[ParagraphDiff, ParagraphDiff]] = {}
        for i in sorted(moves, key=lambda i: moves[i]):
            self.move_id += 1
            halves[i] = build.move(olds[i].index, news[moves[i]].index, self.move_id)
        to_half = {moves[i]: h[1] for i, h in halves.items()}
        out: list[BlockDiff] = []
        for item in items:
            tag = item[0]
            if tag == "equal":
                o, n = olds[item[1]], news[item[2]]
                out.append(build.equal(o.index, n.index) if o.kind == "p" else self.pair(o, n))
            elif tag == "from":
                out.append(halves[item[1]][0])
            elif tag == "to":
                out.append(to_half[item[1]])
            else:
                xs, ys = item[1], item[2]
                if xs and ys:
                    if len(xs) == len(ys) == 1 and olds[xs[0]].kind != "p":
                        out.append(self.pair(olds[xs[0]], news[ys[0]]))
                    else:
                        out.extend(build.group([olds[x].index for x in xs], [news[y].index for y in ys]))
                else:
                    for x in xs:
                        out.extend(self.deleted(olds[x]))
                    for y in ys:
                        out.extend(self.inserted(news[y]))
        return out

    def pair(self, o: _Node, n: _Node) -> BlockDiff:
        """Return the diff of a table with a table, or a control with a control."""
        if o.kind == "t":
            return self.table(o, n)
        blocks = tuple(self.container(o.children, n.children))
        kind: BlockKind = "changed" if any(b.changed for b in blocks) else "equal"
        return ControlDiff(kind, o.index, n.index, blocks, _label(n.block))

    def table(self, o: _Node, n: _Node) -> TableDiff:
        """Return the diff of two tables: rows aligned as units, paired rows cell by cell."""
        ra = [_row_key(cells) for _, cells in o.rows]
        rb = [_row_key(cells) for _, cells in n.rows]
        kinds_a = [f"r{len(cells)}" for _, cells in o.rows]
        kinds_b = [f"r{len(cells)}" for _, cells in n.rows]
        items, _ = _sequence(ra, rb, kinds_a, kinds_b, moves_allowed=False)
        rows: list[RowDiff] = []
        for item in items:
            if item[0] == "equal":
                pairs = [(item[1], item[2])]
            elif item[0] == "unit" and item[1] and item[2] and len(item[1]) == len(item[2]) and \
                    all(kinds_a[x] == kinds_b[y] for x, y in zip(item[1], item[2], strict=True)):
                pairs = list(zip(item[1], item[2], strict=True))
            else:
                rows.extend(self.deleted_row(o, x) for x in item[1])
                rows.extend(self.inserted_row(n, y) for y in item[2])
                continue
            for x, y in pairs:
                (pa, ca), (pb, cb) = o.rows[x], n.rows[y]
                cells = []
                for k, (xa, xb) in enumerate(zip(ca, cb, strict=True)):
                    blocks = tuple(self.container(xa, xb))
                    props = _cell_props(o.block, x, k) != _cell_props(n.block, y, k)
                    kind: BlockKind = "changed" if any(b.changed for b in blocks) else "equal"
                    cells.append(CellDiff(kind, k, k, blocks, props))
                changed = any(c.changed for c in cells) or pa != pb
                rows.append(RowDiff("changed" if changed else "equal", x, y, tuple(cells), pa != pb))
        props = o.block.props != n.block.props  # type: ignore[union-attr]
        kind = "changed" if props or any(r.changed for r in rows) else "equal"
        return TableDiff(kind, o.index, n.index, tuple(rows), props)

    def deleted_row(self, t: _Node, x: int) -> RowDiff:
        return RowDiff("deleted", x, None, tuple(
            CellDiff("deleted", k, None, tuple(b for node in cell for b in self.deleted(node)))
            for k, cell in enumerate(t.rows[x][1])))

    def inserted_row(self, t: _Node, y: int) -> RowDiff:
        return RowDiff("inserted", None, y, tuple(
            CellDiff("inserted", None, k, tuple(b for node in cell for b in self.inserted(node)))
            for k, cell in enumerate(t.rows[y][1])))

    def deleted(self, node: _Node) -> list[BlockDiff]:
        """Return a block of OLD deleted whole (tables row by row, controls with their content)."""
        if node.kind == "p":
            return [self.build.deleted(node.index)]
        if node.kind == "t":
            return [TableDiff("deleted", node.index, None, tuple(self.deleted_row(node, x)
                                                                for x in range(len(node.rows))))]
        return [ControlDiff("deleted", node.index, None, tuple(b for c in node.children for b in self.deleted(c)),
                            _label(node.block))]

    def inserted(self, node: _Node) -> list[BlockDiff]:
        """Return a block of NEW inserted whole."""
        if node.kind == "p":
            return [self.build.inserted(node.index)]
        if node.kind == "t":
            return [TableDiff("inserted", None, node.index, tuple(self.inserted_row(node, y)
                                                                 for y in range(len(node.rows))))]
        return [ControlDiff("inserted", None, node.index, tuple(b for c in node.children for b in self.inserted(c)),
                            _label(node.block))]


def _label(block: Block) -> str:
    return block.label if isinstance(block, Control) else ""


def _cell_props(table: Block, row: int, cell: int) -> str:
    assert isinstance(table, Table)
    return table.rows[row].cells[cell].props


def _flat_diff(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[BlockDiff]:
    """Return the diff of two plain runs of paragraphs (no tables, no atoms)."""
    builder = _StoryBuilder(old, new, _Codec(), _Atoms())
    return builder.diff(old, new)


def diff(old: Document, new: Document) -> Redline:
    """Return the redline from ``old`` to ``new``: the body, every other story, the sections."""
    codec, atoms = _Codec(), _Atoms(old, new)
    tree = tuple(_StoryBuilder(old.paragraphs, new.paragraphs, codec, atoms).diff(old.body, new.body))
    paragraphs = tuple(paragraph_diffs(tree))
    stories = _stories(old, new, paragraphs, codec, atoms)
    sections = tuple(SectionDiff(k, k, old.sections[k].props != new.sections[k].props)
                     for k in range(min(len(old.sections), len(new.sections))))
    return Redline(old, new, paragraphs, tree, stories, sections)


def _stories(old: Document, new: Document, body: Sequence[ParagraphDiff], codec: _Codec,
             atoms: _Atoms) -> tuple[StoryDiff, ...]:
    """Return the diffs of the stories besides the body, found through the atoms that carry them
    (notes by their references, comments by their anchors, text boxes by their shapes), then
    headers and footers by section and type."""
    olds, news = old.story_index, new.story_index
    out: list[StoryDiff] = []
    done_old: set[str] = set()
    done_new: set[str] = set()
    queue: list[tuple[Sequence[ParagraphDiff], Sequence[Paragraph], Sequence[Paragraph]]] = [
        (body, old.paragraphs, new.paragraphs)]

    def add(o: str | None, n: str | None) -> None:
        # A side already compared (or not read) leaves the other alone: inserted or deleted.
        o = o if o is not None and o in olds and o not in done_old else None
        n = n if n is not None and n in news and n not in done_new else None
        if o is None and n is None:
            return
        so, sn = olds.get(o) if o else None, news.get(n) if n else None
        if o:
            done_old.add(o)
        if n:
            done_new.add(n)
        ref = sn or so
        assert ref is not None
        builder = _StoryBuilder(so.paragraphs if so else (), sn.paragraphs if sn else (), codec, atoms)
        blocks = builder.diff(so.blocks if so else (), sn.blocks if sn else ())
        story = StoryDiff(ref.kind, o, n, ref.label, tuple(blocks))
        out.append(story)
        queue.append((story.paragraphs, so.paragraphs if so else (), sn.paragraphs if sn else ()))

    while queue:
        pds, po, pn = queue.pop(0)
        for pd in pds:
            for s in pd.segments:
                if s.old_atom is not None and pd.old_index is not None:
                    o_refs = po[pd.old_index].atoms[s.old_atom].refs
                else:
                    o_refs = ()
                if s.new_atom is not None and pd.new_index is not None:
                    n_refs = pn[pd.new_index].atoms[s.new_atom].refs
                else:
                    n_refs = ()
                for k in range(max(len(o_refs), len(n_refs))):
                    add(o_refs[k] if k < len(o_refs) else None, n_refs[k] if k < len(n_refs) else None)
    # Headers and footers: the same section's header (footer) of the same type.
    for k in range(max(len(old.sections), len(new.sections))):
        o_parts = {(kind, t): sid for kind, t, sid in old.sections[k].parts} if k < len(old.sections) else {}
        n_parts = {(kind, t): sid for kind, t, sid in new.sections[k].parts} if k < len(new.sections) else {}
        for place in sorted(set(o_parts) | set(n_parts)):
            add(o_parts.get(place), n_parts.get(place))
    return tuple(out)


def main(argv: list[str] | None = None) -> int:
    """Print the JSON redline of two files (``python -m clm.versions.diff OLD NEW``): .docx, .pdf
    (read as ``clm diff`` reads one: in the capped child, OCR for scanned pages) or text."""
    import json

    from clm import documents
    from clm.versions import intake, render

    args = sys.argv[1:] if argv is None else argv

    def load(path: str) -> Document:
        with open(path, "rb") as f:
            data = f.read()
        if intake.is_pdf(data):
            return intake.read_upload(data, path)
        if path.lower().endswith(".docx"):
            return documents.from_docx(data)
        return documents.from_text(data.decode("utf-8"))

    red = diff(load(args[0]), load(args[1]))
    sys.stdout.write(json.dumps(render.to_json(red), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
