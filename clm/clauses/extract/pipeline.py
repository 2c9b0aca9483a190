"""The extraction pipeline: a blank English spaCy pipeline with clm_ components, and segmenting."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from clm.clauses.extract import components

#: Components of the default pipeline, in order.
PIPE_NAMES = ("clm_cues", "clm_dates", "clm_durations", "clm_money", "clm_jurisdictions")

#: Sentences longer than this are cut into windows; a 5 MB "paragraph" must not become one Doc.
MAX_SEGMENT_CHARS = 3000
#: How much of the opening text counts as the preamble (title, parties, date).
PREAMBLE_CHARS = 6000

# A sentence ends at ". " / "; " / ": " + capital or opening bracket, or at a line break.
_SENT_END = re.compile(r"(?<=[.;:!?])[\"”')]?\s+(?=[\"“(\[]?[A-Z0-9(])")
_LINE = re.compile(r"[^\n]+")
# Cheap prefilter: a sentence is worth a Doc only if one of these occurs in it.
_PREFILTER = re.compile(
    r"renew|extend|extension|successive|year[\s-]to[\s-]year|evergreen|terminat|terminab|cancel|govern|constru"
    r"|interpret|laws?\b|effective|commenc|\bterm\b|expir|perpetu|indefinite|remain\s+in|continue"
    r"|\bthis\s+agreement\b[^.;]{0,80}?\bends?\s+on\b"
    r"|into\s+force|remain\s+valid|anniversar|days?\W{0,3}\s*(?:prior\s+|advance\s+)?(?:written\s+)?notice"
    r"|invoice|payable|\bnet\s*\(?\d|\bpay|\bfee|price|increase|\$|€|£|usd|eur\b|gbp",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1)
def build_nlp() -> Language:
    """Return the default extraction pipeline (built once per process)."""
    components.register()
    nlp = spacy.blank("en")
    for name in PIPE_NAMES:
        nlp.add_pipe(name)
    return nlp


@dataclass(frozen=True)
class Segment:
    """A sentence-sized piece of the text: [start, end) in the original string."""

    start: int
    end: int


def _split_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield windows of at most MAX_SEGMENT_CHARS, cut at whitespace where possible."""
    while end - start > MAX_SEGMENT_CHARS:
        cut = text.rfind(" ", start + MAX_SEGMENT_CHARS // 2, start + MAX_SEGMENT_CHARS)
        if cut <= start:
            cut = start + MAX_SEGMENT_CHARS
        yield start, cut
        start = cut
    yield start, end


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[Segment]:
    """Yield sentence segments of text[start:end] (lines, then sentence ends, then windows)."""
    end = len(text) if end is None else end
    for line in _LINE.finditer(text, start, end):
        ls, le = line.span()
        pos = ls
        for m in _SENT_END.finditer(text, ls, le):
            if pos == ls and text[m.start() - 1] == ":" and _label_and_value(text, ls, m.start(), le):
                continue
            if m.start() > pos:
                yield from _segments(text, pos, m.start())
            pos = m.end()
        if le > pos:
            yield from _segments(text, pos, le)


def _label_and_value(text: str, start: int, colon_end: int, end: int) -> bool:
    """Return whether a line is a form field, a short label and its short value ("Governing Law:
    State of California", "Renewal Term: 12 months"): one segment, since the value alone says
    nothing of what it is the value of."""
    label, value = text[start:colon_end - 1].strip(), text[colon_end:end].strip()
    return (0 < len(label) <= 40 and len(label.split()) <= 5 and 0 < len(value) <= 80
            and _SENT_END.search(value) is None)


def _segments(text: str, s: int, e: int) -> Iterator[Segment]:
    # Trim surrounding whitespace so evidence spans hold text only.
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e - s < 3:
        return
    for a, b in _split_long(text, s, e):
        yield Segment(a, b)


def candidate_segments(text: str) -> list[Segment]:
    """Return the sentences worth running the pipeline on (prefiltered by keywords)."""
    out = []
    for line in _LINE.finditer(text):
        if not _PREFILTER.search(line.group(0)):
            continue
        for seg in sentences(text, line.start(), line.end()):
            if _PREFILTER.search(text, seg.start, seg.end):
                out.append(seg)
    return out


def run(text: str, segments: list[Segment]) -> list[Doc]:
    """Return one processed Doc per segment; doc._.clm_offset is the segment's start in text."""
    nlp = build_nlp()
    docs = []
    for seg, doc in zip(segments, nlp.pipe(text[s.start:s.end] for s in segments)):
        doc._.clm_offset = seg.start
        docs.append(doc)
    return docs
