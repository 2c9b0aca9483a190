"""PDF rendering: bundled assets only, nothing fetched, markup inert, caps enforced."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest

from clm import pdf
from clm.errors import TooLarge


def test_a_page_renders_with_a_bundled_stylesheet():
    data = pdf.html_to_pdf("<h1>Redline</h1><p class='x'>text</p>", assets={"a.css": b".x { color: red }"},
                           stylesheets=["a.css"])
    assert data.startswith(b"%PDF-")


@pytest.fixture
def canary_server():
    """A loopback port that records whether anything connected to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    hits: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], hits
    stop.set()
    thread.join(2)
    listener.close()


@pytest.mark.parametrize("markup", [
    '<link rel="attachment" href="file:///etc/hostname">',
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="file:///etc/hostname">',
    '<img src="data:image/svg+xml;base64,PHN2Zy8+">',
    '<style>@import url("file:///etc/hostname");</style>',
])
def test_markup_loads_nothing_from_disk_or_network(markup, caplog, canary_server):
    port, hits = canary_server
    host_name = Path("/etc/hostname").read_bytes().strip() if Path("/etc/hostname").exists() else b"\x00none"
    page = f"<p>Clause</p>{markup}<img src='http://127.0.0.1:{port}/x.png'>"
    with caplog.at_level(logging.WARNING, logger="clm.pdf"):
        data = pdf.html_to_pdf(page)
    assert data.startswith(b"%PDF-")
    assert b"/EmbeddedFile" not in data and host_name not in data
    assert hits == []
    assert any("refused to load" in record.getMessage() for record in caplog.records)


def test_a_rendering_over_its_memory_is_refused():
    huge = "<p>" + "word " * 400_000 + "</p>"
    with pytest.raises((TooLarge, pdf.PdfRenderError)):
        pdf.html_to_pdf(huge * 5, memory_bytes=32 * 1024 * 1024, timeout=20)
