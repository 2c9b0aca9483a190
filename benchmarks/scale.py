"""Seed N contracts into PostgreSQL and time what must stay fast: lists, renewals, search, CSV.

    python benchmarks/scale.py                               # 1,000 contracts
    python benchmarks/scale.py --contracts 1000,10000,100000 # grow one database, measure at each size
    python benchmarks/scale.py --url postgresql+psycopg://postgres@127.0.0.1:5432/clm_bench

The database named by --url is dropped and created again, migrated to head, then filled with
bulk inserts: per contract a blob and a version whose text is a generated header (title,
parties, governing law, term) over a ~3,000-character window of one of the 351 CUAD dev
contracts, an extraction run with 7 extracted terms, and for every 10th contract a completed
envelope, a commercial-terms document, an order and a renewal. Statuses, counterparties,
governing laws, dates and auto-renewal vary.

Requests go through the Flask app in this process (test client: the app, SQLAlchemy and the
database, no HTTP server), each repeated and reported as p50 / p95 in milliseconds. The terms
CSV export runs in a child process that streams the whole file and samples its own RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CUAD = ROOT.parent / "shared" / "data" / "cuad" / "dev" / "contracts.jsonl"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/clm_bench"
TODAY = dt.date(2026, 11, 28)
PASSWORD = "benchmark password 1"

LAWS = ["New York", "Delaware", "California", "Texas", "England and Wales", "Ontario", "Germany",
        "Illinois", "Massachusetts", "Washington", "Singapore", "France"]
STATUSES = ["executed"] * 8 + ["draft"] * 4 + ["negotiation"] * 2 + ["expired"] * 3 + ["terminated", "approval",
                                                                                       "signing"]
ADJ = ["Blue", "Northern", "Acme", "Summit", "Pioneer", "Silver", "Quantum", "Harbor", "Granite", "Vertex",
       "Atlas", "Cedar", "Falcon", "Meridian", "Orion", "Redwood", "Sterling", "Tidal", "Union", "Zenith"]
NOUN = ["Logistics", "Software", "Health", "Energy", "Foods", "Capital", "Media", "Robotics", "Pharma",
        "Networks", "Retail", "Motors", "Analytics", "Textiles", "Aerospace", "Labs", "Holdings", "Systems",
        "Partners", "Freight"]
SUFFIX = ["Inc.", "LLC", "Ltd", "GmbH", "S.A.", "Corp."]
SEARCHES = ["confidential information", '"governing law" arbitration', "exclusivity -franchise",
            "indemnify OR indemnification", "termination for convenience"]


# -- the database ------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    from clm import db
    from clm.cli import upgrade_database

    name = make_url(url).database
    admin = db.make_engine(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    upgrade_database(url)


def cuad_texts() -> list[str]:
    with CUAD.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def contract_rows(i: int, texts: list[str], rng: random.Random) -> dict[str, Any]:
    """Return the generated facts of contract number ``i`` (1-based)."""
    counterparty = f"{ADJ[i % 20]} {NOUN[(i // 20) % 20]} {SUFFIX[(i // 400) % 6]}"
    law = LAWS[rng.randrange(len(LAWS))]
    body = texts[i % len(texts)]
    start = rng.randrange(max(1, len(body) - 3000))
    start = body.find(" ", start) + 1
    excerpt = body[start:start + 3000]
    effective = TODAY - dt.timedelta(days=rng.randrange(0, 1400))
    years = rng.choice([1, 1, 2, 3])
    expiration = effective + dt.timedelta(days=365 * years)
    auto = rng.random() < 0.55
    status = STATUSES[rng.randrange(len(STATUSES))]
    title = f"Agreement {i:06d} with {counterparty}"
    document = (f"{title.upper()}\nThis Agreement is entered into by {counterparty} and Example Corp. effective "
                f"{effective:%B %d, %Y}.\nThis Agreement shall be governed by the laws of {law}.\n"
                f"The initial term is {years} year(s)"
                f"{' and renews automatically for successive one-year terms' if auto else ''}.\n{excerpt}")
    return {"i": i, "counterparty": counterparty, "law": law, "effective": effective, "expiration": expiration,
            "auto": auto, "status": status, "title": title, "text": document}


def seed(engine: Any, start: int, end: int, texts: list[str]) -> None:
    """Insert contracts start+1 .. end with their versions, terms and (every 10th) order and renewal."""
    from clm.downstream.terms import parse_terms, terms_hash, terms_to_dict
    from clm.models import Base

    t = Base.metadata.tables
    rng = random.Random(start)
    now = dt.datetime.now(dt.UTC)
    batch = 1000
    for low in range(start + 1, end + 1, batch):
        rows = [contract_rows(i, texts, rng) for i in range(low, min(end, low + batch - 1) + 1)]
        blobs, contracts, versions, runs, terms = [], [], [], [], []
        envelopes, documents, orders, renewals = [], [], [], []
        for r in rows:
            i, data = r["i"], r["text"].encode()
            sha = hashlib.sha256(data).hexdigest()
            blobs.append({"sha256": sha, "size": len(data), "media_type": "text/plain; charset=utf-8",
                          "data": data, "location": "db", "created_at": now})
            contracts.append({"id": i, "title": r["title"], "counterparty": r["counterparty"], "status": r["status"],
                              "created_at": now, "created_by": "bench"})
            versions.append({"id": i, "contract_id": i, "number": 1, "blob_sha256": sha, "filename": f"c{i}.txt",
                             "source": "upload", "author": "bench", "created_at": now, "text": r["text"],
                             "paragraph_count": r["text"].count("\n") + 1, "word_count": len(r["text"].split()),
                             "revision_count": 0, "has_hidden_text": False})
            runs.append({"id": i, "version_id": i, "extractor": "bench/1", "issues": [], "seconds": 0.0,
                         "created_at": now})
            for field, value in (("parties", [r["counterparty"], "Example Corp."]), ("governing_law", r["law"]),
                                 ("auto_renewal", r["auto"]), ("effective_date", r["effective"].isoformat()),
                                 ("expiration_date", r["expiration"].isoformat()), ("renewal_term", "P1Y"),
                                 ("payment_terms", "P30D")):
                terms.append({"run_id": i, "version_id": i, "field": field, "value": value, "evidence": [],
                              "confidence": 0.9})
            if i % 10 == 0:
                doc = {"currency": "USD", "signed_on": r["effective"].isoformat(), "payment_terms_days": 30,
                       "lines": [{"id": "saas", "description": "Subscription", "price": f"{1000 + i % 9000}.00",
                                  "ssp": f"{1000 + i % 9000}.00", "recognition": "ratable",
                                  "start": r["effective"].isoformat(),
                                  "end": (r["expiration"] - dt.timedelta(days=1)).isoformat(),
                                  "billing": {"frequency": "annual", "timing": "advance"}}],
                       "renewal": {"auto_renewal": r["auto"], "renewal_term": "P1Y", "non_renewal_notice": "P60D",
                                   "price_increase_cap": "5%"}}
                parsed = parse_terms(doc)
                digest = terms_hash(parsed)
                envelopes.append({"id": i, "contract_id": i, "version_id": i, "version_sha256": sha,
                                  "document_sha256": hashlib.sha256(r["text"].encode()).hexdigest(),
                                  "terms_sha256": digest, "subject": "Please sign", "message": "",
                                  "status": "completed", "expires_at": now, "created_by": "bench", "created_at": now,
                                  "sent_at": now, "completed_at": now, "audit_seq": 0})
                documents.append({"id": i, "contract_id": i, "version": 1, "data": terms_to_dict(parsed),
                                  "sha256": digest, "currency": "USD", "created_by": "bench", "created_at": now})
                orders.append({"id": i, "envelope_id": i, "contract_id": i, "terms_document_id": i,
                               "terms_sha256": digest, "currency": "USD", "total_minor": (1000 + i % 9000) * 100,
                               "signed_on": r["effective"], "created_at": now})
                renewal_date = r["expiration"]
                renewals.append({"order_id": i, "contract_id": i, "terms_sha256": digest,
                                 "term_start": r["effective"], "term_end": r["expiration"] - dt.timedelta(days=1),
                                 "renewal_date": renewal_date,
                                 "notice_deadline": renewal_date - dt.timedelta(days=60) if r["auto"] else None,
                                 "auto_renewal": r["auto"], "renewal_term": "P1Y" if r["auto"] else None,
                                 "non_renewal_notice": "P60D" if r["auto"] else None,
                                 "price_increase_cap": "5%", "created_at": now})
        with engine.begin() as connection:
            connection.execute(insert(t["blobs"]), blobs)
            connection.execute(insert(t["contracts"]), contracts)
            connection.execute(insert(t["versions"]), versions)
            connection.execute(insert(t["extraction_runs"]), runs)
            connection.execute(insert(t["extracted_terms"]), terms)
            if envelopes:
                connection.execute(insert(t["envelopes"]), envelopes)
                connection.execute(insert(t["contract_terms_documents"]), documents)
                connection.execute(insert(t["orders"]), orders)
                connection.execute(insert(t["renewals"]), renewals)
    with engine.begin() as connection:
        # Each renewal starts in its initial term (as the migration backfills) ...
        connection.execute(text(
            "INSERT INTO renewal_terms (renewal_id, contract_id, order_id, term_number, term_start, term_end, "
            "renewal_date, notice_deadline, auto_renewal) SELECT id, contract_id, order_id, 0, term_start, term_end, "
            "renewal_date, notice_deadline, auto_renewal FROM renewals r "
            "WHERE NOT EXISTS (SELECT 1 FROM renewal_terms t WHERE t.renewal_id = r.id)"))
    # ... and the daily `clm renewals remind` moves the auto-renewed ones into their current term.
    from sqlalchemy.orm import Session

    from clm.downstream.reports import roll_renewals

    with Session(engine) as session, session.begin():
        roll_renewals(session, TODAY)
    with engine.begin() as connection:
        for table in ("contracts", "versions", "extraction_runs", "envelopes", "contract_terms_documents", "orders"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


# -- timing ------------------------------------------------------------------------------------


def timed(fn: Any, repeat: int, warmup: int = 2) -> tuple[float, float]:
    """Return (p50, p95) in milliseconds of ``fn()`` over ``repeat`` runs after ``warmup``."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]


