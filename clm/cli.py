"""The ``clm`` command: each subcommand parses its input, calls a service, and prints.

A plain click group rather than Flask's FlaskGroup: ``clm diff`` and ``clm extract`` run
without an app or a database, and must start fast (a redline of a 100-page pair in under a
second, whole process), so Flask, SQLAlchemy and spaCy are imported only by the commands
that use them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from clm.documents import Document


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with status 2 (bad input)."""
    click.echo(f"clm: error: {message}", err=True)
    sys.exit(2)


#: Commands that read files and print, with no database: they start without loading the models.
_NO_DATABASE = frozenset({"diff", "extract", "billing", "revenue", "journal"})


class ClmGroup(click.Group):
    """Turn every ClmError into one line on stderr and exit status 2; never a trace."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name not in _NO_DATABASE:
            # The command line composes the application, as create_app does for the web: every
            # package's models are registered before any command opens a session, so a foreign
            # key into another package's table resolves (`clm downstream process` run from cron
            # once failed every event with NoReferencedTableError: 'envelopes').
            import clm.models  # noqa: F401
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        from clm.errors import ClmError

        try:
            return super().invoke(ctx)
        except ClmError as err:
            fail(str(err))
        except (OSError, ValueError) as err:
            fail(str(err))
        except ArithmeticError:
            fail("a number or a text given is too large for clm; nothing was changed")
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as err:
            # Database errors are only possible once a command has imported SQLAlchemy; commands
            # without a database (``clm diff``) start without importing it.
            exc = sys.modules.get("sqlalchemy.exc")
            if exc is not None and isinstance(err, exc.DataError):
                fail("a number or a text given is too large for clm; nothing was changed")
            if exc is not None and isinstance(err, (exc.OperationalError, exc.ProgrammingError)):
                # "no such table" (SQLite) / UndefinedTable (PostgreSQL): the schema is not there.
                if "no such table" in str(err.orig) or "does not exist" in str(err.orig):
                    fail("the database has no clm tables yet; run `clm init` first")
                from clm.db import is_unavailable

                if is_unavailable(err):  # down, restarting or locked: one line, not a trace
                    reason = str(err.orig).strip().splitlines()[0] if str(err.orig).strip() else type(err.orig).__name__
                    fail(f"the database is unavailable ({reason}); nothing was changed, try again when it is back")
                raise
            # A bug, not bad input: one line and exit 1; CLM_DEBUG=1 shows the trace.
            if os.environ.get("CLM_DEBUG"):
                raise
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
            click.echo(f"clm: internal error: {type(err).__name__}: {first_line} (run with CLM_DEBUG=1 for details)",
                       err=True)
            sys.exit(1)


#: Commands that never touch the database (they start without importing SQLAlchemy).
_NO_DATABASE = frozenset({"diff", "extract", "billing", "revenue", "journal", "verify"})


@click.group(cls=ClmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clm")
@click.pass_context
def main(ctx: click.Context) -> None:
    """clm: contract lifecycle management from clause library to cash."""
    if ctx.invoked_subcommand not in _NO_DATABASE and not ctx.resilient_parsing:
        # Commands that commit (cron processors, imports, quote and order commands) publish and
        # drain domain events: who acts on which is registered here, as the app factory does.
        from clm import subscribers

        subscribers.register()


def _app() -> Flask:
    from clm.app import create_app

    return create_app()


@contextmanager
def _transaction(app: Flask) -> Iterator[Session]:
    from clm import db

    with db.transaction_for(db.sessionmaker_for(app)) as session:
        yield session


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema revision."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    if not (root / "migrations" / "env.py").is_file():
        fail(f"the migrations folder is missing next to the clm package ({root}); install clm from its "
             "source tree with `pip install -e .`")
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


# -- setting up ----------------------------------------------------------------------------


@main.command()
@click.option("--demo", is_flag=True, help="Also create demo users and contracts with several versions.")
def init(demo: bool) -> None:
    """Create or upgrade the database, load the clause library, and optionally demo data."""
    from clm.clauses.library import default_library_path, load_library
    from clm.clauses.services import sync_library

    app = _app()
    # Read the library first: a file that does not parse is refused before anything changes.
    library = load_library(default_library_path(app.config["CLAUSE_LIBRARY"] or None))
    upgrade_database(app.config["DATABASE_URL"])
    click.echo(f"Database ready: {_redacted(app.config['DATABASE_URL'])}")
    with _transaction(app) as session:
        changed = sync_library(session, library)
    click.echo(f"Clause library: {len(library.clauses)} clause types, {len(library.templates)} templates"
               f" ({len(changed)} new clause versions stored).")
    if demo:
        from clm import demo as demo_data

        with _transaction(app) as session:
            report = demo_data.seed(session)
        from clm.quotes import demo as quote_demo

        with _transaction(app) as session:
            report += quote_demo.seed(session)
        extract_all(app)
        for line in report:
            click.echo(line)


def extract_all(app: Flask) -> int:
    """Queue term extraction for every version that has none yet; return how many."""
    from sqlalchemy import select

    from clm.clauses.jobs import start_extraction
    from clm.clauses.models import ExtractionRun
    from clm.versions.models import Version, VersionSource

    with _transaction(app) as session:
        # A signed version's terms are those of the version it carries, extracted already.
        pending = list(session.scalars(select(Version.id).where(
            Version.source != VersionSource.SIGNED,
            ~select(ExtractionRun.id).where(ExtractionRun.version_id == Version.id).exists()).order_by(Version.id)))
    for version_id in pending:
        start_extraction(app.config, version_id)
    return len(pending)


@main.command("extract-stored")
def extract_stored() -> None:
    """Extract the terms of every stored version that has not been extracted yet."""
    click.echo(f"Queued term extraction for {extract_all(_app())} versions.")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default CLM_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default CLM_PORT or 8000).")
@click.option("--workers", default=None, type=int, help="Worker processes (default CLM_WORKERS or 2).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app and API with gunicorn."""
    from gunicorn.app.base import BaseApplication

    app = _app()
    # What is bound is also where signer links point when CLM_PUBLIC_URL is not set.
    app.config["HOST"], app.config["PORT"] = host or app.config["HOST"], port or app.config["PORT"]
    bind = f"{app.config['HOST']}:{app.config['PORT']}"

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers or app.config["WORKERS"])
            self.cfg.set("accesslog", "-")
            # No request reads a scan any more (OCR runs as a job, clm.versions.reading): the
            # ordinary timeout. Reading a text PDF or a .docx in a request stays within it.
            self.cfg.set("timeout", 60)

        def load(self) -> Flask:
            return app

    import gc

    # The app and the modules it loaded live as long as the server: move them out of the
    # collector's reach, so full collections scan only request garbage (a 50-100 ms p99 pause
    # otherwise) and forked workers keep sharing these pages.
    gc.collect()
    gc.freeze()
    click.echo(f"clm serving on http://{bind}/ (Ctrl+C to stop)", err=True)
    _Server().run()


