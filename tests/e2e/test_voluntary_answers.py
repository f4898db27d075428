"""What a clerk's voluntary start and a voluntary payment answer, on SQLite and PostgreSQL:
``identity_verified`` true only where something verified the identity, and a payment's
``recorded_at`` written as every other route writes a moment (+00:00, not "Z")."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.e2e.test_access_matrix import OWN, PRINCIPALS, bearer
from tests.e2e.test_registration_replays import client, configured  # noqa: F401 - fixtures

CLERK = PRINCIPALS["clerk_hanoi"]


def started(client: TestClient, engine: Engine) -> dict[str, object]:  # noqa: F811
    """OWN's job ended in 2025; the Hà Nội clerk starts their voluntary SI: the answer."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE si_periods SET to_month = :m WHERE person_id = "
                          "(SELECT person_id FROM persons WHERE personal_id = :p)"),
                     {"m": 2025 * 12, "p": OWN})
    r = client.post(f"/api/v1/persons/{OWN}/voluntary", headers=bearer(CLERK),
                    json={"income": 3_000_000})
    assert r.status_code == 201, r.text
    answer: dict[str, object] = r.json()
    return answer


def test_an_officers_voluntary_start_says_no_identity_was_verified(
        client: TestClient, configured: Engine) -> None:  # noqa: F811
    """Nothing checks the identity of a person a clerk starts: the answer does not claim it."""
    assert started(client, configured)["identity_verified"] is False


def test_a_voluntary_payments_recorded_at_is_written_as_the_other_routes_write_a_moment(
        client: TestClient, configured: Engine) -> None:  # noqa: F811
    started(client, configured)
    path = f"/api/v1/persons/{OWN}/voluntary-payments"
    posted = client.post(path, headers=bearer(CLERK), json={
        "amount": 660_000, "reference": "VNPT-9", "paid_on": date.today().isoformat()})
    assert posted.status_code == 201, posted.text
    listed = client.get(path, headers=bearer(CLERK))
    for at in (posted.json()["recorded_at"], listed.json()["payments"][0]["recorded_at"]):
        assert at.endswith("+00:00"), at
