"""Read a PDF into a Document: the text layer in reading order, or OCR for scanned pages.

Pure (no Flask, no database) and meant to run inside the capped child of :mod:`clm.sandbox`
(see :func:`clm.versions.intake.read_upload`): PDFium (pypdfium2) parses the untrusted file,
and Tesseract, when a page has no usable text layer, runs as a subprocess of that child, so it
inherits its memory, CPU-time and no-file-writes caps.

What comes out is what extraction, search, clause review and compare read:

* lines in PDFium's reading order, joined into paragraphs: line breaks inside a sentence become
  spaces, a word hyphenated across a line break is joined ("termi-" + "nation"), a paragraph
  that runs over a page break is one paragraph;
* running headers and footers (a line in the top or bottom margin that repeats on at least half
  of the pages, digits aside) and page numbers are dropped;
* every line kept is recorded with its page and box (:class:`clm.documents.PageLine`), so an
  offset in ``Document.text`` points at a box on a page.

Scripts and actions (JavaScript, OpenAction, Launch) are never run: only text is read, and the
Document says so in ``problems``. Files that need a password, carry embedded files, or have
more pages than allowed are refused with a :class:`clm.errors.ClmError`.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import statistics
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from clm.documents import Document, Page, PageLine, Paragraph, Run
from clm.errors import InvalidInput, TooLarge, UnsupportedMedia

__all__ = ["PdfOptions", "ScanPending", "from_pdf", "needs_ocr", "ocr_available", "read_pdf", "render_page"]

ENCRYPTED = ("This PDF is password-protected (encrypted); remove the password and upload it "
             "again.")
DAMAGED = "The file is damaged or not a complete PDF; it could not be read."
EMBEDDED = ("This PDF carries {n} embedded file(s) (attachments); clm does not accept files "
            "inside files. Remove the attachments (or print the PDF to a new PDF) and upload it again.")
TOO_MANY_PAGES = "The PDF has {n:,} pages; clm accepts PDFs of at most {limit:,} pages."
NO_OCR = ("This PDF is scanned (its pages have no text layer) and OCR is not installed on this "
          "server (Debian package tesseract-ocr); it cannot be read.")
OCR_FAILED = "OCR could not read page {page} of this scanned PDF; it may be damaged."
EMPTY_PDF = "This PDF has no text clm could read, not even by OCR."
ACTIONS = ("This PDF contains scripts or automatic actions ({what}); clm read only its text and "
           "never runs them.")

_PDF_ERR_PASSWORD = 4
_MARGIN = 0.09  # top and bottom share of a page where running headers and footers live
#: A page number alone on a line: "7", "- 7 -", "Page 7 of 30", "7/30", "iv" (lower-case roman only, and
#: never in parentheses: "(c)" or "II" alone on a line is a list label or an article number).
_PAGE_NUMBER = re.compile(r"^[\s\-–—]*(page\s+)?(\d{1,4}|(?-i:[ivxlcdm]{1,7}))(\s*(of|/)\s*\d{1,4})?[\s\-–—]*$",
                          re.IGNORECASE)
_ENUMERATION = re.compile(r"^(\(?[0-9]{1,3}(\.[0-9]{1,3})*[.)]?\s|\(?[a-zA-Z]{1,4}[.)]\s|\([a-zA-Z0-9]{1,4}\)|"
                          r"(section|article|schedule|exhibit|annex|appendix)\s+[0-9IVXivx]|[•●▪◦·\-–]\s)",
                          re.IGNORECASE)
_SENTENCE_END = tuple(".:;!?")
_ACTION_MARKERS = ((b"/JavaScript", "JavaScript"), (b"/JS", "JavaScript"), (b"/Launch", "Launch"),
                   (b"/OpenAction", "OpenAction"), (b"/AA", "automatic actions"),
                   (b"/SubmitForm", "SubmitForm"), (b"/ImportData", "ImportData"))


@dataclass(frozen=True)
class PdfOptions:
    """Caps and settings for reading one PDF."""

    #: Pages in one PDF (a contract with its schedules is rarely over 200).
    max_pages: int = 500
    #: Resolution pages are rendered at for OCR: on CUAD scans 200, 250 and 300 dpi give the same
    #: word confidence, 300 takes ~1.8x the time of 200.
    ocr_dpi: int = 250
    #: Wall-clock cap on OCR of one page (the child's overall deadline still applies).
    ocr_page_timeout_seconds: float = 60
    #: OCR language(s), Tesseract's names.
    ocr_languages: str = "eng"
    #: False reads only text layers (benchmarks measure the text path alone with it).
    ocr: bool = True


@dataclass
class _Line:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom in points, top-left origin
    #: OCR only: Tesseract's (block, paragraph) of the line; lines of one paragraph share it.
    para: tuple[int, int] | None = None


#: OCR reads typographic quotes where the file may have had straight ones; contracts' defined
#: terms are matched on straight quotes.
_OCR_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
#: OCR's usual letter-for-digit slips where only a digit can stand: "lst" (1st), "2O03", "l0".
_OCR_DIGITS = ((re.compile(r"\b[lI](st)\b"), r"1\1"), (re.compile(r"(?<=\d)[lI](?=\d|\b)"), "1"),
               (re.compile(r"(?<=\d)O(?=\d)"), "0"), (re.compile(r"\b[lI](?=\d+\b)"), "1"))


def _ocr_word(word: str) -> str:
    """Return an OCR'd word with typographic quotes straightened and digit slips fixed."""
    word = word.translate(_OCR_QUOTES)
    for pattern, replacement in _OCR_DIGITS:
        word = pattern.sub(replacement, word)
    return word