@main.group()
def user() -> None:
    """Manage users."""


def _role_option(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Checked while parsing, so a wrong role is refused before the password prompt.
    from clm.errors import InvalidInput
    from clm.users import parse_role

    try:
        parse_role(value)
    except InvalidInput as err:
        raise click.BadParameter(str(err)) from None
    return value


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", required=True, is_eager=True, callback=_role_option, help="admin, legal, finance or viewer")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="CLM_NEW_USER_PASSWORD", help="Asked for when not given (or CLM_NEW_USER_PASSWORD).")
def user_create(email: str, name: str, role: str, password: str) -> None:
    """Create a user who signs in with an email and a password."""
    from clm.users import create_user, parse_role

    app = _app()
    with _transaction(app) as session:
        created = create_user(session, email=email, name=name, password=password, role=parse_role(role))
        click.echo(f"Created {created.role.value} user {created.email}.")


@user.command("list")
def user_list() -> None:
    """List users: email, role, active or not."""
    from sqlalchemy import select

    from clm.users import User

    with _transaction(_app()) as session:
        for row in session.scalars(select(User).order_by(User.email)):
            click.echo(f"{row.email}\t{row.role.value}\t{'active' if row.active else 'deactivated'}")


@user.command("password")
@click.option("--email", required=True)
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              envvar="CLM_NEW_USER_PASSWORD", help="Asked for when not given (or CLM_NEW_USER_PASSWORD).")
def user_password(email: str, password: str) -> None:
    """Set a user's password (an administrator's reset); their sessions end."""
    from clm.users import change_password, find_user

    with _transaction(_app()) as session:
        target = find_user(session, email)
        change_password(session, target, current=None, new=password)
        click.echo(f"Password of {target.email} changed; their sessions were signed out.")


