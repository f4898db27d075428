"""The version chain: each version names its predecessor's hash, so a rewrite shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sibook.book.assemble import content_hash
from sibook.book.versions import Version, chain_problems

AT = datetime(2026, 11, 26, tzinfo=UTC)


def chain(*payloads: dict[str, int]) -> list[Version]:
    out: list[Version] = []
    for n, payload in enumerate(payloads, start=1):
        prev = out[-1].content_hash if out else None
        out.append(Version(n, content_hash(payload), prev, AT, payload))
    return out


def test_an_untouched_chain_has_no_problems() -> None:
    assert chain_problems(chain({"v": 1}, {"v": 2}, {"v": 3})) == []


def test_a_payload_rewritten_in_place_is_detected() -> None:
    versions = chain({"v": 1}, {"v": 2}, {"v": 3})
    versions[1] = replace(versions[1], payload={"v": 20})
    assert chain_problems(versions) == [
        "version 2: payload does not match its hash (rewritten after it was recorded)"]


def test_a_version_replaced_with_a_consistent_hash_breaks_the_next_link() -> None:
    versions = chain({"v": 1}, {"v": 2}, {"v": 3})
    versions[1] = replace(versions[1], payload={"v": 20}, content_hash=content_hash({"v": 20}))
    assert chain_problems(versions) == [
        "version 3: prev_hash does not match version 2's hash (the chain was rewritten)"]


def test_a_deleted_version_is_detected() -> None:
    versions = chain({"v": 1}, {"v": 2}, {"v": 3})
    del versions[1]
    problems = chain_problems(versions)
    assert problems[0] == "version 3: expected version 2 (a version is missing)"
