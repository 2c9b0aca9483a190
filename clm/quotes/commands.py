"""The ``clm quote`` commands: load the catalog, create, revise, approve, send, accept, render and compare quotes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The catalog shipped with clm (`clm init --demo` loads it).
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "clause_library" / "catalog.yaml"
MAX_FILE_BYTES = 2 * 1024 * 1024


def _settings() -> dict[str, Any]:
    """Return the settings (from CLM_* variables); these commands need no web app."""
    from clm import config

    return config.load()


@contextmanager
def _transaction(settings: dict[str, Any]) -> Iterator[Session]:
    from clm import db, events
    from clm.clauses import models as _clauses  # noqa: F401 - every table a quote's rows refer to
    from clm.downstream import models as _downstream  # noqa: F401
    from clm.users import User as _User  # noqa: F401
    from clm.versions import models as _versions  # noqa: F401

    engine = db.make_engine(str(settings["DATABASE_URL"]))
    try:
        factory = db.make_sessionmaker(engine)
        events.listen(factory, settings)  # work that follows the commit (extraction) runs as in the app
        with db.transaction_for(factory) as session:
            yield session
    finally:
        engine.dispose()


def read_catalog_file(path: Path) -> Any:
    """Return the parsed YAML (or JSON) of a catalog file; InvalidInput naming the file otherwise."""
    import yaml

    from clm.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{path}: not YAML ({str(err).splitlines()[0]})") from None


def _read_json(path: Path) -> Any:
    from clm.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{path}: not JSON ({err})") from None


def _quote_id(session: Session, ref: str) -> int:
    from sqlalchemy import select

    from clm.errors import NotFound
    from clm.quotes.models import Quote

    if ref.isdigit():
        return int(ref)
    found = session.scalar(select(Quote.id).where(Quote.number == ref.upper()))
    if found is None:
        raise NotFound(f"There is no quote {ref}.")
    return found


def _summary(quote: Any) -> str:
    from clm.quotes.conversion import money_text

    v = quote.current
    p = v.priced
    needs = ", ".join(v.approvals_required) or "none"
    return (f"{quote.number} v{v.number} ({quote.status.value}): {p['customer']}, TCV {money_text(p['tcv'], p['currency'])}, "
            f"ACV {money_text(p['acv'], p['currency'])}, discount {p['discount_percent']}%, approvals needed: {needs}, "
            f"valid until {v.expires_on}")


@click.group()
def quote() -> None:
    """Configure, price and quote: catalog, quotes, approvals, documents, acceptance into a contract."""


@quote.group()
def catalog() -> None:
    """The product catalog."""


@catalog.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default="cli", help="Recorded as who loaded it.")
def catalog_load(file: Path, by: str) -> None:
    """Load FILE (YAML) as the catalog in force; a bad file is refused whole, naming each problem."""
    from clm.quotes import services

    data = read_catalog_file(file)
    with _transaction(_settings()) as s:
        row, new = services.load_catalog(s, data, source=str(file), by=by)
        catalog_ = services.catalog_of(row)
        line = (f"Catalog version {row.version} {'loaded' if new else 'unchanged'}: {len(catalog_.products)} products, "
                f"{len(catalog_.bundles)} bundles, {len(catalog_.price_books)} price books, "
                f"{len(catalog_.promotions)} promotions")
    click.echo(line)


@quote.command("price")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Price as of this day.")
def price(file: Path, today: Any) -> None:
    """Print the price of the quote request in FILE (JSON) without storing it."""
    import datetime as dt

    from clm.quotes import services

    data = _read_json(file)
    with _transaction(_settings()) as s:
        result = services.preview(s, data, today=today.date() if today else dt.date.today())
    click.echo(json.dumps(result.to_dict(), indent=2))


@quote.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default="cli", help="Recorded as who priced it.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Quote date (default today).")
def create(file: Path, by: str, today: Any) -> None:
    """Create a quote from the request in FILE (JSON: customer, currency, term_months, start_date, lines ...)."""
    import datetime as dt

    from clm.quotes import services

    data = _read_json(file)
    with _transaction(_settings()) as s:
        q = services.create_quote(s, data, by=by, today=today.date() if today else dt.date.today())
        line = _summary(q)
    click.echo(line)


@quote.command("revise")
@click.argument("ref")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default="cli")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]))
def revise(ref: str, file: Path, by: str, today: Any) -> None:
    """Store the request in FILE as the next version of quote REF (Q-0001 or its id)."""
    import datetime as dt

    from clm.quotes import services

    data = _read_json(file)
    with _transaction(_settings()) as s:
        qid = _quote_id(s, ref)
        services.revise_quote(s, qid, data, by=by, today=today.date() if today else dt.date.today())
        line = _summary(services.get_quote(s, qid))
    click.echo(line)


@quote.command("approve")
@click.argument("ref")
@click.option("--as", "email", required=True, help="Email of the approving user (their role decides the level).")
@click.option("--comment", default="")
def approve(ref: str, email: str, comment: str) -> None:
    """Record the next approval quote REF needs, as user EMAIL."""
    from sqlalchemy import select

    from clm import db
    from clm.errors import NotFound
    from clm.quotes import services
    from clm.users import User

    with _transaction(_settings()) as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise NotFound(f"--as: there is no active user {email}")
        qid = _quote_id(s, ref)
        approval = services.approve(s, qid, by=user.email, can=user.can, now=db.utcnow(), comment=comment)
        line = f"{approval.level} approval recorded by {user.email}. " + _summary(services.get_quote(s, qid))
    click.echo(line)


@quote.command("send")
@click.argument("ref")
@click.option("--to", "to", default="", metavar="EMAIL",
              help="Email the quote's PDF to this address first (CLM_SMTP_URL, else the outbox folder); "
                   "without it the quote is only marked sent.")
@click.option("--by", default="cli")
def send(ref: str, to: str, by: str) -> None:
    """Send quote REF to the customer (every approval it needs must be in).

    With --to, the current version's PDF is mailed and the quote is marked sent only once the mail
    server took it, as the quote page and the API do.
    """
    from clm import db
    from clm.mail import DEFAULT_SENDER, mailer_for, setting
    from clm.quotes import services

    settings = _settings()
    with _transaction(settings) as s:
        if to:
            q = services.send_by_mail(s, _quote_id(s, ref), to=to, by=by, now=db.utcnow(),
                                      seller=setting(settings, "SELLER_NAME"),
                                      mailer=mailer_for(settings, settings["INSTANCE_PATH"]),
                                      sender=setting(settings, "MAIL_FROM", DEFAULT_SENDER))
        else:
            q = services.send(s, _quote_id(s, ref), by=by, now=db.utcnow())
        line = _summary(q) + (f" Emailed to {to.strip()} with its PDF." if to else "")
    click.echo(line)


@quote.command("accept")
@click.argument("ref")
@click.option("--by", default="cli")
def accept(ref: str, by: str) -> None:
    """Accept quote REF: draft its Order Form + MSA contract with the quote's lines as commercial terms."""
    from clm import db
    from clm.clauses.library import default_library_path, load_library
    from clm.quotes import services
    from clm.versions.store import limits_from_settings

    settings = _settings()
    library = load_library(default_library_path(settings["CLAUSE_LIBRARY"] or None))
    with _transaction(settings) as s:
        version = services.accept(s, _quote_id(s, ref), by=by, now=db.utcnow(), library=library,
                                  limits=limits_from_settings(settings))
        line = f"Accepted: contract {version.contract_id} version {version.number} with the quote's commercial terms"
    click.echo(line)


