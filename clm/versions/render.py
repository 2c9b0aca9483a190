"""Render a Redline as JSON, plain text, an HTML page fragment or a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clm.versions.diff import Op, ParagraphDiff, Redline

if TYPE_CHECKING:
    import jinja2

    from clm.documents import Tracked

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
    """A stretch of text in the HTML view; ``cls`` is eq, ins, del, mvfrom or mvto."""

    cls: str
    text: str
    anchor: str | None = None
    href: str | None = None
    #: Who made the change, when NEW's file tracked it as someone's ("Dana Whitfield, 4 May 2026").
    who: str | None = None


@dataclass
class _Row:
    """One paragraph of the redline: inline pieces and both sides of the side-by-side view."""

    anchor: str
    kind: str
    inline: list[_Piece] = field(default_factory=list)
    old: list[_Piece] = field(default_factory=list)
    new: list[_Piece] = field(default_factory=list)
    note: str = ""


@dataclass
class _Change:
    """An entry of the change list."""

    number: int
    kind: str
    href: str
    old: str
    new: str
    who: str | None = None


class _ChangeList(list[_Change]):
    """The change list, numbered in reading order."""

    def add(self, kind: str, href: str, old: str, new: str, who: str | None = None) -> None:
        """Append an entry."""
        self.append(_Change(len(self) + 1, kind, href, _excerpt(old), _excerpt(new), who))

    @property
    def next_number(self) -> int:
        """Return the number the next entry gets."""
        return len(self) + 1


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _context(redline: Redline, title: str, old_label: str, new_label: str) -> dict[str, Any]:
    """Return the primitives the templates render (no Redline objects reach a template)."""
    rows: list[_Row] = []
    changes = _ChangeList()
    change = changes.add
    blocks = redline.blocks()
    for k, (parts, mark) in enumerate(blocks):
        row = _Row(anchor=f"p{k + 1}", kind=_row_kind(parts))
        for pd in parts:
            _add_pieces(row, pd, changes, redline)
        if _shows_mark(blocks, k):
            cls = "ins" if mark == "insert" else "del"
            anchor = f"c{len(changes) + 1}"
            row.inline.append(_Piece(cls, "¶", anchor))
            change("Paragraph split" if mark == "insert" else "Paragraphs joined", "#" + anchor, "", "")
        if any(pd.format_changed or pd.style_changed for pd in parts):
            row.note = "Formatting changed"
            if row.kind == "equal":
                row.kind = "format"
                change("Formatting", "#" + row.anchor, "", _excerpt("".join(pd.new_text for pd in parts)))
        rows.append(row)
    return {
        "title": title,
        "old_label": old_label,
        "new_label": new_label,
        "rows": rows,
        "changes": changes,
        "stats": redline.stats,
        "identical": redline.is_empty,
        "authors": sorted({t.author or "Unknown" for t in redline.new.tracked}),
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


def _add_pieces(row: _Row, pd: ParagraphDiff, changes: _ChangeList, redline: Redline) -> None:
    """Append one redline paragraph's pieces to a row and its changes to the change list."""
    change = changes.add
    if pd.kind in ("moved_from", "moved_to"):
        side = "from" if pd.kind == "moved_from" else "to"
        other = "to" if side == "from" else "from"
        here = f"m{pd.move_id}-{side}"
        if side == "to":
            change("Moved", "#" + here, pd.old_text, pd.new_text)
        link = _Piece("mvlink-" + side, "", here, f"#m{pd.move_id}-{other}")
        row.inline.append(link)
        (row.old if side == "from" else row.new).append(_Piece("mvlink-" + side, "", None, link.href))
        for s in pd.segments:
            cls = ("mv" + side) if s.op == "equal" else "ins" if s.op == "insert" else "del"
            piece = _Piece(cls, s.text)
            row.inline.append(piece)
            (row.old if side == "from" else row.new).append(piece)
        return
    pending_old = ""
    pending_new = ""
    pending_who: str | None = None
    anchor: str | None = None
    pos = 0
    for s in pd.segments:
        if s.op == "equal":
            if anchor:
                change(_change_kind(pending_old, pending_new), "#" + anchor, pending_old, pending_new, pending_who)
                anchor, pending_old, pending_new, pending_who = None, "", "", None
            piece = _Piece("eq", s.text)
            row.inline.append(piece)
            row.old.append(piece)
            row.new.append(piece)
        else:
            for part, tracked in redline.attribute(pd, s, pos):
                who = _who(tracked)
                pending_who = pending_who or who
                cls = "ins" if part.op == "insert" else "del"
                if anchor is None:
                    anchor = f"c{changes.next_number}"
                    piece = _Piece(cls, part.text, anchor, who=who)
                else:
                    piece = _Piece(cls, part.text, who=who)
                row.inline.append(piece)
                if part.op == "insert":
                    pending_new += part.text
                    row.new.append(piece)
                else:
                    pending_old += part.text
                    row.old.append(piece)
        if s.new_start is not None:
            pos = s.new_start + len(s.text)
    if anchor:
        change(_change_kind(pending_old, pending_new), "#" + anchor, pending_old, pending_new, pending_who)


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
