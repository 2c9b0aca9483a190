"""Upload intake: sniff, pre-check and parse every uploaded file in a capped child process."""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clm import sandbox
from clm.errors import ClmError, InvalidInput, TooLarge, UnsupportedMedia

if TYPE_CHECKING:
    from clm.documents import Document
    from clm.versions.pdfread import ScanPending

__all__ = ["Limits", "check_docx_package", "is_pdf", "max_bytes", "media_kind", "read_unless_scanned",
           "read_upload"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps applied to one upload; defaults follow the hostile corpus' ``limits_assumed``."""

    #: Raw upload size (the .docx itself, or the text file).
    max_upload_bytes: int = 10 * MiB
    #: Raw size of a PDF: a 50-page scan at 300 dpi is 10-40 MB.
    max_pdf_bytes: int = 64 * MiB
    #: Pages in one PDF.
    max_pdf_pages: int = 500
    #: Wall-clock budget for reading one PDF, OCR of its scanned pages included (3-6 s a page
    #: on one busy core: a 50-page scan fits).
    pdf_timeout_seconds: float = 600
    #: Sum of the inflated sizes of all zip members, declared and actual.
    max_total_uncompressed_bytes: int = 50 * MiB
    #: Inflated size of any one zip member, declared and actual.
    max_member_uncompressed_bytes: int = 25 * MiB
    #: Inflated / compressed size of one member; Word's XML compresses 5-20x, deflate tops at ~1030x.
    max_compression_ratio: int = 100
    #: Members smaller than this skip the ratio check: small repetitive XML parts (styles,
    #: numbering) legitimately exceed 100x and cannot hurt anyone at that size.
    ratio_check_min_bytes: int = 1 * MiB
    #: Number of zip entries (Word writes 10-40).
    max_zip_members: int = 1000
    #: Wall-clock budget for the parse child, after which it is killed.
    parse_timeout_seconds: float = 10
    #: RLIMIT_AS headroom for the parse child, on top of the address space it inherits from the
    #: forked parent (an absolute cap would fail at once in a worker that has spaCy loaded).
    parse_memory_bytes: int = 768 * MiB
    #: Paragraphs in the parsed Document (the corpus assumes at most 5,000 clauses).
    max_paragraphs: int = 20_000
    #: Characters in one paragraph (the corpus' ``max_clause_chars``).
    max_paragraph_chars: int = 100_000


# --- messages (the user sees these; keep them specific and free of file content) -------------

EMPTY = "The file is empty."
DAMAGED = "The file is damaged or not a complete Word document"
ENCRYPTED_OLE = ("This Word file is password-protected (encrypted); remove the password and "
                 "upload it again.")
LEGACY_OLE = ("This is an old-format Word file (.doc) or another legacy Office file; open it in "
              "Word, save it as a Word Document (.docx) and upload it again.")
MACRO = ("This is a macro-enabled Word file (.docm); clm does not accept macros. Save it as a "
         "Word Document (.docx) and upload it again.")
PDF = ("This file is a PDF but is named .{ext}; name it .pdf (clm reads PDFs as PDFs, never as "
       "another kind of file).")
NOT_DOCX = "This file is not a Word document (.docx); clm reads .docx, .pdf, .txt and .md files."
DOCTYPE = ("The file's part {part} contains an XML document type declaration, which Word files never "
           "have; refused for safety.")
TIMEOUT = ("The document took too long to read (over {seconds:g} s); it may be damaged or far "
           "larger than a contract. Split it or save it again from Word.")
MEMORY = ("The document needs more memory to read than clm allows; it may be damaged or far "
          "larger than a contract.")
PDF_TIMEOUT = ("The PDF took too long to read (over {seconds:g} s, OCR of scanned pages included); "
               "it may be damaged or far larger than a contract. Split it and upload the parts.")
PDF_CRASH = ("The PDF could not be read: it is damaged, or something in it expands to more memory "
             "than clm allows when unpacked (a possible decompression bomb).")
UNREADABLE = "The document could not be read; it may be damaged. Save it again from Word and retry."

_TEXT_EXTENSIONS = {"txt", "md"}
_MACRO_EXTENSIONS = {"docm", "dotm"}
_LEGACY_EXTENSIONS = {"doc", "dot"}

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PDF_MAGIC = b"%PDF"
_CENTRAL_DIR_SIG = b"PK\x01\x02"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")

_CONTENT_TYPES = "[Content_Types].xml"
_DEFAULT_MAIN = "word/document.xml"
_MAIN_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")
#: [Content_Types].xml is a few KB; it is read (capped) before the full package check runs.
_MAX_CONTENT_TYPES_BYTES = 1 * MiB
_CHUNK = 64 * 1024
_METHOD_NAMES = {0: "stored", 8: "deflate", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstd",
                 95: "xz", 99: "AES-encrypted"}
_UNSAFE_NAME = re.compile(r"(^[/\\])|(^[A-Za-z]:)|\\|(^|/)\.\.?(/|$)|[\x00-\x1f\x7f]|//")


# --- media kind -------------------------------------------------------------------------------

def _extension(filename: str) -> str:
    """Return the lower-cased extension of an untrusted client filename ('' if none)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _shown(ext: str) -> str:
    """Return an extension safe to echo in a message (client filenames may carry CR/LF)."""
    return f".{ext}" if re.fullmatch(r"[a-z0-9]{1,10}", ext) else "this kind of file"


def _ole_is_encrypted_ooxml(data: bytes) -> bool:
    """Return whether a compound file holds Word's encrypted-package streams.

    The directory stores stream names in UTF-16LE; a byte search avoids parsing the FAT chain.
    """
    return ("EncryptedPackage".encode("utf-16-le") in data
            and "EncryptionInfo".encode("utf-16-le") in data)


def _decode_text(data: bytes) -> str:
    """Return the text of a .txt/.md upload; raise InvalidInput naming what makes it non-text."""
    nul = data.find(b"\x00")
    if nul != -1:
        raise InvalidInput(f"The text file contains a NUL byte (at byte {nul}), so it is not plain "
                           "text; save it as UTF-8 text and upload it again.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"The text file is not valid UTF-8 (first bad byte at offset {e.start}); "
                           "save it as UTF-8 and upload it again.") from None


def is_pdf(data: bytes) -> bool:
    """Return whether ``data`` starts like a PDF file."""
    return data[:8].startswith(_PDF_MAGIC)


def media_kind(data: bytes, filename: str) -> str:
    """Return "docx", "pdf" or "text" for an upload, judged by its bytes and its name's extension.

    Raise InvalidInput for an empty file or a text file that is not UTF-8 text, and
    UnsupportedMedia for PDFs named as another kind of file, legacy or encrypted Office files,
    macro-enabled documents and anything else. ``filename`` is untrusted: only its extension
    is looked at.
    """
    if not data:
        raise InvalidInput(EMPTY)
    ext = _extension(filename)
    head = data[:8]
    if head.startswith(_PDF_MAGIC):
        if ext in {"docx", "dotx", *_TEXT_EXTENSIONS, *_MACRO_EXTENSIONS, *_LEGACY_EXTENSIONS}:
            raise UnsupportedMedia(PDF.format(ext=ext))
        return "pdf"
    if ext == "pdf":
        raise InvalidInput("This file is named .pdf but is not a PDF (it does not start with "
                           "%PDF); it may be damaged.")
    if head.startswith(_OLE_MAGIC):
        raise UnsupportedMedia(ENCRYPTED_OLE if _ole_is_encrypted_ooxml(data) else LEGACY_OLE)
    if ext in _MACRO_EXTENSIONS:
        raise UnsupportedMedia(MACRO)
    if ext in _LEGACY_EXTENSIONS:
        raise UnsupportedMedia(LEGACY_OLE)
    is_zip = head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC))
    if ext == "docx":
        if not is_zip:
            raise UnsupportedMedia(NOT_DOCX)
        _reject_macros(data)
        return "docx"
    if ext in _TEXT_EXTENSIONS:
        if is_zip:
            raise UnsupportedMedia(f"This file is named .{ext} but is a zip package (perhaps a "
                                   "Word document); name it .docx or upload the text itself.")
        _decode_text(data)
        return "text"
    raise UnsupportedMedia(f"clm does not read {_shown(ext)}; upload a Word document (.docx), a "
                           "PDF (.pdf) or a text file (.txt, .md).")


def _reject_macros(data: bytes) -> None:
    """Raise UnsupportedMedia if a zip package is a macro-enabled document.

    Reads only the central directory and a capped [Content_Types].xml, so it is safe before
    check_docx_package; packages it cannot open are left for that check to describe.
    """
    if data.count(_CENTRAL_DIR_SIG) > Limits().max_zip_members:
        return  # check_docx_package refuses it without building a huge member list
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if any(_is_vba_name(i.filename) for i in infos):
                raise UnsupportedMedia(MACRO)
            for info in infos:
                if info.filename == _CONTENT_TYPES and info.compress_type in (0, 8) \
                        and not info.flag_bits & 0x1:
                    raw = _read_capped(zf, info, _MAX_CONTENT_TYPES_BYTES)
                    if raw is not None and b"macroenabled" in raw.lower():
                        raise UnsupportedMedia(MACRO)
    except ClmError:
        raise
    except Exception:  # noqa: BLE001 - any damage is reported by check_docx_package
        return


def _is_vba_name(name: str) -> bool:
    """Return whether a member name is a VBA project (the macros of a .docm)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() in ("vbaproject.bin", "vbadata.xml")


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """Return a member's bytes, or None once it inflates past ``cap`` (never more in memory)."""
    out = bytearray()
    with zf.open(info) as f:
        while chunk := f.read(_CHUNK):
            out += chunk
            if len(out) > cap:
                return None
    return bytes(out)


# --- package pre-check ------------------------------------------------------------------------

def _mb(n: int) -> str:
    """Return a byte count as people read it ("25 MB", "100 bytes")."""
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n:,} bytes"


