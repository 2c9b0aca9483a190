"""Tests for the clause library loader, typed variables and template assembly."""

from __future__ import annotations

import re
import shutil
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from clm.clauses.library import (
    Duration,
    LibraryError,
    Money,
    Variable,
    assemble,
    default_library_path,
    format_value,
    load_library,
    normalize_value,
    render_text,
    template_variables,
)
from clm.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

REQUIRED_CLAUSES = {
    "term_and_renewal",
    "termination_for_convenience",
    "termination_for_cause",
    "fees_and_payment",
    "price_increases",
    "limitation_of_liability",
    "indemnity",
    "confidentiality",
    "data_protection",
    "warranties",
    "ip_ownership",
    "assignment",
    "governing_law",
    "notices",
    "force_majeure",
    "insurance",
    "audit",
    "service_levels",
    "non_solicitation",
    "entire_agreement",
}

SAMPLE_VALUES = {
    "master_subscription_agreement": {
        "customer_name": "Acme Widgets LLC",
        "customer_description": "a New York limited liability company",
        "effective_date": "2026-06-01",
        "price_increase_cap": "5%",
        "include_insurance": True,
        "include_security_audits": True,
        "customer_may_terminate_for_convenience": True,
        "include_non_solicitation": True,
        "include_arbitration": True,
    },
    "order_form": {
        "customer_name": "Acme Widgets LLC",
        "customer_address": "1 Main Street, Springfield",
        "agreement_date": date(2026, 6, 1),
        "order_date": "2026-06-01",
        "start_date": "2026-07-01",
        "product_name": "CLM Enterprise",
        "quantity": 25,
        "annual_fee": "USD 24,000",
        "price_increase_cap": 3,
        "special_terms": "Customer may add users at the same per-user price.",
    },
    "mutual_nda": {
        "party_b_name": "Beta Labs, Inc.",
        "party_b_description": "a California corporation",
        "effective_date": "2026-06-01",
        "include_non_solicitation": "yes",
    },
}


@pytest.fixture(scope="module")
def library():
    return load_library(default_library_path())


def write_library(tmp_path: Path, clause: str | None = None, template: str | None = None) -> Path:
    """Return a library root holding one copy of the shipped governing_law clause, plus extras."""
    root = tmp_path / "lib"
    (root / "clauses").mkdir(parents=True)
    (root / "templates").mkdir()
    shutil.copy(default_library_path() / "clauses" / "governing_law.yaml", root / "clauses")
    if clause is not None:
        (root / "clauses" / "broken.yaml").write_text(textwrap.dedent(clause), encoding="utf-8")
    if template is not None:
        (root / "templates" / "broken.yaml").write_text(textwrap.dedent(template), encoding="utf-8")
    return root


VALID_CLAUSE = """\
key: broken
title: Broken
version: 1
category: boilerplate
variables:
  - name: notice_period
    type: duration
    label: Notice period
standard: >
  Give notice within {{ notice_period }}.
fallbacks:
  - label: Longer
    rationale: Because.
    text: >
      Give notice within {{ notice_period }} or a bit more.
guidance:
  overview: Hold.
  when_to_concede:
    fallback_1: When asked.
  red_flags:
    - None.
match_hints:
  headings:
    - broken
"""


# --------------------------------------------------------------------------- the shipped library


def test_shipped_library_loads_with_required_clauses_and_templates(library):
    assert REQUIRED_CLAUSES <= set(library.clauses)
    assert len(library.clauses) >= 20
    assert {"master_subscription_agreement", "order_form", "mutual_nda"} <= set(library.templates)


def test_every_clause_has_one_to_three_ranked_fallbacks(library):
    for clause in library.clauses.values():
        assert 1 <= len(clause.fallbacks) <= 3, clause.key
        assert [p.rank for p in clause.positions] == list(range(len(clause.positions)))
        assert clause.standard.rank == 0
        for fallback in clause.fallbacks:
            assert fallback.label and fallback.rationale and fallback.text, (clause.key, fallback.rank)
        assert set(clause.guidance.when_to_concede) == {f.name for f in clause.fallbacks}
        assert clause.guidance.red_flags and clause.match_hints.headings, clause.key


