"""Classify clauses against the clause library and match them to its standard and fallback texts."""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal

from diff_match_patch import diff_match_patch

from clm.clauses.library import (
    CLAUSE_TEXT_MAX_WORDS,
    WORD,
    ClauseType,
    Library,
    Position,
    Variable,
    default_library_path,
    format_value,
    load_library,
)
from clm.clauses.segment import Clause, segment
from clm.documents import Document, from_text
from clm.versions.diff import diff

__all__ = [
    "CLASSIFY_MIN_SCORE",
    "Analysis",
    "AnalyzedClause",
    "Match",
    "Status",
    "analyze",
    "classify",
    "match",
]

Status = Literal["standard", "fallback", "nonstandard"]

# --------------------------------------------------------------------------- thresholds
#
# Classification score = W_HEADING * heading + W_TEXT * text + W_KEYWORDS * keywords, each in
# [0, 1]. The heading is what a drafter calls the clause and is the strongest signal when there is
# one; the text term is the TF-IDF cosine to everything the library says about the type; keywords
# are the library's own match hints found in the body. The weights and CLASSIFY_MIN_SCORE were
# set on the library's own texts (tests/clauses/test_match.py) and checked on CUAD dev
# (benchmarks/clause_classification.py); they are not fitted to any one contract.

#: Weight of the heading similarity.
W_HEADING = 0.3
#: Weight of the TF-IDF cosine between the clause and the clause type's library text.
W_TEXT = 0.55
#: Weight of the match-hint keywords found in the clause body.
W_KEYWORDS = 0.15
#: Below this score ``analyze`` leaves a clause unclassified. A heading that names a type scores
#: 0.3 alone, so it needs some support from the body; a body without a heading needs a clear
#: text and keyword resemblance.
CLASSIFY_MIN_SCORE = 0.3
#: Keywords found at which the keyword term saturates at 1.
KEYWORDS_SATURATE = 3
#: A clause is standard or a fallback only when, after whitespace, case, quotes and punctuation
#: are normalized and each variable has taken a value of its type, no word differs. A changed
#: word in a contract is a deviation someone must approve; there is no fuzzy "close enough".
#: Below this bag-of-words similarity to every position a clause is a rewrite rather than an
#: edit: the nearest position is still reported, but no word alignment is attempted (it would
#: cost time and show only that everything changed) and the bag-of-words Dice is the similarity.
RELATED_MIN_SIMILARITY = 0.5

_STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "shall", "may", "must", "hereby", "herein", "hereof", "hereto", "hereunder", "thereof", "therein", "thereto", "party", "parties", "agreement"]
)
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ed", "es", "s", "e", "y")


