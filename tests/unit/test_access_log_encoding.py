"""The bytes an access-log entry's hash covers: the fast path of a large append writes exactly
what the canonical JSON of its fields is, so old and new entries verify as one chain."""

from __future__ import annotations

import dataclasses

import pytest

from sibook.access import audit
from sibook.access.store import GENESIS_HASH

ODD = ['quote " and backslash \\', "tab\tnew\nline\x01", "Nguyễn Thị Hồng 𝔘", "", "\u2028"]


@pytest.mark.parametrize("text", ODD)
@pytest.mark.parametrize("person_id", [None, 0, 12_345_678_901])
def test_the_fast_encoding_is_the_canonical_json_of_the_fields(text: str,
                                                               person_id: int | None) -> None:
    access = audit.Access(actor_kind="officer", actor_id=f"id {text}", action=f"a.{text}",
                          route=f"GET /{text}", purpose=text, outcome=f"refused {text}",
                          person_id=person_id)
    instant = "2026-11-28T01:02:03.000004+00:00"
    encoded = audit._encoder(instant)
    for seq, prev in ((1, GENESIS_HASH), (2**40, "ab" * 32)):
        fields = {"seq": seq, "at": instant, "prev_hash": prev, **access.__dict__}
        assert encoded(access, seq, prev) == audit._encoded(fields)


def test_the_fast_encoding_knows_every_field_of_an_access() -> None:
    """A field added to Access must be added to the fast path too (else its hash skips it)."""
    assert [f.name for f in dataclasses.fields(audit.Access)] == [
        "actor_kind", "actor_id", "action", "route", "purpose", "outcome", "person_id"]