def ocr_available() -> bool:
    """Return whether the Tesseract binary is on the PATH."""
    return shutil.which("tesseract") is not None


def _open(data: bytes):  # type: ignore[no-untyped-def]
    """Return a pypdfium2 PdfDocument for ``data``; raise a ClmError for encrypted or broken files."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if getattr(err, "err_code", None) == _PDF_ERR_PASSWORD:
            raise InvalidInput(ENCRYPTED) from None
        raise InvalidInput(DAMAGED) from None


def _actions(data: bytes, pdf) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the kinds of scripts/actions the file declares (names, deduplicated, in order)."""
    from pypdfium2 import raw

    found: list[str] = []
    if raw.FPDFDoc_GetJavaScriptActionCount(pdf.raw) > 0:
        found.append("JavaScript")
    for marker, name in _ACTION_MARKERS:
        if re.search(re.escape(marker) + rb"(?![A-Za-z])", data) and name not in found:
            found.append(name)
    return found


def _is_garbage(text: str) -> bool:
    """Return whether a text layer is unusable: too little of it, or mostly not words."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < 20:
        return True
    good = sum(1 for c in chars if c.isalnum() or c in ".,;:'\"()[]-–—$%&/§@#*+=!?’“”‘")
    if good / len(chars) < 0.85:
        return True
    words = re.findall(r"[A-Za-z]{2,}", text)
    if not words:  # another script (Chinese, Greek ...): a real text layer is mostly letters
        return sum(1 for c in chars if c.isalpha()) < 0.5 * len(chars)
    voweled = sum(1 for w in words if re.search(r"[aeiouyAEIOUY]", w))
    return voweled / len(words) < 0.6


def needs_ocr(text: str) -> bool:
    """Return whether a page whose text layer reads ``text`` should be read by OCR instead."""
    return _is_garbage(text)


def _has_image(page) -> bool:  # type: ignore[no-untyped-def]
    """Return whether a page draws at least one image (at any depth of form XObjects)."""
    from pypdfium2 import raw

    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=5))


def _text_lines(page, height: float) -> list[_Line]:  # type: ignore[no-untyped-def]
    """Return the lines of a page's text layer, in PDFium's reading order, with their boxes."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range() if count > 0 else ""
        boxes = None
        if count == len(text):
            boxes = [textpage.get_charbox(i) for i in range(count)]
        lines: list[_Line] = []
        pos = 0
        # PDFium ends a line with U+FFFE (and no line break) where a word is hyphenated across
        # it: that is a line break after a hyphen, joined (or not) by _join like any other.
        for raw_line in re.split(r"(\r\n|\r|\n|\ufffe)", text):
            if raw_line in ("\r\n", "\r", "\n", "\ufffe"):
                pos += len(raw_line)
                if raw_line == "\ufffe" and lines:
                    lines[-1].text += "-"
                continue
            start, end = pos, pos + len(raw_line)
            pos = end
            cleaned = raw_line.replace("\x02", "-").replace("\x00", "")
            cleaned = " ".join(cleaned.split())
            if not cleaned:
                continue
            box: tuple[float, float, float, float]
            if boxes is not None:
                got = [boxes[i] for i in range(start, end) if not raw_line[i - start].isspace()
                       and boxes[i][2] > boxes[i][0]]
                if got:
                    left = min(b[0] for b in got)
                    right = max(b[2] for b in got)
                    bottom = min(b[1] for b in got)
                    top = max(b[3] for b in got)
                    box = (left, height - top, right, height - bottom)
                else:
                    box = (0.0, 0.0, 0.0, 0.0)
            else:
                box = (0.0, 0.0, 0.0, 0.0)
            lines.append(_Line(cleaned, box))
        return lines
    finally:
        textpage.close()


