"""Full-text search on the database under test (SQLite FTS5 or PostgreSQL tsvector): service, page, API."""

from __future__ import annotations

import datetime as dt
import html.parser

import pytest

from clm import db
from clm.clauses.models import DecisionAction, ExtractedTerm, ExtractionRun, TermDecision
from clm.errors import InvalidInput
from clm.search import services
from clm.users import Role
from clm.versions import store
from clm.versions.models import ContractStatus

TEXTS = {
    "acme": ("MASTER SERVICES AGREEMENT\nThe Supplier shall indemnify and hold harmless the Customer.\n"
             "Limitation of liability: twelve months of fees.\nThis Agreement is governed by the laws of "
             "the State of New York.", {"governing_law": "New York", "auto_renewal": True,
                                        "expiration_date": "2027-03-31", "parties": ["Acme Corp", "Us Inc"]}),
    "beta": ("LICENSE AGREEMENT\nLicensee shall maintain insurance. The Licensor shall indemnify Licensee "
             "for infringement claims.\nGoverned by the laws of England and Wales.",
             {"governing_law": "England and Wales", "auto_renewal": False, "expiration_date": "2026-01-15",
              "parties": ["Beta Ltd", "Us Inc"]}),
    "gamma": ("SUPPLY AGREEMENT\nDelivery terms and acceptance testing. <script>alert('x')</script> "
              "No indemnities here.\nGoverned by Delaware law.",
              {"governing_law": "Delaware", "auto_renewal": True, "expiration_date": "2030-06-30",
               "parties": ["Gamma GmbH", "Us Inc"]}),
}


@pytest.fixture
def corpus(app):
    """Three contracts with extracted terms; return {name: contract_id}."""
    ids = {}
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        for name, (text, terms) in TEXTS.items():
            version = store.import_file(s, store.Upload(text.encode(), f"{name}.txt"),
                                        limits=store.limits_from_settings(app.config), author="t",
                                        counterparty=f"{name.title()} Counterparty")
            run = ExtractionRun(version_id=version.id, extractor="test/1", issues=[], seconds=0.0)
            for field, value in terms.items():
                run.terms.append(ExtractedTerm(version_id=version.id, field=field, value=value,
                                               evidence=[], confidence=0.9))
            s.add(run)
            ids[name] = version.contract_id
    return ids


def _found(session, text, **filters):
    return [h.contract_id for h in services.search(session, text, services.Filters(**filters)).hits]


def test_words_phrases_or_and_exclusions(session, corpus):
    assert set(_found(session, "indemnify")) == {corpus["acme"], corpus["beta"]}
    assert _found(session, '"limitation of liability"') == [corpus["acme"]]
    assert _found(session, "indemnify -insurance") == [corpus["acme"]]
    assert set(_found(session, "insurance OR delivery")) == {corpus["beta"], corpus["gamma"]}
    assert _found(session, "indemnify delaware") == []


def test_stemming_finds_other_forms(session, corpus):
    assert set(_found(session, "indemnifies")) == {corpus["acme"], corpus["beta"]}


def test_filters_on_extracted_terms_and_status(session, corpus):
    assert _found(session, "agreement", governing_law="new york") == [corpus["acme"]]
    assert set(_found(session, "agreement", auto_renewal=True)) == {corpus["acme"], corpus["gamma"]}
    assert _found(session, "agreement", auto_renewal=False) == [corpus["beta"]]
    assert _found(session, "agreement", counterparty="gamma") == [corpus["gamma"]]
    assert _found(session, "agreement", renews_from=dt.date(2027, 1, 1), renews_to=dt.date(2028, 1, 1)) == \
        [corpus["acme"]]
    assert _found(session, "agreement", status=ContractStatus.EXECUTED) == []
    assert len(_found(session, "agreement", status=ContractStatus.DRAFT)) == 3