def test_every_placeholder_in_the_shipped_files_is_declared(library):
    # Read the raw files too, so a loader bug that drops placeholders cannot hide an undeclared one.
    for clause in library.clauses.values():
        source = (library.root.parent / clause.source).read_text(encoding="utf-8")
        assert set(PLACEHOLDER.findall(source)) <= set(clause.variables), clause.key
        used = {name for p in clause.positions for name in PLACEHOLDER.findall(p.text)}
        assert used == set(clause.variables), clause.key
    for template in library.templates.values():
        declared = set(template.variables)
        for section in template.sections:
            if section.text is not None:
                assert set(PLACEHOLDER.findall(section.text)) <= declared, template.key


def test_variable_names_have_one_type_across_the_library(library):
    seen: dict[str, str] = {}
    for clause in library.clauses.values():
        for name, variable in clause.variables.items():
            assert seen.setdefault(name, variable.type) == variable.type, name


def test_match_hints_are_lower_case(library):
    for clause in library.clauses.values():
        for hint in clause.match_hints.headings + clause.match_hints.keywords:
            assert hint == hint.lower(), (clause.key, hint)
    assert "choice of law" in library.clause("governing_law").match_hints.headings


@pytest.mark.parametrize("key", sorted(SAMPLE_VALUES))
def test_each_template_assembles_with_sample_values(library, key):
    template = library.template(key)
    sections = assemble(template, library, SAMPLE_VALUES[key])
    text = "\n".join(s.text for s in sections)
    assert "{{" not in text and "}}" not in text
    assert "June 1, 2026" in text
    clause_sections = [s for s in sections if s.clause_type]
    assert clause_sections
    for section in clause_sections:
        clause = library.clause(section.clause_type)
        assert section.position in {p.rank for p in clause.positions}
        assert section.clause_version == clause.version


def test_msa_conditions_include_and_exclude_sections(library):
    msa = library.template("master_subscription_agreement")
    full = assemble(msa, library, SAMPLE_VALUES["master_subscription_agreement"])
    chosen = {(s.clause_type, s.position) for s in full}
    assert ("price_increases", 0) in chosen
    assert ("termination_for_convenience", 1) in chosen
    assert ("dispute_resolution", 1) in chosen and ("dispute_resolution", 0) not in chosen
    assert ("data_protection", 0) in chosen  # processes_personal_data defaults to true

    minimal = dict(SAMPLE_VALUES["master_subscription_agreement"])
    del minimal["price_increase_cap"]
    minimal.update(processes_personal_data=False, include_publicity=False, include_arbitration=False)
    chosen = {(s.clause_type, s.position) for s in assemble(msa, library, minimal)}
    assert not {c for c, _ in chosen} & {"price_increases", "data_protection"}
    assert ("publicity", 1) in chosen and ("publicity", 0) not in chosen
    assert ("dispute_resolution", 0) in chosen


def test_msa_renders_values_as_a_lawyer_writes_them(library):
    msa = library.template("master_subscription_agreement")
    text = "\n".join(s.text for s in assemble(msa, library, SAMPLE_VALUES["master_subscription_agreement"]))
    assert "within thirty (30) days of the invoice date" in text
    assert "governed by the laws of the State of Delaware" in text
    assert "the greater of 5% and" in text
    assert "USD 1,000,000.00" in text
    assert "seventy-two (72) hours" in text


def test_assemble_reports_every_problem_at_once(library):
    msa = library.template("master_subscription_agreement")
    with pytest.raises(InvalidInput) as caught:
        assemble(msa, library, {"effective_date": "soon", "price_increase_cap": "500", "notice_perod": "P30D"})
    message = str(caught.value)
    for fragment in (
        "Variable 'effective_date' must be a date",
        "Variable 'price_increase_cap' must be a percentage",
        "Unknown variable 'notice_perod'",
        "Variable 'customer_name' (Customer's legal name) needs a value",
        "Variable 'customer_description'",
    ):
        assert fragment in message
    assert message.count("effective_date") == 1


def test_optional_section_variables_are_only_required_when_included(library):
    order_form = library.template("order_form")
    values = dict(SAMPLE_VALUES["order_form"])
    del values["price_increase_cap"], values["special_terms"]
    headings = [s.heading for s in assemble(order_form, library, values)]
    assert "Additional Terms" not in headings and "Price Increases" not in headings
    assert "Special Terms" not in headings


