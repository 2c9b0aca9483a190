"""Draft a contract from a library template as a Word document or as HTML (for PDF rendering)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import jinja2
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph as DocxParagraph

from clm.clauses.library import Library, Template, assemble

__all__ = ["DraftSection", "Signatory", "draft_docx", "draft_html", "layout", "reading_order"]

#: A signature field line of a template: "By: ______  Name: ______  Title: ______".
_FIELD_LINE = re.compile(r"^\s*(?:[A-Z][\w ]{0,20}:\s*_{3,}\s*)+$")
_FIELD = re.compile(r"([A-Z][\w ]{0,20}):\s*_{3,}")
#: Indent of numbered headings and paragraphs, in twentieths of a point (567 = 1 cm).
_INDENT = 567


@dataclass(frozen=True)
class Signatory:
    """One party's signature block: its name and the fields it fills in (By, Name, Title ...)."""

    party: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DraftSection:
    """A section as laid out for a reader: its number ("4"), heading, paragraphs and signatures.

    Paragraph numbers ("4.1") are given only when a numbered section has more than one paragraph.
    """

    number: str | None
    heading: str | None
    paragraphs: tuple[tuple[str | None, str], ...]
    clause_type: str | None = None
    signatories: tuple[Signatory, ...] = ()


def _signatories(lines: list[str]) -> tuple[list[str], list[Signatory]]:
    """Return the lines before the signature blocks and the blocks ("Party" then a field line)."""
    intro: list[str] = []
    blocks: list[Signatory] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and not _FIELD_LINE.match(lines[i]) and _FIELD_LINE.match(lines[i + 1]):
            blocks.append(Signatory(lines[i].strip(), tuple(f.strip() for f in _FIELD.findall(lines[i + 1]))))
            i += 2
            continue
        if blocks:
            # Text after the blocks would be lost in a table; keep the section as plain paragraphs.
            return lines, []
        intro.append(lines[i])
        i += 1
    return intro, blocks


def _field_line(field: str) -> str:
    return f"{field}: ______________________"


def reading_order(text: str) -> str:
    """Return a section's text (filled in or not) in the order a drafted Word document reads it.

    The lines before any signature blocks come first, then the signature table row by row: each
    party's name, then each field line across the parties. The clause matcher reads a template's
    signature page this way.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    intro, signatories = _signatories(lines)
    if not signatories:
        return "\n".join(lines)
    out = [*intro, *(s.party for s in signatories)]
    for row in range(max(len(s.fields) for s in signatories)):
        out.extend(_field_line(s.fields[row]) for s in signatories if row < len(s.fields))
    return "\n".join(out)


def layout(
    template: Template,
    library: Library,
    values: Mapping[str, Any],
    positions: Mapping[str, str | int] | None = None,
) -> list[DraftSection]:
    """Return the assembled template as numbered sections with their paragraphs.

    Raises the library's ``InvalidInput`` naming every missing or malformed variable.
    """
    out: list[DraftSection] = []
    number = 0
    for section in assemble(template, library, values, positions):
        lines = [line for line in section.text.split("\n") if line.strip()]
        intro, signatories = _signatories(lines)
        if signatories:
            # The signature page closes the contract; it is not a numbered section.
            out.append(DraftSection(None, section.heading, tuple((None, t) for t in intro), None, tuple(signatories)))
            continue
        if not section.heading:
            out.append(DraftSection(None, None, tuple((None, t) for t in lines), section.clause_type))
            continue
        number += 1
        paragraphs: tuple[tuple[str | None, str], ...]
        if len(lines) > 1:
            paragraphs = tuple((f"{number}.{k}", t) for k, t in enumerate(lines, start=1))
        else:
            paragraphs = tuple((None, t) for t in lines)
        out.append(DraftSection(str(number), section.heading, paragraphs, section.clause_type))
    return out


# --------------------------------------------------------------------------- Word


def _add_numbering(document: Any) -> int:
    """Add a two-level legal list ("1.", "1.1.") to the numbering part; return its numId."""
    numbering = document.part.numbering_part.element
    ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    abstract_id = max(ids, default=-1) + 1
    levels = []
    for ilvl, text in enumerate(("%1.", "%1.%2.")):
        levels.append(
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{_INDENT}" w:hanging="{_INDENT}"/></w:pPr></w:lvl>'
        )
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'
    )
    # The schema puts every abstractNum before the first num.
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = numbering.add_num(abstract_id)
    return int(num.numId)


def _number(paragraph: DocxParagraph, num_id: int, level: int) -> None:
    """Attach Word list numbering (``w:numPr``) at ``level`` to a paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    num_pr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), str(level))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    num_pr.append(ilvl)
    num_pr.append(num)
    # numPr sits after pStyle and keepNext/keepLines/pageBreakBefore/framePr/widowControl.
    anchor = None
    for tag in ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl"):
        found = ppr.find(qn(tag))
        if found is not None:
            anchor = found
    if anchor is not None:
        anchor.addnext(num_pr)
    else:
        ppr.insert(0, num_pr)