def _stem(word: str) -> str:
    """Return a crude stem ("assignment", "assigned", "assigns" -> "assign"); consistent is enough."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _content_stems(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower().replace("\u2019", "'")) if w not in _STOPWORDS]


def _features(text: str) -> Counter[str]:
    """Return unigram and bigram counts of the content words of ``text``."""
    stems = _content_stems(text)
    feats: Counter[str] = Counter(stems)
    feats.update(f"{a} {b}" for a, b in pairwise(stems))
    return feats


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LEADING_NUMBER = re.compile(
    r"^\s*(?:(?:article|section|clause)\s+[\dIVXLC]+(?:\.\d+)*\.?|\d{1,3}(?:\.\d{1,3})*\.?|\(?[a-z]{1,4}\)|[A-Z]\.)\s+",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class _TypeModel:
    key: str
    vector: dict[str, float]
    headings: tuple[tuple[str, ...], ...]
    keywords: tuple[tuple[str, ...], ...]


class _Index:
    """TF-IDF vectors of every clause type, built from the library's own texts and hints."""

    def __init__(self, library: Library) -> None:
        docs: dict[str, Counter[str]] = {}
        for key, clause in library.clauses.items():
            parts = [clause.title, clause.title]
            parts += list(clause.match_hints.headings)
            # Keywords are what the type's body typically says: count them twice.
            parts += list(clause.match_hints.keywords) * 2
            parts += [_PLACEHOLDER.sub(" ", p.text) for p in clause.positions]
            # The guidance names what the clause is about in other people's words too.
            parts += [clause.guidance.overview, *clause.guidance.red_flags]
            docs[key] = _features("\n".join(parts))
        n = len(docs)
        df: Counter[str] = Counter()
        for feats in docs.values():
            df.update(feats.keys())
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}
        self.models: list[_TypeModel] = []
        for key, clause in library.clauses.items():
            headings = {tuple(_content_stems(h)) for h in (clause.title, *clause.match_hints.headings)}
            keywords = tuple(tuple(_WORD.findall(k.lower())) for k in clause.match_hints.keywords)
            self.models.append(
                _TypeModel(key, self.vector(docs[key]), tuple(h for h in headings if h), tuple(k for k in keywords if k))
            )
        self.sections = _template_texts(library)

    def vector(self, feats: Counter[str]) -> dict[str, float]:
        """Return the L2-normalized sublinear TF-IDF vector of ``feats`` (unknown terms dropped)."""
        weights = {t: (1.0 + math.log(c)) * self.idf[t] for t, c in feats.items() if t in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


@dataclass(frozen=True)
class _TemplateText:
    """A headed section of literal text in a template: approved wording, though no clause type."""

    template: str
    heading: str
    position: Position
    variables: dict[str, Variable] = field(hash=False, compare=False)


def _heading_key(heading: str) -> str:
    return " ".join(_WORD.findall(heading.lower().replace("\u2019", "'")))


def _template_texts(library: Library) -> dict[str, list[_TemplateText]]:
    """Return the templates' own headed text sections by heading, as a drafted document reads them.

    A section made only of variables ("{{ special_terms }}") is left out: its words are whoever
    filled it in's, not the library's, so it is classified and matched like any other clause.
    """
    from clm.clauses.drafting import reading_order

    out: dict[str, list[_TemplateText]] = {}
    for template in library.templates.values():
        for section in template.sections:
            if section.clause is not None or not section.heading or not section.text:
                continue
            if not _tokens(_PLACEHOLDER.sub(" ", section.text)):
                continue
            text = reading_order(section.text)
            out.setdefault(_heading_key(section.heading), []).append(
                _TemplateText(template.key, section.heading, Position(0, "Template text", text), template.variables)
            )
    return out


def _heading_score(heading: Sequence[str], hints: Iterable[tuple[str, ...]]) -> float:
    """Return how well a heading's content stems name one of a type's headings (1 = exactly)."""
    if not heading:
        return 0.0
    got = set(heading)
    best = 0.0
    for hint in hints:
        want = set(hint)
        common = len(got & want)
        if not common:
            continue
        # Coverage of the hint, tempered by how much else the heading says ("Term and Termination"
        # names two types half each).
        best = max(best, (common / len(want)) * math.sqrt(common / len(got)))
    return best


def _keyword_score(words: Sequence[str], keywords: Iterable[tuple[str, ...]]) -> float:
    """Return the share of saturation reached by the type's keywords found in the body."""
    if not words:
        return 0.0
    joined = " " + " ".join(words) + " "
    hits = 0
    for keyword in keywords:
        # A keyword matches at word starts, so "assign" also finds "assigned" and "assignment".
        if " " + " ".join(keyword) in joined:
            hits += 1
    return min(1.0, hits / KEYWORDS_SATURATE)


_INDEXES: dict[int, tuple[Library, _Index]] = {}
_DEFAULT: list[Library] = []


def _library(library: Library | None) -> Library:
    if library is not None:
        return library
    if not _DEFAULT:
        _DEFAULT.append(load_library(default_library_path()))
    return _DEFAULT[0]


def _index(library: Library) -> _Index:
    # Library holds dicts, so it cannot be hashed; key by identity and keep it alive alongside.
    cached = _INDEXES.get(id(library))
    if cached is None or cached[0] is not library:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        cached = (library, _Index(library))
        _INDEXES[id(library)] = cached
    return cached[1]


def classify(
    clause: Clause | str, library: Library | None = None, *, heading: str | None = None
) -> list[tuple[str, float]]:
    """Return every clause type of the library with its score for ``clause``, best first.

    ``clause`` is a segmented Clause (its heading and body are used) or plain text, with an
    optional ``heading``. Scores are in [0, 1]; see the module's thresholds for how they add up.
    The default library is loaded once when ``library`` is not given.
    """
    index = _index(_library(library))
    if isinstance(clause, Clause):
        body = clause.body
        head = clause.heading if heading is None else heading
    else:
        body = clause
        head = heading or ""
    query = index.vector(_features(body))
    head_stems = _content_stems(head)
    words = _WORD.findall(body.lower())
    scored = []
    for model in index.models:
        text = sum(w * model.vector.get(t, 0.0) for t, w in query.items())
        score = (
            W_HEADING * _heading_score(head_stems, model.headings)
            + W_TEXT * text
            + W_KEYWORDS * _keyword_score(words, model.keywords)
        )
        scored.append((model.key, round(score, 4)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


# --------------------------------------------------------------------------- matching to positions


@dataclass(frozen=True)
class Match:
    """How a clause compares with the approved positions of its clause type.

    ``status`` is standard (the standard text), fallback (fallback ``position_rank``) or
    nonstandard; ``nearest_position`` is the rank of the closest approved text and
    ``similarity`` (0..1, 1 = same words) how close; ``ops`` is the word-level redline from that
    approved text (variables filled with the values found in the clause) to the clause:
    equal + delete spell the approved text, equal + insert the clause.
    """

    status: Status
    position_rank: int | None
    similarity: float
    nearest_position: int
    ops: tuple[tuple[str, str], ...]
    #: Variable values read from the clause, as written there ("thirty (30) days").
    values: tuple[tuple[str, str], ...] = ()


_TOKEN = WORD
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                         "\u00a0": " "})

#: A number in words as values are written ("twenty-five", "one hundred twenty", "thousand").
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|seven|eight"
    r"|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|hundred|thousand|million)"
)
#: A whole number in words: "one hundred twenty", "one hundred and twenty".
_IN_WORDS = rf"{_NUMBER_WORD}(?: (?:and )?{_NUMBER_WORD}){{0,11}}"