@user.command("deactivate")
@click.option("--email", required=True)
def user_deactivate(email: str) -> None:
    """Deactivate a user: their sessions end and their API tokens stop working."""
    from clm.users import find_user, set_active

    with _transaction(_app()) as session:
        target = find_user(session, email)
        set_active(session, target, False)
        click.echo(f"{target.email} deactivated; their sessions and API tokens no longer work.")


@user.command("activate")
@click.option("--email", required=True)
def user_activate(email: str) -> None:
    """Activate a user again (their old sessions stay ended)."""
    from clm.users import find_user, set_active

    with _transaction(_app()) as session:
        target = find_user(session, email)
        set_active(session, target, True)
        click.echo(f"{target.email} activated.")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--user", "email", required=True, help="Whose token it is; it allows at most what their role allows.")
@click.option("--role", default=None, help="admin, legal, finance or viewer (default: the user's role).")
@click.option("--label", default="", help="What the token is for (shown in logs).")
@click.option("--days", default=None, type=int, help="Days until it expires (default 90, at most 365).")
def token_create(email: str, role: str | None, label: str, days: int | None) -> None:
    """Create an API token and print it; it is shown only this once."""
    from clm.users import DEFAULT_TOKEN_DAYS, create_token, find_user, parse_role

    app = _app()
    with _transaction(app) as session:
        owner = find_user(session, email)
        _row, text = create_token(session, user=owner, role=parse_role(role) if role else None, label=label,
                                  days=days or DEFAULT_TOKEN_DAYS)
    click.echo(text)


@token.command("list")
def token_list() -> None:
    """List API tokens: id, label, owner, role, expiry and state (live, expired, revoked)."""
    from clm import db
    from clm.users import list_tokens

    now = db.utcnow()
    with _transaction(_app()) as session:
        for row in list_tokens(session):
            owner = row.user.email if row.user else "no owner (legacy)"
            state = ("revoked" if row.revoked_at else "expired" if row.expires_at <= now
                     else "owner deactivated" if row.user and not row.user.active else "live")
            click.echo(f"{row.id}\t{row.label}\t{owner}\t{row.role.value}\t"
                       f"expires {row.expires_at:%Y-%m-%d}\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke API token TOKEN_ID (see `clm token list`): it stops working at once."""
    from clm import db
    from clm.users import revoke_token

    with _transaction(_app()) as session:
        row = revoke_token(session, token_id, now=db.utcnow())
        click.echo(f"Revoked API token {row.id} ({row.label}).")


# -- contracts -----------------------------------------------------------------------------


@main.command("import")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True, help="Import every file under each directory given.")
@click.option("--contract", "contract_id", type=int, help="Add the files as new versions of this contract.")
@click.option("--title", default=None, help="Title for the new contract (one file only).")
@click.option("--counterparty", default=None)
@click.option("--author", default="cli", help="Recorded as the versions' author.")
@click.option("--source", type=click.Choice(["upload", "counterparty"]), default="upload")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every file's outcome (imported, skipped, rejected and why) to this CSV.")
def import_(paths: tuple[Path, ...], recursive: bool, contract_id: int | None, title: str | None,
            counterparty: str | None, author: str, source: str, report: Path | None) -> None:
    """Store each file (.docx, .pdf, .txt, .md) as a contract, or as new versions of --contract.

    Resumable: a file whose bytes are already stored as a version is skipped, so an interrupted
    import finishes when run again. Rejected files get one line each on stderr; exit code 2.
    """
    from contextlib import ExitStack

    from clm import db, ingest
    from clm.errors import ClmError
    from clm.versions.models import VersionSource

    app = _app()
    try:
        files = ingest.collect(paths, recursive=recursive)
    except ClmError as err:
        fail(str(err))
    importer = ingest.Importer(db.sessionmaker_for(app), app.config, author=author,
                               source=", ".join(str(p) for p in paths), total=len(files),
                               contract_id=contract_id, title=title, counterparty=counterparty,
                               version_source=VersionSource(source))
    progress = ingest.Progress(len(files), sys.stderr)
    rejected = False
    with ExitStack() as stack:
        # The report is written as files are done, so an interrupted import leaves one too.
        rows = ingest.ReportWriter(stack.enter_context(report.open("w", encoding="utf-8", newline=""))) \
            if report is not None else None
        for outcome in ingest.run(importer, files, progress):
            if rows is not None:
                rows.write(outcome)
            if outcome.status == ingest.REJECTED:
                rejected = True
                progress.message(f"clm: error: {outcome.path}: {outcome.detail}")
            else:
                click.echo(f"{outcome.path}: {outcome.detail}")
    if rejected:
        sys.exit(2)


