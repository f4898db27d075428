"""``POST /api/v1/ids/inspect``: the answer of ``sibook ids inspect VALUE --json``, key for key,
public, for valid, invalid and shapeless values alike."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sibook.api.app import create_app
from sibook.cli.main import app as cli
from tests.e2e.test_openapi_conformance import assert_conforms

PATH = "/api/v1/ids/inspect"
VALUES = ["001089012345", " 001089012345 ", "001989012345", "999089012345", "0123456789",
          "DN4010123456789", "dn4010123456789", "CC4010123456789", "abc", "", "12345",
          "００１０８９０１２３４５"]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.mark.parametrize("value", VALUES)
def test_the_api_answers_as_the_cli(client: TestClient, value: str) -> None:
    r = client.post(PATH, json={"value": value})  # no token: public
    assert_conforms(client.app.openapi(), "POST", PATH, r)  # type: ignore[attr-defined]
    shown = CliRunner().invoke(cli, ["ids", "inspect", "--json", "--", value])
    assert r.status_code == 200 and r.json() == json.loads(shown.stdout)
    assert shown.exit_code == (0 if r.json()["valid"] else 1)


def test_a_body_of_the_wrong_shape_is_refused(client: TestClient) -> None:
    for body in ({}, {"value": 1}, {"value": "001089012345", "kind": "x"},
                 {"value": "9" * 201}):
        r = client.post(PATH, json=body)
        assert r.status_code == 422, body
        assert_conforms(client.app.openapi(), "POST", PATH, r)  # type: ignore[attr-defined]
