"""Render a Redline as JSON, plain text, an HTML page fragment or a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clm.documents import ATOM_NAMES
from clm.versions.document_view import heading_tag
from clm.versions.diff import (
    BlockDiff,
    Credits,
    Op,
    ParagraphDiff,
    Redline,
    Segment,
    TableDiff,
    paragraph_blocks,
    paragraph_diffs,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import jinja2

    from clm.documents import Document, Paragraph, Tracked

_HERE = Path(__file__).parent
_TEMPLATES = _HERE / "templates"
_STATIC = _HERE / "static"
#: Files a rendered PDF may load, by the URL the templates use for them.
_env: jinja2.Environment | None = None


def to_json(redline: Redline) -> dict[str, Any]:
    """Return ``{"ops": [[op, text], ...], "stats": {...}}``; ops spell OLD and NEW exactly."""
    return {"ops": [[op, text] for op, text in redline.ops()], "stats": dict(redline.stats)}


def to_text(redline: Redline) -> str:
    """Return a plain-text redline: ``[-deleted-]``, ``{+inserted+}``, moves tagged ``M1``.

    A paragraph end that exists in only one version shows as ``[-¶-]`` (joined) or ``{+¶+}``
    (split).
    """
    out: list[str] = []
    blocks = redline.blocks()
    for k, (parts, mark) in enumerate(blocks):
        line: list[str] = []
        for pd in parts:
            if pd.kind == "moved_to":
                line.append(f"{{+[moved from M{pd.move_id}]+}} ")
            line.extend(_text_segment(s.op, s.text) for s in pd.segments)
            if pd.kind == "moved_from":
                line.append(f" [-[moved to M{pd.move_id}]-]")
        if _shows_mark(blocks, k):
            line.append("{+¶+}" if mark == "insert" else "[-¶-]")
        out.append("".join(line))
    return "\n".join(out) + "\n"


def _shows_mark(blocks: list[tuple[tuple[ParagraphDiff, ...], Op | None]], k: int) -> bool:
    """Return whether block k ends in a split or join worth showing.

    A paragraph end added before a wholly new paragraph (or removed before a wholly deleted
    one) goes without saying; one that cuts or joins surviving text does not.
    """
    parts, mark = blocks[k]
    if mark not in ("insert", "delete") or not parts or parts[-1].kind not in ("changed", "equal"):
        return False
    if k + 1 >= len(blocks):
        return True
    gone = "delete" if mark == "insert" else "insert"
    following = [s for pd in blocks[k + 1][0] for s in pd.segments]
    return any(s.op != mark and s.op != gone for s in following) or not following


def _text_segment(op: str, text: str) -> str:
    if op == "insert":
        return f"{{+{text}+}}"
    if op == "delete":
        return f"[-{text}-]"
    return text


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


@dataclass
class _Piece:
    """A stretch of text in the HTML view; ``cls`` is eq, ins, del, mvfrom, mvto, or for an
    object atom, atom-eq / atom-ins / atom-del (then ``title`` says what it is)."""

    cls: str
    text: str
    anchor: str | None = None
    href: str | None = None
    #: Who made the change, when NEW's file tracked it as someone's ("Dana Whitfield, 4 May 2026").
    who: str | None = None
    #: What an object is ("footnote: See Schedule 1.", "image: Logo").
    title: str | None = None


@dataclass
class _Row:
    """One paragraph of the redline: inline pieces and both sides of the side-by-side view."""

    anchor: str
    kind: str
    inline: list[_Piece] = field(default_factory=list)
    old: list[_Piece] = field(default_factory=list)
    new: list[_Piece] = field(default_factory=list)
    note: str = ""
    #: The list number shown before the text: NEW's, or OLD's for a deleted paragraph.
    label: str = ""
    #: OLD's list number when the kind of list item changed ("1." -> "•").
    old_label: str = ""
    is_table: bool = False
    #: "title" or "heading" when the paragraph is the document's title or a heading (as the
    #: version view shows it: clm.versions.document_view), "" otherwise.
    heading: str = ""


@dataclass
class _Cell:
    kind: str
    blocks: list[_Row | _Table] = field(default_factory=list)


@dataclass
class _TableRow:
    kind: str
    cells: list[_Cell] = field(default_factory=list)


@dataclass
class _Table:
    """A table of the redline: rows inserted, deleted or kept, cells with their own redline."""

    anchor: str
    kind: str
    rows: list[_TableRow] = field(default_factory=list)
    note: str = ""
    is_table: bool = True


@dataclass
class _StoryView:
    """A note, comment, header, footer or text box that changed."""

    anchor: str
    label: str
    kind: str
    blocks: list[_Row | _Table] = field(default_factory=list)


@dataclass
class _Change:
    """An entry of the change list."""

    number: int
    kind: str
    href: str
    old: str
    new: str
    who: str | None = None
    #: The words around a change that has no words of its own (a paragraph mark, a space): the
    #: entry shows "…pays the fees. ¶ The Supplier invoices…" instead of a bare kind.
    context: str = ""


class _ChangeList(list[_Change]):
    """The change list, numbered in reading order."""

    def add(self, kind: str, href: str, old: str, new: str, who: str | None = None, *, context: str = "") -> None:
        """Append an entry; a change of white space only is named ("a space") and shown in its ``context``."""
        shown_old, shown_new = _excerpt(old), _excerpt(new)
        if old and not shown_old:
            shown_old = _whitespace(old)
        if new and not shown_new:
            shown_new = _whitespace(new)
        self.append(_Change(len(self) + 1, kind, href, shown_old, shown_new, who, context))

    @property
    def next_number(self) -> int:
        """Return the number the next entry gets."""
        return len(self) + 1


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _whitespace(text: str) -> str:
    """Return what white space a change is made of, in words: "a space", "3 spaces", "a tab", "a line break"."""
    if set(text) == {" "}:
        return "a space" if len(text) == 1 else f"{len(text)} spaces"
    if set(text) == {"\t"}:
        return "a tab" if len(text) == 1 else f"{len(text)} tabs"
    if set(text) <= {"\n", "\r", "\v"}:
        return "a line break"
    return "white space"


#: How many words of context a change without words of its own shows on each side.
CONTEXT_WORDS = 6


def _around(before: str, mark: str, after: str) -> str:
    """Return "…the last words ¶ the next words…" around ``mark``."""
    head, tail = before.split(), after.split()
    left = ("…" if len(head) > CONTEXT_WORDS else "") + " ".join(head[-CONTEXT_WORDS:])
    right = " ".join(tail[:CONTEXT_WORDS]) + ("…" if len(tail) > CONTEXT_WORDS else "")
    return " ".join(part for part in (left, mark, right) if part)


@dataclass
class _Story:
    """What building the view of one story needs: its paragraphs in both versions and credits."""

    old: Sequence[Paragraph]
    new: Sequence[Paragraph]
    credits: Credits
    old_doc: Document
    new_doc: Document
    prefix: str = ""


class _Builder:
    """Builds the template's primitives: rows, tables, stories and the numbered change list."""

    def __init__(self, redline: Redline) -> None:
        self.red = redline
        self.changes = _ChangeList()
        self.anchors = 0

    def anchor(self, prefix: str = "p") -> str:
        self.anchors += 1
        return f"{prefix}{self.anchors}"

    def blocks(self, diffs: Sequence[BlockDiff], story: _Story) -> list[_Row | _Table]:
        out: list[_Row | _Table] = []
        run: list[ParagraphDiff] = []
        for d in diffs:
            if isinstance(d, ParagraphDiff):
                run.append(d)
                continue
            out.extend(self.paragraphs(run, story))
            run = []
            if isinstance(d, TableDiff):
                out.append(self.table(d, story))
            else:
                if d.kind in ("inserted", "deleted"):
                    self.changes.add(f"{story.prefix}Content control {d.kind}", "#" + self.anchor("c"), "", d.label)
                out.extend(self.blocks(d.blocks, story))
        out.extend(self.paragraphs(run, story))
        return out

    def table(self, d: TableDiff, story: _Story) -> _Table:
        t = _Table(self.anchor("t"), d.kind)
        if d.kind in ("inserted", "deleted"):
            self.changes.add(f"{story.prefix}Table {d.kind}", "#" + t.anchor, "", "")
        elif d.props_changed:
            t.note = "Table properties changed"
            self.changes.add(f"{story.prefix}Table formatting", "#" + t.anchor, "", "")
        for r in d.rows:
            row = _TableRow(r.kind)
            if r.kind in ("inserted", "deleted") and d.kind not in ("inserted", "deleted"):
                texts = " | ".join(pd.new_text if r.kind == "inserted" else pd.old_text
                                   for c in r.cells for pd in paragraph_diffs(c.blocks))
                self.changes.add(f"{story.prefix}Row {r.kind}", "#" + t.anchor, texts if r.kind == "deleted" else "",
                                 texts if r.kind == "inserted" else "")
            for c in r.cells:
                row.cells.append(_Cell("changed" if c.props_changed else c.kind, self.blocks(c.blocks, story)))
            t.rows.append(row)
        return t

    def paragraphs(self, run: list[ParagraphDiff], story: _Story) -> list[_Row | _Table]:
        out: list[_Row | _Table] = []
        if not run:
            return out
        blocks = paragraph_blocks(run)
        for k, (parts, mark) in enumerate(blocks):
            row = _Row(anchor=self.anchor(), kind=_row_kind(parts))
            last = parts[-1] if parts else None
            if last is not None:
                para = story.new[last.new_index] if last.has_new and last.new_index is not None else \
                    story.old[last.old_index] if last.old_index is not None else None
                row.label = para.label if para is not None else ""
                if para is not None:
                    tag, is_title = heading_tag(para)
                    row.heading = "title" if is_title else "heading" if tag != "p" else ""
                if last.props_changed and last.old_index is not None and last.new_index is not None:
                    before, after = story.old[last.old_index], story.new[last.new_index]
                    if before.numbering != after.numbering:
                        row.old_label = before.label or "no number"
                        row.label = after.label or "no number"
                        self.changes.add(f"{story.prefix}List changed", "#" + row.anchor, row.old_label, row.label)
            for pd in parts:
                self.pieces(row, pd, story)
            if _shows_mark(blocks, k):
                cls = "ins" if mark == "insert" else "del"
                anchor = f"c{len(self.changes) + 1}"
                row.inline.append(_Piece(cls, "¶", anchor))
                # Where the paragraphs were joined or split: the end of this one, the start of the next.
                # Empty paragraphs in between are skipped.
                before = next((t for j in range(k, -1, -1)
                               if (t := "".join(_side_text(pd, mark) for pd in blocks[j][0])).strip()), "")
                after = next((t for j in range(k + 1, len(blocks))
                              if (t := "".join(_side_text(pd, mark) for pd in blocks[j][0])).strip()), "")
                self.changes.add(f"{story.prefix}Paragraph split" if mark == "insert" else
                                 f"{story.prefix}Paragraphs joined", "#" + anchor, "", "",
                                 context=_around(before, "¶", after))
            if any(pd.format_changed or pd.style_changed or pd.props_changed for pd in parts):
                row.note = "Formatting changed"
                if row.kind == "equal":
                    row.kind = "format"
                    self.changes.add(f"{story.prefix}Formatting", "#" + row.anchor, "",
                                     _excerpt("".join(pd.new_text for pd in parts)))
            out.append(row)
        return out

    def atom_piece(self, s: Segment, pd: ParagraphDiff, story: _Story, cls: str) -> _Piece | None:
        """Return the piece that shows an atom, or None for marks not worth showing unchanged."""
        if s.op == "insert" or (s.op == "equal" and s.new_atom is not None and pd.has_new and pd.new_index is not None):
            para, k, doc = story.new[pd.new_index], s.new_atom, story.new_doc  # type: ignore[index]
        else:
            para, k, doc = story.old[pd.old_index], s.old_atom, story.old_doc  # type: ignore[index]
        if k is None or k >= len(para.atoms):
            return None
        a = para.atoms[k]
        name = ATOM_NAMES.get(a.kind, a.kind)
        quiet = a.kind in ("bookmark", "bookmark_end", "comment_start", "comment_end", "field_end", "note_mark")
        if s.op == "equal" and quiet:
            return None
        label = a.label
        if a.refs and a.refs[0] in doc.story_index:
            label = doc.story_index[a.refs[0]].text
        title = f"{name}: {_excerpt(label, 120)}" if label and label != name else name
        if a.text:
            return _Piece(cls, a.text, title=title)
        return _Piece(cls, f"[{name}{': ' + _excerpt(label, 40) if label and label != name else ''}]", title=title)

    def pieces(self, row: _Row, pd: ParagraphDiff, story: _Story) -> None:
        """Append one redline paragraph's pieces to a row and its changes to the change list."""
        change = self.changes.add
        prefix = story.prefix
        if pd.kind in ("moved_from", "moved_to"):
            side = "from" if pd.kind == "moved_from" else "to"
            other = "to" if side == "from" else "from"
            here = f"m{prefix.strip(': ').replace(' ', '')}{pd.move_id}-{side}"
            there = f"m{prefix.strip(': ').replace(' ', '')}{pd.move_id}-{other}"
            if side == "to":
                change(f"{prefix}Moved", "#" + here, pd.old_text, pd.new_text)
            link = _Piece("mvlink-" + side, "", here, "#" + there)
            row.inline.append(link)
            (row.old if side == "from" else row.new).append(_Piece("mvlink-" + side, "", None, link.href))
            for s in pd.segments:
                cls = ("mv" + side) if s.op == "equal" else "ins" if s.op == "insert" else "del"
                piece = self.atom_piece(s, pd, story, "atom-" + cls) if s.is_atom else _Piece(cls, s.text)
                if piece is None:
                    continue
                row.inline.append(piece)
                (row.old if side == "from" else row.new).append(piece)
            return
        pending_old = ""
        pending_new = ""
        pending_who: str | None = None
        anchor: str | None = None
        pos = 0
        before = ""   # the paragraph's text so far (new side), for a change of white space only

        def context(after: str) -> str:
            if (pending_old + pending_new).strip():
                return ""
            return _around(before, "[here]", after)

        for s in pd.segments:
            if s.op == "equal":
                if anchor:
                    change(prefix + _change_kind(pending_old, pending_new), "#" + anchor, pending_old, pending_new,
                           pending_who, context=context(s.text))
                    before += pending_new
                    anchor, pending_old, pending_new, pending_who = None, "", "", None
                before += s.text
                piece = self.atom_piece(s, pd, story, "atom-eq") if s.is_atom else _Piece("eq", s.text)
                if piece is not None:
                    row.inline.append(piece)
                    row.old.append(piece)
                    row.new.append(piece)
            else:
                for part, tracked in story.credits.attribute(pd, s, pos):
                    who = _who(tracked)
                    pending_who = pending_who or who
                    cls = "ins" if part.op == "insert" else "del"
                    if part.is_atom:
                        piece_or_none = self.atom_piece(part, pd, story, "atom-" + cls)
                        if piece_or_none is None:
                            continue
                        piece = piece_or_none
                        piece.who = who
                        label = piece.title or "object"
                        if part.op == "insert":
                            pending_new += f" [{label}] "
                        else:
                            pending_old += f" [{label}] "
                    else:
                        piece = _Piece(cls, part.text, who=who)
                        if part.op == "insert":
                            pending_new += part.text
                        else:
                            pending_old += part.text
                    if anchor is None:
                        anchor = f"c{self.changes.next_number}"
                        piece.anchor = anchor
                    row.inline.append(piece)
                    (row.new if part.op == "insert" else row.old).append(piece)
            if s.new_start is not None:
                pos = s.new_start + len(s.text)
        if anchor:
            change(prefix + _change_kind(pending_old, pending_new), "#" + anchor, pending_old, pending_new, pending_who,
                   context=context(""))


