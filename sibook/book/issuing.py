"""Signing a book version: the agency's keys from settings, the QR payload, the cached PDF,
revocation and verification. The crypto itself is ``sibook.signing``'s.

The issuer is the person's realm (civil, defence, public_security): each realm signs with its
own issuing certificate (FACTS §1.2, defence and public-security books stay with their ministry).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sibook.book import versions
from sibook.book.card_image import card_png
from sibook.book.render_pdf import render_pdf
from sibook.book.versions import Version
from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, NotFoundError, ServerFault, ValidationError
from sibook.registry import reading as registry
from sibook.signing import certs, keys, status
from sibook.signing.claims import REALM_KEY
from sibook.signing.held import current_signer
from sibook.signing.keys import Signer
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import qr_png, sign_qr
from sibook.signing.status import Lifted, Revocation, RevocationList, revocations_file
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import VerifyResult, verify


@dataclass(frozen=True)
class Agency:
    """Where the keys are, and the passphrase that opens them."""

    keys_dir: Path
    passphrase: bytes | None  # None: none configured, as on a server that only verifies

    @property
    def cache_dir(self) -> Path:
        # Beside the keys, never inside them: cached PDFs are public documents.
        return self.keys_dir.resolve().parent / "cache" / "books"

    def signer(self, realm: str) -> Signer:
        """The realm's current signer; refused once its certificate has expired (what it
        signed would not verify: rotate the keys)."""
        if self.passphrase is None:
            raise keys.WrongPassphrase("no key passphrase: set SIBOOK_KEY_PASSPHRASE or run "
                                       "`sibook keys init`")
        signer = current_signer(self.keys_dir, realm, self.passphrase)
        expiry = signer.certificate.not_valid_after_utc
        if expiry < datetime.now(UTC):
            raise keys.KeyUnusable(f"the {realm} issuing certificate expired on "
                                   f"{expiry:%Y-%m-%d}; run `sibook keys rotate --realm "
                                   f"{realm}` to issue a new one")
        return signer

    def trust_list(self) -> TrustList:
        return TrustList.from_keys_dir(self.keys_dir)

    def revocations(self, realm: str | None = None) -> RevocationList:
        """One realm's signed revocation list, or all realms' merged. A list the agency's own
        trust list refuses (altered, or its key's certificate gone) is the server's fault, not
        the request's: ServerFault, its file named in the log and the CLI only."""
        realms = (realm,) if realm is not None else tuple(certs.REALMS)
        try:
            return RevocationList.load_realms(self.keys_dir, self.trust_list(), realms)
        except ValidationError as exc:
            raise ServerFault(f"the agency's revocation list cannot be read: {exc}") from exc


def agency(*, initialise: bool = True) -> Agency:
    """The configured agency; ``initialise`` creates the keys on a fresh machine (as
    ``sibook keys init`` would) so that exporting the first book just works. Without it (what
    verifies or publishes must never make keys) a fresh machine raises ``keys.NoKeys``. No
    passphrase is needed to verify (only to sign: ``signer`` says how to set one), so a server
    that holds none still verifies."""
    settings = get_settings()
    keys_dir = Path(settings.keys_dir)
    if not keys.has_keys(keys_dir):
        if not initialise:
            raise keys.NoKeys(keys_dir)
        keys.first_keys(keys_dir, settings.key_passphrase)
    try:
        return Agency(keys_dir, keys.resolve_passphrase(keys_dir, settings.key_passphrase))
    except NotFoundError:
        return Agency(keys_dir, None)


def known_revocations() -> RevocationList:
    """Every realm's revoked versions as the agency holds them, for a book's history: none
    before its keys exist (nothing could be revoked), and reading them never makes keys."""
    try:
        return agency(initialise=False).revocations()
    except keys.NoKeys:
        return RevocationList()


def history(session: Session, *, person_id: int, personal_id: str) -> dict[str, Any]:
    """Every version of the book, oldest first, each revoked or not (never why), and whether
    the hash chain is intact: ``sibook book history`` and GET .../versions answer it alike."""
    chain = versions.history(session=session, person_id=person_id)
    revoked = known_revocations()
    problems = versions.chain_problems(chain)
    return {"personal_id": personal_id, "chain_intact": not problems, "problems": problems,
            "versions": [{**v.summary(), "revoked": revoked.is_revoked(
                personal_id, v.version, v.content_hash) is not None} for v in chain]}


def qr_payload(v: Version, signer: Signer, issued_at: datetime) -> dict[str, Any]:
    """What the signed QR (and the PDF's /SIBook) says: enough to recognise the person, the
    exact book version and the realm whose issuer alone may sign it (``claims``)."""
    header = v.payload["header"]
    return {"personal_id": header["personal_id"], "name": header["full_name"],
            "birth_date": header["birth_date"], REALM_KEY: header["realm"], "version": v.version,
            "book_hash": v.content_hash, "totals": v.payload["totals"],
            "issued_at": issued_at.isoformat(timespec="seconds"), "kid": signer.key_id.hex()}


def issue_qr(v: Version, signer: Signer, *, now: datetime | None = None) -> str:
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    return sign_qr(qr_payload(v, signer, at), signer, issued_at=at)


def book_pdf(v: Version, a: Agency, *, now: datetime | None = None) -> bytes:
    """The signed PDF of a version, made once per signing key and payload format and then
    served from the cache (the key is in the name: after a rotation, or for another agency's
    keys beside these, the book is signed afresh by the current key, never served as another
    key signed it; so is the format, ``_cache_name``)."""
    header = v.payload["header"]
    refuse_revoked(v, a)
    signer = a.signer(header["realm"])
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    payload = qr_payload(v, signer, at)
    path = a.cache_dir / _cache_name(v, signer, payload)
    cached = _private_dir(a.cache_dir)
    if cached and path.exists():
        return path.read_bytes()
    qr = sign_qr(payload, signer, issued_at=at)
    unsigned = render_pdf(v.payload, version=v.version, content_hash=v.content_hash,
                          issuer=certs.REALMS.get(header["realm"], header["realm"]),
                          issued_at=payload["issued_at"], qr_png=qr_png(qr, scale=3),
                          public_url=get_settings().public_url)
    signed = sign_pdf(unsigned, signer, book=payload)
    if cached:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(signed)
        tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none
        for older in a.cache_dir.glob(f"{_cache_stem(v, signer)}*.pdf"):
            if older != path:  # the same book and key in an older format: never served again
                older.unlink(missing_ok=True)
    return signed


def _cache_stem(v: Version, signer: Signer) -> str:
    return (f"{v.payload['header']['personal_id']}-v{v.version}-{v.content_hash[:16]}"
            f"-{signer.key_id.hex()}")


def _cache_name(v: Version, signer: Signer, payload: dict[str, Any]) -> str:
    """A cached PDF's name: the book version, the key, and the payload's format, the names of
    what it signs: a PDF cached by a sibook whose payload had other keys (before the realm was
    signed in it, named without a format) is made again on its next export, not served."""
    signed_keys = hashlib.sha256(",".join(sorted(payload)).encode()).hexdigest()[:8]
    return f"{_cache_stem(v, signer)}-p{signed_keys}.pdf"


def _private_dir(directory: Path) -> bool:
    """Whether ``directory`` (made if missing) and its parent are this account's and no one
    else's to write: a cached PDF is handed out as the agency's, so a cache where another
    account can put files (keys in /tmp/x put it in /tmp/cache) is not used at all."""
    try:
        directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        stats = [d.stat() for d in (directory, directory.parent)]
    except OSError:
        return False
    return all(st.st_uid == os.getuid() and not st.st_mode & 0o022 for st in stats)


def refuse_revoked(v: Version, a: Agency) -> None:
    """A revoked version is not handed out again, signed afresh: it would verify as revoked.
    It stands again when the agency lifts the revocation, or a change of facts makes a new
    version."""
    header = v.payload["header"]
    personal_id = header["personal_id"]
    reason = a.revocations(header["realm"]).is_revoked(personal_id, v.version, v.content_hash)
    if reason is not None:  # why is the approvers' own: the holder may be the one suspected
        raise ConflictError(f"version {v.version} of book {personal_id} is revoked by the "
                            "agency until it is reinstated or a new version is issued; the SI "
                            "office that manages the book can say more",
                            field="personal_id")  # the book asked for: PERSONAL_ID, as the CLI


def published_revocations(session: Session, a: Agency) -> dict[str, Any]:
    """The civil list as the public is given it (``status.published``): a revocation recorded
    before versions' hashes were kept is named by the hash its version has on record here,
    never by whose book it is."""

    def hash_of(personal_id: str, version: int) -> str | None:
        person_id = registry.registered_id(session=session, personal_id=personal_id)
        found = None if person_id is None else versions.get(session=session,
                                                             person_id=person_id,
                                                             version=version)
        return None if found is None else found.content_hash

    return status.published(a.keys_dir, a.trust_list(), a.signer, hash_of=hash_of)


def revoke(a: Agency, *, personal_id: str, version: int, reason: str, realm: str,
           book_hash: str | None = None) -> Revocation:
    """Suspend one book version (suspected fraud); the signed list is rewritten. A realm's list
    names its own people only; ``book_hash`` (the version's content hash) is what the
    published list shows instead of whose book it is."""
    return status.change(a.keys_dir / revocations_file(realm), a.trust_list(), a.signer(realm),
                         realm=realm, edit=lambda r: r.revoke(personal_id, version, reason,
                                                              book_hash=book_hash))[0]


def reinstate(a: Agency, *, personal_id: str, version: int, realm: str) -> Lifted | None:
    """Lift a temporary revocation (the suspicion was cleared): the version verifies as valid
    again and may be handed out. A version lifted before (a retried reinstatement) answers that
    reinstatement; None when it was never revoked. Nothing is rewritten for either."""
    path = a.keys_dir / revocations_file(realm)
    listed = a.revocations(realm)
    if listed.is_revoked(personal_id, version) is None:
        return listed.lifted_of(personal_id, version)
    done = status.change(path, a.trust_list(), a.signer(realm), realm=realm,
                         edit=lambda r: r.reinstate(personal_id, version))[0]
    return None if done is None else done[0]


MAX_REASON = 200  # it is signed into the realm's list and shown to officers; a sentence


def revoke_version(session: Session, a: Agency, *, person_id: int, personal_id: str,
                   version: int, reason: str) -> Revocation:
    """Revoke a recorded version of the person's book, in the list of the book's own realm and
    by the content hash the version's PDF and QR carry."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError(field="reason", reason="say why the version is revoked, in at "
                              f"most {MAX_REASON} characters")
    found = _recorded(session, person_id, personal_id, version)
    return revoke(a, personal_id=personal_id, version=version, reason=reason,
                  realm=found.payload["header"]["realm"], book_hash=found.content_hash)


class NotRevoked(ConflictError):
    """A reinstatement of a version that is not revoked (409): the version asked is the
    caller's to change."""


def reinstate_version(session: Session, a: Agency, *, person_id: int, personal_id: str,
                      version: int) -> Lifted:
    """Lift the revocation of a recorded version (answered as before when lifted already);
    refused when it was never revoked."""
    found = _recorded(session, person_id, personal_id, version)
    lifted = reinstate(a, personal_id=personal_id, version=version,
                       realm=found.payload["header"]["realm"])
    if lifted is None:
        raise NotRevoked(f"version {version} of book {personal_id} is not revoked, and no "
                         "reinstatement of it is on record: it verifies as valid, nothing to "
                         "lift", field="version")
    return lifted


def _recorded(session: Session, person_id: int, personal_id: str, version: int) -> Version:
    found = versions.get(session=session, person_id=person_id, version=version)
    if found is None:
        raise versions.NoVersion(personal_id, version)
    return found


def check(data: bytes, trust_list: TrustList,
          revocations: RevocationList | None) -> VerifyResult:
    return verify(data, trust_list=trust_list, status=revocations)


def hi_card(v: Version, a: Agency, *, on: datetime | None = None) -> tuple[dict[str, Any], bytes]:
    """The HI card valid at ``on`` (else the latest) from a book version, with its signed QR
    text under ``qr`` (``signing.card.verify_card`` checks it), and its PNG."""
    shown, qr = card_qr(v, a, on=on)
    return {**shown, "qr": qr}, card_png(shown, qr_png(qr, scale=4))


def card_qr(v: Version, a: Agency, *, on: datetime | None = None) -> tuple[dict[str, Any], str]:
    """The HI card valid at ``on`` (else the latest) from a book version, as its image shows
    it, and its signed QR text, without drawing the image."""
    at = (on or datetime.now(UTC)).replace(microsecond=0)
    cards = v.payload["hi_periods"]
    if not cards:
        raise NotFoundError(f"book {v.payload['header']['personal_id']} has no HI card",
                            field="personal_id")
    # The day on the server's clock (TZ, as a check's "today" is), not UTC's: from 00:00 to
    # 07:00 in Vietnam UTC's is still yesterday, and a card that began today was not shown.
    today = at.astimezone().date().isoformat()
    card = next((c for c in reversed(cards) if c["valid_from"] <= today <= c["valid_to"]),
                cards[-1])
    header = v.payload["header"]
    signer = a.signer(header["realm"])
    # No book_hash: it keys the public revocation list, so whoever scans a card (a hospital)
    # could find there a suspicion about the book, which the card does not share.
    payload = {"personal_id": header["personal_id"], "name": header["full_name"],
               "birth_date": header["birth_date"], REALM_KEY: header["realm"],
               "version": v.version, **card,
               "issued_at": at.isoformat(timespec="seconds"), "kid": signer.key_id.hex()}
    shown = {**card, "full_name": header["full_name"], "birth_date": header["birth_date"],
             "issuer": certs.REALMS.get(header["realm"], header["realm"])}
    return shown, sign_qr(payload, signer, issued_at=at)