def render_page(pdf, index: int, dpi: float):  # type: ignore[no-untyped-def]
    """Return page ``index`` of an open PdfDocument rendered as a greyscale PIL image."""
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True, draw_annots=False).to_pil()
    finally:
        page.close()


def _ocr_page(pdf, index: int, width: float, height: float,  # type: ignore[no-untyped-def]
              options: PdfOptions) -> tuple[list[_Line], float]:
    """Return the lines OCR reads on page ``index`` and their mean word confidence (0-100)."""
    image = render_page(pdf, index, options.ocr_dpi)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    scale_x = width / image.size[0]
    scale_y = height / image.size[1]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C"}
    try:
        # --psm 4: one column of text of varying sizes (a contract page); unlike the default
        # automatic layout it keeps clause numbers ("2.") on their lines.
        done = subprocess.run(["tesseract", "-", "-", "-l", options.ocr_languages, "--psm", "4",
                               "--dpi", str(options.ocr_dpi), "tsv"],
                              input=buffer.getvalue(), capture_output=True, env=env,
                              timeout=options.ocr_page_timeout_seconds, check=False)
    except FileNotFoundError:
        raise UnsupportedMedia(NO_OCR) from None
    except subprocess.TimeoutExpired:
        raise InvalidInput(OCR_FAILED.format(page=index + 1)) from None
    if done.returncode != 0:
        raise InvalidInput(OCR_FAILED.format(page=index + 1))
    grouped: dict[tuple[int, int, int], list[tuple[str, float, tuple[float, float, float, float]]]] = {}
    for row in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            left, top, w, h = (int(c) for c in cols[6:10])
            conf = float(cols[10])
        except ValueError:
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        grouped.setdefault(key, []).append((_ocr_word(cols[11].strip()), conf, (left * scale_x, top * scale_y,
                                                                      (left + w) * scale_x, (top + h) * scale_y)))
    lines: list[_Line] = []
    confs: list[tuple[float, int]] = []
    for (block, par, _line), words in grouped.items():
        text = " ".join(w[0] for w in words)
        box = (min(w[2][0] for w in words), min(w[2][1] for w in words),
               max(w[2][2] for w in words), max(w[2][3] for w in words))
        lines.append(_Line(text, box, (block, par)))
        confs.extend((w[1], len(w[0])) for w in words if w[1] >= 0)
    total = sum(n for _, n in confs)
    mean = sum(c * n for c, n in confs) / total if total else 0.0
    return lines, mean