def _side_text(pd: ParagraphDiff, mark: Op | None) -> str:
    """Return a paragraph's text on the side a paragraph mark belongs to (new for a split, old for a join)."""
    return (pd.new_text or pd.old_text) if mark == "insert" else (pd.old_text or pd.new_text)


def _context(redline: Redline, title: str, old_label: str, new_label: str) -> dict[str, Any]:
    """Return the primitives the templates render (no Redline objects reach a template)."""
    b = _Builder(redline)
    old, new = redline.old, redline.new
    body = b.blocks(redline.body, _Story(old.paragraphs, new.paragraphs, redline.credits(None), old, new))
    stories = []
    for sd in redline.stories:
        if not sd.changed:
            continue
        so = old.story_index.get(sd.old_id) if sd.old_id else None
        sn = new.story_index.get(sd.new_id) if sd.new_id else None
        label = sd.label + (" (added)" if so is None else " (removed)" if sn is None else "")
        view = _StoryView(b.anchor("s"), label, sd.kind)
        if so is None or sn is None:
            b.changes.add(f"{sd.label} {'added' if so is None else 'removed'}", "#" + view.anchor,
                          so.text if so else "", sn.text if sn else "")
        view.blocks = b.blocks(sd.blocks, _Story(so.paragraphs if so else (), sn.paragraphs if sn else (),
                                                 redline.credits(sd.new_id), old, new, prefix=f"{sd.label}: "))
        stories.append(view)
    notes = [f"Page setup of section {s.new_index + 1 if s.new_index is not None else ''} changed (margins, size or "
             "orientation)" for s in redline.sections if s.props_changed]
    problems = sorted(set(old.problems) | set(new.problems))
    return {
        "title": title,
        "old_label": old_label,
        "new_label": new_label,
        "rows": body,
        "stories": stories,
        "notes": notes,
        "problems": problems,
        "changes": b.changes,
        "stats": redline.stats,
        "identical": redline.is_empty,
        "authors": sorted({t.author or "Unknown" for t in new.tracked}
                          | {t.author or "Unknown" for s in new.stories for t in s.tracked}),
    }