def test_a_confirmed_term_overrides_the_extracted_one(app, session, corpus):
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        contract = store.get_contract(s, corpus["beta"])
        s.add(TermDecision(contract_id=contract.id, version_id=contract.latest.id, field="governing_law",
                           value="New York", action=DecisionAction.CORRECTED, decided_by="legal@example.test"))
    assert set(_found(session, "agreement", governing_law="new york")) == {corpus["acme"], corpus["beta"]}
    assert _found(session, "agreement", governing_law="england") == []


def test_snippets_are_highlighted_and_escaped(session, corpus):
    hit = services.search(session, "delivery").hits[0]
    assert "<mark>Delivery</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html


@pytest.mark.parametrize("hostile", ['"', "*", "NEAR(", ":*", "!", "a:* & !b", "(((", "-", "OR OR",
                                     "'; DROP TABLE versions; --", "\\", "\x00", "ü" * 600])
def test_hostile_queries_never_fail(session, corpus, hostile):
    services.search(session, hostile)


def test_paging_is_limited_and_ranked(session, corpus):
    first = services.search(session, "agreement", limit=2)
    second = services.search(session, "agreement", offset=2, limit=2)
    assert len(first.hits) == 2 and first.has_more
    assert len(second.hits) == 1 and not second.has_more
    assert {h.contract_id for h in first.hits + second.hits} == set(corpus.values())


@pytest.mark.parametrize("args, field", [
    ({"renews_from": "2027-13-01"}, "renews_from"),
    ({"status": "archived"}, "status"),
    ({"auto_renewal": "maybe"}, "auto_renewal"),
    ({"renews_from": "2028-01-01", "renews_to": "2027-01-01"}, "renews_to"),
])
def test_bad_filters_name_the_field(args, field):
    with pytest.raises(InvalidInput, match=field):
        services.parse_filters(args)


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_the_page_shows_marked_snippets_and_no_injected_markup(client, auth, corpus):
    auth.login(Role.VIEWER)
    response = client.get("/search?q=delivery+OR+indemnify&auto_renewal=yes")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<mark>" in body and "SUPPLY AGREEMENT" in body and "LICENSE AGREEMENT" not in body
    parser = _Tags()
    parser.feed(body)
    assert "script" not in parser.tags


def test_the_contracts_list_links_to_search(client, auth, corpus):
    auth.login(Role.VIEWER)
    assert 'action="/search"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("q", ['"', "NEAR(", ":*", "!"])
def test_the_page_takes_hostile_queries(client, auth, corpus, q):
    auth.login(Role.VIEWER)
    assert client.get("/search", query_string={"q": q}).status_code == 200


def test_the_page_reports_a_bad_filter_as_422(client, auth, corpus):
    auth.login(Role.VIEWER)
    response = client.get("/search?q=a&renews_from=tomorrow")
    assert response.status_code == 422 and "renews_from" in response.get_data(as_text=True)


def test_the_page_needs_a_login(client):
    assert client.get("/search?q=x").status_code in (302, 401)


def test_the_api_returns_ranked_hits_with_snippets(client, make_token, corpus):
    token = make_token(Role.VIEWER)
    response = client.get("/api/v1/search", query_string={"q": "indemnify", "governing_law": "england", "limit": 5},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json
    assert [h["contract_id"] for h in body["hits"]] == [corpus["beta"]]
    assert "<mark>" in body["hits"][0]["snippet_html"] and body["next_offset"] is None
    assert "indemnify" in body["hits"][0]["snippet"].lower()


@pytest.mark.parametrize("query, field", [
    ({}, "q"), ({"q": "x", "limit": "0"}, "limit"), ({"q": "x", "offset": "-1"}, "offset"),
    ({"q": "x", "status": "nope"}, "status"), ({"q": "x" * 501}, "q"),
])
def test_the_api_rejects_bad_input_as_json_422(client, make_token, query, field):
    token = make_token(Role.VIEWER)
    response = client.get("/api/v1/search", query_string=query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and field in response.json["error"]


def test_the_api_is_documented(client):
    assert "/search" in client.get("/api/v1/openapi.json").json["paths"]