#: What a filled-in value of each variable type looks like, over lower-cased word tokens joined by
#: single spaces (punctuation such as "(", "%", "$" is not a token). Each accepts what
#: ``format_value`` writes for every valid value ("nine hundred ninety-nine thousand nine hundred
#: ninety-nine (999999) days", a jurisdiction of 100 characters, a one-line text of 2,000) and the
#: usual other ways of writing it ("30 days", "thirty days", "five percent (5%)"); the words around a
#: number must be number words, so a value never takes in a neighbouring word of the clause.
_VALUE_PATTERNS = {
    "duration": rf"(?:{_IN_WORDS} (?:\d[\d,]* )?|\d[\d,]* )(?:business |calendar )?"
                r"(?:days?|weeks?|months?|years?|hours?)",
    "money": r"(?:[a-z]{3} )?\d[\d,.]*(?: (?:[a-z]{3}|dollars|million|thousand))?",
    "percentage": rf"(?:{_IN_WORDS} (?:point {_IN_WORDS} )?percent )?\d+(?:\.\d+)?(?: percent)?"
                  rf"|{_IN_WORDS}(?: point {_IN_WORDS})? percent",
    "integer": rf"(?:{_IN_WORDS} )?\d[\d,]*|{_IN_WORDS}",
    "date": r"[a-z]+ \d{1,2} \d{4}|\d{1,2} [a-z]+ \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2} \d{1,2} \d{2,4}",
    "jurisdiction": r"(?:the )?(?:(?:state|commonwealth|province|district) of )?\S+(?: \S+){0,49}",
    "party": rf"\S+(?: \S+){{0,{CLAUSE_TEXT_MAX_WORDS - 1}}}",
    "text": rf"\S+(?: \S+){{0,{CLAUSE_TEXT_MAX_WORDS - 1}}}",
}
#: The most tokens a value of each type can take (bounds the clause lengths worth a full match).
_MAX_TOKENS = {"duration": 26, "money": 3, "percentage": 50, "integer": 25, "date": 3, "jurisdiction": 53,
               "party": CLAUSE_TEXT_MAX_WORDS, "text": CLAUSE_TEXT_MAX_WORDS}
#: A template's own sections take party and text values of any valid length: one line of at most
#: 2,000 characters, so at most 1,000 words.
_TEMPLATE_TEXT_MAX_WORDS = 1000
_VALUE_RES = {kind: re.compile(f"(?:{pattern})") for kind, pattern in _VALUE_PATTERNS.items()}

