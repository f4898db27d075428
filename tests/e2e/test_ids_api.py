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
    assert r.status_code == 200
    assert list(r.json().items()) == list(json.loads(shown.stdout).items())  # in its order
    assert shown.exit_code == (0 if r.json()["valid"] else 1)


def test_both_answer_the_value_as_read_without_the_spaces_around_it(client: TestClient) -> None:
    """As every command reads an identifier (cli.flags.identifier): the value is the one the
    verdict is about, not the spaces pasted around it."""
    shown = CliRunner().invoke(cli, ["ids", "inspect", "--json", " 001089012345\t"])
    answered = client.post(PATH, json={"value": " 001089012345\t"}).json()
    assert json.loads(shown.stdout)["value"] == answered["value"] == "001089012345"
    assert answered["valid"] is True


_ANSWER = ["value", "kind", "valid", "errors", "province_code", "sex", "birth_year"]


@pytest.mark.parametrize(("value", "keys", "nulls"), [
    ("001089012345", _ANSWER, []),
    ("0123456789", _ANSWER, ["province_code", "sex", "birth_year"]),
    ("DN4010123456789", [*_ANSWER, "group_code", "benefit_level", "si_code"],
     ["sex", "birth_year"]),
    ("12345", _ANSWER, ["kind", "province_code", "sex", "birth_year"]),
])
def test_both_answer_the_contracts_keys_in_its_order(client: TestClient, value: str,
                                                     keys: list[str], nulls: list[str]) -> None:
    """CONTRACT.md's keys for every value, in its order (value, kind, valid, errors,
    province_code, sex, birth_year), null where the kind has none, then an HI card's own: a
    script reading answer["sex"] of whatever it was given gets null, not a KeyError."""
    shown = json.loads(CliRunner().invoke(cli, ["ids", "inspect", "--json", "--", value]).stdout)
    answered = client.post(PATH, json={"value": value}).json()
    assert list(shown) == list(answered) == keys
    assert [k for k in keys if shown[k] is None] == nulls


def test_a_body_of_the_wrong_shape_is_refused(client: TestClient) -> None:
    for body in ({}, {"value": 1}, {"value": "001089012345", "kind": "x"},
                 {"value": "9" * 201}):
        r = client.post(PATH, json=body)
        assert r.status_code == 422, body
        assert_conforms(client.app.openapi(), "POST", PATH, r)  # type: ignore[attr-defined]


def test_the_openapi_requires_the_contracts_keys_in_every_answer(client: TestClient) -> None:
    """The contract's keys are in every answer, null where the kind has none: the OpenAPI
    says so (a client generated from it read province_code, sex and birth_year as optional);
    an HI card's own keys stay optional, in its answers only."""
    schema = client.app.openapi()["components"]["schemas"]["IdAnswer"]  # type: ignore[attr-defined]
    assert set(schema["required"]) == {"value", "kind", "valid", "errors", "province_code", "sex",
                                       "birth_year"}
