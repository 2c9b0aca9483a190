"""Tests for clm.versions.intake: hostile uploads are refused fast, cheaply and clearly."""

from __future__ import annotations

import bz2
import glob
import io
import json
import multiprocessing
import os
import random
import signal
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clm.errors import ClmError, InvalidInput, TooLarge, UnsupportedMedia
from clm.versions import intake
from clm.versions.intake import Limits, check_docx_package, media_kind, read_upload

SAMPLE_DIR = Path(os.environ.get("CLM_BADINPUTS_DIR", "/work/shared/data/badinputs-sample"))
MANIFEST = SAMPLE_DIR / "manifest.json"
MiB = 1024 * 1024
DEFAULT = Limits()

# --- a raw zip writer: zipfile refuses to write most of what an attacker can ------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Default Extension="png" ContentType="image/png"/>'
    b'<Default Extension="svg" ContentType="image/svg+xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def document_xml(*paragraphs: str, prolog: bytes = b"") -> bytes:
    body = b"".join(b"<w:p><w:r><w:t>" + p.encode() + b"</w:t></w:r></w:p>" for p in paragraphs)
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog
            + b"<w:document " + W + b"><w:body>" + body + b"</w:body></w:document>")


@dataclass
class Entry:
    """One zip member as an attacker writes it: every header field can lie."""

    name: str
    data: bytes = b""
    method: int = 8
    flags: int = 0
    mode: int = 0o100644
    size: int | None = None       # declared uncompressed size (default: the truth)
    crc: int | None = None        # declared CRC (default: the truth)
    payload: bytes | None = None  # already-compressed bytes (default: compress ``data``)
    csize: int | None = None      # declared compressed size (default: the truth)
    offset: int | None = None     # central directory's local header offset (default: the truth)


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflated_zeros(n: int) -> tuple[bytes, int]:
    """Return (raw deflate of n zero bytes, their CRC) without holding n bytes in memory."""
    c, crc, block = zlib.compressobj(9, zlib.DEFLATED, -15), 0, bytes(MiB)
    out = []
    for _ in range(n // MiB):
        out.append(c.compress(block))
        crc = zlib.crc32(block, crc)
    rest = bytes(n % MiB)
    out += [c.compress(rest), c.flush()]
    return b"".join(out), zlib.crc32(rest, crc)


def build_zip(entries: list[Entry]) -> bytes:
    out, cd = bytearray(), bytearray()
    for e in entries:
        name = e.name.encode("utf-8")
        flags = e.flags | (0 if name.isascii() else 0x800)
        if e.payload is not None:
            payload = e.payload
        elif e.method == 8:
            payload = deflate(e.data)
        elif e.method == 12:
            payload = bz2.compress(e.data)
        else:
            payload = e.data
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        size = len(e.data) if e.size is None else e.size
        csize = len(payload) if e.csize is None else e.csize
        off = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, e.method, 0, 0x21, crc,
                           csize, size, len(name), 0) + name + payload
        cd += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, flags, e.method,
                          0, 0x21, crc, csize, size, len(name), 0, 0, 0, 0, e.mode << 16,
                          off if e.offset is None else e.offset) + name
    n = len(entries)
    return bytes(out + cd + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(cd), len(out), 0))


def package(*extra: Entry, document: bytes | None = None, content_types: bytes = CONTENT_TYPES,
            drop: tuple[str, ...] = ()) -> bytes:
    """Return a minimal valid .docx plus ``extra`` members (which may be hostile)."""
    base = [Entry("[Content_Types].xml", content_types), Entry("_rels/.rels", RELS),
            Entry("word/document.xml", document if document is not None else
                  document_xml("1. Services", "The Supplier shall provide the Services."))]
    return build_zip([e for e in base if e.name not in drop] + list(extra))


# --- observation helpers ----------------------------------------------------------------------