def _part(name: str) -> str:
    """Return a member name fit for a message (names with control characters are refused first)."""
    return name if len(name) <= 80 else name[:77] + "..."


def check_docx_package(data: bytes, limits: Limits) -> None:
    """Return None if ``data`` is a zip package clm may hand to the .docx parser.

    Pure and in-process; nothing is written anywhere and no member is held whole in memory.
    Raise TooLarge for size, ratio and member-count breaches (zip bombs), UnsupportedMedia for
    macros and unsupported compression, InvalidInput for damage, unsafe or duplicate member
    names, links, encryption, missing parts and XML document type declarations.
    """
    if len(data) > limits.max_upload_bytes:
        raise TooLarge(f"The file is {_mb(len(data))}; clm accepts uploads up to "
                       f"{_mb(limits.max_upload_bytes)}.")
    if not data.startswith(_ZIP_MAGIC):
        raise InvalidInput(DAMAGED + ".")
    # Every central-directory entry zipfile would parse starts with this signature, so this
    # bounds the member list before zipfile builds it (it reads entries by directory size, not
    # by the count the end record claims).
    if data.count(_CENTRAL_DIR_SIG) > limits.max_zip_members:
        raise TooLarge(f"The file has too many parts (over {limits.max_zip_members:,}); a Word "
                       "document has a few dozen.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            _check_entries(data, zf, infos, limits)
            content_types = _read_content_types(zf, infos, limits)
            main = _main_part(content_types)
            names = {i.filename for i in infos}
            if main not in names:
                raise InvalidInput(DAMAGED + f": it has no main document part ({_part(main)}).")
            _stream_members(zf, infos, content_types, limits)
    except ClmError:
        raise
    except Exception:  # noqa: BLE001 - BadZipFile, EOFError, zlib.error, struct.error, ...
        raise InvalidInput(DAMAGED + ".") from None


def _check_entries(data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                   limits: Limits) -> None:
    """Raise for any static problem the central directory shows, before anything is inflated."""
    if len(infos) > limits.max_zip_members:
        raise TooLarge(f"The file has {len(infos):,} parts; clm accepts at most "
                       f"{limits.max_zip_members:,}.")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if _UNSAFE_NAME.search(name) or not name:
            raise InvalidInput(f"The file contains a part with an unsafe name ({name!r}): an "
                               "absolute path, '..', a backslash or a drive letter; refused.")
        # OPC part names are case-insensitive; zipfile (and so the parser) reads the last copy.
        key = name.casefold()
        if key in seen:
            raise InvalidInput(f"The file contains two parts named {_part(name)}; Word never "
                               "writes that and it can hide content, so it is refused.")
        seen.add(key)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise InvalidInput(f"The file contains a symbolic link ({_part(name)}); refused.")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise InvalidInput(f"The file contains a special-file entry ({_part(name)}); refused.")
        if info.flag_bits & 0x41:  # bit 0 encrypted, bit 6 strong encryption
            raise InvalidInput(f"The file contains encrypted parts ({_part(name)}); remove the "
                               "password in Word and upload it again.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHOD_NAMES.get(info.compress_type, "unknown")
            raise UnsupportedMedia(f"The file compresses {_part(name)} with method "
                                   f"{info.compress_type} ({method}); Word documents use only "
                                   "stored or deflated parts.")
        if _is_vba_name(name):
            raise UnsupportedMedia(MACRO)
        if info.file_size > limits.max_member_uncompressed_bytes:
            raise TooLarge(f"The file expands to more than {_mb(limits.max_member_uncompressed_bytes)} "
                           f"when unpacked ({_part(name)} declares {info.file_size:,} bytes); "
                           "refused as a possible zip bomb.")
        total += info.file_size
        if total > limits.max_total_uncompressed_bytes:
            raise TooLarge(f"The file's parts declare more than "
                           f"{_mb(limits.max_total_uncompressed_bytes)} in total when unpacked; "
                           "refused as a possible zip bomb.")
        _check_ratio(name, info.file_size, info.compress_size, limits)
    _check_layout(data, zf, infos)


def _check_ratio(name: str, produced: int, compressed: int, limits: Limits) -> None:
    """Raise TooLarge if a member big enough to matter inflates more than the allowed ratio."""
    if produced >= limits.ratio_check_min_bytes and \
            produced > limits.max_compression_ratio * max(compressed, 1):
        raise TooLarge(f"The file's part {_part(name)} is compressed more than "
                       f"{limits.max_compression_ratio}:1 ({produced:,} bytes from "
                       f"{compressed:,}); refused as a possible zip bomb.")


def _check_layout(data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Raise unless member data ranges are disjoint and end before the central directory.

    This makes each declared compressed size an upper bound on the bytes really consumed (so the
    ratio check means something) and refuses overlapping-entry bombs that reuse one kernel.
    """
    end_of_data = getattr(zf, "start_dir", len(data))
    spans = []
    for info in infos:
        off = info.header_offset
        if off < 0 or off + _LOCAL_HEADER.size > len(data):
            raise InvalidInput(DAMAGED + ".")
        fields = _LOCAL_HEADER.unpack_from(data, off)
        if fields[0] != _ZIP_MAGIC:
            raise InvalidInput(DAMAGED + ".")
        start = off + _LOCAL_HEADER.size + fields[9] + fields[10]
        spans.append((off, start + info.compress_size, info.filename))
    spans.sort()
    for (_, end, name), (next_off, _, _) in zip(spans, spans[1:] + [(end_of_data, 0, "")]):
        if end > next_off:
            raise InvalidInput(f"The file's parts overlap ({_part(name)}); it is damaged or a "
                               "crafted zip bomb.")


def _read_content_types(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                        limits: Limits) -> tuple[dict[str, str], dict[str, str]]:
    """Return ([Content_Types] Defaults by extension, Overrides by part name), lower-cased keys."""
    info = next((i for i in infos if i.filename == _CONTENT_TYPES), None)
    if info is None:
        raise InvalidInput(DAMAGED + f": it has no {_CONTENT_TYPES} part.")
    raw = _read_capped(zf, info, _MAX_CONTENT_TYPES_BYTES)
    if raw is None:
        raise TooLarge(f"The file's {_CONTENT_TYPES} part is over "
                       f"{_mb(_MAX_CONTENT_TYPES_BYTES)}; refused as a possible zip bomb.")
    scan = _XmlScan(_CONTENT_TYPES)
    scan.feed(raw)
    scan.close()
    # Imported late (the parent already has it loaded); DTDs were refused just above.
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        raise InvalidInput(DAMAGED + f": its {_CONTENT_TYPES} part is not well-formed.") from None
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        ctype = (el.get("ContentType") or "").strip()
        if local == "Default":
            defaults[(el.get("Extension") or "").lower()] = ctype
        elif local == "Override":
            overrides[(el.get("PartName") or "").lstrip("/").lower()] = ctype
    if any("macroenabled" in t.lower() or "vbaproject" in t.lower()
           for t in (*defaults.values(), *overrides.values())):
        raise UnsupportedMedia(MACRO)
    return defaults, overrides


def _main_part(content_types: tuple[dict[str, str], dict[str, str]]) -> str:
    """Return the main document part's name, the way clm.documents finds it."""
    _, overrides = content_types
    mains = [name for name, t in overrides.items() if t in _MAIN_TYPES]
    if len(mains) > 1:
        raise InvalidInput("The file declares more than one main document; refused.")
    if not mains and any(t.endswith(".main+xml") and "wordprocessingml" not in t
                         for t in overrides.values()):
        raise UnsupportedMedia(NOT_DOCX)  # an .xlsx/.pptx renamed .docx
    return mains[0] if mains else _DEFAULT_MAIN


def _is_xml_part(name: str, content_types: tuple[dict[str, str], dict[str, str]]) -> bool:
    """Return whether a member may be parsed as XML (so must pass the encoding/DTD scan).

    Images are exempt: SVG files may carry a DOCTYPE and the .docx reader never parses them.
    """
    defaults, overrides = content_types
    lower = name.lower()
    if lower.endswith((".xml", ".rels")):
        return True
    ctype = overrides.get(lower) or defaults.get(lower.rsplit(".", 1)[-1] if "." in lower else "", "")
    return ctype.endswith("xml") and not ctype.startswith("image/")


def _stream_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                    content_types: tuple[dict[str, str], dict[str, str]], limits: Limits) -> None:
    """Raise unless every member inflates within the caps and XML parts carry no DTD.

    Declared sizes lie, so count the bytes really produced, a chunk at a time, and stop at the
    first cap. zipfile also checks each member's CRC at its end.
    """
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        scan = _XmlScan(info.filename) if _is_xml_part(info.filename, content_types) else None
        produced = 0
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                produced += len(chunk)
                total += len(chunk)
                if produced > limits.max_member_uncompressed_bytes or produced > info.file_size:
                    raise TooLarge(f"The file's part {_part(info.filename)} expands past its "
                                   "declared size or the per-part limit; refused as a possible "
                                   "zip bomb.")
                if total > limits.max_total_uncompressed_bytes:
                    raise TooLarge("The file expands to more than "
                                   f"{_mb(limits.max_total_uncompressed_bytes)} when unpacked; "
                                   "refused as a possible zip bomb.")
                _check_ratio(info.filename, produced, info.compress_size, limits)
                if scan is not None:
                    scan.feed(chunk)
        if produced != info.file_size:
            raise InvalidInput(DAMAGED + f": {_part(info.filename)} is shorter than declared.")
        if scan is not None:
            scan.close()


class _XmlScan:
    """Streaming check of one XML part: UTF-8 or BOM-marked UTF-16 only, and no ``<!DOCTYPE``.

    Restricting the encoding is what makes a byte search sound: under UTF-7, UCS-4 or EBCDIC
    (all of which libxml2 can read) the declaration would not contain these bytes.
    """

    _DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

    def __init__(self, name: str) -> None:
        self.name = name
        self.head = b""
        self.pattern: bytes | None = None  # chosen once the first bytes are known
        self.tail = b""

    def _refuse_encoding(self) -> None:
        """Raise InvalidInput: the part is in an encoding the byte search cannot vouch for."""
        raise InvalidInput(f"The file's part {_part(self.name)} uses a text encoding Word never "
                           "writes; refused for safety.")

    def _start(self, head: bytes) -> None:
        """Choose the search pattern from the first bytes; raise for refused encodings."""
        if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            self._refuse_encoding()  # UTF-32
        if head.startswith(b"\xff\xfe"):
            self.pattern, codec, body = "<!doctype".encode("utf-16-le"), "utf-16-le", head[2:]
        elif head.startswith(b"\xfe\xff"):
            self.pattern, codec, body = "<!doctype".encode("utf-16-be"), "utf-16-be", head[2:]
        else:
            body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
            self.pattern, codec = b"<!doctype", "utf-8"
            if b"\x00" in head or not body.lstrip(b" \t\r\n").startswith(b"<") and body.strip():
                self._refuse_encoding()  # BOM-less UTF-16/UCS-4, EBCDIC, or not XML at all
        text = body.decode(codec, "replace")
        if text.startswith("<?xml"):
            decl_end = text.find("?>")
            if decl_end == -1:
                raise InvalidInput(DAMAGED + f": {_part(self.name)} has a broken XML declaration.")
            match = self._DECL_ENCODING.search(text[:decl_end].encode("ascii", "replace"))
            allowed = {"utf-8", "utf8"} if codec == "utf-8" else {"utf-16", "utf-16le", "utf-16be"}
            if match and match.group(1).decode().lower() not in allowed:
                self._refuse_encoding()

    def feed(self, chunk: bytes) -> None:
        """Scan the next chunk (plus the previous tail, so a split declaration is still seen)."""
        if self.pattern is None:
            self.head += chunk
            if len(self.head) < 1024:
                return
            self._start(self.head)
            chunk, self.head = self.head, b""
        assert self.pattern is not None
        window = (self.tail + chunk).lower()
        if self.pattern in window:
            raise InvalidInput(DOCTYPE.format(part=_part(self.name)))
        if self.pattern == b"<!doctype" and b"\x00" in chunk:
            self._refuse_encoding()
        self.tail = window[-(len(self.pattern) - 1):]

    def close(self) -> None:
        """Finish a part shorter than the sniffing window."""
        if self.pattern is None:
            head, self.head = self.head, b""
            self._start(head)
            self.feed(head)


# --- parsing in a capped child ----------------------------------------------------------------

def _docx_parser() -> Callable[[bytes], Document]:
    """Return clm.documents.from_docx (imported late so this module loads without it)."""
    from clm import documents

    return documents.from_docx


def _text_parser() -> Callable[[str], Document]:
    """Return clm.documents.from_text (imported late so this module loads without it)."""
    from clm import documents

    return documents.from_text


def _check_document(doc: Any, limits: Limits) -> None:
    """Raise TooLarge if a parsed Document is bigger than a contract could be."""
    # Notes, comments, headers and text boxes count too: they are read and compared like the body.
    paragraphs = list(doc.paragraphs) + [p for story in getattr(doc, "stories", ()) for p in story.paragraphs]
    if len(paragraphs) > limits.max_paragraphs:
        raise TooLarge(f"The document has {len(paragraphs):,} paragraphs; clm accepts at most "
                       f"{limits.max_paragraphs:,}.")
    for i, p in enumerate(paragraphs):
        text = p if isinstance(p, str) else p.text
        if len(text) > limits.max_paragraph_chars:
            raise TooLarge(f"Paragraph {i + 1} has {len(text):,} characters; clm accepts at most "
                           f"{limits.max_paragraph_chars:,} in one paragraph.")


def _parse_checked(data: bytes, limits: Limits, view: str = "accept") -> Document:
    """Return from_docx(data, view), refused as TooLarge when bigger than a contract could be."""
    doc = _docx_parser()(data, view)  # type: ignore[call-arg]
    _check_document(doc, limits)
    return doc


def _in_child(func: Callable[..., Any], *args: Any, limits: Limits, timeout: float, timeout_message: str,
              crash_message: str, progress: Callable[..., object] | None = None) -> Any:
    """Return ``func(*args)`` computed in a capped child (see clm.sandbox), its failures mapped to
    the errors a user sees: InvalidInput on timeout (``timeout_message``) or crash
    (``crash_message``), TooLarge on memory exhaustion, and the child's own ClmError (same class
    and message) when the reader raises one."""
    try:
        return sandbox.run_capped(func, *args, timeout=timeout, memory_bytes=limits.parse_memory_bytes,
                                  progress=progress)
    except sandbox.SandboxTimeout:
        raise InvalidInput(timeout_message) from None
    except sandbox.SandboxMemory:
        raise TooLarge(MEMORY) from None
    except sandbox.SandboxCrash:
        raise InvalidInput(crash_message) from None
    except ClmError as err:
        if type(err) is ClmError:  # a child error whose class could not be rebuilt
            raise InvalidInput(str(err)) from None
        raise


def _parse_in_child(data: bytes, limits: Limits, view: str = "accept") -> Document:
    """Return from_docx(data) computed in a capped child (errors: :func:`_in_child`)."""
    _docx_parser()  # import the reader (and lxml) once, here: every forked child starts with it
    return _in_child(_parse_checked, data, limits, view, limits=limits,  # type: ignore[no-any-return]
                     timeout=limits.parse_timeout_seconds,
                     timeout_message=TIMEOUT.format(seconds=limits.parse_timeout_seconds), crash_message=UNREADABLE)


def _parse_pdf_checked(data: bytes, limits: Limits, defer_ocr: bool = False,
                       report: bool = False) -> Document | ScanPending:
    """Return read_pdf(data), refused as TooLarge when bigger than a contract could be.

    With ``defer_ocr``, a PDF with pages to OCR comes back as a ScanPending, unread; with
    ``report``, the pages read so far are reported to the parent (clm.sandbox.report).
    """
    import faulthandler

    from clm.versions.pdfread import PdfOptions, ScanPending, read_pdf

    # PDFium aborts the process when an allocation fails under the cap (a decompression bomb):
    # that is the expected end of this child, not a crash to dump a stack trace for.
    faulthandler.disable()
    doc = read_pdf(data, PdfOptions(max_pages=limits.max_pdf_pages), defer_ocr=defer_ocr,
                   on_page=sandbox.report if report else None)
    if not isinstance(doc, ScanPending):
        _check_document(doc, limits)
    return doc


def _parse_pdf_in_child(data: bytes, limits: Limits, *, defer_ocr: bool = False,
                        progress: Callable[[int, int], object] | None = None) -> Document | ScanPending:
    """Return read_pdf(data) computed in a capped child (PDFium and Tesseract run there).

    Errors are those of :func:`_in_child`; the deadline is ``pdf_timeout_seconds``, which
    leaves room for OCR of a scan. ``progress(pages_done, pages_total)`` follows the reading.
    """
    import pypdfium2  # noqa: F401 - load PDFium once, here: every forked child starts with it

    # PDFium aborts when an allocation fails under the memory cap: a stream that inflates past
    # it (a decompression bomb) ends as a crash, as does a file that crashes the parser.
    return _in_child(_parse_pdf_checked, data, limits, defer_ocr, progress is not None,  # type: ignore[no-any-return]
                     limits=limits, timeout=limits.pdf_timeout_seconds, progress=progress,
                     timeout_message=PDF_TIMEOUT.format(seconds=limits.pdf_timeout_seconds), crash_message=PDF_CRASH)


def render_pdf_page(data: bytes, page: int, limits: Limits, dpi: float = 110) -> bytes:
    """Return page ``page`` (1-based) of a stored PDF as a PNG, rendered in a capped child.

    Raise InvalidInput when there is no such page or the page cannot be rendered in time.
    """
    from clm.versions.pdfread import render_png

    try:
        return sandbox.run_capped(render_png, data, page, dpi,  # type: ignore[no-any-return]
                                  timeout=limits.parse_timeout_seconds, memory_bytes=limits.parse_memory_bytes)
    except (sandbox.SandboxTimeout, sandbox.SandboxMemory, sandbox.SandboxCrash):
        raise InvalidInput(f"Page {page} of this PDF could not be shown.") from None


def max_bytes(data: bytes, limits: Limits) -> int:
    """Return the size cap for ``data``: PDFs (scans) may be larger than Word and text files."""
    return max(limits.max_pdf_bytes, limits.max_upload_bytes) if is_pdf(data) else limits.max_upload_bytes


def read_upload(data: bytes, filename: str, limits: Limits = Limits(), view: str = "accept", *,
                progress: Callable[[int, int], object] | None = None) -> Document:
    """Return the Document of an uploaded .docx, .pdf, .txt or .md file, or raise a ClmError.

    The one entry point for uploads: size cap, content sniffing (media_kind), the zip
    pre-check (check_docx_package) and a parse in a memory- and time-capped child process.
    Nothing is written to disk. Raise TooLarge (413), UnsupportedMedia (415) or InvalidInput
    (422) with a message fit to show the user. ``view`` picks a .docx's tracked changes as
    accepted ("accept", what is stored) or rejected ("reject"); a PDF has one view.
    ``progress(pages_done, pages_total)`` follows the reading of a PDF, page by page.
    """
    return _read(data, filename, limits, view, defer_ocr=False, progress=progress)  # type: ignore[return-value]


def read_unless_scanned(data: bytes, filename: str, limits: Limits = Limits()) -> Document | ScanPending:
    """Return what :func:`read_upload` returns, or a ScanPending for a PDF with pages to OCR.

    Every check that refuses a file (size, password, embedded files, page count, damage,
    bombs) has run, with the same errors; the OCR, which takes seconds a page, has not: read
    the file with :func:`read_upload` later, in a background job.
    """
    return _read(data, filename, limits, "accept", defer_ocr=True)


def _read(data: bytes, filename: str, limits: Limits, view: str, *, defer_ocr: bool,
          progress: Callable[[int, int], object] | None = None) -> Document | ScanPending:
    """Check and read an upload (see :func:`read_upload`); ``defer_ocr`` stops a scan before its OCR."""
    cap = max_bytes(data, limits)
    if len(data) > cap:
        what = "PDFs" if is_pdf(data) else "uploads"
        raise TooLarge(f"The file is {_mb(len(data))}; clm accepts {what} up to {_mb(cap)}.")
    kind = media_kind(data, filename)
    if kind == "pdf":
        return _parse_pdf_in_child(data, limits, defer_ocr=defer_ocr, progress=progress)
    if kind == "docx":
        check_docx_package(data, limits)
        return _parse_in_child(data, limits, view)
    doc = _text_parser()(_decode_text(data))
    _check_document(doc, limits)
    return doc
