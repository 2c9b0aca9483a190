from __future__ import annotations

import os

import pytest

from clm import config


def test_defaults_resolve_to_sqlite_in_the_instance_folder(tmp_path):
    settings = config.load({"CLM_INSTANCE_PATH": str(tmp_path)})
    assert settings["DATABASE_URL"] == f"sqlite:///{os.path.join(str(tmp_path), 'clm.sqlite3')}"
    assert settings["REDIS_URL"] == ""


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("SECURE_COOKIES", "1", True),
        ("SECURE_COOKIES", "off", False),
        ("MAX_UPLOAD_BYTES", "2048", 2048),
        ("PARSE_TIMEOUT_SECONDS", "2.5", 2.5),
        ("DATABASE_URL", "postgresql+psycopg://db/clm", "postgresql+psycopg://db/clm"),
    ],
)
def test_environment_overrides_and_is_parsed_to_the_default_type(name, raw, expected):
    assert config.load({f"CLM_{name}": raw})[name] == expected


def test_a_value_that_does_not_parse_names_the_variable():
    with pytest.raises(ValueError, match="CLM_MAX_UPLOAD_BYTES"):
        config.load({"CLM_MAX_UPLOAD_BYTES": "ten megabytes"})