_dmp = diff_match_patch()
# A clause is short; the timeout only bounds the odd clause that swallowed half a contract.
_dmp.Diff_Timeout = 0.25


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text.translate(_QUOTES)))


@dataclass(frozen=True)
class _Piece:
    """A token of a position text: a literal word, or a variable (``word`` is None)."""

    word: str | None
    variable: str | None = None


def _pieces(text: str, variables: dict[str, Variable]) -> list[_Piece]:
    """Return the tokens of a position text; a fixed variable is the literal words of its value."""
    fixed = tuple(sorted((name, format_value(v, v.default)) for name, v in variables.items() if v.fixed))
    return list(_tokenized(text, fixed))


@functools.lru_cache(maxsize=4096)
def _tokenized(text: str, fixed: tuple[tuple[str, str], ...]) -> tuple[_Piece, ...]:
    # Every clause of every contract is compared with the same few hundred texts: tokenize once.
    values = dict(fixed)
    out: list[_Piece] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        out.extend(_Piece(t.group(0).lower()) for t in _tokens(text[pos : m.start()]))
        if m.group(1) in values:
            out.extend(_Piece(t.group(0).lower()) for t in _tokens(values[m.group(1)]))
        else:
            out.append(_Piece(None, m.group(1)))
        pos = m.end()
    out.extend(_Piece(t.group(0).lower()) for t in _tokens(text[pos:]))
    return tuple(out)


def _exact(pieces: list[_Piece], words: list[str], variables: dict[str, Variable],
           free_words: int = CLAUSE_TEXT_MAX_WORDS) -> dict[str, tuple[int, int]] | None:
    """Return the token range each variable took if ``words`` is ``pieces`` filled in, else None.

    ``free_words`` is the most words a party or text value may take.
    """

    def most(name: str | None) -> int:
        kind = _type(variables.get(name or ""))
        return free_words if kind in ("party", "text") else _MAX_TOKENS[kind]

    def pattern(name: str) -> str:
        kind = _type(variables.get(name))
        if kind in ("party", "text"):
            return rf"\S+(?: \S+){{0,{free_words - 1}}}"
        return _VALUE_PATTERNS[kind]

    literal = sum(1 for p in pieces if p.word is not None)
    holes = len(pieces) - literal
    # A clause of any other length cannot match, and the regular expression is never tried on a
    # whole contract.
    if not literal + holes <= len(words) <= literal + sum(most(p.variable) for p in pieces if p.word is None):
        return None
    parts: list[str] = []
    seen: set[str] = set()
    for piece in pieces:
        if piece.word is not None:
            parts.append(re.escape(piece.word))
        else:
            name = piece.variable or ""
            if name in seen:
                parts.append(f"(?P={name})")  # one variable, one value everywhere in the clause
            else:
                parts.append(f"(?P<{name}>{pattern(name)})")
                seen.add(name)
    joined = " ".join(words)
    m = re.fullmatch(" ".join(parts), joined)
    if m is None:
        return None
    ranges: dict[str, tuple[int, int]] = {}
    for name in seen:
        start, end = m.span(name)
        first = joined[:start].count(" ")
        ranges[name] = (first, first + joined[start:end].count(" ") + 1)
    return ranges


def _absorb(inserted: list[str], names: list[str], variables: dict[str, Variable]) -> list[tuple[str, int, int]]:
    """Return (variable, start, end) runs of ``inserted`` tokens that are values of ``names``.

    Each variable takes the longest run matching its type, searched left to right after the
    previous one; a variable that finds no run takes nothing.
    """
    out: list[tuple[str, int, int]] = []
    at = 0
    for name in names:
        pattern = _VALUE_RES[_type(variables.get(name))]
        best: tuple[int, int] | None = None
        for start in range(at, min(len(inserted), at + 25)):
            for end in range(min(len(inserted), start + 30), start, -1):
                if pattern.fullmatch(" ".join(inserted[start:end])):
                    best = (start, end)
                    break
            if best:
                break
        if best:
            out.append((name, *best))
            at = best[1]
    return out


def _type(variable: Variable | None) -> str:
    return variable.type if variable is not None and variable.type in _VALUE_PATTERNS else "text"


