"""The JSON API: bearer tokens, uploads, bad input, errors as JSON, the OpenAPI document."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from clm.demo import text_to_docx
from clm.users import Role
from clm.versions.models import Blob, Contract, Version

DOCX = text_to_docx("LICENSE AGREEMENT\n# 1. Grant\nLicensor grants Licensee a licence.\n")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload(client, token, data=DOCX, filename="license.docx", url="/api/v1/contracts", **form):
    return client.post(url, headers=_bearer(token), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), **form})


def _counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Contract, Version, Blob))


def test_health_needs_no_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer clm_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer x"])
def test_calls_without_a_valid_token_get_401_json(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/contracts", headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": "Sign in first."}


def test_the_session_cookie_does_not_authenticate_the_api(client, auth):
    auth.login(Role.ADMIN)
    assert client.get("/api/v1/contracts").status_code == 401


def test_legal_creates_a_contract_and_anyone_reads_it(client, make_token):
    response = _upload(client, make_token(Role.LEGAL), title="Licence with Beta", counterparty="Beta GmbH")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "Licence with Beta" and body["counterparty"] == "Beta GmbH"
    assert [v["number"] for v in body["versions"]] == [1]
    viewer = make_token(Role.VIEWER)
    listed = client.get("/api/v1/contracts", headers=_bearer(viewer)).json
    assert [c["id"] for c in listed["contracts"]] == [body["id"]]
    detail = client.get(f"/api/v1/contracts/{body['id']}", headers=_bearer(viewer))
    assert detail.json["versions"][0]["sha256"] == body["versions"][0]["sha256"]
    download = client.get(detail.json["versions"][0]["download_url"])
    assert download.status_code == 302  # the download page is for signed-in people


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_without_write_cannot_upload(client, session, make_token, role):
    response = _upload(client, make_token(role))
    assert response.status_code == 403 and "error" in response.json
    assert _counts(session) == (0, 0, 0)


def test_add_a_version_and_refuse_an_identical_one(client, session, make_token):
    token = make_token(Role.LEGAL)
    contract = _upload(client, token).json
    url = f"/api/v1/contracts/{contract['id']}/versions"
    second = _upload(client, token, data=b"LICENSE AGREEMENT\nLicensor grants a licence.\n", filename="v2.txt",
                     url=url, source="counterparty")
    assert second.status_code == 201 and second.json["number"] == 2 and second.json["source"] == "counterparty"
    again = _upload(client, token, data=DOCX, filename="same.docx", url=url)
    assert again.status_code == 409 and "identical to version 1" in again.json["error"]
    assert _counts(session) == (1, 2, 2)


@pytest.mark.parametrize(("data", "filename", "status"), [
    (b"", "empty.docx", 422),
    (b"%PDF-1.4 not a docx", "c.docx", 415),
    (b"PK\x03\x04 broken zip", "c.docx", 422),
    (b"bad \x00 text", "c.txt", 422),
    (b"#!/bin/sh\nrm -rf /\n", "run.sh", 415),
])
def test_bad_files_get_a_4xx_json_error_and_store_nothing(client, session, make_token, data, filename, status):
    response = _upload(client, make_token(Role.LEGAL), data=data, filename=filename)
    assert response.status_code == status
    assert isinstance(response.json["error"], str) and "Traceback" not in response.json["error"]
    assert _counts(session) == (0, 0, 0)


def test_an_upload_over_the_limit_is_413(app, client, session, make_token):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    response = _upload(client, make_token(Role.LEGAL), data=b"x" * 5000, filename="big.txt")
    assert response.status_code == 413
    assert _counts(session) == (0, 0, 0)


def test_a_request_without_a_file_is_422(client, make_token):
    response = client.post("/api/v1/contracts", headers=_bearer(make_token(Role.LEGAL)), data={})
    assert response.status_code == 422 and "Choose a .docx" in response.json["error"]


def test_missing_things_are_404_json(client, make_token):
    token = make_token(Role.VIEWER)
    assert client.get("/api/v1/contracts/4242", headers=_bearer(token)).json == {
        "error": "Contract 4242 does not exist."}
    assert client.get("/api/v1/nothing-here", headers=_bearer(token)).status_code == 404


def test_the_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {"/api/v1" + path for path in spec["paths"]}
    routes = {re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"}
    assert routes <= documented


@pytest.mark.parametrize(("url", "status"), [
    ("/api/v1/contracts/99999999999999999999999", 404),
    ("/api/v1/contracts/3000000000", 404),
    ("/api/v1/contracts?before=99999999999999999999", 422),
    ("/api/v1/contracts?before=3000000000", 422),
])
def test_numbers_too_large_for_the_database_are_4xx_not_500(client, make_token, url, status):
    response = client.get(url, headers=_bearer(make_token(Role.VIEWER)))
    assert response.status_code == status and "error" in response.json


def test_text_longer_than_its_column_is_422_and_stores_nothing(client, session, make_token):
    response = _upload(client, make_token(Role.LEGAL), counterparty="C" * 400)
    assert response.status_code == 422, response.json
    assert _counts(session) == (0, 0, 0)


def test_an_unknown_source_is_refused_not_stored_as_ours(client, session, make_token):
    token = make_token(Role.LEGAL)
    contract = _upload(client, token).json
    response = _upload(client, token, data=b"LICENSE\nv2\n", filename="v2.txt",
                       url=f"/api/v1/contracts/{contract['id']}/versions", source="martian")
    assert response.status_code == 422 and "source must be" in response.json["error"]
    assert _counts(session) == (1, 1, 1)
