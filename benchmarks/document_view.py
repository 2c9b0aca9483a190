"""Measure how long a version's document takes to show as it looks (headings, numbers, tables).

Usage (from the project root, venv active)::

    python benchmarks/document_view.py

Prints two figures for the clause library's Master Subscription Agreement drafted with the demo
values: ``document_view.build`` plus the ``_document.html`` macro (pure, no database), median of
20; and ``GET /contracts/1/versions/1`` through the Flask test client on a fresh ``clm init
--demo`` SQLite database in a temporary directory, median of 10 (the first view parses the file
and fills the reading cache; the median is of cached views, as users mostly see them).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2

from clm.clauses.drafting import draft_docx
from clm.clauses.library import default_library_path, load_library
from clm.demo import _MSA_VALUES, DEMO_PASSWORD
from clm.documents import from_docx
from clm.versions import document_view


def _median_ms(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    library = load_library(default_library_path())
    data = draft_docx(library.template("master_subscription_agreement"), library, dict(_MSA_VALUES))
    document = from_docx(data)
    env = jinja2.Environment(loader=jinja2.PackageLoader("clm.versions", "templates"), autoescape=True)
    macro = env.from_string('{% from "_document.html" import document %}{{ document(blocks) }}')
    images = document_view.images_of(data)
    build = _median_ms(lambda: document_view.build(document, images=images), 20)
    both = _median_ms(lambda: macro.render(blocks=document_view.build(document, images=images)), 20)
    print(f"drafted MSA, {len(document.paragraphs)} paragraphs: build {build:.1f} ms, build + macro {both:.1f} ms")

    from clm.app import create_app

    with tempfile.TemporaryDirectory() as root:
        settings = {"DATABASE_URL": f"sqlite:///{root}/clm.db", "SECRET_KEY": "benchmark-secret-key-0123456789",
                    "INSTANCE_PATH": f"{root}/instance", "REDIS_URL": ""}
        env_vars = {**os.environ, **{f"CLM_{k}": v for k, v in settings.items()}}
        subprocess.run([str(Path(sys.executable).parent / "clm"), "init", "--demo"], env=env_vars, check=True,
                       capture_output=True)
        app = create_app(settings)
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"csrf_token": csrf, "email": "legal@example.com", "password": DEMO_PASSWORD})

        def view() -> None:
            response = client.get("/contracts/1/versions/1")
            assert response.status_code == 200, response.status_code

        view()
        print(f"GET /contracts/1/versions/1 (demo MSA): median {_median_ms(view, 10):.0f} ms of 10")
        app.extensions["clm_db"].kw["bind"].dispose()


if __name__ == "__main__":
    main()
