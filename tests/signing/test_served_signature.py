"""A large drawn signature posted to a real HTTP server, as a phone's browser posts it."""

from __future__ import annotations

import base64
import io
import random
import re
from typing import Any

import requests
from flask import Flask
from PIL import Image

from clm.signing.models import Recipient, RecipientStatus
from tests.conftest import serving

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _drawn_png(target_bytes: int) -> str:
    """A 1200x400 PNG of noisy strokes of about ``target_bytes``, as a data URL."""
    rng = random.Random(5)
    image = Image.new("RGBA", (1200, 400), (255, 255, 255, 0))
    pixels = image.load()
    rows = max(1, target_bytes // (1200 * 3))
    for y in range(rows):
        for x in range(1200):
            pixels[x, y] = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_a_150_kb_drawn_signature_is_accepted(app: Flask, factory: Any, send_envelope: Any) -> None:
    envelope_id, tokens = send_envelope([("Alice Able", "alice@example.test", 1)])
    token = tokens["alice@example.test"]
    drawn = _drawn_png(150_000)
    assert 120_000 < len(drawn) * 3 // 4 < 200_000
    with serving(app) as url:
        browser = requests.Session()
        page = browser.get(f"{url}/sign/{token}", timeout=30)
        assert page.status_code == 200
        csrf = CSRF.search(page.text).group(1)
        consent = browser.post(f"{url}/sign/{token}/consent", timeout=30,
                               data={"csrf_token": csrf, "agree": "yes", "disclosure_version": re.search(
                                   r'name="disclosure_version" value="([^"]+)"', page.text).group(1)})
        assert consent.status_code == 200, consent.text[:300]
        csrf = CSRF.search(consent.text).group(1)
        signed = browser.post(f"{url}/sign/{token}/sign", timeout=120,
                              data={"csrf_token": csrf, "kind": "drawn", "drawn": drawn})
        assert signed.status_code == 200, signed.text[:300]
        assert "Your signature is recorded" in signed.text
    with factory() as s:
        recipient = s.query(Recipient).filter_by(envelope_id=envelope_id).one()
        assert recipient.status is RecipientStatus.SIGNED and recipient.signature_image