def _read_file(path: Path, limit: int) -> bytes:
    from clm.errors import InvalidInput, TooLarge

    try:
        # Read at most limit + 1 bytes: a device or a pipe reports size 0 and never ends.
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InvalidInput(f"cannot read the file: {err.strerror}") from None
    if len(data) > limit:
        raise TooLarge(f"The file is larger than the limit of {limit:,} bytes.")
    return data


def read_document(path: Path) -> Document:
    """Return the Document in ``path`` (.docx, .pdf, .txt, .md), checked as any upload is."""
    from clm.versions import intake

    from clm.errors import ClmError

    limits = intake.Limits()
    try:
        return intake.read_upload(_read_file(path, max(limits.max_upload_bytes, limits.max_pdf_bytes)), path.name,
                                  limits)
    except ClmError as err:
        # Say which file: `clm diff` reads two.
        raise type(err)(f"{path}: {err}") from None


# -- redlines and extraction (no app, no database) -------------------------------------------


@main.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "html", "docx", "pdf", "text"]), default="text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--author", default="clm", help="Author of the tracked changes (docx).")
@click.option("--keep-authors/--no-keep-authors", default=True, show_default=True,
              help="A change NEW's file already tracks (a counterparty's) keeps its own author and date (docx).")
def diff(old: Path, new: Path, fmt: str, output: Path | None, author: str, keep_authors: bool) -> None:
    """Compare OLD with NEW and print or write the redline."""
    from clm.versions import diff as diff_engine
    from clm.versions import render

    redline = diff_engine.diff(read_document(old), read_document(new))
    if fmt == "json":
        data: bytes = json.dumps(render.to_json(redline), ensure_ascii=False).encode()
    elif fmt == "text":
        data = render.to_text(redline).encode()
    elif fmt == "html":
        data = render.to_html(redline, title=f"{old.name} → {new.name}", old_label=old.name,
                              new_label=new.name, standalone=True).encode()
    elif fmt == "pdf":
        data = render.to_pdf(redline, title=f"{old.name} → {new.name}", old_label=old.name, new_label=new.name)
    else:
        from clm.versions import docx_io

        new_docx = new.read_bytes() if new.suffix.lower() == ".docx" else None
        old_docx = old.read_bytes() if old.suffix.lower() == ".docx" else None
        data = docx_io.write_tracked(redline, new_docx, author=author, date=dt.datetime.now(dt.UTC), old_docx=old_docx,
                                     keep_authors=keep_authors)
    _emit(data, output, binary=fmt in {"docx", "pdf"})


def _stage(data: bytes, output: Path) -> Callable[[], None]:
    """Write ``data`` beside ``output`` and return the step that puts it in place.

    A failed run never leaves half a file, and a caller can do its other work (store a
    draft) between the two and so change nothing when the output cannot be written. A
    symlink is written through; "-" and devices (/dev/stdout) are written directly.
    """
    from clm.errors import InvalidInput

    target = output.resolve() if output.is_symlink() else output
    if str(output) == "-" or (target.exists() and not target.is_file()):
        stream = sys.stdout.buffer if str(output) == "-" else None

        def write_direct() -> None:
            try:
                if stream is not None:
                    stream.write(data)
                    stream.flush()
                else:
                    target.write_bytes(data)
            except OSError as err:
                raise InvalidInput(f"{output}: cannot write: {err.strerror}") from None

        return write_direct
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
    except OSError as err:
        raise InvalidInput(f"{output}: cannot write: {err.strerror}") from None

    def put_in_place() -> None:
        tmp.replace(target)

    return put_in_place


