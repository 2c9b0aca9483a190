"""E-signature: envelopes, signer tokens, signing pages, the audit trail, sealing and verification."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the signer pages, the sender pages, the envelopes API and the public verify page on
    ``app`` (webhooks follow from events: clm.subscribers)."""
    from clm.signing import api, pages, verify_page, views

    app.register_blueprint(pages.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(verify_page.bp)
