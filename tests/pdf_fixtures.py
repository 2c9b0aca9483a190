"""Small PDFs written by hand for tests: text-layer pages, scans, and hostile files.

Nothing here is read from disk: every fixture is generated, so a test can say exactly what a
file holds (which line sits where, which action a catalog declares).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

#: One line of text on a page: (x, y from the top, text), in points, Helvetica 11.
Line = tuple[float, float, str]

LETTER = (612.0, 792.0)


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def content_stream(lines: Sequence[Line], height: float = LETTER[1], size: float = 11) -> bytes:
    """Return a page content stream drawing ``lines`` in Helvetica."""
    out = []
    for x, y, text in lines:
        out.append(b"BT /F1 %g Tf %g %g Td (%s) Tj ET" % (size, x, height - y - size, _escape(text)))
    return b"\n".join(out)


def write_pdf(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"", xref: bool = True) -> bytes:
    """Return a PDF file of ``objects`` (object i+1 is objects[i]) with a correct xref table."""
    buf = io.BytesIO()
    buf.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(buf.tell())
        buf.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    start = buf.tell()
    if xref:
        buf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        for off in offsets:
            buf.write(b"%010d 00000 n \n" % off)
    buf.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, trailer_extra, start))
    return buf.getvalue()


def _stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text_pdf(pages: Sequence[Sequence[Line]], *, catalog_extra: bytes = b"", extra_objects: Sequence[bytes] = (),
             size: tuple[float, float] = LETTER, compress: bool = False) -> bytes:
    """Return a PDF whose pages draw the given lines (a real text layer).

    Objects: 1 catalog, 2 pages, 3 font, then per page a page object and its content stream,
    then ``extra_objects`` (numbered after those).
    """
    n = len(pages)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, lines in enumerate(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % (size[0], size[1], 5 + 2 * i))
        objects.append(_stream(content_stream(lines, size[1]), compress=compress))
    objects.extend(extra_objects)
    return write_pdf(objects)


def paragraph_lines(paragraphs: Sequence[Sequence[str]], *, top: float = 90, left: float = 72,
                    pitch: float = 14) -> list[Line]:
    """Return lines for paragraphs already broken into lines, a blank line between paragraphs."""
    out: list[Line] = []
    y = top
    for para in paragraphs:
        for text in para:
            out.append((left, y, text))
            y += pitch
        y += pitch
    return out


def scanned_pdf(page_texts: Sequence[Sequence[str]], dpi: int = 200) -> bytes:
    """Return an image-only PDF (no text layer): each page a rendered picture of its lines."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
    try:
        font = ImageFont.truetype(font_path, size=int(11 * dpi / 72))
    except OSError:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size=int(11 * dpi / 72))
    images = []
    for lines in page_texts:
        image = Image.new("L", (int(8.5 * dpi), int(11 * dpi)), 255)
        draw = ImageDraw.Draw(image)
        y = int(1.1 * dpi)
        for text in lines:
            if text:
                draw.text((int(1 * dpi), y), text, fill=0, font=font)
            y += int(16 / 72 * dpi)
        images.append(image)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return buf.getvalue()


CONTRACT_PARAGRAPHS = [
    ["MASTER SERVICES AGREEMENT"],
    ["This Master Services Agreement (the \"Agreement\") is made as of January 5, 2024 (the",
     "\"Effective Date\") by and between Acme Corporation, a Delaware corporation (\"Acme\"), and",
     "Widget Labs Inc. (\"Supplier\")."],
    ["1. Term. This Agreement begins on the Effective Date and continues for an initial term of",
     "two (2) years. Thereafter it renews automatically for successive one (1) year terms unless",
     "either party gives written notice of non-renewal at least sixty (60) days before the end of",
     "the then-current term."],
    ["2. Termination. Either party may terminate this Agreement for convenience upon thirty (30)",
     "days' prior written notice to the other party, without any termi-",
     "nation fee."],
    ["3. Governing Law. This Agreement is governed by the laws of the State of New York."],
]


def contract_pdf(pages: int = 2) -> bytes:
    """Return a small contract as a text PDF: a running header and page numbers on every page,
    a hyphenated word across a line break, and a paragraph that runs over a page break."""
    body = paragraph_lines(CONTRACT_PARAGRAPHS)
    per_page = max(1, -(-len(body) // pages))
    out = []
    for i in range(pages):
        lines = body[i * per_page:(i + 1) * per_page]
        y0 = 90
        shifted = [(x, y0 + (y - lines[0][1]), t) for x, y, t in lines] if lines else []
        out.append([(72, 30, "Acme / Widget Labs - Confidential"), *shifted, (300, 750, str(i + 1))])
    return text_pdf(out)


def encrypted_pdf(password: str = "secret") -> bytes:
    """Return a contract PDF that needs a password to open (pypdf, AES-256)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(contract_pdf(1)))
    writer.encrypt(password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attachment_pdf() -> bytes:
    """Return a contract PDF carrying an embedded file (an attachment)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(contract_pdf(1)))
    writer.add_attachment("payload.exe", b"MZ" + b"\x00" * 100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    """Return a PDF of ``pages`` one-line pages (all sharing one content stream: small)."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               _stream(content_stream([(72, 90, "A page of a very long file.")]))]
    objects += [(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                 b"/Contents 4 0 R >>")] * pages
    return write_pdf(objects)
