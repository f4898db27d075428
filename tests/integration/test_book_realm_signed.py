"""Each realm's books, issued from a seeded database, carry their realm signed and verify by
their own realm's key only: a ministry person's book with the ministry's key is valid, the
same book signed by another realm's trusted key is not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select, update

from sibook.book import issuing, service, versions
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.seed.service import seed
from sibook.signing.card import verify_card
from sibook.signing.qr import verify_qr

TODAY = date(2026, 11, 26)


def book_of_realm(engine: Engine, realm: str) -> versions.Version:
    """The current book of a seeded insured person (with an HI card) moved to ``realm``."""
    seed(engine=engine, people=40, employers=5, today=TODAY)
    persons, cards = metadata.tables["persons"], metadata.tables["hi_cards"]
    with unit_of_work(engine) as s:
        person_id = s.execute(select(persons.c.person_id).join(
            cards, cards.c.person_id == persons.c.person_id).where(
            persons.c.realm == "civil").limit(1)).scalar_one()
        s.execute(update(persons).where(persons.c.person_id == person_id).values(realm=realm))
    with unit_of_work(engine) as s:
        return service.current_version(session=s, person_id=person_id, as_of=TODAY)[0]


@pytest.mark.parametrize("realm", ["defence", "public_security"])
def test_a_ministry_persons_book_and_card_signed_by_the_ministry_verify(
        engine: Engine, agency: issuing.Agency, realm: str) -> None:
    v = book_of_realm(engine, realm)
    trust = agency.trust_list()
    qr = issuing.issue_qr(v, agency.signer(realm))
    for data in (issuing.book_pdf(v, agency), qr.encode()):
        result = issuing.check(data, trust, agency.revocations())
        assert result.valid, result.errors
        assert (result.realm, result.payload["realm"]) == (realm, realm)
    _, card = issuing.card_qr(v, agency)
    assert verify_qr(card, trust).payload["realm"] == realm
    assert verify_card(card.encode(), trust_list=trust, on=TODAY).valid


def test_a_civil_book_signed_by_the_defence_key_is_refused(
        engine: Engine, agency: issuing.Agency) -> None:
    v = book_of_realm(engine, "civil")
    result = issuing.check(issuing.issue_qr(v, agency.signer("defence")).encode(),
                           agency.trust_list(), agency.revocations())
    assert not result.valid
    assert result.errors == [
        "signed by another realm's key: issued for the 'civil' realm, signed by the "
        "certificate 'Vietnam Social Security defence issuer 1' of the 'defence' realm"]
