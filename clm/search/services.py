"""Full-text search over every version's text, filtered by contract terms, ranked, with snippets.

PostgreSQL matches the stored ``versions.search_vector`` (GIN index) against a tsquery built from
bound parameters; SQLite matches the ``versions_fts`` FTS5 table with a quoted expression. Both
are made by revision f9c3e2a3b003. Snippets are computed only for the page shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)

from clm.clauses.models import DecisionAction, ExtractedTerm, TermDecision
from clm.downstream.models import Renewal
from clm.errors import InvalidInput
from clm.search import highlight
from clm.search.query import Query, Term, parse, to_fts5
from clm.versions.models import Contract, ContractStatus, Version

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: Deep pages of a ranked list are rarely read and cost a full ranking each; stop here.
MAX_OFFSET = 1000
#: PostgreSQL ranks at most this many matches of one query (see :func:`search`).
MAX_RANKED = 2000
#: Filters that leave at most this many versions restrict the text match to them by id.
MAX_FILTERED = 5000
#: SQLite's FTS5 table (its name, used as a column, means "the whole row" to MATCH and bm25()).
FTS_TABLE = table("versions_fts", column("rowid"))
_PG_HEADLINE = (f"StartSel={highlight.START}, StopSel={highlight.STOP}, MaxWords=40, MinWords=15, "
                "MaxFragments=2, FragmentDelimiter=\" … \"")


@dataclass(frozen=True)
class Filters:
    """Conditions on a hit's contract and terms; None or "" means any."""

    counterparty: str = ""
    governing_law: str = ""
    auto_renewal: bool | None = None
    renews_from: dt.date | None = None
    renews_to: dt.date | None = None
    status: ContractStatus | None = None

    def as_args(self) -> dict[str, str]:
        """Return the filters as query-string arguments (links to the next page)."""
        args = {"counterparty": self.counterparty, "governing_law": self.governing_law,
                "auto_renewal": "" if self.auto_renewal is None else ("yes" if self.auto_renewal else "no"),
                "renews_from": self.renews_from.isoformat() if self.renews_from else "",
                "renews_to": self.renews_to.isoformat() if self.renews_to else "",
                "status": self.status.value if self.status else ""}
        return {k: v for k, v in args.items() if v}


