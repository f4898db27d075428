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
@pytest.mark.parametrize("detail", [None, "unit 0101234567; payment_cycle 3; from 2026-04",
                                    *filter(None, ODD)])
def test_the_fast_encoding_is_the_canonical_json_of_the_fields(
        text: str, person_id: int | None, detail: str | None) -> None:
    access = audit.Access(actor_kind="officer", actor_id=f"id {text}", action=f"a.{text}",
                          route=f"GET /{text}", purpose=text, outcome=f"refused {text}",
                          person_id=person_id, detail=detail)
    instant = "2026-11-28T01:02:03.000004+00:00"
    encoded = audit._encoder(instant)
    for seq, prev in ((1, GENESIS_HASH), (2**40, "ab" * 32)):
        fields = {"seq": seq, "at": instant, "prev_hash": prev, **access.__dict__}
        if detail is None:  # hashed only when given: entries before 0027 have none
            del fields["detail"]
        assert encoded(access, seq, prev) == audit._encoded(fields)
        assert audit._encoded({"seq": seq, "at": instant, "prev_hash": prev,
                               **access.hashed()}) == audit._encoded(fields)


def test_an_entry_without_a_detail_hashes_the_bytes_it_hashed_before_migration_0027() -> None:
    """Pinned as the code before 0027 wrote them: every entry logged then still verifies."""
    access = audit.Access(actor_kind="officer", actor_id="hn-clerk", action="employer.pay",
                          route="POST /api/v1/employers/{code}/payments", purpose="case 7")
    assert audit._encoder("2026-11-28T01:02:03.000004+00:00")(access, 3, "ab" * 32) == (
        b'{"action":"employer.pay","actor_id":"hn-clerk","actor_kind":"officer",'
        b'"at":"2026-11-28T01:02:03.000004+00:00","outcome":"allowed","person_id":null,'
        b'"prev_hash":"' + b"ab" * 32 + b'","purpose":"case 7",'
        b'"route":"POST /api/v1/employers/{code}/payments","seq":3}')


@pytest.mark.parametrize("detail", ["", "x" * 201])
def test_a_detail_is_one_to_200_characters(detail: str) -> None:
    with pytest.raises(ValueError, match="detail"):
        audit.Access(actor_kind="officer", actor_id="a", action="a", route="r", purpose="p",
                     detail=detail)


def test_the_fast_encoding_knows_every_field_of_an_access() -> None:
    """A field added to Access must be added to the fast path too (else its hash skips it)."""
    assert [f.name for f in dataclasses.fields(audit.Access)] == [
        "actor_kind", "actor_id", "action", "route", "purpose", "outcome", "person_id",
        "detail"]
