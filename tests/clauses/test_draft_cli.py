"""`clm draft`: typed variables in, a .docx or .pdf out, and with --store a contract that remembers how."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from clm.clauses.models import DraftRecord, LibraryClause
from clm.cli import main
from clm.versions.models import Contract, Version, VersionSource

MSA = {
    "customer_name": "Acme Widgets LLC",
    "customer_description": "a New York limited liability company",
    "effective_date": "2026-06-01",
    "price_increase_cap": "5%",
    "include_insurance": True,
}


@pytest.fixture
def vars_file(tmp_path: Path) -> Path:
    path = tmp_path / "msa.json"
    path.write_text(json.dumps(MSA))
    return path


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_drafts_a_word_document_without_a_database(runner, vars_file, tmp_path):
    out = tmp_path / "msa.docx"
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(vars_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert "Acme Widgets LLC" in text and "June 1, 2026" in text and "5%" in text
    assert "drafted from master_subscription_agreement v1" in result.stdout


def test_a_position_option_picks_a_fallback(runner, vars_file, tmp_path):
    from clm.clauses.library import default_library_path, load_library

    clause = load_library(default_library_path()).clause("indemnity")
    # A paragraph of the fallback that the standard text does not have (and has no variables).
    fallback = next(line for line in clause.position("fallback_1").text.split("\n")
                    if line not in clause.standard.text and "{{" not in line)
    standard_out, fallback_out = tmp_path / "a.docx", tmp_path / "b.docx"
    runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(vars_file), "-o", str(standard_out)])
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(vars_file),
                                  "-o", str(fallback_out), "--position", "indemnity=fallback_1"])
    assert result.exit_code == 0, result.output
    assert fallback in _text(fallback_out.read_bytes())
    assert fallback not in _text(standard_out.read_bytes())


def test_drafts_a_pdf(runner, vars_file, tmp_path):
    out = tmp_path / "msa.pdf"
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(vars_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("values", "named"), [
    ({**MSA, "effective_date": "June 41"}, "effective_date"),
    ({**MSA, "price_increase_cap": "five"}, "price_increase_cap"),
    ({k: v for k, v in MSA.items() if k != "customer_name"}, "customer_name"),
    ({**MSA, "colour": "blue"}, "colour"),
])
def test_a_bad_variable_is_named_on_one_line_with_exit_2(runner, tmp_path, values, named):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(values))
    out = tmp_path / "x.docx"
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("clm: error: ")
    assert f"'{named}'" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["nope"], "No template 'nope'"),
    (["master_subscription_agreement", "--out-suffix"], "must end in .docx or .pdf"),
    (["master_subscription_agreement", "--position", "indemnity"], "write CLAUSE=POSITION"),
    (["master_subscription_agreement", "--position", "indemnity=fallback_9"], "no position 'fallback_9'"),
])
def test_bad_arguments_fail_with_one_line(runner, vars_file, tmp_path, args, message):
    out = tmp_path / ("x.txt" if "--out-suffix" in args else "x.docx")
    args = [a for a in args if a != "--out-suffix"]
    result = runner.invoke(main, ["draft", *args[:1], "--vars", str(vars_file), "-o", str(out), *args[1:]])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_variables_must_be_a_json_object(runner, tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    result = runner.invoke(main, ["draft", "mutual_nda", "--vars", str(path), "-o", str(tmp_path / "x.docx")])
    assert result.exit_code == 2 and "JSON object" in result.stderr


def test_store_creates_a_contract_version_and_draft_record(runner, vars_file, tmp_path, session):
    out = tmp_path / "msa.docx"
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(vars_file), "-o", str(out),
                                  "--store", "--position", "indemnity=fallback_1", "--author", "lee@example.test"])
    assert result.exit_code == 0, result.output
    assert "contract 1 version 1" in result.stdout
    contract = session.scalars(select(Contract)).one()
    assert contract.title == "Master Subscription Agreement" and contract.counterparty == "Acme Widgets LLC"
    version = session.scalars(select(Version)).one()
    assert version.source is VersionSource.TEMPLATE and version.number == 1 and version.author == "lee@example.test"
    assert version.blob.data == out.read_bytes()
    record = session.scalars(select(DraftRecord)).one()
    assert (record.contract_id, record.version_id) == (contract.id, version.id)
    assert record.template_key == "master_subscription_agreement" and record.template_version == 1
    assert record.variables == MSA and record.positions == {"indemnity": "fallback_1"}
    assert record.created_by == "lee@example.test"
    # Every clause in the draft points at the stored library version holding its text.
    stored = {row.key: row.version for row in session.scalars(select(LibraryClause))}
    assert record.clause_versions["indemnity"] == stored["indemnity"] == 1
    assert "insurance" in record.clause_versions and "audit" not in record.clause_versions


def test_store_with_a_counterparty_and_a_bad_value_stores_nothing(runner, tmp_path, session):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**MSA, "effective_date": "tomorrow"}))
    result = runner.invoke(main, ["draft", "master_subscription_agreement", "--vars", str(path),
                                  "-o", str(tmp_path / "x.docx"), "--store", "--counterparty", "Acme"])
    assert result.exit_code == 2 and "'effective_date'" in result.stderr
    assert session.scalars(select(Contract)).all() == []
    assert session.scalars(select(DraftRecord)).all() == []


def test_draft_records_are_insert_only(runner, tmp_path, session):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    nda = tmp_path / "nda.json"
    nda.write_text(json.dumps({"party_b_name": "Beta Labs, Inc.", "party_b_description": "a California corporation",
                               "effective_date": "2026-06-01"}))
    result = runner.invoke(main, ["draft", "mutual_nda", "--vars", str(nda), "-o", str(tmp_path / "n.docx"),
                                  "--store", "--counterparty", "Beta Labs"])
    assert result.exit_code == 0, result.output
    assert session.scalars(select(Contract)).one().counterparty == "Beta Labs"
    with pytest.raises(DatabaseError, match="immutable"):
        session.execute(text("UPDATE draft_records SET created_by = 'mallory'"))
    session.rollback()