@quote.command("show")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def show(ref: str, fmt: str) -> None:
    """Print quote REF: its summary, or its current version as JSON."""
    from clm.quotes import services

    with _transaction(_settings()) as s:
        q = services.get_quote(s, _quote_id(s, ref))
        if fmt == "json":
            out = json.dumps({"number": q.number, "status": q.status.value, "version": q.current.number,
                              "contract_id": q.contract_id, "expires_on": q.current.expires_on.isoformat(),
                              "approvals_required": q.current.approvals_required,
                              "approvals": [{"level": a.level, "by": a.decided_by} for a in q.current.approvals],
                              "quote": q.current.priced}, indent=2)
        else:
            out = _summary(q)
    click.echo(out)


@quote.command("list")
def list_() -> None:
    """List quotes, newest first."""
    from clm.quotes import services

    with _transaction(_settings()) as s:
        lines = [_summary(q) for q in services.list_quotes(s)]
    click.echo("\n".join(lines) if lines else "No quotes yet.")


@quote.command("render")
@click.argument("ref")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the quote document here: .pdf or .docx.")
@click.option("--version", "number", type=int, help="Version number (default the current one).")
def render(ref: str, output: Path, number: int | None) -> None:
    """Write quote REF as a branded PDF or Word document."""
    from clm.quotes import document, services

    suffix = output.suffix.lower()
    if suffix not in {".pdf", ".docx"}:
        from clm.errors import InvalidInput

        raise InvalidInput(f"{output}: the output must end in .pdf or .docx")
    settings = _settings()
    with _transaction(settings) as s:
        q = services.get_quote(s, _quote_id(s, ref))
        view = services.document_view(q, services.get_version(q, number or q.current_version),
                                      seller=settings.get("SELLER_NAME") or "")
    data = document.quote_pdf(view) if suffix == ".pdf" else document.quote_docx(view)
    output.write_bytes(data)
    click.echo(f"{output}: quote {view['number']} v{view['version']}")


@quote.command("compare")
@click.argument("ref")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
def compare(ref: str, old: int, new: int, fmt: str) -> None:
    """Print the redline between versions OLD and NEW of quote REF."""
    from clm.quotes import services
    from clm.versions import render as redline_render

    with _transaction(_settings()) as s:
        q = services.get_quote(s, _quote_id(s, ref))
        _, _, redline = services.compare(q, old, new)
        title = f"Quote {q.number}: v{old} → v{new}"
    if fmt == "json":
        click.echo(json.dumps(redline_render.to_json(redline), ensure_ascii=False))
    elif fmt == "html":
        click.echo(redline_render.to_html(redline, title=title, old_label=f"v{old}", new_label=f"v{new}",
                                          standalone=True))
    else:
        click.echo(redline_render.to_text(redline))


@quote.command("drift")
@click.argument("ref")
def drift(ref: str) -> None:
    """Print the priced terms the accepted quote's contract now states differently; exit 1 when any."""
    import sys

    from clm.quotes import services

    with _transaction(_settings()) as s:
        report = services.drift(s, services.get_quote(s, _quote_id(s, ref)))
    for finding in report.findings:
        click.echo(f"{finding.field}: quote {finding.quote}, contract {finding.contract}")
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.findings:
        sys.exit(1)
    click.echo(f"No priced term differs from the quote (contract version {report.version_number}).")