def _norm_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_running(pages: list[tuple[float, list[_Line]]]) -> list[list[_Line]]:
    """Return each page's lines without running headers/footers and page numbers."""
    def in_margin(line: _Line, height: float) -> bool:
        return line.box[3] <= height * _MARGIN or line.box[1] >= height * (1 - _MARGIN) or line.box == (0, 0, 0, 0)

    counts: Counter[str] = Counter()
    for height, lines in pages:
        counts.update({_norm_key(ln.text) for ln in lines if in_margin(ln, height)})
    repeated = {k for k, n in counts.items() if len(pages) >= 2 and n >= max(2, (len(pages) + 1) // 2)}
    kept: list[list[_Line]] = []
    for height, lines in pages:
        page_kept = []
        for i, line in enumerate(lines):
            edge = i < 2 or i >= len(lines) - 2  # first or last lines in reading order
            if (in_margin(line, height) or edge) and _PAGE_NUMBER.match(line.text):
                continue
            if in_margin(line, height) and _norm_key(line.text) in repeated:
                continue
            page_kept.append(line)
        kept.append(page_kept)
    return kept


#: A line that opens with a short capitalised label and a colon: a field of an order form or a cover page.
_FORM_FIELD = re.compile(r"[A-Z][A-Za-z0-9 /&()'’.-]{0,40}:[ \t]*\S")


def _is_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(text) < 80 and all(c.isupper() for c in letters) and not text.endswith(",")


def _paragraphs(pages: list[list[_Line]]) -> list[list[tuple[int, _Line, str]]]:
    """Group lines into paragraphs: [(page index, line, joiner before it)], the joiner being
    "" (first line, or a hyphenated word continued), or " "."""
    rights = [ln.box[2] for page in pages for ln in page if ln.box[2] > 0]
    lefts = [ln.box[0] for page in pages for ln in page if ln.box[2] > 0]
    full_right = statistics.quantiles(rights, n=10)[-1] if len(rights) >= 10 else (max(rights) if rights else 0)
    margin_left = statistics.quantiles(lefts, n=10)[0] if len(lefts) >= 10 else (min(lefts) if lefts else 0)
    pitches = [b.box[1] - a.box[1] for page in pages for a, b in itertools.pairwise(page)
               if 0 < b.box[1] - a.box[1] < 60]
    pitch = statistics.median(pitches) if pitches else 14.0
    out: list[list[tuple[int, _Line, str]]] = []
    prev: _Line | None = None
    prev_page = -1
    for page_no, lines in enumerate(pages):
        for line in lines:
            joiner = _join(prev, line, prev_page != page_no, pitch, full_right, margin_left)
            if joiner is None:
                out.append([(page_no, line, "")])
            else:
                out[-1].append((page_no, line, joiner))
            prev, prev_page = line, page_no
    return out


def _join(prev: _Line | None, line: _Line, new_page: bool, pitch: float, full_right: float,
          margin_left: float) -> str | None:
    """Return how ``line`` continues the paragraph of ``prev`` ("" or " "), or None for a new one."""
    if prev is None:
        return None
    a, b = prev.text, line.text
    hyphenated = len(a) > 1 and a.endswith("-") and a[-2].isalpha() and b[:1].islower()
    ends_sentence = a.endswith(_SENTENCE_END) or a.endswith((".\"", ".”", ".)", ":\"", ";\""))
    if new_page:
        if ends_sentence or _is_heading(a) or _ENUMERATION.match(b) or _is_heading(b):
            return None
        return "" if hyphenated else " "
    short = full_right > 0 and prev.box[2] < full_right - max(0.12 * (full_right - margin_left), 24)
    if _FORM_FIELD.match(b) and (short or _FORM_FIELD.match(a)):
        return None  # a form's fields, one a line ("Start Date: March 1, 2027" / "Renewal Term: 12 months")
    if prev.para is not None and prev.para == line.para:  # OCR: one of Tesseract's paragraphs
        return "" if hyphenated else " "
    gap = line.box[1] - prev.box[1]
    if gap > pitch * 1.6 or gap < -pitch * 0.5:  # a blank line, or a jump back up (a new column)
        return None
    if _is_heading(a) or (_is_heading(b) and not a.endswith(",")):
        return None
    if _ENUMERATION.match(b) and (ends_sentence or short):
        return None
    if ends_sentence and short:
        return None
    if ends_sentence and line.box[0] > margin_left + 12 and prev.box[0] <= margin_left + 12:
        return None  # an indented first line
    return "" if hyphenated else " "


@dataclass(frozen=True)
class ScanPending:
    """What :func:`read_pdf` returns with ``defer_ocr`` for a PDF that has pages to OCR: the file
    passed every check, and reading it means OCR of ``ocr_pages`` of its ``pages`` pages."""

    pages: int
    ocr_pages: int


def from_pdf(data: bytes, options: PdfOptions = PdfOptions(),
             on_page: Callable[[int, int], object] | None = None) -> Document:
    """Return the Document a PDF reads as; raise a ClmError a user can act on otherwise.

    Pages whose text layer is missing or garbage are read by OCR (Tesseract); their
    :class:`~clm.documents.Page` records the mean word confidence. ``on_page(done, total)``
    is called once the text layers are read and after each page OCR reads.
    """
    document = read_pdf(data, options, on_page=on_page)
    assert isinstance(document, Document)
    return document


def read_pdf(data: bytes, options: PdfOptions = PdfOptions(), *, on_page: Callable[[int, int], object] | None = None,
             defer_ocr: bool = False) -> Document | ScanPending:
    """Return the Document a PDF reads as (see :func:`from_pdf`), or with ``defer_ocr``, when
    some page needs OCR, a :class:`ScanPending` once every check has passed and no OCR has run."""
    pdf = _open(data)
    try:
        n = len(pdf)
        if n == 0:
            raise InvalidInput(DAMAGED)
        if n > options.max_pages:
            raise TooLarge(TOO_MANY_PAGES.format(n=n, limit=options.max_pages))
        attachments = pdf.count_attachments()
        if attachments:
            raise UnsupportedMedia(EMBEDDED.format(n=attachments))
        problems = []
        try:
            subject = str(pdf.get_metadata_dict().get("Subject") or "")
        except Exception:  # noqa: BLE001 - metadata is optional; an unreadable one is none
            subject = ""
        actions = _actions(data, pdf)
        if actions:
            problems.append(ACTIONS.format(what=", ".join(actions)))
        read: list[tuple[float, list[_Line]]] = []
        sizes: list[tuple[float, float]] = []
        confidence: list[float | None] = []
        to_ocr: list[int] = []
        # Pass 1: every page's text layer, and which pages OCR must read (fast: no rendering).
        for index in range(n):
            page = pdf[index]
            try:
                width, height = page.get_size()
                lines = _text_lines(page, height)
                page_text = "\n".join(ln.text for ln in lines)
                # A page with little or no text is OCR'd only when it shows an image (a scan);
                # a text layer that is garbage (a broken font encoding) is OCR'd regardless.
                ocr = needs_ocr(page_text) and (_has_image(page) or len(page_text.split()) >= 5)
            finally:
                page.close()
            if ocr and options.ocr:
                if not ocr_available():
                    if not lines:
                        raise UnsupportedMedia(NO_OCR)
                else:
                    to_ocr.append(index)
            read.append((height, lines))
            sizes.append((width, height))
            confidence.append(None)
        if defer_ocr and to_ocr:
            return ScanPending(pages=n, ocr_pages=len(to_ocr))
        done = n - len(to_ocr)
        if on_page is not None:
            on_page(done, n)
        # Pass 2: OCR of the scanned pages, one at a time.
        for index in to_ocr:
            height, lines = read[index]
            width = sizes[index][0]
            ocr_lines, conf = _ocr_page(pdf, index, width, height, options)
            if ocr_lines or not lines:
                read[index] = (height, ocr_lines)
                confidence[index] = conf
            done += 1
            if on_page is not None:
                on_page(done, n)
    finally:
        pdf.close()
    document = _assemble(read, sizes, confidence, tuple(problems))
    sealed = _SEALED_SUBJECT.match(subject)
    return _signed_part(document, sealed.group(1), sealed.group(2)) if sealed else document


#: What clm writes as the Subject of the sealed PDFs it makes (clm.signing, final_pdf.html).
_SEALED_SUBJECT = re.compile(r"^clm envelope (\d+); document sha256 ([0-9a-f]{64})$")
SEALED = ("This PDF was sealed by clm (envelope {envelope}); its signed text was read, and it matches "
          "the SHA-256 it was signed with.")
SEALED_MISMATCH = ("This PDF says it was sealed by clm (envelope {envelope}), but no part of its text reads "
                   "back to the SHA-256 it was signed with; all of its text was kept.")


def _signed_part(document: Document, envelope: str, digest: str) -> Document:
    """Return the part of a clm-sealed PDF's Document that is the signed text (the paragraphs
    whose text hashes to ``digest``), without the seal note, the title, the signatures and the
    certificate of completion clm added around it; ``document`` itself if no part matches."""
    import hashlib

    texts = [p.text for p in document.paragraphs]
    for first in range(min(4, len(texts))):
        running = hashlib.sha256()
        for last in range(first, len(texts)):
            running.update((("\n" if last > first else "") + texts[last]).encode("utf-8"))
            for trailing in ("", "\n"):  # a text ending in a line break ends in an empty paragraph
                attempt = running.copy()
                attempt.update(trailing.encode("utf-8"))
                if attempt.hexdigest() == digest:
                    return _slice(document, first, last + 1, trailing == "\n", SEALED.format(envelope=envelope))
    return Document(paragraphs=document.paragraphs, pages=document.pages,
                    problems=(*document.problems, SEALED_MISMATCH.format(envelope=envelope)))


def _slice(document: Document, first: int, end: int, empty_after: bool, note: str) -> Document:
    """Return ``document`` cut to paragraphs [first, end) (plus an empty one), lines re-based."""
    starts = document.paragraph_starts
    base = starts[first]
    stop = starts[end - 1] + len(document.paragraphs[end - 1].text)
    paragraphs = document.paragraphs[first:end] + ((Paragraph(()),) if empty_after else ())
    pages = tuple(Page(number=p.number, width=p.width, height=p.height, ocr_confidence=p.ocr_confidence,
                       lines=tuple(PageLine(ln.start - base, ln.end - base, ln.box) for ln in p.lines
                                   if base <= ln.start and ln.end <= stop))
                  for p in document.pages)
    return Document(paragraphs=paragraphs, pages=pages, problems=(*document.problems, note))


def _assemble(read: list[tuple[float, list[_Line]]], sizes: list[tuple[float, float]],
              confidence: list[float | None], problems: tuple[str, ...]) -> Document:
    """Return the Document of the pages' lines: paragraphs, and every kept line's offsets and box."""
    pages_lines = _drop_running(read)
    paragraphs: list[Paragraph] = []
    page_lines: list[list[PageLine]] = [[] for _ in pages_lines]
    pos = 0
    last_page = 0
    for group in _paragraphs(pages_lines):
        parts: list[str] = []
        length = 0
        for page_no, line, joiner in group:
            text = line.text
            if joiner == "" and parts:
                parts[-1] = parts[-1][:-1]  # drop the hyphen that split the word
                length -= 1
                last = page_lines[last_page][-1]
                page_lines[last_page][-1] = PageLine(last.start, last.end - 1, last.box)
            start = pos + length + len(joiner)
            parts.append(joiner + text)
            length += len(joiner) + len(text)
            page_lines[page_no].append(PageLine(start, pos + length, line.box))
            last_page = page_no
        paragraph_text = "".join(parts)
        paragraphs.append(Paragraph((Run(paragraph_text),)))
        pos += len(paragraph_text) + 1
    if not any(p.text.strip() for p in paragraphs):
        raise InvalidInput(EMPTY_PDF)
    pages = tuple(Page(number=i + 1, width=w, height=h, lines=tuple(page_lines[i]), ocr_confidence=confidence[i])
                  for i, (w, h) in enumerate(sizes))
    return Document(paragraphs=tuple(paragraphs), pages=pages, problems=problems)


# --- pages as images, and evidence on them ----------------------------------------------------


def render_png(data: bytes, page: int, dpi: float) -> bytes:
    """Return page ``page`` (1-based) of a PDF rendered as a PNG at ``dpi``; ``InvalidInput`` if
    there is no such page. Run it in a capped child: the PDF is untrusted."""
    pdf = _open(data)
    try:
        if not 1 <= page <= len(pdf):
            raise InvalidInput(f"The PDF has no page {page}.")
        image = render_page(pdf, page - 1, dpi)
    finally:
        pdf.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def page_marks(document: Document, spans: list[tuple[int, int]]) -> dict[int, list[tuple[float, float, float, float]]]:
    """Return, by page number, the boxes (left, top, right, bottom in points) that cover the
    character spans ``spans`` of ``document.text``: each line a span touches, narrowed to the
    part of the line the span covers (characters taken as evenly wide)."""
    marks: dict[int, list[tuple[float, float, float, float]]] = {}
    for page in document.pages:
        for line in page.lines:
            left, top, right, bottom = line.box
            if right <= left:
                continue
            for start, end in spans:
                a, b = max(start, line.start), min(end, line.end)
                if a >= b:
                    continue
                width = max(1, line.end - line.start)
                x0 = left + (right - left) * (a - line.start) / width
                x1 = left + (right - left) * (b - line.start) / width
                marks.setdefault(page.number, []).append((x0, top, x1, bottom))
    return marks


# --- the layout kept with a stored version ----------------------------------------------------


def layout_json(document: Document) -> dict[str, object]:
    """Return a PDF Document's pages, lines and boxes as JSON-ready data (boxes to 0.1 pt), and
    its problems; :func:`from_layout` rebuilds the Document from it and the text."""
    return {"version": 1, "problems": list(document.problems), "pages": [
        {"n": p.number, "w": round(p.width, 1), "h": round(p.height, 1), "ocr": p.ocr_confidence,
         "lines": [[ln.start, ln.end, *(round(v, 1) for v in ln.box)] for ln in p.lines]}
        for p in document.pages]}


def from_layout(text: str, layout: dict[str, object]) -> Document:
    """Return the Document of a stored PDF version: ``text`` (one paragraph per line, as
    :func:`from_pdf` made it) with the pages of ``layout``."""
    pages = tuple(Page(number=int(p["n"]), width=float(p["w"]), height=float(p["h"]),
                       ocr_confidence=None if p.get("ocr") is None else float(p["ocr"]),
                       lines=tuple(PageLine(int(ln[0]), int(ln[1]), (float(ln[2]), float(ln[3]), float(ln[4]),
                                                                     float(ln[5]))) for ln in p["lines"]))
                  for p in layout.get("pages", ()))  # type: ignore[attr-defined]
    paragraphs = tuple(Paragraph((Run(line),) if line else ()) for line in text.split("\n"))
    return Document(paragraphs=paragraphs, pages=pages,
                    problems=tuple(str(x) for x in layout.get("problems", ())))  # type: ignore[attr-defined]
