"""Distrusting an issuing certificate whose key is compromised: nothing it signed verifies,
whatever date it claims; the realm's newer key and revocation list go on as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sibook.core.errors import ConflictError, NotFoundError
from sibook.signing import keys
from sibook.signing.distrust import distrust
from sibook.signing.inventory import list_certs
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import sign_qr
from sibook.signing.status import RevocationList
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import verify
from tests.unit.test_signing_support import PASSPHRASE, book_payload, make_agency, tiny_pdf


def test_books_signed_by_a_distrusted_key_no_longer_verify(tmp_path: Path) -> None:
    old = make_agency(tmp_path).signer
    qr = sign_qr(book_payload(), old).encode()  # before the compromise, or dated so: alike
    pdf = sign_pdf(tiny_pdf(), old, book=book_payload())
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    distrusted = distrust(tmp_path, "civil", 1, PASSPHRASE)
    assert distrusted.key_id == old.key_id.hex()

    trust = TrustList.from_keys_dir(tmp_path)
    assert trust.issuer(old.key_id) is None and len(trust.issuers) == 3
    for signed in (qr, pdf):
        answer = verify(signed, trust_list=trust)
        assert answer.valid is False and answer.errors, answer
    new = keys.load_signer(tmp_path, "civil", PASSPHRASE)
    assert verify(sign_qr(book_payload(), new).encode(), trust_list=trust).valid is True
    assert not (tmp_path / "civil.1.key.pem").exists()  # nothing signs with it again


def test_the_realms_revocation_list_still_loads_and_numbers_are_never_reused(
        tmp_path: Path) -> None:
    make_agency(tmp_path)  # every list signed by generation 1
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    distrust(tmp_path, "civil", 1, PASSPHRASE)
    trust = TrustList.from_keys_dir(tmp_path)
    assert RevocationList.load_realms(tmp_path, trust).freshness  # re-signed by generation 2
    assert keys.rotate(tmp_path, "civil", PASSPHRASE).generation == 3


def test_the_key_that_signs_now_cannot_be_distrusted_before_a_rotation(tmp_path: Path) -> None:
    make_agency(tmp_path)
    with pytest.raises(ConflictError, match="keys rotate --realm civil"):
        distrust(tmp_path, "civil", 1, PASSPHRASE)
    assert TrustList.from_keys_dir(tmp_path).issuers  # nothing changed


@pytest.mark.parametrize(("realm", "generation"), [("civil", 7), ("navy", 1)])
def test_an_unknown_certificate_is_refused(tmp_path: Path, realm: str, generation: int) -> None:
    make_agency(tmp_path)
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    with pytest.raises(NotFoundError):
        distrust(tmp_path, realm, generation, PASSPHRASE)


def test_a_distrusted_certificate_is_listed_as_distrusted_since_when(tmp_path: Path) -> None:
    make_agency(tmp_path)
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    at = datetime(2026, 11, 27, 18, 5, 9, tzinfo=UTC)
    distrust(tmp_path, "civil", 1, PASSPHRASE, now=at)
    civil = {i.generation: i for i in list_certs(tmp_path) if i.role == "civil"}
    assert (civil[1].distrusted, civil[1].distrusted_at, civil[1].current) == (True, at, False)
    assert (civil[2].distrusted, civil[2].current) == (False, True)
    assert civil[1].as_dict()["distrusted_at"] == "2026-11-27T18:05:09+00:00"


def test_a_certificate_distrusted_before_the_time_was_kept_is_listed_without_one(
        tmp_path: Path) -> None:
    make_agency(tmp_path)
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    (tmp_path / "civil.1.cert.pem").replace(tmp_path / "civil.1.distrusted.pem")  # as it was
    [old] = [i for i in list_certs(tmp_path) if i.distrusted]
    assert (old.role, old.generation, old.distrusted_at) == ("civil", 1, None)


def test_a_certificate_is_distrusted_once(tmp_path: Path) -> None:
    """Run again, the distrust answers as the first did (its answer lost, or killed between
    the certificate's removal and the key's) and distrusts nothing more."""
    make_agency(tmp_path)
    keys.rotate(tmp_path, "civil", PASSPHRASE)
    first = distrust(tmp_path, "civil", 1, PASSPHRASE)
    folder = sorted(p.name for p in tmp_path.iterdir())
    assert distrust(tmp_path, "civil", 1, PASSPHRASE) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == folder
    with pytest.raises(NotFoundError, match="no trusted issuing certificate 3"):
        distrust(tmp_path, "civil", 3, PASSPHRASE)
