"""The `clm` command: init, users and tokens, import with bad files, errors as one line."""

from __future__ import annotations

from sqlalchemy import func, select

from clm.cli import main
from clm.demo import text_to_docx
from clm.users import ApiToken, User, hash_token
from clm.versions.models import Blob, Contract, Version


def _counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Contract, Version, Blob))


def test_init_demo_creates_users_and_contracts_once(runner, session):
    result = runner.invoke(main, ["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "Demo users" in result.output and "Demo contract 1" in result.output
    contracts, versions, _ = _counts(session)
    assert contracts == 3 and versions == 6
    again = runner.invoke(main, ["init", "--demo"])
    assert again.exit_code == 0 and "no demo contracts added" in again.output
    assert _counts(session)[:2] == (3, 6)


def test_token_create_prints_a_token_that_is_stored_hashed(runner, session, make_user):
    owner = make_user("finance")
    result = runner.invoke(main, ["token", "create", "--user", owner.email, "--label", "erp"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("clm_") and len(token) >= 40
    row = session.scalar(select(ApiToken))
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.user_id == owner.id and row.role.value == "finance"


def test_an_unknown_role_is_one_line_and_exit_2(runner, make_user):
    result = runner.invoke(main, ["token", "create", "--user", make_user("admin").email, "--role", "boss"])
    assert result.exit_code == 2
    assert result.output.strip() == "clm: error: Unknown role 'boss'; choose one of admin, legal, finance, viewer."


def test_user_create(runner, session):
    result = runner.invoke(main, ["user", "create", "--email", "Pat@Example.com", "--role", "legal",
                                  "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.email)) == "pat@example.com"
    dup = runner.invoke(main, ["user", "create", "--email", "pat@example.com", "--role", "legal",
                               "--password", "a long enough password"])
    assert dup.exit_code == 2 and "already exists" in dup.output


def test_import_good_and_bad_files(runner, session, tmp_path):
    good = tmp_path / "msa.docx"
    good.write_bytes(text_to_docx("MASTER AGREEMENT\nThe parties agree.\n"))
    other = tmp_path / "notes.md"
    other.write_text("# Side letter\nA side letter.\n")
    bad = tmp_path / "scan.docx"
    bad.write_bytes(b"%PDF-1.5 scanned")
    missing = tmp_path / "missing.txt"
    result = runner.invoke(main, ["import", str(good), str(bad), str(other), str(missing)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("clm: error:")]
    assert len(errors) == 2
    assert "scan.docx: This file is a PDF" in errors[0] and "missing.txt" in errors[1]
    assert "contract 1 version 1" in result.stdout and "contract 2 version 1" in result.stdout
    assert _counts(session) == (2, 2, 2)


def test_import_as_new_versions_of_a_contract(runner, session, tmp_path):
    first, second = tmp_path / "v1.txt", tmp_path / "v2.txt"
    first.write_text("Agreement\nVersion one.\n")
    second.write_text("Agreement\nVersion two.\n")
    assert runner.invoke(main, ["import", str(first)]).exit_code == 0
    result = runner.invoke(main, ["import", str(second), str(first), "--contract", "1"])
    assert result.exit_code == 2
    assert "identical to version 1" in result.stderr
    assert "contract 1 version 2" in result.stdout
    assert _counts(session) == (1, 2, 2)


def test_import_into_a_missing_contract(runner, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x\n")
    result = runner.invoke(main, ["import", str(path), "--contract", "9"])
    assert result.exit_code == 2 and "Contract 9 does not exist." in result.stderr


def test_worker_without_redis_explains_itself(runner):
    result = runner.invoke(main, ["worker"])
    assert result.exit_code == 2 and "CLM_REDIS_URL is not set" in result.output


def test_init_stores_the_clause_library_and_versions_an_edited_clause(runner, session, tmp_path, monkeypatch):
    import shutil

    from clm.clauses.library import default_library_path
    from clm.clauses.models import LibraryClause

    library = tmp_path / "library"
    shutil.copytree(default_library_path(), library)
    monkeypatch.setenv("CLM_CLAUSE_LIBRARY", str(library))
    assert runner.invoke(main, ["init"]).exit_code == 0
    first = {row.key: row.version for row in session.scalars(select(LibraryClause))}
    assert len(first) >= 20 and set(first.values()) == {1}
    path = library / "clauses" / "governing_law.yaml"
    path.write_text(path.read_text().replace("governed by", "construed and governed by", 1))
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0 and "(1 new clause versions stored)" in result.output
    session.expire_all()
    versions = sorted(row.version for row in session.scalars(select(LibraryClause).where(LibraryClause.key == "governing_law")))
    assert versions == [1, 2]


def test_init_refuses_a_broken_library_file_naming_file_and_line(runner, session, tmp_path, monkeypatch):
    import shutil

    from clm.clauses.library import default_library_path

    library = tmp_path / "library"
    shutil.copytree(default_library_path(), library)
    (library / "clauses" / "broken.yaml").write_text("key: broken\ntitle: [unclosed\n")
    monkeypatch.setenv("CLM_CLAUSE_LIBRARY", str(library))
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 2
    assert "broken.yaml, line" in result.output and "Traceback" not in result.output


TERMS = """{"currency": "USD", "signed_on": "2025-12-15", "payment_terms_days": 30, "lines": [
 {"id": "saas", "description": "Subscription", "price": "120000.00", "ssp": "130000.00", "recognition": "ratable",
  "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "annual", "timing": "advance"}},
 {"id": "impl", "description": "Implementation", "price": "15000.00", "ssp": "20000.00",
  "recognition": "point_in_time", "satisfied_on": "2026-02-15", "start": "2026-01-01", "end": "2026-02-15",
  "billing": {"frequency": "once", "timing": "advance"}}]}"""


def test_revenue_and_billing_from_a_terms_file(tmp_path):
    import json

    from click.testing import CliRunner

    path = tmp_path / "terms.json"
    path.write_text(TERMS)
    result = CliRunner().invoke(main, ["revenue", str(path), "--as-of", "2026-03-31"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["allocation"] == {"saas": "117000.00", "impl": "18000.00"}  # 135,000 x 130/150 and x 20/150
    assert {"period": "2026-02", "line": "saas", "amount": "8975.34"} in body["schedule"]  # 117,000 x 28/365
    assert body["balance"]["deferred_revenue"] == "88150.68"  # billed 135,000 - recognized 46,849.32
    billing = CliRunner().invoke(main, ["billing", str(path), "--format", "csv", "--prefix", "INV-7"])
    assert billing.exit_code == 0
    assert billing.stdout.splitlines()[1].startswith("INV-7-0001,2026-01-01,2026-02-02,USD,saas")  # 31 Jan 2026 is a Saturday


def test_bad_terms_name_every_field_in_one_line(tmp_path):
    from click.testing import CliRunner

    path = tmp_path / "terms.json"
    path.write_text('{"currency": "XYZ", "lines": [{"id": "a", "price": "-5"}]}')
    result = CliRunner().invoke(main, ["billing", str(path)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "currency: cannot read 'XYZ'" in line and "lines[0].price: cannot read '-5'" in line
    path.write_text("{not json")
    result = CliRunner().invoke(main, ["revenue", str(path)])
    assert result.exit_code == 2 and "not JSON (line 1" in result.stderr


def test_numbers_and_texts_too_large_are_one_line_and_exit_2(runner, session, tmp_path, make_user):
    path = tmp_path / "a.txt"
    path.write_text("A contract\n")
    result = runner.invoke(main, ["import", str(path), "--contract", "99999999999999999999"])
    errors = [line for line in result.stderr.splitlines() if line.startswith("clm: error:")]
    assert result.exit_code == 2 and errors == ["clm: error: a number or a text given is too large for clm; "
                                                "nothing was changed"]
    result = runner.invoke(main, ["import", str(path), "--counterparty", "C" * 400])
    assert result.exit_code == 2 and "longer than 300 characters" in result.stderr
    result = runner.invoke(main, ["token", "create", "--user", make_user("legal").email, "--label", "L" * 300])
    assert result.exit_code == 2 and "longer than 200" in result.output
    result = runner.invoke(main, ["user", "create", "--email", "foo@", "--role", "legal",
                                  "--password", "a long enough password"])
    assert result.exit_code == 2 and "not an email address" in result.output
    assert _counts(session) == (0, 0, 0)


def test_a_device_file_is_read_only_up_to_the_limit(runner):
    result = runner.invoke(main, ["extract", "/dev/zero"])
    assert result.exit_code == 2 and "larger than the limit" in result.stderr


def test_import_refuses_a_device_without_reading_it(runner):
    result = runner.invoke(main, ["import", "/dev/zero"])
    assert result.exit_code == 2 and "/dev/zero: not a regular file" in result.stderr


def test_draft_store_stores_nothing_when_the_output_cannot_be_written(runner, session, tmp_path):
    import json

    from tests.clauses.test_library import SAMPLE_VALUES

    values = tmp_path / "nda.json"
    values.write_text(json.dumps(SAMPLE_VALUES["mutual_nda"]))
    result = runner.invoke(main, ["draft", "mutual_nda", "--vars", str(values), "-o",
                                  str(tmp_path / "missing" / "nda.docx"), "--store"])
    assert result.exit_code == 2 and "missing/nda.docx: cannot write" in result.stderr
    assert _counts(session) == (0, 0, 0)
    link = tmp_path / "link.docx"
    target = tmp_path / "target.docx"
    target.write_bytes(b"old")
    link.symlink_to(target)
    assert runner.invoke(main, ["draft", "mutual_nda", "--vars", str(values), "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and target.read_bytes().startswith(b"PK")


def test_commands_before_init_say_so_in_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("CLM_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    monkeypatch.setenv("CLM_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["token", "create", "--user", "pat@example.com"])
    assert result.exit_code == 2
    assert result.output.strip() == "clm: error: the database has no clm tables yet; run `clm init` first"


def test_a_bad_role_is_refused_before_the_password_prompt(runner):
    result = runner.invoke(main, ["user", "create", "--email", "a@example.com", "--role", "boss"], input="")
    assert result.exit_code == 2 and "Unknown role 'boss'" in result.output and "Password" not in result.output


def test_extract_jsonl_refuses_records_without_text_and_files_that_are_not_utf8(tmp_path):
    from click.testing import CliRunner

    good = tmp_path / "c.jsonl"
    good.write_text('{"id": "a", "text": 5}\n{"id": "b", "text": "Governed by the laws of the State of New York."}\n')
    result = CliRunner().invoke(main, ["extract", "--jsonl", str(good)])
    assert result.exit_code == 2 and f"{good}:1: not a JSON object" in result.stderr
    assert '"id": "b"' in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "a", "text": "\xff"}\n')
    result = CliRunner().invoke(main, ["extract", "--jsonl", str(bad)])
    assert result.exit_code == 2 and result.stderr.strip() == f"clm: error: {bad}: not UTF-8 text (first bad byte at offset 21)"