def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_rss_growth(fn: Callable[[], Any]) -> tuple[int | None, float]:
    """Return (growth of this process' peak RSS in bytes, or None if unmeasurable; seconds)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _rss_kib("VmRSS")
    except OSError:
        before = None
    t = time.perf_counter()
    try:
        fn()
    finally:
        elapsed = time.perf_counter() - t
    if before is None:
        return None, elapsed
    return (_rss_kib("VmHWM") - before) * 1024, elapsed


def _listing(path: str) -> set[str]:
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


@pytest.fixture
def no_files_created(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail if a temp file, a file in the working dir, a clm file in /tmp or a canary appears.

    The test gets a private temp dir (the forked parse child inherits it), so other programs
    writing to /tmp at the same time cannot make it fail, and nothing clm writes can hide.
    """
    private = tmp_path_factory.mktemp("tempdir")
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    monkeypatch.setenv("TMPDIR", str(private))
    cwd_before = _listing(os.getcwd())
    clm_in_tmp = {name for name in _listing("/tmp") if name.startswith("clm")}
    yield
    assert _listing(str(private)) == set(), "temp files appeared"
    assert _listing(os.getcwd()) - cwd_before == set(), "files appeared in the working dir"
    assert {name for name in _listing("/tmp") if name.startswith("clm")} - clm_in_tmp == set()
    assert glob.glob("/tmp/clm_*canary*") == []


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Record every hand-over to the parse child (pre-check rejects must not reach it)."""
    calls: list[bytes] = []
    real = intake._parse_in_child

    def spy(data: bytes, limits: Limits, *view: str) -> Any:
        calls.append(data)
        return real(data, limits, *view)

    monkeypatch.setattr(intake, "_parse_in_child", spy)
    return calls


def raises(cls: type[ClmError], data: bytes, filename: str = "contract.docx",
           limits: Limits = DEFAULT, match: str | None = None) -> ClmError:
    """Assert read_upload refuses ``data`` with exactly ``cls`` and a clean message; return it."""
    with pytest.raises(ClmError) as info:
        read_upload(data, filename, limits)
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    msg = str(err)
    assert msg and "Traceback" not in msg and "\n" not in msg and "\r" not in msg
    if match:
        assert match.lower() in msg.lower(), msg
    return err


# --- the shared hostile corpus ----------------------------------------------------------------

def _manifest_files() -> list[Any]:
    if not MANIFEST.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SAMPLE_DIR} is absent"))]
    files = json.loads(MANIFEST.read_text())["files"]
    return [pytest.param(f, id=f["file"]) for f in files]


#: What each sample must be refused with; files of the wider corpus fall back to "any 4xx".
SAMPLE_EXPECT: dict[str, tuple[type[ClmError], str]] = {
    "zipbomb_deflate_document_xml_1gb.docx": (TooLarge, "zip bomb"),
    "xxe_file_etc_hostname.docx": (InvalidInput, "document type declaration"),
    "billion_laughs_internal_entities.docx": (InvalidInput, "document type declaration"),
    "malformed_xml_unclosed_tag.docx": (InvalidInput, "damaged"),
    "zip_slip_member_names.docx": (InvalidInput, "unsafe name"),
    "not_zip_pdf_bytes.docx": (UnsupportedMedia, "PDF"),
    "empty_file.docx": (InvalidInput, "The file is empty."),
    "random_bytes_4k.docx": (UnsupportedMedia, "not a Word document"),
    "truncated_zip_60pct.docx": (InvalidInput, "damaged or not a complete Word document"),
    "encrypted_ole_password_protected.docx": (UnsupportedMedia, "remove the password"),
    "macro_enabled_docm_renamed.docx": (UnsupportedMedia, "macro"),
    "missing_content_types_xml.docx": (InvalidInput, "[Content_Types].xml"),
}
#: Refused only by the parser itself, in the child; everything else never reaches it.
REACHES_PARSER = {"malformed_xml_unclosed_tag.docx"}


@pytest.mark.usefixtures("no_files_created")
@pytest.mark.parametrize("case", _manifest_files())
def test_manifest_sample(case: dict[str, Any], parse_calls: list[bytes]) -> None:
    path = SAMPLE_DIR / case["file"]
    if not path.exists():
        pytest.skip(f"{case['file']} is in the wider corpus only")
    data = path.read_bytes()
    limits = Limits()
    if case["expected"] == "accept":
        pytest.importorskip("clm.documents", reason="clm.documents not written yet")
        doc = read_upload(data, case["file"], limits)
        assert doc.paragraphs and doc.text.strip()
        return
    outcome: dict[str, BaseException] = {}

    def attempt() -> None:
        try:
            read_upload(data, case["file"], limits)
        except BaseException as e:  # noqa: BLE001 - judged below
            outcome["err"] = e

    growth, elapsed = peak_rss_growth(attempt)
    err = outcome.get("err")
    assert isinstance(err, ClmError), f"accepted or crashed: {err!r}"
    assert err.status in (400, 413, 415, 422)
    msg = str(err)
    assert msg and "Traceback" not in msg
    assert elapsed < limits.parse_timeout_seconds
    if growth is not None:
        assert growth < 2 * limits.max_total_uncompressed_bytes, f"peak RSS grew {growth:,} bytes"
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if hostname:
        assert hostname not in msg
    expected = SAMPLE_EXPECT.get(case["file"])
    if expected:
        cls, fragment = expected
        assert type(err) is cls, f"{type(err).__name__}: {msg}"
        assert fragment.lower() in msg.lower(), msg
        assert bool(parse_calls) == (case["file"] in REACHES_PARSER)


def test_zip_bomb_sample_refused_before_inflating() -> None:
    path = SAMPLE_DIR / "zipbomb_deflate_document_xml_1gb.docx"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = path.read_bytes()
    growth, elapsed = peak_rss_growth(lambda: pytest.raises(TooLarge, check_docx_package, data, Limits()))
    assert elapsed < 10  # the bound for any rejection; refused at the cap, not after inflating
    if growth is not None:
        assert growth < 16 * MiB  # the 1 GB member is never inflated at all


# --- generated hostile packages, one per class ------------------------------------------------

def test_valid_generated_package_passes_the_precheck() -> None:
    data = package(Entry("word/media/logo.svg", b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
                                                 b'"x.dtd"><svg/>'))
    assert media_kind(data, "contract.docx") == "docx"
    check_docx_package(data, Limits())  # an SVG image's DOCTYPE is not parsed, so allowed


@pytest.mark.usefixtures("no_files_created")
def test_valid_generated_package_is_parsed_in_the_child(parse_calls: list[bytes]) -> None:
    pytest.importorskip("clm.documents", reason="clm.documents not written yet")
    doc = read_upload(package(), "contract.DOCX")
    assert [p.text for p in doc.paragraphs] == ["1. Services", "The Supplier shall provide the Services."]
    assert len(parse_calls) == 1
    assert multiprocessing.active_children() == []


def test_honest_deflate_bomb_over_member_cap() -> None:
    payload, crc = deflated_zeros(30 * MiB)
    data = package(Entry("word/media/big.bin", payload=payload, crc=crc, size=30 * MiB))
    growth, elapsed = peak_rss_growth(lambda: raises(TooLarge, data, match="zip bomb"))
    assert elapsed < 10  # the bound for any rejection; refused at the cap, not after inflating
    if growth is not None:
        assert growth < 16 * MiB


def test_honest_deflate_bomb_over_ratio() -> None:
    payload, crc = deflated_zeros(5 * MiB)  # under every size cap, but ~1000:1
    data = package(Entry("word/media/big.bin", payload=payload, crc=crc, size=5 * MiB))
    raises(TooLarge, data, match="compressed more than 100:1")


def test_small_repetitive_parts_skip_the_ratio_check() -> None:
    data = package(Entry("word/styles.xml", b"<?xml version='1.0'?><s>" + b"<x/>" * 50_000 + b"</s>"))
    check_docx_package(data, Limits())


def test_honest_bomb_over_total_cap_split_across_members() -> None:
    payload, crc = deflated_zeros(20 * MiB)
    parts = [Entry(f"word/media/m{i}.bin", payload=payload, crc=crc, size=20 * MiB) for i in range(3)]
    limits = Limits(max_compression_ratio=10**6)
    raises(TooLarge, package(*parts), limits=limits, match="declare more than 50 MB in total")


def test_declared_member_size_refused_before_inflating() -> None:
    payload, crc = deflated_zeros(26 * MiB)
    data = package(Entry("word/media/big.bin", payload=payload, crc=crc, size=26 * MiB))
    limits = Limits(max_compression_ratio=10**6)
    growth, elapsed = peak_rss_growth(lambda: raises(TooLarge, data, limits=limits,
                                                     match="declares 27,262,976 bytes"))
    assert elapsed < 0.05  # inflating 26 MB would take several times longer
    if growth is not None:
        assert growth < 16 * MiB


def _open(data: bytes) -> tuple[Any, list[Any], Any]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return zf, zf.infolist(), intake._read_content_types(zf, zf.infolist(), Limits())


@pytest.mark.parametrize(("limits", "match"), [
    (Limits(max_member_uncompressed_bytes=3 * MiB, max_compression_ratio=10**6), "expands past its declared size or the per-part limit"),
    (Limits(max_total_uncompressed_bytes=5 * MiB, max_compression_ratio=10**6), "expands to more than 5 MB"),
    (Limits(max_compression_ratio=10), "compressed more than 10:1"),
])
def test_streaming_caps_stop_early_whatever_was_declared(limits: Limits, match: str) -> None:
    # The streaming pass is the backstop for declared sizes that lie; drive it alone (no static
    # check) with honest 8 MB members and confirm it stops at the first cap, holding one chunk.
    payload, crc = deflated_zeros(8 * MiB)
    zf, infos, ct = _open(package(Entry("word/media/a.bin", payload=payload, crc=crc, size=8 * MiB)))
    with zf:
        growth, elapsed = peak_rss_growth(
            lambda: pytest.raises(TooLarge, intake._stream_members, zf, infos, ct, limits).match(match))
    assert elapsed < 10  # the bound for any rejection; refused at the cap, not after inflating
    if growth is not None:
        assert growth < 4 * MiB


def test_member_shorter_than_declared() -> None:
    # CRC matches the 3 real bytes, so zipfile itself is satisfied; the byte count is not.
    data = package(Entry("word/media/a.bin", b"abc", size=1000, crc=zlib.crc32(b"abc")))
    raises(InvalidInput, data, match="shorter than declared")


def test_lying_deflate_bomb_small_declared_size() -> None:
    # Declares 2 KB but the stream inflates to 60 MB: zipfile stops at the declared size, the
    # CRC (of the full 60 MB) then mismatches, and nothing past 64 KB is ever produced.
    payload, crc = deflated_zeros(60 * MiB)
    data = package(Entry("word/media/big.bin", payload=payload, crc=crc, size=2048))
    growth, elapsed = peak_rss_growth(lambda: raises(InvalidInput, data, match="damaged"))
    assert elapsed < 10  # the bound for any rejection; refused at the cap, not after inflating
    if growth is not None:
        assert growth < 16 * MiB


def test_lying_deflate_bomb_with_matching_crc_is_cut_at_declared_size() -> None:
    # Same lie, but the CRC matches the declared prefix: the package reads as 2 KB of zeros,
    # which is all any reader (zipfile, python-docx, clm.documents) will ever inflate.
    payload, _ = deflated_zeros(60 * MiB)
    data = package(Entry("word/media/big.bin", payload=payload, crc=zlib.crc32(bytes(2048)), size=2048))
    growth, elapsed = peak_rss_growth(lambda: check_docx_package(data, Limits()))
    assert elapsed < 10  # the bound for any rejection; refused at the cap, not after inflating
    if growth is not None:
        assert growth < 16 * MiB


def test_lying_compressed_size_to_dodge_the_ratio_check() -> None:
    # Declares 4 MB compressed (ratio 5:1) for a 20 KB stream: the claimed span runs into the
    # next member, so the layout check refuses it.
    payload, crc = deflated_zeros(20 * MiB)
    data = build_zip([Entry("word/media/big.bin", payload=payload, crc=crc, size=20 * MiB,
                            csize=4 * MiB),
                      Entry("[Content_Types].xml", CONTENT_TYPES), Entry("_rels/.rels", RELS),
                      Entry("word/document.xml", document_xml("x"))])
    raises(InvalidInput, data, match="overlap")


def test_overlapping_entries_sharing_one_kernel() -> None:
    # A second directory entry re-uses the first member's bytes (Fifield's overlap bomb).
    twin = package(Entry("word/media/b.bin", CONTENT_TYPES, offset=0))
    raises(InvalidInput, twin, match="overlap")


def test_stored_bomb_honest_size() -> None:
    data = package(Entry("word/media/big.bin", bytes(11 * MiB), method=0))
    raises(TooLarge, data, match="uploads up to 10 MB")


def test_stored_member_with_lying_sizes() -> None:
    blob = bytes(2 * MiB)
    data = package(Entry("word/media/big.bin", blob, method=0, size=100, csize=100))
    raises(InvalidInput, data, match="damaged")


def test_member_declared_over_cap_without_content() -> None:
    data = package(Entry("word/media/big.bin", b"", size=26 * MiB))
    raises(TooLarge, data, match="27,262,976")


@pytest.mark.parametrize("second", ["word/document.xml", "Word/Document.XML",
                                    "word/document.xml\x00.txt"])
def test_duplicate_member_names(second: str) -> None:
    data = package(Entry(second, document_xml("Hidden second body")))
    raises(InvalidInput, data, match="two parts named")


@pytest.mark.parametrize("name", ["../../../../tmp/clm_gen_canary.txt", "/tmp/clm_gen_canary.txt",
                                  "..\\..\\clm_gen_canary.txt", "C:/clm_gen_canary.txt",
                                  "word/../../clm_gen_canary.txt", "word/./x.xml", "word//x.xml",
                                  "word/\x01x.xml"])
@pytest.mark.usefixtures("no_files_created")
def test_zip_slip_names(name: str) -> None:
    raises(InvalidInput, package(Entry(name, b"canary")), match="unsafe name")


def test_symlink_entry() -> None:
    data = package(Entry("word/media/link.png", b"/etc/hostname", mode=0o120777))
    raises(InvalidInput, data, match="symbolic link")


def test_too_many_members() -> None:
    members = [Entry(f"customXml/i{i}.bin", b"", method=0) for i in range(1001)]
    raises(TooLarge, package(*members), match="too many parts")


def test_member_count_limit_is_configurable() -> None:
    raises(TooLarge, package(), limits=Limits(max_zip_members=2), match="too many parts")


@pytest.mark.parametrize(("method", "label"), [(12, "bzip2"), (14, "lzma"), (9, "deflate64")])
def test_unsupported_compression_methods(method: int, label: str) -> None:
    data = package(Entry("word/media/x.bin", b"abc" * 100, method=method))
    raises(UnsupportedMedia, data, match=label)


@pytest.mark.parametrize("flag", [0x1, 0x40])
def test_encrypted_member_flag(flag: int) -> None:
    data = package(Entry("word/media/x.bin", b"secret", flags=flag))
    raises(InvalidInput, data, match="encrypted")


@pytest.mark.parametrize("part", ["word/document.xml", "docProps/core.xml", "_rels/.rels",
                                  "customXml/item1.xml"])
def test_doctype_in_any_xml_part(part: str) -> None:
    evil = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            b"<r>&x;</r>")
    if part == "word/document.xml":
        data = package(document=document_xml("&x;", prolog=evil.split(b"\n", 1)[1].split(b"<r>")[0]))
    elif part == "_rels/.rels":
        data = build_zip([Entry("[Content_Types].xml", CONTENT_TYPES), Entry("_rels/.rels", evil),
                          Entry("word/document.xml", document_xml("x"))])
    else:
        data = package(Entry(part, evil))
    raises(InvalidInput, data, match="document type declaration")


def test_doctype_in_content_types() -> None:
    evil = CONTENT_TYPES.replace(b"<Types", b'<!DOCTYPE Types [<!ENTITY a "b">]><Types', 1)
    raises(InvalidInput, package(content_types=evil), match="document type declaration")


def test_doctype_straddling_a_read_chunk() -> None:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<!--'
    pad = 65536 - 4 - len(head) - 3
    doc = head + b"x" * pad + b"-->" + b"<!DOCTYPE w:document>" + document_xml("x").split(b"\n", 1)[1]
    assert doc.index(b"<!DOCTYPE") == 65536 - 4
    raises(InvalidInput, package(document=doc), match="document type declaration")


def test_doctype_in_utf16_part() -> None:
    doc = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "b">]>'
           "<w:document/>").encode("utf-16")  # with BOM
    raises(InvalidInput, package(document=doc), match="document type declaration")


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0" encoding="UTF-7"?><w:document/>',
    '<?xml version="1.0"?><w:document/>'.encode("utf-16-le"),  # no BOM
    '<?xml version="1.0"?><w:document/>'.encode("utf-32"),
    '<?xml version="1.0" encoding="IBM037"?><w:document/>'.encode("cp037"),
])
def test_xml_parts_in_encodings_word_never_writes(doc: bytes) -> None:
    raises(InvalidInput, package(document=doc), match="encoding")


def test_missing_content_types() -> None:
    raises(InvalidInput, package(drop=("[Content_Types].xml",)), match="[Content_Types].xml")


def test_missing_main_document() -> None:
    raises(InvalidInput, package(drop=("word/document.xml",)), match="main document part")


@pytest.mark.parametrize("fraction", [0.2, 0.6, 0.95])
def test_truncated_zip(fraction: float) -> None:
    data = package()
    raises(InvalidInput, data[: int(len(data) * fraction)], match="damaged or not a complete Word document")


def test_corrupt_crc() -> None:
    raises(InvalidInput, package(Entry("word/media/x.bin", b"abc", crc=1)), match="damaged")


def test_macro_enabled_content_type() -> None:
    ct = CONTENT_TYPES.replace(b"wordprocessingml.document.main+xml", b"PLACEHOLDER").replace(
        b"application/vnd.openxmlformats-officedocument.PLACEHOLDER",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")
    assert b"macroEnabled" in ct
    data = package(content_types=ct)
    with pytest.raises(UnsupportedMedia, match="macro"):
        media_kind(data, "contract.docx")
    with pytest.raises(UnsupportedMedia, match="macro"):
        check_docx_package(data, Limits())


def test_vba_project_member() -> None:
    data = package(Entry("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(100)))
    raises(UnsupportedMedia, data, match="macro")
    with pytest.raises(UnsupportedMedia, match="macro"):
        media_kind(data, "contract.docx")
    with pytest.raises(UnsupportedMedia, match="macro"):
        check_docx_package(data, Limits())


def test_docm_extension() -> None:
    raises(UnsupportedMedia, package(), filename="contract.docm", match="macro")


def test_spreadsheet_renamed_docx() -> None:
    ct = CONTENT_TYPES.replace(
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/>',
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sheet.main+xml"/>')
    raises(UnsupportedMedia, package(content_types=ct), match="not a Word document")


def _ole(*streams: str) -> bytes:
    names = b"".join(s.encode("utf-16-le") + b"\x00\x00" for s in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + names


def test_ole_encrypted_package() -> None:
    raises(UnsupportedMedia, _ole("EncryptionInfo", "EncryptedPackage"),
           match="password-protected (encrypted); remove the password")


def test_ole_legacy_doc() -> None:
    err = raises(UnsupportedMedia, _ole("WordDocument", "1Table"), match=".doc")
    assert "password" not in str(err)


@pytest.mark.parametrize("filename", ["contract.docx", "contract.txt"])
def test_pdf_magic_under_another_name(filename: str) -> None:
    raises(UnsupportedMedia, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename=filename, match="PDF")


def test_broken_pdf_named_pdf_is_read_as_a_pdf_and_refused() -> None:
    # PDFs are read (tests/versions/test_pdfread.py); a stub of one is damaged, not unsupported.
    raises(InvalidInput, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename="contract.pdf", match="damaged")


def test_random_binary() -> None:
    raises(UnsupportedMedia, random.Random(4).randbytes(4096), match="not a Word document")


# --- text uploads -----------------------------------------------------------------------------

@pytest.mark.parametrize("filename", ["contract.docx", "notes.txt", "notes.md"])
def test_empty_file(filename: str) -> None:
    raises(InvalidInput, b"", filename=filename, match="The file is empty.")


def test_text_with_nul() -> None:
    raises(InvalidInput, b"Clause 1\x00Clause 2", filename="c.txt", match="NUL byte (at byte 8)")


def test_text_invalid_utf8() -> None:
    raises(InvalidInput, b"Fee: 100 \xa3\n", filename="c.txt", match="not valid UTF-8 (first bad byte at offset 9)")


def test_text_too_large() -> None:
    raises(TooLarge, b"a" * 101, filename="c.txt", limits=Limits(max_upload_bytes=100), match="up to 100 bytes")


def test_zip_named_txt() -> None:
    raises(UnsupportedMedia, package(), filename="c.txt", match="zip package")


def test_text_too_many_paragraphs() -> None:
    pytest.importorskip("clm.documents", reason="clm.documents not written yet")
    raises(TooLarge, b"x\n" * 30, filename="c.md", limits=Limits(max_paragraphs=10), match="paragraphs")


@pytest.mark.usefixtures("no_files_created")
def test_text_accepted_with_bom(parse_calls: list[bytes]) -> None:
    pytest.importorskip("clm.documents", reason="clm.documents not written yet")
    doc = read_upload("\ufeff# Terms\nFee: 100 £\n".encode(), "Terms.MD")
    assert doc.text.startswith("# Terms\nFee: 100 £")
    assert parse_calls == []  # text is parsed in-process


# --- hostile client filenames -----------------------------------------------------------------

@pytest.mark.usefixtures("no_files_created")
@pytest.mark.parametrize(("filename", "accepted"), [("../../../etc/passwd.docx", True),
                                                    ("contract.DOCX", True),
                                                    ("contract.docx\r\nX-Injected: 1", False),
                                                    ("contract.docx.exe", False),
                                                    ("", False)])
def test_hostile_filenames(filename: str, accepted: bool) -> None:
    data = package()
    if accepted:
        assert media_kind(data, filename) == "docx"
        return
    err = raises(UnsupportedMedia, data, filename=filename, match="does not read")
    assert "Injected" not in str(err)


# --- the parse child: timeout, memory cap, crashes, errors ------------------------------------

def _slow_parser(data: bytes) -> Any:
    time.sleep(60)


def _hungry_parser(data: bytes) -> Any:
    hog = []
    while True:
        hog.append(bytearray(32 * MiB))


def _clm_error_parser(data: bytes) -> Any:
    raise TooLarge("Paragraph 9 is too long to be a clause.")


def _leaky_parser(data: bytes) -> Any:
    raise KeyError("There is no item named '/srv/clm/secret.key' in the archive")


def _crashing_parser(data: bytes) -> Any:
    os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would


@dataclass(frozen=True)
class StandIn:
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def _stand_in_parser(data: bytes) -> Any:
    return StandIn(("pid", str(os.getpid())))


@pytest.fixture
def use_parser(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[bytes], Any]], None]:
    def use(parser: Callable[[bytes], Any]) -> None:
        # The real parser takes the view ("accept"/"reject") too; the stand-ins ignore it.
        monkeypatch.setattr(intake, "_docx_parser", lambda: lambda data, view="accept": parser(data))
    return use


def test_parse_runs_in_a_child_process(use_parser: Callable[..., None]) -> None:
    use_parser(_stand_in_parser)
    doc = read_upload(package(), "c.docx")
    assert isinstance(doc, StandIn)
    assert doc.paragraphs[1] != str(os.getpid())


@pytest.mark.usefixtures("no_files_created")
def test_parse_timeout_kills_the_child(use_parser: Callable[..., None]) -> None:
    use_parser(_slow_parser)
    t = time.perf_counter()
    raises(InvalidInput, package(), limits=Limits(parse_timeout_seconds=0.5), match="took too long to read")
    assert time.perf_counter() - t < 3
    assert multiprocessing.active_children() == []


def test_parse_memory_cap(use_parser: Callable[..., None]) -> None:
    use_parser(_hungry_parser)
    t = time.perf_counter()
    raises(TooLarge, package(), limits=Limits(parse_memory_bytes=128 * MiB), match="more memory")
    assert time.perf_counter() - t < 5
    assert multiprocessing.active_children() == []


def test_parser_clm_error_is_passed_through(use_parser: Callable[..., None]) -> None:
    use_parser(_clm_error_parser)
    raises(TooLarge, package(), match="Paragraph 9 is too long to be a clause.")


def test_parser_other_errors_become_a_generic_message(use_parser: Callable[..., None]) -> None:
    use_parser(_leaky_parser)
    err = raises(InvalidInput, package(), match="could not be read")
    assert "secret" not in str(err) and "KeyError" not in str(err)


@pytest.mark.usefixtures("no_files_created")
def test_parser_crash_becomes_a_clean_error(use_parser: Callable[..., None]) -> None:
    use_parser(_crashing_parser)
    raises(InvalidInput, package(), match="could not be read")
    assert multiprocessing.active_children() == []


def test_child_cannot_write_files(use_parser: Callable[..., None], tmp_path: Path) -> None:
    target = tmp_path / "written.txt"

    def writer(data: bytes) -> Any:
        with open(target, "wb") as f:
            f.write(b"x" * 10)
        return StandIn(("wrote",))

    use_parser(writer)
    raises(InvalidInput, package(), match="could not be read")
    assert not target.exists() or target.stat().st_size == 0


def test_parsed_document_over_paragraph_limit(use_parser: Callable[..., None]) -> None:
    use_parser(lambda data: StandIn(tuple("p" for _ in range(50))))
    raises(TooLarge, package(), limits=Limits(max_paragraphs=10), match="50 paragraphs")


def test_limits_defaults_match_the_corpus_assumptions() -> None:
    if not MANIFEST.exists():
        pytest.skip(f"{SAMPLE_DIR} is absent")
    assumed = json.loads(MANIFEST.read_text())["limits_assumed"]
    limits = Limits()
    for field in ("max_upload_bytes", "max_total_uncompressed_bytes", "max_member_uncompressed_bytes",
                  "max_compression_ratio", "max_zip_members", "parse_timeout_seconds"):
        assert getattr(limits, field) == assumed[field], field


class _Unseekable(io.RawIOBase):
    """A write-only stream, so zipfile writes data descriptors (flag bit 3) as streamers do."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.buf += b
        return len(b)


@pytest.mark.parametrize("streamed", [False, True], ids=["python-docx", "data-descriptors"])
def test_real_world_packages_are_not_falsely_refused(streamed: bool) -> None:
    docx = pytest.importorskip("docx")
    source = docx.Document()  # python-docx's template: styles, theme, customXml, a JPEG thumbnail
    source.add_paragraph("Fees are due in 30 days.")
    out = io.BytesIO()
    source.save(out)
    data = out.getvalue()
    if streamed:
        sink = _Unseekable()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z, zipfile.ZipFile(io.BytesIO(data)) as src:
            for info in src.infolist():
                with z.open(info.filename, "w") as w:
                    w.write(src.read(info))
        data = bytes(sink.buf)
        assert all(i.flag_bits & 0x8 for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert media_kind(data, "contract.docx") == "docx"
    check_docx_package(data, Limits())
    pytest.importorskip("clm.documents", reason="clm.documents not written yet")
    assert "Fees are due in 30 days." in read_upload(data, "contract.docx").text