def draft_docx(
    template: Template,
    library: Library,
    values: Mapping[str, Any],
    positions: Mapping[str, str | int] | None = None,
) -> bytes:
    """Return the contract drafted from ``template`` as a .docx.

    Title style for the title, Heading 1 for sections with Word list numbering ("1.", and "1.1."
    for the paragraphs of a section that has several), Normal body text, and the signature
    blocks as a table. Values are written as text runs, so markup in them stays literal text.
    Raises the library's ``InvalidInput`` naming every missing or malformed variable.
    """
    sections = layout(template, library, values, positions)
    document = docx.Document()
    props = document.core_properties
    props.title = template.title
    props.subject = template.description[:255]
    props.author = "clm"
    props.last_modified_by = "clm"
    props.comments = f"Drafted from clause library template '{template.key}' version {template.version}"
    num_id = _add_numbering(document)

    document.add_paragraph(template.title, style="Title")
    for section in sections:
        if section.heading:
            heading = document.add_paragraph(section.heading, style="Heading 1")
            if section.number:
                _number(heading, num_id, 0)
        for number, text in section.paragraphs:
            paragraph = document.add_paragraph(style="Normal")
            paragraph.add_run(text)
            if number:
                _number(paragraph, num_id, 1)
        if section.signatories:
            _signature_table(document, section.signatories)
    buffer = io.BytesIO()
    document.save(buffer)
    from clm.versions.external_links import strip_external_relationships

    return strip_external_relationships(buffer.getvalue())


def _signature_table(document: Any, signatories: tuple[Signatory, ...]) -> None:
    """Add one column per party: its name in bold, then a ruled line per field."""
    rows = 1 + max(len(s.fields) for s in signatories)
    table = document.add_table(rows=rows, cols=len(signatories))
    for col, signatory in enumerate(signatories):
        name = table.cell(0, col).paragraphs[0]
        name.add_run(signatory.party).bold = True
        for row, field in enumerate(signatory.fields, start=1):
            cell = table.cell(row, col).paragraphs[0]
            if field.lower() == "by":
                # Room to sign above the line.
                cell.add_run().add_break(WD_BREAK.LINE)
            cell.add_run(_field_line(field))


# --------------------------------------------------------------------------- HTML

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV: list[jinja2.Environment] = []


def _environment() -> jinja2.Environment:
    # Its own environment, not Flask's: drafting is pure and runs in workers and the CLI too.
    # Autoescaping is forced on for every template name, not chosen by file extension.
    if not _ENV:
        _ENV.append(
            jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        )
    return _ENV[0]


def draft_html(
    template: Template,
    library: Library,
    values: Mapping[str, Any],
    positions: Mapping[str, str | int] | None = None,
) -> str:
    """Return the contract drafted from ``template`` as a standalone HTML page (for WeasyPrint).

    Every value is autoescaped. Raises the library's ``InvalidInput`` naming every missing or
    malformed variable.
    """
    sections = layout(template, library, values, positions)
    context = {
        "title": template.title,
        "template_key": template.key,
        "template_version": template.version,
        "sections": [
            {
                "number": s.number,
                "heading": s.heading,
                "clause_type": s.clause_type,
                "paragraphs": [{"number": n, "text": t} for n, t in s.paragraphs],
                "signatories": [{"party": g.party, "fields": list(g.fields)} for g in s.signatories],
            }
            for s in sections
        ],
    }
    return _environment().get_template("clauses/draft.html").render(**context)