def _emit(data: bytes, output: Path | None, *, binary: bool) -> None:
    if output is not None:
        _stage(data, output)()
        return
    if binary and sys.stdout.isatty():
        fail("this format is binary; write it to a file with -o OUT")
    sys.stdout.buffer.write(data)
    if not binary and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path),
              help='Read contracts from a JSONL file of {"id", "text"} records.')
def extract(files: tuple[Path, ...], jsonl: Path | None) -> None:
    """Print one JSON line of extracted terms (with evidence and confidence) per contract."""
    from clm.clauses.extract import extract as extract_terms

    if not files and jsonl is None:
        fail("give one or more FILEs, or --jsonl CONTRACTS.jsonl")
    failures = 0
    for path in files:
        try:
            document = read_document(path)
        except Exception as err:  # noqa: BLE001 - one bad file must not stop the others
            failures += 1
            click.echo(f"clm: error: {path}: {err}", err=True)
            continue
        click.echo(json.dumps(extract_terms(document.text).to_json(path.stem), ensure_ascii=False))
    if jsonl is not None:
        try:
            records = jsonl.read_bytes().decode("utf-8").split("\n")
        except OSError as err:
            fail(f"{jsonl}: cannot read the file: {err.strerror}")
        except UnicodeDecodeError as err:
            fail(f"{jsonl}: not UTF-8 text (first bad byte at offset {err.start})")
        for number, line in enumerate(records, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                contract_id, text = str(record["id"]), record["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                failures += 1
                click.echo(f"clm: error: {jsonl}:{number}: not a JSON object with \"id\" and a text \"text\"",
                           err=True)
                continue
            click.echo(json.dumps(extract_terms(text).to_json(contract_id), ensure_ascii=False))
    if failures:
        sys.exit(2)


# -- finance schedules (no app, no database) -------------------------------------------------


def read_json(path: Path) -> Any:
    """Return the JSON in ``path``; raise InvalidInput naming the file (and line) otherwise."""
    from clm.errors import InvalidInput

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{path}: cannot read the file: {err}") from None
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{path}: not JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None


def _read_terms(path: Path) -> Any:
    from clm.downstream.terms import parse_terms

    return parse_terms(read_json(path))


@main.command()
@click.argument("terms_file", metavar="TERMS.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--prefix", default="INV", help="Invoice number prefix.")
@click.option("--usage", "usage_file", type=click.Path(dir_okay=False, path_type=Path),
              help='Usage records, a JSON list of {"line", "date", "quantity"}.')
def billing(terms_file: Path, fmt: str, prefix: str, usage_file: Path | None) -> None:
    """Print the invoice schedule of a terms document."""
    from clm.downstream.billing import billing_csv, billing_json, build_billing_schedule

    terms = _read_terms(terms_file)
    schedule = build_billing_schedule(terms, prefix=prefix, usage=_read_usage(usage_file, terms))
    click.echo(billing_csv(schedule) if fmt == "csv" else json.dumps(billing_json(schedule), indent=2), nl=fmt != "csv")


@main.command()
@click.argument("terms_file", metavar="TERMS.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", type=click.Choice(["month"]), default="month", help="Schedule periods.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Balance date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--usage", "usage_file", type=click.Path(dir_okay=False, path_type=Path),
              help='Usage records, a JSON list of {"line", "date", "quantity"}.')
def revenue(terms_file: Path, by: str, as_of: dt.datetime | None, fmt: str, usage_file: Path | None) -> None:
    """Print the ASC 606 allocation, revenue schedule by month and balance of a terms document."""
    from clm.downstream.billing import build_billing_schedule
    from clm.downstream.revenue import build_revenue_schedule, revenue_csv, revenue_json

    terms = _read_terms(terms_file)
    usage = _read_usage(usage_file, terms)
    result = build_revenue_schedule(terms, usage)
    if fmt == "csv":
        click.echo(revenue_csv(result), nl=False)
        return
    day = as_of.date() if as_of else None
    click.echo(json.dumps(revenue_json(result, as_of=day,
                                       billing=build_billing_schedule(terms, usage=usage) if day else None),
                          indent=2))


def _read_usage(path: Path | None, terms: Any) -> list[Any]:
    """Return the usage records of a JSON file ``[{"line", "date", "quantity"}, ...]``, each checked."""
    from clm.downstream.billing import UsageError, check_usage
    from clm.errors import InvalidInput

    if path is None:
        return []
    data = read_json(path)
    if not isinstance(data, list):
        raise InvalidInput(f'{path}: give the usage as a JSON list of {{"line", "date", "quantity"}}')
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidInput(f"{path}: usage[{i}] must be an object")
        try:
            out.append(check_usage(terms, item.get("line"), item.get("date"), item.get("quantity")))
        except UsageError as err:
            raise InvalidInput(f"{path}: " + "; ".join(f"usage[{i}].{e}" for e in err.errors)) from None
    return out


@main.command()
@click.argument("terms_file", metavar="TERMS.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Post through this date (YYYY-MM-DD); default: the whole contract.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--usage", "usage_file", type=click.Path(dir_okay=False, path_type=Path),
              help='Usage records, a JSON list of {"line", "date", "quantity"}.')
def journal(terms_file: Path, as_of: dt.datetime | None, fmt: str, usage_file: Path | None) -> None:
    """Print the journal entries of a terms document: receivable, contract asset, contract liability, revenue."""
    from clm import config
    from clm.downstream.billing import build_billing_schedule, parse_tax_rates
    from clm.downstream.journal import (
        build_journal,
        entry_row,
        journal_csv,
        journal_json,
        parse_chart,
    )
    from clm.downstream.revenue import build_revenue_schedule

    terms = _read_terms(terms_file)
    usage = _read_usage(usage_file, terms)
    settings = config.load()
    chart = parse_chart(str(settings["CHART_OF_ACCOUNTS"]))
    day = as_of.date() if as_of else None
    entries = build_journal(terms, build_billing_schedule(terms, usage=usage), build_revenue_schedule(terms, usage),
                            day, chart, parse_tax_rates(str(settings["TAX_RATES"])))
    if fmt == "csv":
        click.echo(journal_csv([entry_row(e, terms.currency) for e in entries]), nl=False)
    else:
        click.echo(json.dumps(journal_json(entries, terms.currency, day), indent=2))


# -- drafting from the clause library --------------------------------------------------------


def _read_variables(path: Path) -> dict[str, Any]:
    from clm.errors import InvalidInput

    data = read_json(path)
    if not isinstance(data, dict):
        raise InvalidInput(f'{path}: give the variables as a JSON object, e.g. {{"customer_name": "Acme, Inc."}}')
    return data


@main.command()
@click.argument("template")
@click.option("--vars", "vars_file", required=True, metavar="FILE.json",
              type=click.Path(dir_okay=False, path_type=Path), help="Variable values as a JSON object.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the draft here: .docx (Word) or .pdf.")
@click.option("--position", "positions", multiple=True, metavar="CLAUSE=POSITION",
              help="Use a fallback instead of the template's position, e.g. indemnity=fallback_1.")
@click.option("--store", is_flag=True, help="Also store the .docx as version 1 of a new contract.")
@click.option("--counterparty", default=None, help="Counterparty of the stored contract (default: from the values).")
@click.option("--author", default="cli", help="Recorded as the stored version's author.")
def draft(template: str, vars_file: Path, output: Path, positions: tuple[str, ...], store: bool,
          counterparty: str | None, author: str) -> None:
    """Draft TEMPLATE (a clause library template key) with typed variables."""
    from clm.clauses.drafting import draft_docx, draft_html
    from clm.clauses.library import default_library_path, load_library

    suffix = output.suffix.lower()
    if suffix not in {".docx", ".pdf"}:
        fail(f"{output}: the output must end in .docx or .pdf")
    chosen: dict[str, str] = {}
    for item in positions:
        key, sep, position = item.partition("=")
        if not sep or not key.strip() or not position.strip():
            fail(f"--position {item!r}: write CLAUSE=POSITION, e.g. indemnity=fallback_1")
        chosen[key.strip()] = position.strip()
    values = _read_variables(vars_file)
    # Only --store needs the app and its database; a plain draft reads the settings alone.
    app = _app() if store else None
    from clm import config as clm_config

    setting = app.config["CLAUSE_LIBRARY"] if app is not None else clm_config.load()["CLAUSE_LIBRARY"]
    library = load_library(default_library_path(setting or None))
    doc = library.template(template)
    docx_bytes = draft_docx(doc, library, values, chosen)  # validates every value first
    if suffix == ".pdf":
        from clm.pdf import html_to_pdf

        data = html_to_pdf(draft_html(doc, library, values, chosen))
    else:
        data = docx_bytes
    # Write the file first: if it cannot be written, nothing is stored either.
    put_in_place = _stage(data, output)
    if app is not None:
        from clm.clauses.services import draft_contract
        from clm.versions.store import limits_from_settings

        with _transaction(app) as session:
            version = draft_contract(session, template, values, chosen, author=author, library=library,
                                     counterparty=counterparty, limits=limits_from_settings(app.config),
                                     rendered=docx_bytes)
            line = f"{output}: contract {version.contract_id} version {version.number} (drafted from {template})"
        # Storing it published version.stored: extraction followed the commit (clm.subscribers).
    else:
        line = f"{output}: drafted from {template} v{doc.version}"
    put_in_place()
    click.echo(line)


# -- background jobs -----------------------------------------------------------------------


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--fork", is_flag=True, help="Run each job in a child process (RQ's default Worker).")
def worker(burst: bool, fork: bool) -> None:
    """Run an RQ worker for background jobs (needs CLM_REDIS_URL)."""
    from clm import jobs

    app = _app()
    if not app.config["REDIS_URL"]:
        fail("CLM_REDIS_URL is not set: jobs run inline in the web and CLI processes, no worker is needed")
    from clm.clauses.extract import extract

    jobs.run_worker(app.config["REDIS_URL"], burst=burst, queue=jobs.queue_name(app.config), fork=fork,
                    warm_up=lambda: extract("Warm-up.\n"))


from clm.signing.commands import signing as _signing, verify as _verify  # noqa: E402 - registered last
main.add_command(_verify)
main.add_command(_signing)


@_signing.command("sweep")
def signing_sweep() -> None:
    """Expire overdue envelopes, send scheduled reminders (CLM_REMINDER_DAYS), complete any whose
    signers have all signed (crash recovery) and deliver or retry webhooks (CLM_WEBHOOK_URL).

    Safe to run at any time and as often as wanted, e.g. every few minutes from cron.
    """
    from clm import db
    from clm.signing.commands import run_sweep

    app = _app()
    summary, failures = run_sweep(db.sessionmaker_for(app), app.config)
    click.echo(summary)
    if failures:
        sys.exit(1)

from clm.downstream.commands import downstream as _downstream, renewals as _renewals  # noqa: E402
main.add_command(_downstream)
main.add_command(_renewals)


# -- evidence ------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Check the evidence tables (versions, audit trails, confirmed terms, signed PDFs, billing terms)."""


@audit.command("check")
@click.option("--deep", is_flag=True, help="Also re-read every version's file and compare its text, and check "
                                          "every sealed PDF's seal against this installation's certificate (slow).")
def audit_check(deep: bool) -> None:
    """Find any edited, deleted or reordered evidence row and name it: exit 0 when clean, 1 with
    one line per finding, 2 when the check could not run."""
    from sqlalchemy.exc import SQLAlchemyError

    from clm import db
    from clm.clauses.services import decision_findings
    from clm.downstream.outbox import terms_findings
    from clm.signing.verification import evidence_findings as signing_findings
    from clm.versions.store import evidence_findings as version_findings
    from clm.versions.store import limits_from_settings, text_findings

    from clm.signing.keys import installation_fingerprint

    app = _app()
    own = installation_fingerprint(app.instance_path)
    trusted = ({own} if own else set()) if deep else None
    try:
        with db.sessionmaker_for(app)() as session:
            findings = [*version_findings(session), *decision_findings(session),
                        *signing_findings(session, trusted=trusted), *terms_findings(session)]
            if deep:
                findings += text_findings(session, limits_from_settings(app.config))
    except SQLAlchemyError as err:
        fail(f"the audit check could not read the database: {str(getattr(err, 'orig', err)).strip().splitlines()[0]}")
    for finding in findings:
        click.echo(str(finding))
    if findings:
        click.echo(f"audit check: {len(findings)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("audit check: no edited, deleted or reordered evidence found")

from clm.quotes.commands import quote as _quote  # noqa: E402 - the quotes package owns its commands
main.add_command(_quote)