def ok(response: Any) -> Any:
    if response.status_code != 200:
        raise SystemExit(f"benchmark request failed: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response


def measure(url: str, size: int, repeat: int) -> dict[str, Any]:
    from clm import db
    from clm.app import create_app
    from clm.users import Role, create_token, create_user

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "REDIS_URL": "",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="clm-bench-")})
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        email = f"legal{size}@bench.example"
        create_user(s, email=email, name="Bench", password=PASSWORD, role=Role.LEGAL)
        admin = create_user(s, email=f"admin{size}@bench.example", name="Bench admin", password=PASSWORD,
                            role=Role.ADMIN)
        token = create_token(s, user=admin, label="bench")[1]
    import gc

    gc.collect()
    gc.freeze()  # as `clm serve` does before it forks its workers
    bearer = {"Authorization": f"Bearer {token}"}
    page = app.test_client()
    page.get("/login")
    with page.session_transaction() as sess:
        csrf = sess["csrf"]
    login = page.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    if login.status_code != 302:
        raise SystemExit(f"benchmark login failed: {login.status_code}")
    api = app.test_client()
    middle = size // 2
    rng = random.Random(size)
    figures: dict[str, Any] = {"contracts": size}
    figures["list page"] = timed(lambda: ok(page.get("/")), repeat)
    figures["list page, deep"] = timed(lambda: ok(page.get(f"/?before={rng.randrange(2, size)}")), repeat)
    figures["list API"] = timed(lambda: ok(api.get("/api/v1/contracts?limit=50", headers=bearer)), repeat)
    figures["list API, deep"] = timed(lambda: ok(api.get(f"/api/v1/contracts?limit=50&before={middle}",
                                                         headers=bearer)), repeat)
    renewals_repeat = repeat
    figures["renewals API (90 d)"] = timed(lambda: ok(api.get("/api/v1/renewals?within=90", headers=bearer)),
                                           renewals_repeat, warmup=1)
    figures["renewals, indexed query (90 d)"] = timed(lambda: renewals_indexed(app), repeat)
    due = ok(api.get("/api/v1/renewals?within=90", headers=bearer)).json
    figures["renewals due"] = len(due.get("renewals", []))
    queries = iter(range(10**9))
    figures["search API"] = timed(lambda: ok(api.get("/api/v1/search", headers=bearer, query_string={
        "q": SEARCHES[next(queries) % len(SEARCHES)]})), repeat)
    figures["search API, filtered"] = timed(lambda: ok(api.get("/api/v1/search", headers=bearer, query_string={
        "q": SEARCHES[next(queries) % len(SEARCHES)], "governing_law": "new york", "auto_renewal": "yes",
        "renews_from": TODAY.isoformat(), "renews_to": (TODAY + dt.timedelta(days=365)).isoformat()})), repeat)
    figures["search page"] = timed(lambda: ok(page.get("/search", query_string={
        "q": SEARCHES[next(queries) % len(SEARCHES)]})), repeat)
    app.extensions["clm_db"].kw["bind"].dispose()
    return figures