def test_position_override_picks_a_fallback_and_checks_it(library):
    nda = library.template("mutual_nda")
    values = SAMPLE_VALUES["mutual_nda"]
    sections = assemble(nda, library, values, positions={"governing_law": "fallback_1"})
    law = next(s for s in sections if s.clause_type == "governing_law")
    assert law.position == 1 and "non-exclusive jurisdiction" in law.text
    # fallback_2 needs the customer's law, which has no default
    with pytest.raises(InvalidInput, match="'customer_governing_law'"):
        assemble(nda, library, values, positions={"governing_law": 2})
    with pytest.raises(InvalidInput, match="no position 'fallback_9'"):
        assemble(nda, library, values, positions={"governing_law": "fallback_9"})
    with pytest.raises(InvalidInput, match="no clause 'indemnity'"):
        assemble(nda, library, values, positions={"indemnity": 1})


def test_template_variables_lists_what_a_form_needs(library):
    nda = library.template("mutual_nda")
    assert "customer_governing_law" not in template_variables(nda, library)
    assert "customer_governing_law" in template_variables(nda, library, {"governing_law": "fallback_2"})
    assert "confidentiality_period" in template_variables(nda, library)


def test_content_hash_tracks_content_not_version(library, tmp_path):
    clause = library.clause("governing_law")
    assert re.fullmatch(r"[0-9a-f]{64}", clause.content_hash)
    assert clause.content_hash == load_library(default_library_path()).clause("governing_law").content_hash
    root = write_library(tmp_path)
    path = root / "clauses" / "governing_law.yaml"
    source = path.read_text(encoding="utf-8")
    path.write_text(source.replace("version: 1", "version: 2"), encoding="utf-8")
    assert load_library(root).clause("governing_law").content_hash == clause.content_hash
    path.write_text(source.replace("exclusive jurisdiction over", "sole jurisdiction over"), encoding="utf-8")
    assert load_library(root).clause("governing_law").content_hash != clause.content_hash


def test_default_library_path_override():
    assert default_library_path().name == "clause_library"
    assert (default_library_path() / "clauses").is_dir()
    assert default_library_path("/somewhere/else") == Path("/somewhere/else")


# --------------------------------------------------------------------------- bad files


def test_a_valid_extra_clause_loads(tmp_path):
    library = load_library(write_library(tmp_path, clause=VALID_CLAUSE))
    assert library.clause("broken").variables["notice_period"].type == "duration"


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        # missing key: reported at the start of the mapping that lacks it
        (lambda s: s.replace("title: Broken\n", ""), 1, "missing required key 'title'"),
        # a placeholder nobody declared, on line 10 of the file
        (
            lambda s: s.replace("within {{ notice_period }}.", "within {{ notice_period }} to {{ adress }}."),
            10,
            "{{ adress }} but no variable 'adress' is declared",
        ),
        # the undeclared name in a fallback, on the second line of a folded block
        (lambda s: s.replace("or a bit more.", "\n      or {{ grace }}."), 16, "no variable 'grace'"),
        (lambda s: s.replace("type: duration", "type: timespan"), 7, "unknown type 'timespan'"),
        (lambda s: s.replace("version: 1", "version: one"), 3, "'version' must be a whole number"),
        (lambda s: s.replace("title: Broken", "title:"), 2, "'title' has no value"),
        (lambda s: s.replace("key: broken", "key: governing_law"), 1, "must match the file name"),
        (lambda s: s.replace("fallbacks:", "fallback:"), 11, "unknown key 'fallback'"),
        (
            lambda s: s.replace("fallback_1: When asked.", "fallback_2: When asked."),
            19,
            "when_to_concede names 'fallback_2'",
        ),
        (lambda s: s.replace("title: Broken\n", "title: Broken\ntitle: Again\n"), 3, "duplicate key 'title'"),
        (
            lambda s: s.replace("Give notice within {{ notice_period }}.", "Give {% if x %}notice{% endif %}."),
            10,
            "malformed placeholder",
        ),
        (
            lambda s: s.replace("  - name: notice_period", "  - name: notice_period\n    default: soon"),
            7,
            "bad default: Variable 'notice_period' must be a duration",
        ),
        (
            lambda s: s.replace(
                "standard: >\n  Give notice within {{ notice_period }}.\n", "standard: >\n  Give notice.\n"
            ).replace("Give notice within {{ notice_period }} or a bit more.", "Give notice."),
            6,
            "variable 'notice_period' is declared but no position uses it",
        ),
        # YAML syntax error: an unclosed flow sequence
        (lambda s: s.replace("    - broken\n", "    - [broken\n"), 25, "expected ',' or ']'"),
    ],
)
def test_bad_clause_files_name_the_file_and_line(tmp_path, change, line, fragment):
    root = write_library(tmp_path, clause=change(VALID_CLAUSE))
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    message = str(caught.value)
    assert message.startswith(f"lib/clauses/broken.yaml, line {line}: "), message
    assert fragment in message
    assert caught.value.line == line
    assert isinstance(caught.value, InvalidInput)


