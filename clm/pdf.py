"""HTML to PDF with WeasyPrint: only bundled assets load, and rendering runs in a capped child.

WeasyPrint's default URL fetcher loads anything a page names (``file:///etc/...`` through an
attachment link, ``http://`` on the local network). Every PDF clm makes (redlines, drafts,
signing certificates, invoices) goes through :func:`html_to_pdf`, whose fetcher serves only
the assets the caller hands in, by name, from memory, and refuses every other URL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from clm import sandbox
from clm.errors import ClmError, TooLarge

log = logging.getLogger(__name__)
#: The URL scheme of bundled assets: ``clm-asset:redline.css``.
ASSET_SCHEME = "clm-asset:"
RENDER_TIMEOUT_SECONDS = 60.0
RENDER_MEMORY_BYTES = 768 * sandbox.MiB


class RefusedUrl(ValueError):
    """A document asked for a URL that is not a bundled asset."""


class PdfRenderError(ClmError):
    """The PDF could not be made; nothing else was changed."""

    status = 500


def _fetcher(assets: Mapping[str, bytes], refused: list[str]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        """Serve ``clm-asset:<name>`` from memory; refuse file:, http(s):, data: and the rest."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            name = url[len(ASSET_SCHEME):] if url.startswith(ASSET_SCHEME) else None
            if name is None or name not in assets:
                refused.append(url[:200])
                raise RefusedUrl(f"refused to load {url[:80]!r}")
            mime = "text/css" if name.endswith(".css") else "application/octet-stream"
            return URLFetcherResponse(url, assets[name], {"Content-Type": mime})

    return AssetFetcher()


def _render(html: str, assets: Mapping[str, bytes], stylesheets: Sequence[str]) -> tuple[bytes, list[str]]:
    import weasyprint

    refused: list[str] = []
    fetcher = _fetcher(assets, refused)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=ASSET_SCHEME)
    sheets = [weasyprint.CSS(url=ASSET_SCHEME + name, url_fetcher=fetcher) for name in stylesheets]
    return bytes(document.write_pdf(stylesheets=sheets)), refused


def html_to_pdf(html: str, *, assets: Mapping[str, bytes] | None = None, stylesheets: Sequence[str] = (),
                timeout: float = RENDER_TIMEOUT_SECONDS, memory_bytes: int = RENDER_MEMORY_BYTES) -> bytes:
    """Return the PDF of ``html``; ``stylesheets`` name entries of ``assets`` to apply.

    The page may refer to assets as ``clm-asset:<name>``; any other URL is refused (and
    logged), so markup that slipped into a document can load nothing.
    """
    assets = dict(assets or {})
    try:
        pdf, refused = sandbox.run_capped(_render, html, assets, tuple(stylesheets), timeout=timeout,
                                          memory_bytes=memory_bytes)
    except sandbox.SandboxTimeout:
        raise PdfRenderError(f"Making the PDF took longer than {timeout:g} s; nothing was produced.") from None
    except sandbox.SandboxMemory:
        raise TooLarge("The document is too large to render as a PDF.") from None
    except sandbox.SandboxCrash as err:
        log.error("PDF rendering failed: %s", err)
        raise PdfRenderError("The PDF could not be made; the error has been logged.") from None
    for url in refused:
        log.warning("PDF rendering refused to load %s", url)
    return pdf  # type: ignore[no-any-return]