def renewals_indexed(app: Any) -> list[Any]:
    """The renewals due in 90 days as one query on the indexed renewal and notice dates."""
    from sqlalchemy import or_, select

    from clm import db
    from clm.downstream.models import OrderCancellation, Renewal
    from clm.versions.models import Contract

    end = TODAY + dt.timedelta(days=90)
    with db.sessionmaker_for(app)() as s:
        return list(s.execute(
            select(Renewal, Contract.title, Contract.counterparty).join(Contract, Contract.id == Renewal.contract_id)
            .where(or_(Renewal.renewal_date.between(TODAY, end), Renewal.notice_deadline.between(TODAY, end)),
                   ~select(OrderCancellation.id).where(OrderCancellation.order_id == Renewal.order_id).exists())
            .order_by(Renewal.renewal_date)))


def csv_export(url: str) -> dict[str, Any]:
    """Stream the terms CSV of every contract in a child process; return its time, rows and RSS."""
    out = subprocess.run([sys.executable, __file__, "--csv-child", "--url", url], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def csv_child(url: str) -> None:
    import resource

    from clm import db
    from clm.app import create_app
    from clm.users import Role, create_token, create_user

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "REDIS_URL": "",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="clm-bench-")})
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        import secrets

        owner = create_user(s, email=f"finance-{secrets.token_hex(4)}@bench.example", name="Bench finance",
                            password=PASSWORD, role=Role.FINANCE)
        token = create_token(s, user=owner, label="bench csv")[1]
    client = app.test_client()
    rss_before = _rss_mb()
    started = time.perf_counter()
    response = client.get("/api/v1/terms.csv", headers={"Authorization": f"Bearer {token}"}, buffered=False)
    rows, size, samples = 0, 0, []
    for chunk in response.response:
        size += len(chunk)
        rows += chunk.count(b"\n")
        if rows // 1000 > len(samples):  # RSS after every 1,000 rows: flat if the export streams
            samples.append(round(_rss_mb(), 1))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "rows": rows - 1, "megabytes": round(size / 2**20, 1),
                      "rss_start_mb": round(rss_before, 1),
                      "rss_first_mb": samples[0] if samples else None, "rss_last_mb": round(_rss_mb(), 1),
                      "rss_max_sampled_mb": max(samples, default=None),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def database_mb(engine: Any) -> float:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_database_size(current_database())")) / 2**20


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", default="1000", help="Sizes to measure at, comma-separated (default 1000).")
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL database to (re)create.")
    parser.add_argument("--repeat", type=int, default=40, help="Timed requests per figure.")
    parser.add_argument("--no-csv", action="store_true", help="Skip the CSV export.")
    parser.add_argument("--csv-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        csv_child(args.url)
        return
    from clm import db

    sizes = sorted(int(s.replace("_", "")) for s in args.contracts.split(","))
    recreate_database(args.url)
    engine = db.make_engine(args.url)
    texts = cuad_texts()
    results = []
    seeded = 0
    for size in sizes:
        started = time.perf_counter()
        seed(engine, seeded, size, texts)
        seconds = time.perf_counter() - started
        print(f"seeded {seeded + 1:,}..{size:,} in {seconds:.1f} s ({(size - seeded) / seconds:,.0f} contracts/s); "
              f"database {database_mb(engine):,.0f} MB", flush=True)
        figures = measure(args.url, size, args.repeat)
        figures["seed seconds"] = round(seconds, 1)
        figures["database MB"] = round(database_mb(engine))
        if not args.no_csv:
            figures["terms CSV"] = csv_export(args.url)
        results.append(figures)
        seeded = size
        print(json.dumps(figures, default=lambda v: [round(x, 1) for x in v]), flush=True)
    engine.dispose()
    print_table(results)


def print_table(results: list[dict[str, Any]]) -> None:
    names = ["list page", "list page, deep", "list API", "list API, deep", "renewals API (90 d)",
             "renewals, indexed query (90 d)", "search API",
             "search API, filtered", "search page"]
    head = "| figure (p50 / p95 ms) | " + " | ".join(f"{r['contracts']:,}" for r in results) + " |"
    print()
    print(head)
    print("|" + "---|" * (len(results) + 1))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{r[name][0]:.1f} / {r[name][1]:.1f}" for r in results) + " |")
    print("| renewals due in 90 days | " + " | ".join(f"{r['renewals due']:,}" for r in results) + " |")
    print("| seeding (s, this step) | " + " | ".join(f"{r['seed seconds']}" for r in results) + " |")
    print("| database size (MB) | " + " | ".join(f"{r['database MB']:,}" for r in results) + " |")
    if all("terms CSV" in r for r in results):
        print("| terms CSV: seconds | " + " | ".join(f"{r['terms CSV']['seconds']}" for r in results) + " |")
        print("| terms CSV: rows | " + " | ".join(f"{r['terms CSV']['rows']:,}" for r in results) + " |")
        print("| terms CSV: RSS after 1k rows → end (MB) | " + " | ".join(
            f"{r['terms CSV']['rss_first_mb']} → {r['terms CSV']['rss_last_mb']}" for r in results) + " |")
        print("| terms CSV: peak RSS (MB) | " + " | ".join(f"{r['terms CSV']['peak_rss_mb']}" for r in results) + " |")


if __name__ == "__main__":
    main()