def test_four_fallbacks_are_too_many(tmp_path):
    fallback = "  - label: Longer\n    rationale: Because.\n    text: Give notice within {{ notice_period }}.\n"
    clause = VALID_CLAUSE.replace("guidance:", fallback * 3 + "guidance:")
    with pytest.raises(LibraryError, match=r"broken\.yaml, line 11: a clause needs 1 to 3 fallbacks, found 4"):
        load_library(write_library(tmp_path, clause=clause))


def test_a_variable_cannot_change_type_between_clauses(tmp_path):
    clause = VALID_CLAUSE.replace("name: notice_period", "name: governing_law").replace(
        "{{ notice_period }}", "{{ governing_law }}"
    )
    with pytest.raises(LibraryError) as caught:
        load_library(write_library(tmp_path, clause=clause))
    # Files load in name order, so the second declaration seen is governing_law.yaml's, line 6.
    assert str(caught.value) == (
        "lib/clauses/governing_law.yaml, line 6: variable 'governing_law' is a jurisdiction here "
        "but a duration in lib/clauses/broken.yaml"
    )


@pytest.mark.parametrize("content", ["", "# only a comment\n", "- a\n- list\n"])
def test_a_file_that_is_not_a_mapping_is_reported_at_line_1(tmp_path, content):
    with pytest.raises(LibraryError, match=r"^lib/clauses/broken\.yaml, line 1: the file must be a mapping"):
        load_library(write_library(tmp_path, clause=content))


def test_non_utf8_file_is_reported(tmp_path):
    root = write_library(tmp_path)
    (root / "clauses" / "broken.yaml").write_bytes(b"key: broken\ntitle: Caf\xe9\n")
    with pytest.raises(LibraryError, match=r"broken\.yaml, line 2: file is not UTF-8"):
        load_library(root)


VALID_TEMPLATE = """\
key: broken
title: Broken Template
version: 1
variables:
  - name: party
    type: party
    label: Party
  - name: use_law
    type: boolean
    label: Include governing law?
    default: true
sections:
  - text: >
      Agreement with {{ party }}.
  - clause: governing_law
    when: use_law
"""


def test_a_valid_template_loads_and_assembles(tmp_path):
    library = load_library(write_library(tmp_path, template=VALID_TEMPLATE))
    sections = assemble(library.template("broken"), library, {"party": "Acme", "customer_governing_law": "NY"},
                        {"governing_law": "fallback_2"})
    assert [s.clause_type for s in sections] == [None, "governing_law"]
    assert "the State of New York" in sections[1].text


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (
            lambda s: s.replace("clause: governing_law", "clause: governing_lore"),
            15,
            "unknown clause type 'governing_lore'",
        ),
        (lambda s: s.replace("    when: use_law", "    position: fallback_7"), 16, "has no position 'fallback_7'"),
        (lambda s: s.replace("when: use_law", "when: use_lore"), 16, "depends on 'use_lore'"),
        (lambda s: s.replace("when: use_law", "when: use_law and more"), 16, "bad condition"),
        (lambda s: s.replace("{{ party }}", "{{ counterparty }}"), 14, "no variable 'counterparty'"),
        (lambda s: s.replace("Agreement with {{ party }}.", "An agreement."), 5, "'party' is declared but no section"),
        (
            lambda s: s.replace("    type: party\n", "    type: date\n", 1).replace("name: party", "name: venue"),
            5,
            "variable 'venue' is a date here but a jurisdiction",
        ),
        (
            lambda s: s.replace("Agreement with {{ party }}.", "Use law: {{ use_law }}."),
            14,
            "boolean variable 'use_law'",
        ),
        (
            lambda s: s.replace("  - clause: governing_law\n", "  - clause: governing_law\n    text: Both.\n"),
            15,
            "exactly one of 'clause' or 'text'",
        ),
    ],
)
def test_bad_template_files_name_the_file_and_line(tmp_path, change, line, fragment):
    root = write_library(tmp_path, template=change(VALID_TEMPLATE))
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    message = str(caught.value)
    assert message.startswith(f"lib/templates/broken.yaml, line {line}: "), message
    assert fragment in message


