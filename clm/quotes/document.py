"""The quote document: plain text (for the redline engine), branded HTML and PDF, and Word.

Pure apart from the PDF, which goes through :func:`clm.pdf.html_to_pdf` (sandboxed, bundled
assets only). Every function takes the plain values of ``services.document_view``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import jinja2
from docx.shared import Pt, RGBColor

from clm.quotes.conversion import money_text
from clm.values import display

_HERE = Path(__file__).resolve().parent
_ENV: list[jinja2.Environment] = []
#: The brand colour of quote documents.
BRAND = RGBColor(0x1F, 0x4E, 0x79)


def _environment() -> jinja2.Environment:
    # Its own autoescaping environment, not Flask's: documents are made in the CLI and workers too.
    if not _ENV:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_HERE / "templates")), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters["money"] = display.money_text
        env.filters["day"] = display.date_text
        env.globals["units"] = units
        _ENV.append(env)
    return _ENV[0]


def units(quantity: int, unit: str) -> str:
    """Return "120 users", "1 project"."""
    return f"{quantity} {unit}{'' if quantity == 1 else 's'}"


def _rows(view: dict[str, Any], *, customer: bool = False) -> list[tuple[str, str]]:
    """Return the quote's facts; ``customer``: as the customer's document shows them (no internal price book)."""
    q = view["quote"]
    cur = q["currency"]
    if customer:
        term = (f"{q['term_months']} months, {display.date_text(q['start_date'])} to "
                f"{display.date_text(q['end_date'])}")
        rows = [("Customer", view["customer"]), ("Currency", cur), ("Term", term),
                ("Payment terms", f"{q['payment_terms_days']} days"),
                ("Valid until", display.date_text(view["expires_on"]))]
    else:
        rows = [("Customer", view["customer"]), ("Currency", cur), ("Price book", q["price_book"]),
                ("Term", f"{q['term_months']} months, {q['start_date']} to {q['end_date']}"),
                ("Payment terms", f"{q['payment_terms_days']} days"), ("Valid until", view["expires_on"])]
    if q["bundle"]:
        rows.insert(1, ("Bundle", q["bundle"]))
    return rows


def quote_text(view: dict[str, Any]) -> str:
    """Return the quote as text, one fact per line: what two versions are compared on."""
    q = view["quote"]
    cur = q["currency"]
    out = [f"Quote {view['number']} version {view['version']}"]
    out += [f"{k}: {v}" for k, v in _rows(view)]
    for ln in q["lines"]:
        promo = f", promotion {ln['promotion']} {ln['promotion_percent']}%" if ln["promotion"] else ""
        out.append(f"{ln['sku']} {ln['name']}: {units(ln['quantity'], ln['unit'])} x {money_text(ln['unit_price'], cur)}, "
                   f"list {money_text(ln['list_total'], cur)}, discount {ln['discount']}%{promo}, "
                   f"net {money_text(ln['net_total'], cur)}")
    out += [f"Quote discount: {q['lines'][0]['quote_discount'] if q['lines'] else '0'}%",
            f"List total: {money_text(q['list_total'], cur)}",
            f"Discounts: {money_text(q['discount_total'], cur)} ({q['discount_percent']}%)",
            f"Annual contract value: {money_text(q['acv'], cur)}",
            f"Total contract value: {money_text(q['tcv'], cur)}"]
    return "\n".join(out)


def quote_html(view: dict[str, Any], *, stylesheet: str | None = None) -> str:
    """Return the quote as a standalone branded HTML page (all values escaped)."""
    css = (_HERE / "static" / "quote_document.css").read_text(encoding="utf-8")
    return _environment().get_template("quotes/document.html").render(
        view=view, q=view["quote"], rows=_rows(view, customer=True), css=None if stylesheet else css, stylesheet=stylesheet)


def quote_pdf(view: dict[str, Any]) -> bytes:
    """Return the quote as a PDF (rendered in the capped, fetch-nothing sandbox)."""
    from clm.pdf import html_to_pdf

    css = (_HERE / "static" / "quote_document.css").read_bytes()
    return html_to_pdf(quote_html(view, stylesheet="clm-asset:quote.css"), assets={"quote.css": css},
                       stylesheets=["quote.css"])


def quote_docx(view: dict[str, Any]) -> bytes:
    """Return the quote as a Word document: brand heading, facts, a lines table, totals."""
    q = view["quote"]
    cur = q["currency"]
    document = docx.Document()
    props = document.core_properties
    props.title = f"Quote {view['number']} v{view['version']}"
    seller = view.get("seller") or ""
    props.author = props.last_modified_by = seller
    if seller:
        brand = document.add_paragraph().add_run(seller)
        brand.bold = True
        brand.font.color.rgb = BRAND
    title = document.add_paragraph(style="Title")
    run = title.add_run(f"Quote {view['number']}")
    run.font.color.rgb = BRAND
    document.add_paragraph(f"Version {view['version']} · prepared {display.date_text(view['created_on'])}"
                           + (f" by {seller}" if seller else ""))
    facts = document.add_table(rows=0, cols=2)
    for key, value in _rows(view, customer=True):
        cells = facts.add_row().cells
        cells[0].paragraphs[0].add_run(key).bold = True
        cells[1].paragraphs[0].add_run(str(value))
    document.add_paragraph("Lines", style="Heading 1")
    headers = ("Product", "Quantity", "Unit price", "List", "Discount", "Net")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0].add_run(text).bold = True
    for ln in q["lines"]:
        discount = f"{ln['discount']}%" + (f" + {ln['promotion']}" if ln["promotion"] else "")
        values = (f"{ln['name']} ({ln['sku']})", units(ln["quantity"], ln["unit"]), money_text(ln["unit_price"], cur),
                  money_text(ln["list_total"], cur), discount, money_text(ln["net_total"], cur))
        for cell, text in zip(table.add_row().cells, values):
            cell.paragraphs[0].add_run(text)
    document.add_paragraph("Totals", style="Heading 1")
    for label, value in (("List total", money_text(q["list_total"], cur)),
                         ("Discounts", f"{money_text(q['discount_total'], cur)} ({q['discount_percent']}%)"),
                         ("Annual contract value", money_text(q["acv"], cur)),
                         ("Total contract value", money_text(q["tcv"], cur))):
        p = document.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        value_run = p.add_run(value)
        value_run.font.size = Pt(11)
    document.add_paragraph(f"This quote is valid until {display.date_text(view['expires_on'])}. "
                           "Prices exclude taxes.")
    buffer = io.BytesIO()
    document.save(buffer)
    from clm.versions.external_links import strip_external_relationships

    return strip_external_relationships(buffer.getvalue())
