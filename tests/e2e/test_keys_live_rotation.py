"""A running server signs with the key ``sibook keys rotate`` made from its first request
``RECHECK_SECONDS`` later, and goes on signing after ``keys distrust`` of the generation it
signed with before: no restart."""

from __future__ import annotations

import time

from typer.testing import CliRunner

from sibook.cli.main import app as cli
from sibook.signing.held import RECHECK_SECONDS
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import verify
from tests.e2e.test_access_matrix import OWN, PRINCIPALS, bearer
from tests.e2e.test_book_signing_failures import RIGHT, World, world

__all__ = ["world"]  # the fixture, shared with the signing failures' tests


def _qr_signer(w: World) -> str | None:
    r = w.client.get(f"/api/v1/books/{OWN}/qr", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    assert r.status_code == 200, r.text
    answer = verify(r.content, trust_list=TrustList.from_keys_dir(w.tmp / "keys"))
    assert answer.valid, answer.errors
    return answer.signer


def _sibook(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    time.sleep(RECHECK_SECONDS)


def test_the_server_signs_with_a_rotated_key_and_past_a_distrust_without_restart(
        world: World) -> None:
    world.passphrase(RIGHT)
    assert _qr_signer(world) == "Vietnam Social Security civil issuer 1"
    _sibook("keys", "rotate", "--realm", "civil")
    assert _qr_signer(world) == "Vietnam Social Security civil issuer 2"
    _sibook("keys", "distrust", "--realm", "civil", "--generation", "1")
    assert _qr_signer(world) == "Vietnam Social Security civil issuer 2"