def _near(
    pieces: list[_Piece], words: list[str], variables: dict[str, Variable]
) -> tuple[float, dict[str, tuple[int, int]]]:
    """Return (Dice similarity of words, variable token ranges) for a text that does not match exactly.

    Variables count as matched where the clause holds a value of their type in the same place.
    """
    vocab: dict[str, str] = {}

    def code(token: str) -> str:
        if token not in vocab:
            vocab[token] = chr(0xE000 + len(vocab)) if len(vocab) < 6000 else chr(0x10000 + len(vocab))
        return vocab[token]

    a = "".join(code(p.word) if p.word is not None else code("\x00" + (p.variable or "")) for p in pieces)
    b = "".join(code(w) for w in words)
    ops = _dmp.diff_main(a, b, False)
    matched = 0
    pattern_len = 0
    ranges: dict[str, tuple[int, int]] = {}
    i = j = 0  # positions in pieces and words
    k = 0
    while k < len(ops):
        op, chunk = ops[k]
        if op == 0:
            matched += len(chunk)
            pattern_len += len(chunk)
            i += len(chunk)
            j += len(chunk)
            k += 1
            continue
        # A change block: consecutive deletes and inserts between two equal runs.
        deleted: list[_Piece] = []
        ins_start = j
        while k < len(ops) and ops[k][0] != 0:
            op, chunk = ops[k]
            if op == -1:
                deleted.extend(pieces[i : i + len(chunk)])
                i += len(chunk)
            else:
                j += len(chunk)
            k += 1
        inserted = words[ins_start:j]
        names = [p.variable or "" for p in deleted if p.word is None]
        literal = len(deleted) - len(names)
        absorbed = _absorb(inserted, names, variables) if names and inserted else []
        took = 0
        for name, s, e in absorbed:
            ranges.setdefault(name, (ins_start + s, ins_start + e))
            took += e - s
        matched += took
        pattern_len += literal + took + (len(names) - len(absorbed))
    total = pattern_len + len(words)
    return (2 * matched / total if total else 1.0), ranges


def _bag_similarity(pieces: list[_Piece], bag: Counter[str]) -> float:
    """Return the Dice similarity of the position's literal words and the clause's, as bags."""
    literal = Counter(p.word for p in pieces if p.word is not None)
    total = sum(literal.values()) + sum(bag.values())
    return 2 * sum((literal & bag).values()) / total if total else 1.0


