"""Split a contract Document into clauses by its headings and numbering, with offsets into its text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm.documents import Document, Paragraph

__all__ = ["Clause", "segment"]


@dataclass(frozen=True)
class Clause:
    """A clause of a document: its heading, number, outline level and span of ``Document.text``.

    ``start``/``end`` index ``Document.text`` (``text == document.text[start:end]``). A clause
    spans its sub-clauses: it ends where the next clause of the same or a higher level (a smaller
    ``level`` number) starts. Level 0 is the document's title block, if it has one.
    """

    heading: str
    start: int
    end: int
    text: str
    level: int
    number: str
    #: Offset in ``Document.text`` where the heading (and number) ends and the body begins.
    body_start: int = -1

    @property
    def body(self) -> str:
        """Return the clause text after its number and heading."""
        if self.body_start < 0:
            return self.text
        return self.text[self.body_start - self.start :].strip()


# --------------------------------------------------------------------------- patterns

_ROMAN = r"[IVXLC]{1,7}"
#: "ARTICLE VII", "Article 7", "SECTION 7.2", "Section 7", "PART 2", "Clause 4".
_WORD_NUMBER = re.compile(
    rf"^(?P<word>ARTICLE|Article|SECTION|Section|PART|Part|CLAUSE|Clause)\s+"
    rf"(?P<num>{_ROMAN}|\d{{1,3}}(?:\.\d{{1,3}}){{0,3}}|[A-Z])\b\.?(?:\s*[:.\-\u2013\u2014]\s*|\s+|$)"
)
#: "7." / "7.2" / "7.2.1" / "7.2." followed by space; a bare "7" needs a dot (too many false hits).
_DECIMAL = re.compile(r"^(?P<num>\d{1,3}(?:\.\d{1,3}){1,3}\.?|\d{1,3}\.)(?=\s|$)\s*")
#: "(a)", "(iv)", "(1)", "a)", "1)".
_PAREN = re.compile(r"^\(?(?P<num>[a-z]{1,2}|[ivxlc]{1,6}|\d{1,2}|[A-Z])\)(?=\s|$)\s*")
#: "A." / "B." as outline letters.
_LETTER = re.compile(r"^(?P<num>[A-Z])\.(?=\s)\s*")
_ROMAN_DOT = re.compile(rf"^(?P<num>{_ROMAN})\.(?=\s)\s*")

#: Numbered headings that run on in the middle of a line of plain text (CUAD's odd line breaks):
#: "... its website. 2. Payment Terms. Upon signing ...". Accepted only when the number continues
#: the numbering seen so far, because mid-line numbers are otherwise mostly cross-references.
_INLINE = re.compile(
    r"(?<=[.;:!?\"\u201d)])\s+(?P<num>\d{1,2}(?:\.\d{1,2})?)\.?\s+"
    r"(?P<head>[A-Z][A-Za-z'\u2019&/\-]*(?:[ ,]+(?:[A-Z][A-Za-z'\u2019&/\-]*|of|and|or|the|for|to|in|on|by|a|an|with|upon|under)){0,7})"
    r"[.:]\s"
)
#: A run-in heading: "Governing Law. This Agreement ..." / "TERM: The term ...".
_RUN_IN = re.compile(r"^(?P<head>[^.:!?\n]{2,80}?)(?:\.|:|\s[\u2013\u2014-]\s|(?=\s{2,}))(?:\s+|$)")
_STYLE_HEADING = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_SMALL_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "under", "upon", "with", "without", "its", "their", "this"]
)
#: Lines that look like headings but are page furniture or signature blocks.
_NOT_HEADING = re.compile(
    r"^(?:page\s+\d+|\d+|by:|name:|title:|date:|/s/|exhibit\s+\d+\.\d+$|confidential$|source:)", re.IGNORECASE
)
_MAX_HEADING_WORDS = 12
_MAX_HEADING_CHARS = 100


# --------------------------------------------------------------------------- heading tests


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'\u2019\-]*", text)


def _is_caps(text: str) -> bool:
    """Return whether ``text`` is an ALL-CAPS heading line ("GOVERNING LAW", "ARTICLE 7 - TERM")."""
    if len(text) > _MAX_HEADING_CHARS or len(text.split()) > _MAX_HEADING_WORDS:
        return False
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 3:
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters) >= 0.9 and text.rstrip()[-1:] not in (",", ";")


def _is_title_case(text: str, max_words: int = _MAX_HEADING_WORDS) -> bool:
    """Return whether ``text`` reads as a heading: short, and its non-small words capitalized."""
    words = _words(text)
    if not words or len(words) > max_words or len(text) > _MAX_HEADING_CHARS or not text[:1].isupper():
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not content:
        return False
    capital = sum(1 for w in content if w[0].isupper())
    return capital / len(content) >= 0.75


def _clean_heading(text: str) -> str:
    return " ".join(text.strip().rstrip(".:;\u2013\u2014-").split())


def _split_heading(rest: str) -> tuple[str, int]:
    """Return (heading, length of ``rest`` it takes) for the text that follows a clause number.

    A whole short title-like line is a heading; otherwise a run-in heading ending in a period or
    colon ("Governing Law. This Agreement ..."); otherwise no heading.
    """
    stripped = rest.strip()
    if not stripped:
        return "", len(rest)
    if (_is_caps(stripped) or _is_title_case(stripped)) and stripped[-1:] not in "!?;," and not _NOT_HEADING.match(
        stripped
    ):
        # A short capitalised sentence ("Customer Shall Pay.") is rare; a title line is common.
        return _clean_heading(stripped), len(rest)
    m = _RUN_IN.match(rest)
    if m:
        head = m.group("head").strip()
        if head and (_is_caps(head) or _is_title_case(head, max_words=10)):
            return _clean_heading(head), m.end()
    return "", 0


# --------------------------------------------------------------------------- numbering kinds


@dataclass(frozen=True)
class _Kind:
    """A numbering style; ``family``/``rank`` order styles that nest by nature (1. > 1.1 > 1.1.1)."""

    name: str
    family: str = ""
    rank: int = 0


_ARTICLE = _Kind("article", "outline", 0)
_CAPS = _Kind("caps")
_TITLE_KIND = _Kind("title")


def _decimal_kind(num: str) -> _Kind:
    depth = num.rstrip(".").count(".") + 1
    return _Kind(f"dec{depth}", "outline", depth)


def _paren_kind(num: str, previous: dict[str, str]) -> _Kind:
    if num.isdigit():
        return _Kind("(1)")
    if num.isupper():
        return _Kind("(A)")
    # "(i)" after "(h)" is a letter; otherwise i, v, x ... are roman numerals.
    if re.fullmatch(r"[ivxlc]+", num):
        last = previous.get("(a)")
        if not (last and len(num) == 1 and len(last) == 1 and ord(num) == ord(last) + 1):
            return _Kind("(i)")
    return _Kind("(a)")


def _number_of(text: str, previous: dict[str, str]) -> tuple[str, _Kind, int] | None:
    """Return (number, kind, length of the number prefix) if ``text`` starts with a clause number."""
    m = _WORD_NUMBER.match(text)
    if m:
        word = m.group("word").lower()
        num = m.group("num")
        if word in ("article", "part") or re.fullmatch(_ROMAN, num):
            kind = _ARTICLE
        else:
            kind = _decimal_kind(num if "." in num else num + ".")
        return f"{m.group('word')} {num}", kind, m.end()
    m = _DECIMAL.match(text)
    if m:
        return m.group("num").rstrip("."), _decimal_kind(m.group("num")), m.end()
    m = _PAREN.match(text)
    if m:
        num = m.group("num")
        return f"({num})", _paren_kind(num, previous), m.end()
    m = _LETTER.match(text)
    if m:
        return m.group("num"), _Kind("A."), m.end()
    m = _ROMAN_DOT.match(text)
    if m and m.group("num") in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"):
        return m.group("num"), _Kind("I."), m.end()
    return None


class _Outline:
    """The stack of numbering kinds open at the current point; gives each new heading its level.

    A kind already open closes everything opened after it (a sibling); a kind of the outline
    family (ARTICLE, 1., 1.1 ...) closes deeper ones of its family; any other new kind nests.
    """

    def __init__(self) -> None:
        self.stack: list[_Kind] = []

    def level(self, kind: _Kind) -> int:
        if kind is _TITLE_KIND:
            return 0
        if kind is _CAPS:
            # An unnumbered capitals heading starts a new top-level part ("EXHIBIT A").
            self.stack = [kind]
            return 1
        if kind in self.stack:
            del self.stack[self.stack.index(kind) + 1 :]
            return len(self.stack)
        if kind.family:
            for i, open_kind in enumerate(self.stack):
                if open_kind.family == kind.family and open_kind.rank >= kind.rank:
                    del self.stack[i:]
                    break
            if self.stack == [_CAPS]:
                # Numbered clauses under a lone caps heading are that heading's siblings when
                # they are top-level outline numbers ("DEFINITIONS" then "2. TERM").
                self.stack = []
        self.stack.append(kind)
        return len(self.stack)


def _next_numbers(last: str) -> set[str]:
    """Return the numbers that may follow clause ``last`` (next sibling, first child, next parent)."""
    if not last:
        return {"1", "1.1"}
    parts = [int(p) for p in last.split(".")]
    out = {".".join(map(str, parts + [1]))}
    for depth in range(len(parts), 0, -1):
        nxt = parts[:depth]
        nxt[-1] += 1
        out.add(".".join(map(str, nxt)))
    return out


# --------------------------------------------------------------------------- segmentation


@dataclass
class _Start:
    start: int
    body_start: int
    heading: str
    number: str
    kind: _Kind
    level: int = 0


def segment(document: Document) -> list[Clause]:
    """Return the clauses of ``document`` in order, found by headings and numbering.

    Heading signals, strongest first: Word heading styles (and Title), list labels, numbers
    ("7.", "7.2", "Section 7", "ARTICLE VII", "(a)", "A."), ALL-CAPS lines, and short title-case
    lines followed by body text. A document with none of these is split into its paragraphs.
    """
    text = document.text
    units = _units(document)
    starts: list[_Start] = []
    previous: dict[str, str] = {}
    last_decimal = ""
    n = len(units)
    seen_numbered = False
    pending_title: _Start | None = None  # "ARTICLE VII" alone: the next line may be its heading

    for i, (offset, raw, para) in enumerate(units):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        p0 = offset + lead
        p_end = offset + len(raw.rstrip())

        if pending_title is not None:
            title = pending_title
            pending_title = None
            if (_is_caps(stripped) or _is_title_case(stripped)) and not _NOT_HEADING.match(stripped):
                title.heading = _clean_heading(stripped)
                title.body_start = p_end
                continue

        style = (para.style or "") if para is not None else ""
        style_match = _STYLE_HEADING.match(style)
        label = (para.label or "") if para is not None else ""
        found: _Start | None = None
        if style_match or style == "Title":
            number_info = _number_of(stripped, previous)
            heading, number = stripped, label
            if number_info:
                number, _kind, length = number_info
                heading = stripped[length:]
            if style == "Title":
                kind = _TITLE_KIND
            else:
                kind = _Kind(f"style{style}", "style", int(style_match.group(1)) if style_match else 0)
            found = _Start(p0, p_end, _clean_heading(heading), label or number, kind)
        else:
            number_info = None
            if label:
                label_info = _number_of(label + " ", previous)
                if label_info:
                    number_info = (label_info[0], label_info[1], 0)
            if number_info is None:
                number_info = _number_of(stripped, previous)
            if number_info is not None:
                number, kind, length = number_info
                rest = stripped[length:]
                heading, taken = _split_heading(rest)
                if kind.name.startswith("dec"):
                    last_decimal = number.split()[-1]
                previous[kind.name] = number.strip("()").split()[-1]
                found = _Start(p0, p0 + length + taken, heading, number, kind)
                seen_numbered = True
                if not rest.strip():
                    pending_title = found
                    found.body_start = p_end
            elif (_is_caps(stripped) and not _NOT_HEADING.match(stripped)) or (
                # A short title-case line counts only when body text follows it.
                _is_title_case(stripped, max_words=8)
                and stripped[-1:] not in ".;,!?"
                and not _NOT_HEADING.match(stripped)
                and not any(c.isdigit() for c in stripped)
                and i + 1 < n
                and len(units[i + 1][1].split()) >= 8
            ):
                is_title = not starts and not seen_numbered
                found = _Start(p0, p_end, _clean_heading(stripped), "", _TITLE_KIND if is_title else _CAPS)
        if found is not None:
            starts.append(found)

        # Run-on numbered headings inside a long line of plain text.
        if len(stripped) > 60 and last_decimal:
            for m in _INLINE.finditer(raw):
                num = m.group("num")
                if num not in _next_numbers(last_decimal):
                    continue
                at = offset + m.start("num")
                kind = _decimal_kind(num + ("" if "." in num else "."))
                head_end = offset + m.end("head") + 1
                starts.append(_Start(at, head_end, _clean_heading(m.group("head")), num, kind))
                last_decimal = num

    if not starts:
        return _paragraph_clauses(document)

    outline = _Outline()
    for s in starts:
        s.level = outline.level(s.kind)

    clauses: list[Clause] = []
    # Anything before the first heading (a preamble without a title) is a clause of its own.
    first = starts[0].start
    if text[:first].strip():
        lead = len(text) - len(text.lstrip())
        end = len(text[:first].rstrip())
        clauses.append(Clause("", lead, end, text[lead:end], 1 if starts[0].level > 0 else 0, "", lead))
    for k, s in enumerate(starts):
        end = len(text)
        for later in starts[k + 1 :]:
            # The title block (level 0) holds only the preamble, not the whole document.
            if later.level <= s.level or s.level == 0:
                end = later.start
                break
        end = s.start + len(text[s.start : end].rstrip())
        end = max(end, s.start)
        body_start = min(max(s.body_start, s.start), end)
        clauses.append(Clause(s.heading, s.start, end, text[s.start : end], s.level, s.number, body_start))
    return clauses


#: Where CUAD-style plain text puts paragraph breaks inside one line: a run of spaces after the
#: end of a sentence or heading ("10. INDEMNITIES.     10.1. Accuray Indemnity.").
_SOFT_BREAK = re.compile(r"(?<=[.:;)\"\u201d])[ \t]{3,}(?=\S)")
_ONLY_NUMBER = re.compile(r"^\s*(?:\(?\w{1,4}[.)]|\d{1,3}(?:\.\d{1,3})*\.?)\s*$")


def _units(document: Document) -> list[tuple[int, str, Paragraph | None]]:
    """Return the non-empty lines to read as paragraphs: (offset in text, text, paragraph).

    Paragraphs of plain text that hold several paragraphs separated by runs of spaces are split
    there; the paragraph is kept only for the first piece, whose style and label it owns.
    """
    units: list[tuple[int, str, Paragraph | None]] = []
    for para, offset in zip(document.paragraphs, document.paragraph_starts):
        raw = para.text
        if not raw.strip():
            continue
        cuts = [m.end() for m in _SOFT_BREAK.finditer(raw)] if len(raw) > 120 else []
        if not cuts:
            units.append((offset, raw, para))
            continue
        pieces: list[tuple[int, str]] = []
        begin = 0
        for cut in cuts + [len(raw)]:
            piece = raw[begin:cut]
            if pieces and _ONLY_NUMBER.match(pieces[-1][1]):
                # "2.   GRANT OF LICENSE": the number and its heading stay together.
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + piece)
            else:
                pieces.append((begin, piece))
            begin = cut
        for k, (begin, piece) in enumerate(pieces):
            if piece.strip():
                units.append((offset + begin, piece, para if k == 0 else None))
    return units


def _paragraph_clauses(document: Document) -> list[Clause]:
    """Return one unheaded clause per non-empty paragraph (a document with no headings at all)."""
    out = []
    for para, offset in zip(document.paragraphs, document.paragraph_starts):
        raw = para.text
        if not raw.strip():
            continue
        start = offset + len(raw) - len(raw.lstrip())
        end = offset + len(raw.rstrip())
        out.append(Clause("", start, end, document.text[start:end], 1, "", start))
    return out