def _date(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: expected a date as YYYY-MM-DD, got {raw[:40]!r}.") from None


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Return the Filters in request arguments; raise InvalidInput naming the bad field."""
    auto = (args.get("auto_renewal") or "").strip().lower()
    if auto not in {"", "yes", "no", "true", "false", "1", "0"}:
        raise InvalidInput("auto_renewal: expected yes or no.")
    raw_status = (args.get("status") or "").strip()
    try:
        status = ContractStatus(raw_status) if raw_status else None
    except ValueError:
        raise InvalidInput(f"status: expected one of {', '.join(s.value for s in ContractStatus)}.") from None
    filters = Filters(
        counterparty=" ".join((args.get("counterparty") or "").split())[:200],
        governing_law=" ".join((args.get("governing_law") or "").split())[:200],
        auto_renewal=None if auto == "" else auto in {"yes", "true", "1"},
        renews_from=_date(args, "renews_from"), renews_to=_date(args, "renews_to"), status=status)
    if filters.renews_from and filters.renews_to and filters.renews_from > filters.renews_to:
        raise InvalidInput("renews_to: the end of the renewal range is before its start.")
    return filters


@dataclass(frozen=True)
class Hit:
    """One matching version, with its contract and a highlighted snippet."""

    version_id: int
    version_number: int
    contract_id: int
    title: str
    counterparty: str
    status: str
    filename: str
    score: float
    #: Safe HTML: the text escaped, matches in <mark>.
    snippet_html: str
    snippet: str


@dataclass(frozen=True)
class Results:
    query: Query
    hits: list[Hit]
    offset: int
    limit: int
    has_more: bool


# -- filters as SQL ----------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _term_condition(field: str, predicate: Any) -> ColumnElement[bool]:
    """Return SQL true when the contract's term ``field`` satisfies ``predicate(json_text)``.

    A person's newest decision on the field wins (a cleared term matches nothing); without one,
    the value extracted from the matched version counts. Written as uncorrelated ``IN``
    subqueries, so the database computes each set once (a hashed subplan) instead of probing
    the terms tables again for every text match.
    """
    newest = select(func.max(TermDecision.id)).where(TermDecision.field == field).group_by(TermDecision.contract_id)
    confirmed = select(TermDecision.contract_id).where(
        TermDecision.id.in_(newest), TermDecision.action != DecisionAction.CLEARED,
        predicate(cast(TermDecision.value, Text)))
    decided = select(TermDecision.contract_id).where(TermDecision.field == field)
    extracted = select(ExtractedTerm.version_id).where(ExtractedTerm.field == field,
                                                       predicate(cast(ExtractedTerm.value, Text)))
    return or_(Contract.id.in_(confirmed), and_(Version.id.in_(extracted), Contract.id.not_in(decided)))


def _filter_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Contract.status == filters.status)
    if filters.counterparty:
        pattern = _like(filters.counterparty)
        conditions.append(or_(func.lower(Contract.counterparty).like(pattern, escape="\\"),
                              _term_condition("parties", lambda v: func.lower(v).like(pattern, escape="\\"))))
    if filters.governing_law:
        pattern = _like(filters.governing_law)
        conditions.append(_term_condition("governing_law", lambda v: func.lower(v).like(pattern, escape="\\")))
    if filters.auto_renewal is not None:
        wanted = "true" if filters.auto_renewal else "false"
        conditions.append(_term_condition("auto_renewal", lambda v: v == wanted))
    if filters.renews_from or filters.renews_to:
        low, high = filters.renews_from or dt.date.min, filters.renews_to or dt.date.max
        # Signed contracts have a renewal row; legacy imports only their extracted expiration date
        # (stored as a JSON string, so compare the quoted ISO text).
        renewing = select(Renewal.contract_id).where(Renewal.renewal_date.between(low, high))
        with_renewal = select(Renewal.contract_id)
        expiring = _term_condition("expiration_date",
                                   lambda v: v.between(f'"{low.isoformat()}"', f'"{high.isoformat()}"'))
        conditions.append(or_(Contract.id.in_(renewing), and_(Contract.id.not_in(with_renewal), expiring)))
    return conditions


# -- the text match per database ---------------------------------------------------------------


def _tsquery(query: Query) -> ColumnElement[Any]:
    """Return a tsquery built from phraseto_tsquery of bound parameters: no tsquery syntax at all.

    tsquery_and / tsquery_or / tsquery_not are the functions behind the && || !! operators.
    """
    def one(term: Term) -> ColumnElement[Any]:
        return func.phraseto_tsquery(literal_column("'english'::regconfig"), literal(term.text, Text))

    combined: ColumnElement[Any] | None = None
    for group in query.groups:
        either = one(group[0])
        for term in group[1:]:
            either = func.tsquery_or(either, one(term))
        combined = either if combined is None else func.tsquery_and(combined, either)
    assert combined is not None
    for term in query.excluded:
        combined = func.tsquery_and(combined, func.tsquery_not(one(term)))
    return combined


def search(session: Session, text: str, filters: Filters | None = None, *,
           offset: int = 0, limit: int = PAGE_SIZE) -> Results:
    """Return one page of versions matching ``text`` and ``filters``, best first."""
    query = parse(text)
    filters = filters or Filters()
    offset = max(0, min(int(offset), MAX_OFFSET))
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    if query.empty:
        return Results(query, [], offset, limit, False)
    dialect = session.get_bind().dialect.name
    conditions = _filter_conditions(filters)
    # No join to contracts unless a filter needs it: the planner then reads the GIN index
    # instead of walking versions in contract order.
    base = select(Version.id)
    if conditions:
        # Selective filters first: when few versions pass them, match the text of those only
        # (by primary key) rather than test the filters on every text match of a common word.
        filtered = base.join(Contract, Contract.id == Version.contract_id).where(*conditions)
        allowed = list(session.scalars(filtered.limit(MAX_FILTERED + 1)))
        if not allowed:
            return Results(query, [], offset, limit, False)
        base = base.where(Version.id.in_(allowed)) if len(allowed) <= MAX_FILTERED else filtered
    if dialect == "postgresql":
        tsq = _tsquery(query)
        vector = literal_column("versions.search_vector")
        # Ranking reads each match's vector: a word in every contract would rank the whole
        # archive. Rank at most MAX_RANKED matches (all of them for any selective query).
        candidates = (base.add_columns(vector.label("vector")).where(vector.op("@@")(tsq))
                      .limit(MAX_RANKED).subquery())
        score = func.ts_rank_cd(candidates.c.vector, tsq)
        page_query = (select(candidates.c.id, score.label("score"))
                      .order_by(score.desc(), candidates.c.id.desc()).offset(offset).limit(limit + 1))
    elif dialect == "sqlite":
        fts = literal_column("versions_fts")
        match = bindparam("fts_query", to_fts5(query))
        score = func.bm25(fts)
        page_query = (base.add_columns(score.label("score"))
                      .join(FTS_TABLE, FTS_TABLE.c.rowid == Version.id)
                      .where(fts.op("MATCH")(match))
                      .order_by(score, Version.id.desc()).offset(offset).limit(limit + 1))
    else:  # pragma: no cover - clm runs on SQLite and PostgreSQL
        raise NotImplementedError(dialect)
    rows = session.execute(page_query).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    snippets = _snippets(session, dialect, query, [r[0] for r in rows])
    details = {version.id: (version, contract) for version, contract in session.execute(
        select(Version, Contract).join(Contract, Contract.id == Version.contract_id)
        .where(Version.id.in_([r[0] for r in rows])))}
    hits = []
    for version_id, score_value in rows:
        version, contract = details[version_id]
        raw = snippets.get(version_id, "")
        hits.append(Hit(version_id=version_id, version_number=version.number, contract_id=contract.id,
                        title=contract.title, counterparty=contract.counterparty or "",
                        status=contract.status.value, filename=version.filename,
                        score=round(abs(float(score_value or 0.0)), 6),
                        snippet_html=highlight.snippet_html(raw), snippet=highlight.snippet_text(raw)))
    return Results(query, hits, offset, limit, has_more)


def _snippets(session: Session, dialect: str, query: Query, version_ids: list[int]) -> dict[int, str]:
    """Return the highlighted fragment of each version's text (only for the page shown)."""
    if not version_ids:
        return {}
    if dialect == "postgresql":
        statement = select(Version.id, func.ts_headline(literal_column("'english'::regconfig"), Version.text,
                                                        _tsquery(query), literal(_PG_HEADLINE))
                           ).where(Version.id.in_(version_ids))
    else:
        fts = literal_column("versions_fts")
        statement = (select(FTS_TABLE.c.rowid,
                            func.snippet(fts, 0, highlight.START, highlight.STOP, " … ", 32))
                     .where(fts.op("MATCH")(bindparam("fts_query", to_fts5(query))),
                            FTS_TABLE.c.rowid.in_(version_ids)))
    return {int(vid): str(raw or "") for vid, raw in session.execute(statement)}