# --------------------------------------------------------------------------- typed values


def var(kind: str, name: str = "value") -> Variable:
    return Variable(name, kind, name.replace("_", " "))


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("duration", "P30D", "thirty (30) days"),
        ("duration", "30 days", "thirty (30) days"),
        ("duration", "P1Y", "one (1) year"),
        ("duration", "P12M", "twelve (12) months"),
        ("duration", "PT72H", "seventy-two (72) hours"),
        ("duration", "ten (10) business days", "ten (10) business days"),
        ("duration", "P120D", "one hundred twenty (120) days"),
        ("duration", Duration(2, "week"), "two (2) weeks"),
        ("money", "USD 12000", "USD 12,000.00"),
        ("money", "$1,250.5", "USD 1,250.50"),
        ("money", "9000 eur", "EUR 9,000.00"),
        ("money", {"amount": "1500000", "currency": "JPY"}, "JPY 1,500,000"),
        ("money", Money(Decimal(12000), "GBP"), "GBP 12,000.00"),
        ("date", "2026-06-01", "June 1, 2026"),
        ("date", date(2026, 12, 31), "December 31, 2026"),
        ("date", "June 1, 2026", "June 1, 2026"),
        ("percentage", 5, "5%"),
        ("percentage", "2.50%", "2.5%"),
        ("percentage", 99.9, "99.9%"),
        ("integer", 3, "three (3)"),
        ("integer", "1,200", "1,200"),
        ("jurisdiction", "DE", "the State of Delaware"),
        ("jurisdiction", "the Commonwealth of Massachusetts", "the Commonwealth of Massachusetts"),
        ("jurisdiction", "England and Wales", "England and Wales"),
        ("jurisdiction", "ontario", "the Province of Ontario"),
        ("party", "  Acme, Inc. ", "Acme, Inc."),
        ("boolean", "yes", "yes"),
    ],
)
def test_values_are_normalized_and_formatted(kind, raw, expected):
    variable = var(kind)
    assert format_value(variable, normalize_value(variable, raw)) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("duration", "soon"),
        ("duration", "P0D"),
        ("duration", "P1Y6M"),
        ("duration", 30),
        ("money", 12000),
        ("money", "USD 12.345"),
        ("money", "USD -5"),
        ("money", "12,000"),
        ("date", "2026-02-30"),
        ("date", "tomorrow"),
        ("percentage", "150"),
        ("percentage", True),
        ("integer", -1),
        ("integer", 2.5),
        ("integer", True),
        ("jurisdiction", "12 Main St"),
        ("party", ""),
        ("text", "two\nlines"),
        ("text", 42),
        ("boolean", "maybe"),
    ],
)
def test_wrong_values_name_the_variable(kind, raw):
    with pytest.raises(InvalidInput, match="^Variable 'notice_period' must be "):
        normalize_value(var(kind, "notice_period"), raw)


def test_render_text_message_matches_the_documented_form():
    variables = {"notice_period": var("duration", "notice_period")}
    with pytest.raises(InvalidInput) as caught:
        render_text("within {{ notice_period }}", variables, {"notice_period": "soon"})
    assert str(caught.value) == ("Variable 'notice_period' must be a duration such as P30D or '30 days', got 'soon'")


def test_render_text_missing_undeclared_and_default_values():
    variables = {
        "notice_period": var("duration", "notice_period"),
        "fee": Variable("fee", "money", "Fee", default=Money(Decimal("10.00"), "USD")),
    }
    with pytest.raises(InvalidInput, match="'notice_period'.*needs a value"):
        render_text("within {{ notice_period }}", variables, {})
    with pytest.raises(InvalidInput, match="'ghost' is not declared"):
        render_text("{{ ghost }}", variables, {})
    assert render_text("pay {{fee}} within {{ notice_period }}", variables, {"notice_period": "P5D"}) == (
        "pay USD 10.00 within five (5) days"
    )