def _fill(text: str, variables: dict[str, Variable], values: dict[str, str]) -> str:
    """Return a position text with its variables replaced by clause values, defaults or labels."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in values:
            return values[name]
        variable = variables.get(name)
        if variable is not None and variable.default is not None:
            return format_value(variable, variable.default)
        return f"[{variable.label if variable else name}]"

    return _PLACEHOLDER.sub(value, text)


def _value_text(body: str, start: int, end: int) -> str:
    """Return a value as written, with the symbols tokens leave out ("$", "%", a closing ")")."""
    while start > 0 and body[start - 1] in "$\u20ac\u00a3":
        start -= 1
    while end < len(body) and (body[end] == "%" or (body[end] == ")" and body.count("(", start, end) >
                                                     body.count(")", start, end))):
        end += 1
    return body[start:end]


def _strip_number(text: str) -> str:
    return _LEADING_NUMBER.sub("", text, count=1)


def match(clause_text: str, clause_type: ClauseType) -> Match:
    """Return how ``clause_text`` (a clause body) compares with ``clause_type``'s positions.

    Standard or fallback N when the words are those of that position with each variable filled
    by a value of its type and each fixed variable by its one value (the most preferred such
    position wins); nonstandard otherwise, with the redline against the most similar position.
    """
    found = _compare(clause_text, clause_type.positions, clause_type.variables)
    assert found is not None
    return found


def _compare(clause_text: str, positions: Sequence[Position], variables: dict[str, Variable], *,
             exact_only: bool = False, free_words: int = CLAUSE_TEXT_MAX_WORDS) -> Match | None:
    """Return :func:`match` against ``positions``; None when ``exact_only`` and none matches exactly.

    When several positions match (a party or text value can take in the words one position adds
    to another), the one whose own words cover more of the clause wins, then the most preferred.
    """
    body = _strip_number(clause_text.strip())
    spans = _tokens(body)
    words = [m.group(0).lower() for m in spans]

    def values_of(ranges: dict[str, tuple[int, int]]) -> dict[str, str]:
        return {name: _value_text(body, spans[s].start(), spans[e - 1].end()) for name, (s, e) in ranges.items()
                if e > s}

    candidates: list[tuple[float, int, list[_Piece]]] = []
    exact: list[tuple[int, int, Position, dict[str, tuple[int, int]]]] = []
    bag = Counter(words)
    for position in positions:
        pieces = _pieces(position.text, variables)
        ranges = _exact(pieces, words, variables, free_words)
        if ranges is not None:
            exact.append((-sum(1 for p in pieces if p.word is not None), position.rank, position, ranges))
        elif not exact_only:
            candidates.append((_bag_similarity(pieces, bag), position.rank, pieces))
    if exact:
        _, _, position, ranges = min(exact, key=lambda e: (e[0], e[1]))
        values = values_of(ranges)
        approved = _fill(position.text, variables, values)
        status: Status = "standard" if position.rank == 0 else "fallback"
        return Match(status, position.rank, 1.0, position.rank, _redline(approved, body), tuple(sorted(values.items())))
    if exact_only:
        return None
    # Aligning word sequences costs time in proportion to how different they are, so only the
    # positions that share enough words with the clause are aligned; for the others the
    # bag-of-words Dice (an upper bound of the aligned one) stands in.
    top = max(c[0] for c in candidates)
    best: tuple[float, int, dict[str, str]] = (-1.0, 0, {})
    for bag_similarity, rank, pieces in candidates:
        if top >= RELATED_MIN_SIMILARITY and bag_similarity >= top - 0.1:
            similarity, near_ranges = _near(pieces, words, variables)
            values = values_of(near_ranges)
        else:
            similarity, values = bag_similarity, {}
        if similarity > best[0]:
            best = (similarity, rank, values)
    similarity, rank, values = best
    text = next(p.text for p in positions if p.rank == rank)
    approved = _fill(text, variables, values)
    return Match("nonstandard", None, round(min(similarity, 0.9999), 4), rank, _redline(approved, body),
                 tuple(sorted(values.items())))


def _redline(old: str, new: str) -> tuple[tuple[str, str], ...]:
    return tuple(diff(from_text(old), from_text(new)).ops())


# --------------------------------------------------------------------------- whole documents


@dataclass(frozen=True)
class AnalyzedClause:
    """A segmented clause with its clause type (None if unclassified) and its match."""

    clause: Clause
    clause_type: str | None
    score: float
    match: Match | None
    #: The best three (type, score) candidates, for a reviewer who disagrees with the first.
    candidates: tuple[tuple[str, float], ...] = ()
    #: Where the text that was classified and matched ends (sub-clauses with their own heading
    #: are analyzed on their own and left out).
    end: int = 0
    #: (template key, heading) when the clause is a template's own text section rather than a
    #: clause type ("Order Details" of the order form); ``clause_type`` is then None.
    section: tuple[str, str] | None = None


@dataclass(frozen=True)
class Analysis:
    """Every analyzed clause of a document, and the expected clause types it lacks."""

    clauses: tuple[AnalyzedClause, ...]
    missing: tuple[str, ...]

    @property
    def found(self) -> frozenset[str]:
        """Return the clause types found."""
        return frozenset(c.clause_type for c in self.clauses if c.clause_type)

    @property
    def deviations(self) -> tuple[AnalyzedClause, ...]:
        """Return the classified clauses that are not at an approved position."""
        return tuple(c for c in self.clauses if c.match is not None and c.match.status == "nonstandard")


def _units(clauses: list[Clause]) -> list[tuple[Clause, int]]:
    """Return the clauses to analyze with where each one's own text ends.

    Headed clauses are analyzed, each up to its first headed sub-clause; unheaded clauses only
    when no enclosing clause has a heading (an "(a)" belongs to the clause it sits in).
    """
    units: list[tuple[Clause, int]] = []
    for k, clause in enumerate(clauses):
        if clause.level == 0:
            continue
        enclosing_headed = False
        level = clause.level
        for earlier in reversed(clauses[:k]):
            if earlier.level < level and earlier.end > clause.start:
                if earlier.heading and earlier.level > 0:
                    enclosing_headed = True
                    break
                level = earlier.level
        if not clause.heading and enclosing_headed:
            continue
        own_end = clause.end
        for later in clauses[k + 1 :]:
            if later.start >= clause.end:
                break
            if later.level > clause.level and later.heading:
                own_end = later.start
                break
        units.append((clause, own_end))
    return units


def _body(text: str, clauses: list[Clause], clause: Clause, end: int) -> str:
    """Return the words of ``clause`` after its heading up to ``end``, without nested clause numbers.

    A plain-text or PDF contract writes "1.2" before its second paragraph where Word keeps the
    number in the list numbering; either way the number is layout, not wording.
    """
    if clause.body_start < 0:
        return clause.text
    start = clause.body_start
    pieces: list[str] = []
    at = start
    for sub in clauses[bisect.bisect_left(clauses, start, key=lambda c: c.start) :]:
        if sub.start >= end:
            break
        if sub is clause or not sub.number or sub.start < at:
            continue
        # A number Word keeps in the paragraph's list label is not in the text at all (the body
        # then starts where the clause does).
        in_text = sub.body_start > sub.start and text.startswith(
            sub.number.strip("()"), sub.start + (1 if text[sub.start] == "(" else 0))
        number = _LEADING_NUMBER.match(text[sub.start : end]) if in_text else None
        if number is None:
            continue
        pieces.append(text[at : sub.start])
        at = sub.start + number.end()
    pieces.append(text[at:end])
    return "\n".join(piece.strip() for piece in pieces if piece.strip())


def analyze(document: Document, library: Library | None = None, expected: set[str] | None = None) -> Analysis:
    """Return the document's clauses classified against the library and matched to its positions.

    ``expected`` names clause types the contract should have (say, a template's clauses); those
    not found are listed in ``missing``. A headed clause whose words are not a position of its
    type is also tried as a whole (with its headed sub-clauses), and against the templates' own
    sections of the same heading: a drafted order form's "Order Details" is the library's wording
    though no clause type.
    """
    library = _library(library)
    index = _index(library)
    text = document.text
    clauses = segment(document)
    out: list[AnalyzedClause] = []
    covered = -1  # end of the last clause matched whole, sub-clauses included
    for clause, own_end in _units(clauses):
        if clause.start < covered:
            continue
        body = _body(text, clauses, clause, own_end)
        if not body and not clause.heading:
            continue
        ranked = classify(body, library, heading=clause.heading)
        key, score = ranked[0]
        found: Match | None = None
        if score >= CLASSIFY_MIN_SCORE and body:
            found = match(body, library.clause(key))
        else:
            key = ""
        if found is not None and found.status != "nonstandard":
            out.append(AnalyzedClause(clause, key, score, found, tuple(ranked[:3]), own_end))
            continue
        whole = _whole(text, clauses, clause, own_end, key, library, index)
        if whole is not None:
            out.append(replace(whole, score=score, candidates=tuple(ranked[:3])))
            covered = clause.end
            continue
        out.append(AnalyzedClause(clause, key or None, score, found, tuple(ranked[:3]), own_end))
    found_types = {c.clause_type for c in out if c.clause_type}
    missing = tuple(sorted(set(expected or ()) - found_types))
    return Analysis(tuple(out), missing)


def _whole(text: str, clauses: list[Clause], clause: Clause, own_end: int, key: str, library: Library,
           index: _Index) -> AnalyzedClause | None:
    """Return ``clause`` with its sub-clauses matched exactly to its type or to a template section."""
    if not clause.heading:
        return None
    body = _body(text, clauses, clause, clause.end)
    if not body:
        return None
    if key and own_end < clause.end:
        clause_type = library.clause(key)
        found = _compare(body, clause_type.positions, clause_type.variables, exact_only=True)
        if found is not None:
            return AnalyzedClause(clause, key, 0.0, found, (), clause.end)
    for section in index.sections.get(_heading_key(clause.heading), ()):
        found = _compare(body, (section.position,), section.variables, exact_only=True,
                         free_words=_TEMPLATE_TEXT_MAX_WORDS)
        if found is not None:
            return AnalyzedClause(clause, None, 0.0, found, (), clause.end, (section.template, section.heading))
    return None