def _who(tracked: Tracked | None) -> str | None:
    """Return how a change of NEW's own file is credited: its author and date."""
    if tracked is None:
        return None
    author = tracked.author or "Unknown author"
    return f"{author}, {tracked.date:%Y-%m-%d %H:%M}" if tracked.date is not None else author


def _row_kind(parts: tuple[ParagraphDiff, ...]) -> str:
    kinds = {pd.kind for pd in parts}
    if kinds <= {"equal"}:
        return "equal"
    if len(kinds) == 1:
        return kinds.pop()
    return "changed"


def _change_kind(old: str, new: str) -> str:
    if old and new:
        return "Replaced"
    return "Inserted" if new else "Deleted"


def _environment() -> jinja2.Environment:
    """Return the jinja2 environment of the redline templates (autoescaped, built once)."""
    global _env
    if _env is None:
        import jinja2

        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _env


def _css() -> str:
    return (_STATIC / "redline.css").read_text(encoding="utf-8")


def to_html(redline: Redline, *, title: str = "Redline", old_label: str = "Old version",
            new_label: str = "New version", stylesheet_url: str | None = None,
            script_url: str | None = None, standalone: bool = False) -> str:
    """Return an HTML fragment: summary, inline redline, side-by-side view and change list.

    All text is escaped. Styles are inlined unless ``stylesheet_url`` points at
    ``static/redline.css``; the optional ``script_url`` (``static/redline.js``) adds keyboard
    navigation through the changes. No inline script is ever produced. ``standalone`` wraps
    the fragment in a whole HTML page (for files written by ``clm diff``).
    """
    ctx = _context(redline, title, old_label, new_label)
    return _environment().get_template("redline.html").render(
        **ctx, css=None if stylesheet_url else _css(), stylesheet_url=stylesheet_url, script_url=script_url,
        standalone=standalone)


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def to_pdf(redline: Redline, *, title: str = "Redline", old_label: str = "Old version",
           new_label: str = "New version") -> bytes:
    """Return a PDF: a summary page, then the inline redline and the list of changes.

    Rendered by :func:`clm.pdf.html_to_pdf`: only the redline stylesheet may load, and the
    rendering runs in a memory- and time-capped child process.
    """
    from clm.pdf import html_to_pdf

    ctx = _context(redline, title, old_label, new_label)
    page = _environment().get_template("redline_pdf.html").render(**ctx)
    return html_to_pdf(page, assets={"redline.css": (_STATIC / "redline.css").read_bytes()},
                       stylesheets=["redline.css"])