def test_markup_in_values_passes_through_as_plain_text():
    # Escaping is the renderer's job (HTML, docx, PDF); assembly neither escapes nor interprets.
    variables = {"party": var("party", "party")}
    rendered = render_text("Agreement with {{ party }}.", variables, {"party": "<script>alert(1)</script>"})
    assert rendered == "Agreement with <script>alert(1)</script>."


def test_values_are_never_evaluated_as_templates():
    variables = {"a": var("text", "a"), "b": var("text", "b")}
    rendered = render_text("{{ a }} / {{ b }}", variables, {"a": "{{ b }} {{ 7*7 }}", "b": "{% raw %}"})
    assert rendered == "{{ b }} {{ 7*7 }} / {% raw %}"


# --------------------------------------------------------------------------- positions told apart

#: A clause whose fallback differs from the standard only in which variable it uses.
TWINS = VALID_CLAUSE.replace("""  - name: notice_period
    type: duration
    label: Notice period
""", """  - name: our_court
    type: jurisdiction
    label: Our courts
    default: Delaware
  - name: their_court
    type: jurisdiction
    label: Their courts
""").replace("Give notice within {{ notice_period }}.", "Sue in {{ our_court }}.").replace(
    "Give notice within {{ notice_period }} or a bit more.", "Sue in {{ their_court }}.")


def test_positions_that_read_the_same_once_filled_in_are_refused(tmp_path):
    with pytest.raises(LibraryError, match=r"broken\.yaml, line 16: fallback_1 reads the same as standard once "
                                           r"its variables are filled in.*fixed: true"):
        load_library(write_library(tmp_path, clause=TWINS))


def test_a_fixed_value_of_providers_tells_them_apart(tmp_path):
    clause = TWINS.replace("    default: Delaware\n", "    default: Delaware\n    fixed: true\n")
    library = load_library(write_library(tmp_path, clause=clause))
    assert library.clause("broken").variables["our_court"].fixed


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda s: s.replace("    default: Delaware\n", "    fixed: true\n"), "fixed variable 'our_court' needs a default"),
    (lambda s: s.replace("    default: Delaware\n", "    default: Delaware\n    fixed: maybe\n"), "must be true or false"),
])
def test_bad_fixed_variables_are_reported(tmp_path, change, fragment):
    with pytest.raises(LibraryError, match=fragment):
        load_library(write_library(tmp_path, clause=change(TWINS)))


def test_a_template_cannot_redeclare_a_fixed_variable(tmp_path):
    template = VALID_TEMPLATE.replace("variables:\n", "variables:\n  - name: venue\n    type: jurisdiction\n"
                                                      "    label: Courts\n    default: New York\n")
    with pytest.raises(LibraryError, match="variable 'venue' is fixed in lib/clauses/governing_law.yaml; a template "
                                           "cannot redeclare it"):
        load_library(write_library(tmp_path, template=template))


def test_providers_governing_law_is_fixed_for_every_draft(library):
    msa = library.template("master_subscription_agreement")
    values = dict(SAMPLE_VALUES["master_subscription_agreement"])
    asked = template_variables(msa, library)
    assert "governing_law" not in asked and "venue" not in asked  # the form has nothing to ask
    assert "customer_governing_law" in template_variables(msa, library, {"governing_law": "fallback_2"})
    # Its own value, however written, is accepted; any other is refused with the way out.
    text = next(s.text for s in assemble(msa, library, {**values, "governing_law": "DE"}) if s.clause_type == "governing_law")
    assert "the laws of the State of Delaware" in text
    with pytest.raises(InvalidInput, match=r"Variable 'governing_law' \(Provider's governing law\) is fixed by the "
                                           r"clause library to the State of Delaware; choose another position"):
        assemble(msa, library, {**values, "governing_law": "New York"})


def test_a_clause_blank_takes_a_phrase_and_a_form_field_any_line(library):
    msa = library.template("master_subscription_agreement")
    values = {**SAMPLE_VALUES["master_subscription_agreement"], "include_arbitration": True}
    seat = " ".join(["word"] * 31)
    with pytest.raises(InvalidInput, match="'arbitration_seat' .* fills a blank in the Dispute Resolution clause and "
                                           "may have at most 30 words"):
        assemble(msa, library, {**values, "arbitration_seat": seat})
    description = " ".join(["word"] * 300)
    assert any(description in s.text for s in assemble(msa, library, {**values, "customer_description": description}))
