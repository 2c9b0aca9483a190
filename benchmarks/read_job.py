"""Measure the upload of a scanned PDF: how long the request takes, and the read job behind it.

Usage (from the project root, venv active)::

    python benchmarks/read_job.py [--pages 10] [--url sqlite:///...]

Builds an image-only PDF of ``--pages`` contract pages (200 dpi, tests/pdf_fixtures.py), uploads
it through the API (``POST /api/v1/contracts/<id>/versions``) of an app with no Redis, so the read
job runs on the app's background thread, and polls ``GET /api/v1/jobs/<id>`` every 0.25 s until
the job is done. Prints the time to the 202, the time to each page of progress, and the pages per
second of the read (OCR included, one process). A fresh SQLite file unless ``--url`` is given.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from clm import db, jobs
    from clm.app import create_app
    from clm.cli import upgrade_database
    from clm.users import Role, create_token, create_user
    from clm.versions import store
    from tests.pdf_fixtures import CONTRACT_PARAGRAPHS, scanned_pdf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--url")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(tmp.name) / 'read.sqlite3'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": tmp.name, "REDIS_URL": ""})
    lines = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]
    scan = scanned_pdf([lines[: 9 + i % 10] for i in range(args.pages)])
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        user = create_user(s, email="legal@example.test", name="Legal", password="correct horse battery staple 7", role=Role.LEGAL)
        token = create_token(s, user=user, label="bench")[1]
        contract = store.create_contract(s, title="Scans", counterparty=None, author=user.email)
        contract_id = contract.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"{args.pages}-page scan, {len(scan) / 1e6:.1f} MB")
    start = time.perf_counter()
    response = client.post(f"/api/v1/contracts/{contract_id}/versions", headers=headers,
                           content_type="multipart/form-data", data={"file": (io.BytesIO(scan), "scan.pdf")})
    accepted = time.perf_counter() - start
    assert response.status_code == 202, response.get_data(as_text=True)
    print(f"202 Accepted after {accepted:.2f} s; status at {response.headers['Location']}")
    last = -1
    while True:
        body = client.get(response.headers["Location"], headers=headers).json
        if body["pages_done"] != last:
            last = body["pages_done"]
            print(f"  {time.perf_counter() - start:6.1f} s  {body['status']:8} page {last} of {body['pages_total']}")
        if body["status"] not in ("queued", "running"):
            break
        time.sleep(0.25)
    total = time.perf_counter() - start
    print(f"{body['status']} after {total:.1f} s (version {body['version']}); "
          f"{args.pages / (total - accepted):.2f} pages/s read; error: {body['error']}")
    jobs.wait_for_background()


if __name__ == "__main__":
    main()
