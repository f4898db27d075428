"""Revocation of book versions (a version may be suspended on suspected fraud, with a reason).

``RevocationStatus`` is what verification asks; a database-backed store can answer it later.
``RevocationList`` is the file-backed answer, one file per realm, each signed by that realm's
issuing key so that a verifier holding only the trust list can tell it was not edited:
``keys_dir/revocations.json`` (civil, the list the agency publishes) and
``revocations-defence.json``, ``revocations-public_security.json``. A realm's list names only
that realm's people, so publishing the civil list discloses nobody of the other two.

Freshness, as an X.509 CRL's thisUpdate/nextUpdate (RFC 5280 §5.1.2.4-5): a list carries
``signed_at`` and ``next_update`` (signed_at + SIBOOK_REVOCATION_LIST_HOURS, default 24),
signed with its entries, so a verifier handed an old copy, or an attacker replaying one from
before a revocation, can tell that it is stale. The list is re-signed on every revocation, by
``sibook keys refresh-revocations`` (a cron, well inside the window) and by the server when it
finds its own list stale (``current_lists``). A list written before ``next_update`` existed
still loads (its signature covers entries and signed_at only) and is stale; so is a missing
list. What a stale list makes of a book is ``verify``'s decision.

File shape::

    {"entries": [{"personal_id", "version", "reason", "revoked_at", "book_hash"}...],
     "lifted": [{...an entry's keys, "reinstated_at"}...],
     "signed_at": ISO,
     "next_update": ISO, "kid": hex, "signature": base64 DER ECDSA-SHA256 over the canonical
     JSON of {"entries", "lifted", "signed_at", "next_update"} (sorted keys, no spaces, UTF-8)}

``lifted`` keeps the revocations reinstated, in the agency's own lists only (never published),
so a retried reinstatement is answered as the first was, not as a version never revoked; a
list without any (as written before it existed) has no ``lifted`` key, and its signature covers
none.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, NotFoundError, SibookError, ValidationError
from sibook.core.private_files import write_private
from sibook.signing import certs
from sibook.signing.keys import Signer, file_lock
from sibook.signing.trust_list import TrustList, validity_problem

REVOCATIONS_FILE = "revocations.json"
T = TypeVar("T")
PUBLISHED_REALM = "civil"  # the only list the public sees
MAX_LIST_HOURS = 366 * 24  # a list vouching for more than a year vouches for nothing
_log = logging.getLogger(__name__)


def revocations_file(realm: str) -> str:
    """The file name of a realm's revocation list (the civil one keeps the plain name)."""
    return REVOCATIONS_FILE if realm == "civil" else f"revocations-{realm}.json"


def list_validity() -> timedelta:
    """How long a list signed now stays current: SIBOOK_REVOCATION_LIST_HOURS. Read here, the
    one setting this package reads, because revocations are saved by callers that name none."""
    hours = get_settings().revocation_list_hours
    if not (math.isfinite(hours) and 0 < hours <= MAX_LIST_HOURS):
        raise ValidationError(field="SIBOOK_REVOCATION_LIST_HOURS", reason=(
            f"must be more than 0 and at most {MAX_LIST_HOURS} hours, got {hours}"))
    return timedelta(hours=hours)


class RevocationStatus(Protocol):
    def is_revoked(self, personal_id: str, version: int,
                   book_hash: str | None = None) -> str | None:
        """The reason this book version (of content hash ``book_hash``) is revoked, or None
        when it stands."""
        ...

    def staleness(self, realm: str, now: datetime) -> str | None:
        """Why the answers for books of ``realm`` may be out of date at ``now`` (a stale or
        missing list), or None when they are current. A live store answers None."""
        ...


@dataclass(frozen=True)
class Revocation:
    personal_id: str
    version: int
    reason: str
    revoked_at: str  # ISO 8601, UTC
    book_hash: str | None = None  # the version's content hash (not known for older entries)

    def stored(self) -> dict[str, Any]:
        """As the realm's own list keeps it (older entries without a book hash, as written)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def published(self) -> dict[str, Any] | None:
        """As the public sees it: which book version by its content hash, and when; never whose
        or why (a personal ID beside "suspected fraud" is personal data). None for an older
        entry without a hash, which only the agency's own list may name (``published``)."""
        if self.book_hash is None:
            return None
        return {"book_hash": self.book_hash, "revoked_at": self.revoked_at}


@dataclass(frozen=True)
class Lifted:
    """A revocation reinstated (the suspicion was cleared), and when."""

    revocation: Revocation
    reinstated_at: str  # ISO 8601, UTC

    def stored(self) -> dict[str, Any]:
        return {**self.revocation.stored(), "reinstated_at": self.reinstated_at}


@dataclass(frozen=True)
class Freshness:
    """Where a realm's list was read from, when it was signed and until when it is current."""

    realm: str | None
    source: str  # the file name (never the server's folders: the API shows it)
    signed_at: datetime | None = None  # None: there was no list
    next_update: datetime | None = None  # None also for a list of an earlier version

    def problem(self, now: datetime) -> str | None:
        """Why this list cannot vouch that nothing was revoked after it was signed, or None."""
        of = f"revocation list of the {self.realm} realm" if self.realm else "revocation list"
        if self.signed_at is None:
            return f"no {of} ({self.source}): revoked book versions cannot be known"
        signed = f"signed {_iso(self.signed_at)}"
        if self.next_update is None:
            return (f"the {of} ({self.source}, {signed}) has no next_update, as written by "
                    "an earlier version: treated as stale")
        if now >= self.next_update:
            return (f"the {of} ({self.source}, {signed}) is stale: its next_update "
                    f"{_iso(self.next_update)} has passed, and a version revoked since "
                    "would not show")
        return None


class RevocationList:
    """Revoked book versions, kept as a signed JSON file."""

    def __init__(self, entries: list[Revocation] | None = None, *,
                 freshness: Iterable[Freshness] = (),
                 by_hash: Mapping[str, str] | None = None,
                 lifted: Iterable[Lifted] = ()) -> None:
        self._entries = {(e.personal_id, e.version): e for e in entries or []}
        self._lifted = {(li.revocation.personal_id, li.revocation.version): li for li in lifted}
        # A published list's entries: book hash -> revoked_at (whose and why are not in it).
        self._by_hash = dict(by_hash or {})
        self._freshness = {f.realm: f for f in freshness}

    @property
    def entries(self) -> list[Revocation]:
        return sorted(self._entries.values(), key=lambda e: (e.personal_id, e.version))

    @property
    def lifted(self) -> list[Lifted]:
        return sorted(self._lifted.values(),
                      key=lambda li: (li.revocation.personal_id, li.revocation.version))

    def lifted_of(self, personal_id: str, version: int) -> Lifted | None:
        """The reinstatement of this version's last revocation, None when none is on record."""
        return self._lifted.get((personal_id, version))

    @property
    def freshness(self) -> list[Freshness]:
        """One per list file this was read from; none for a list made in memory."""
        return list(self._freshness.values())

    def is_revoked(self, personal_id: str, version: int,
                   book_hash: str | None = None) -> str | None:
        """The reason (a published list keeps none: when, then), or None when it stands."""
        entry = self._entries.get((personal_id, version))
        if entry is not None:
            return entry.reason
        at = self._by_hash.get(book_hash) if book_hash else None
        return f"revoked on {at}" if at is not None else None

    def public(self) -> RevocationList:
        """The same list as anyone may be answered from it: each entry says when, never why
        (the reason stays in the agency's own list, as with ``published``)."""
        return RevocationList(
            [replace(e, reason=f"revoked on {e.revoked_at}") for e in self._entries.values()],
            freshness=self.freshness, by_hash=self._by_hash)

    def staleness(self, realm: str, now: datetime) -> str | None:
        """A list made in memory is its maker's live view: current. One read from files says
        nothing of a realm whose list was not among them."""
        if not self._freshness:
            return None
        known = self._freshness.get(realm) or self._freshness.get(None)
        if known is None:
            return (f"no revocation list of the {realm} realm was given: revoked book versions "
                    "cannot be known")
        return known.problem(now)

    def revoke(self, personal_id: str, version: int, reason: str, *,
               at: datetime | None = None, book_hash: str | None = None) -> Revocation:
        """Revoke a version. Revoking it again for the same reason (a retried request) answers
        the revocation on record; for another reason it is refused: the first suspicion's time
        and reason stay in the signed list until the version is reinstated."""
        was = self._entries.get((personal_id, version))
        if was is not None:
            if was.reason == reason:
                return was
            raise ConflictError(f"version {version} of book {personal_id} is revoked since "
                                f"{was.revoked_at}; reinstate it before revoking it for "
                                "another reason", field="reason")
        entry = Revocation(personal_id, version, reason, _stamp(at), book_hash)
        self._entries[(personal_id, version)] = entry
        self._lifted.pop((personal_id, version), None)  # revoked again: lifted no longer
        return entry

    def hash_older(self, hashes: Mapping[tuple[str, int], str]) -> None:
        """Give the entries recorded before versions' hashes were kept the content hash of
        their version (``hashes``, by personal ID and version), so the published list can name
        them by it."""
        for key, entry in self._entries.items():
            if entry.book_hash is None and key in hashes:
                self._entries[key] = replace(entry, book_hash=hashes[key])

    def reinstate(self, personal_id: str, version: int, *, at: datetime | None = None
                  ) -> tuple[Lifted, bool] | None:
        """Lift a temporary revocation: the reinstatement and whether it was lifted before (a
        retried reinstatement, answered as the first); None when the version was never
        revoked (or only before lifted revocations were kept)."""
        entry = self._entries.pop((personal_id, version), None)
        if entry is None:
            before = self._lifted.get((personal_id, version))
            return None if before is None else (before, True)
        lifted = self._lifted[(personal_id, version)] = Lifted(entry, _stamp(at))
        return lifted, False

    def save(self, path: Path, signer: Signer, *, now: datetime | None = None,
             valid_for: timedelta | None = None) -> Freshness:
        """Sign the entries with ``signed_at`` = ``now`` and ``next_update`` = ``now`` +
        ``valid_for`` (default: ``list_validity()``), and replace the file atomically."""
        with _locked(path):
            return self._write(path, signer, now, valid_for)

    def _write(self, path: Path, signer: Signer, now: datetime | None,
               valid_for: timedelta | None) -> Freshness:
        signed_at = (now or datetime.now(UTC)).replace(microsecond=0)
        next_update = signed_at + (valid_for or list_validity())
        body: dict[str, Any] = {"entries": [e.stored() for e in self.entries],
                                "signed_at": _iso(signed_at), "next_update": _iso(next_update)}
        if self._lifted:  # none: the file as lists without lifted revocations were
            body["lifted"] = [li.stored() for li in self.lifted]
        signed = {**body, "kid": signer.key_id.hex(),
                  "signature": base64.b64encode(signer.sign(_canonical(body))).decode()}
        # Owner-only: the agency's own list names persons and why (a published copy is exported).
        # Replaced whole: a concurrent reader sees the old list or the new, never half.
        write_private(path, json.dumps(signed, ensure_ascii=False, indent=1).encode())
        return Freshness(certs.realm_of(signer.certificate), path.name, signed_at, next_update)

    @classmethod
    def load_realms(cls, keys_dir: Path, trust_list: TrustList,
                    realms: Iterable[str] = tuple(certs.REALMS), *,
                    refused: dict[str, ValidationError] | None = None) -> RevocationList:
        """The lists of ``realms`` kept in ``keys_dir``, each checked against its realm's key,
        as one (the agency's own view; personal IDs are national, so a person's versions are
        in one realm's list only), with each list's freshness. With ``refused``, a list the
        trust list cannot check is put there by realm and left out (it then reads as missing)
        instead of refusing them all: a trust list of one realm checks that realm's books."""
        loaded = []
        for realm in realms:
            try:
                loaded.append(cls.load(keys_dir / revocations_file(realm), trust_list,
                                       realm=realm))
            except ValidationError as exc:
                if refused is None:
                    raise
                refused[realm] = exc
        return cls([e for one in loaded for e in one.entries],
                   freshness=[f for one in loaded for f in one.freshness],
                   by_hash={h: at for one in loaded for h, at in one._by_hash.items()},
                   lifted=[li for one in loaded for li in one.lifted])

    @classmethod
    def load(cls, path: Path, trust_list: TrustList, *, realm: str | None = None
             ) -> RevocationList:
        """Read and check the file; a missing file is an empty list (and stale), an altered
        one refused, and with ``realm``, one signed by another realm's key too."""
        if not path.exists():
            return cls(freshness=[Freshness(realm, path.name)])
        return _read(path, trust_list, realm)[1]


def renew(path: Path, trust_list: TrustList, signer: Signer, *, realm: str,
          now: datetime | None = None, valid_for: timedelta | None = None) -> Freshness:
    """Re-sign a realm's list, entries unchanged, with a new ``next_update`` (a missing list is
    created empty; an altered one is refused, never re-signed). Under the list's lock, so a
    revocation saved meanwhile is not overwritten with the entries read before it."""
    return change(path, trust_list, signer, realm=realm, edit=lambda _: None, now=now,
                  valid_for=valid_for)[1]


def change(path: Path, trust_list: TrustList, signer: Signer, *, realm: str,
           edit: Callable[[RevocationList], T], now: datetime | None = None,
           valid_for: timedelta | None = None) -> tuple[T, Freshness]:
    """Read a realm's list, ``edit`` it and sign it again, all under the list's lock: two
    revocations at once both land (read and written apart, the second would drop the first)."""
    with _locked(path):
        revocations = RevocationList.load(path, trust_list, realm=realm)
        result = edit(revocations)
        return result, revocations._write(path, signer, now, valid_for)


def current_lists(keys_dir: Path, trust_list: TrustList, signer_for: Callable[[str], Signer],
                  *, realms: Iterable[str] = tuple(certs.REALMS),
                  now: datetime | None = None,
                  refused: dict[str, ValidationError] | None = None) -> RevocationList:
    """The realms' lists as the agency holding their keys serves them: each stale or missing
    one re-signed first. One whose key cannot be had (expired certificate, no passphrase,
    read-only folder) stays as it is, and its staleness then shows in what is verified. With
    ``refused``, an altered or unreadable list is put there and left out, as in
    ``RevocationList.load_realms``."""
    at = now or datetime.now(UTC)
    wanted = tuple(realms)
    for realm in wanted:
        path = keys_dir / revocations_file(realm)
        try:
            listed = RevocationList.load(path, trust_list, realm=realm)
        except ValidationError:
            if refused is None:
                raise
            continue  # refused below, never re-signed
        if listed.staleness(realm, at) is None:
            continue
        try:
            renew(path, trust_list, signer_for(realm), realm=realm, now=at)
        except (SibookError, OSError) as exc:
            _log.warning("the %s revocation list is stale and cannot be re-signed: %s",
                         realm, exc)
    return RevocationList.load_realms(keys_dir, trust_list, wanted, refused=refused)


def published(keys_dir: Path, trust_list: TrustList, signer_for: Callable[[str], Signer], *,
              now: datetime | None = None,
              hash_of: Callable[[str, int], str | None] | None = None) -> dict[str, Any]:
    """The signed civil list as it is published (re-signed first when stale, as
    ``current_lists`` does, or when signed by a key older than the current one, whose
    ``signed_at`` may precede the current certificate); never another realm's.

    Each entry is named by its version's content hash, never by a personal ID: an entry
    recorded before hashes were kept is given its version's hash by ``hash_of`` (personal ID,
    version -> the hash recorded, or None), written into the agency's list under its lock
    and signed anew; one no recorded version matches is left out (the server's log says so).
    """
    current_lists(keys_dir, trust_list, signer_for, realms=(PUBLISHED_REALM,), now=now)
    path = keys_dir / revocations_file(PUBLISHED_REALM)
    if not path.exists():
        raise NotFoundError(f"no {PUBLISHED_REALM} revocation list has been signed yet; run "
                            "`sibook keys refresh-revocations`")
    signer = signer_for(PUBLISHED_REALM)
    kept, revocations = _read(path, trust_list, PUBLISHED_REALM)
    older = [e for e in revocations.entries if e.book_hash is None]
    found = {(e.personal_id, e.version): h for e in older
             if hash_of is not None and (h := hash_of(e.personal_id, e.version)) is not None}
    # Signed before a rotation (sign it anew, now), or older entries to name by their hash.
    if kept["kid"] != signer.key_id.hex() or found:
        change(path, trust_list, signer, realm=PUBLISHED_REALM,
               edit=lambda listed: listed.hash_older(found), now=now)
        kept, revocations = _read(path, trust_list, PUBLISHED_REALM)
    left_out = len(older) - len(found)
    if left_out:
        _log.warning("%d civil revocation(s) recorded before book hashes were kept match no "
                     "recorded book version and are left out of the published list",
                     left_out)
    # The public form: the same window, each entry by its book hash only (Revocation.published),
    # signed by the same key.
    body = {"entries": sorted((p for e in revocations.entries if (p := e.published())),
                              key=lambda e: json.dumps(e, sort_keys=True)),
            "signed_at": kept["signed_at"]}
    if kept.get("next_update") is not None:  # one not re-signed since lists had it
        body["next_update"] = kept["next_update"]
    return {**body, "kid": signer.key_id.hex(),
            "signature": base64.b64encode(signer.sign(_canonical(body))).decode()}


def _read(path: Path, trust_list: TrustList, realm: str | None
          ) -> tuple[dict[str, Any], RevocationList]:
    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(signed, dict):
            raise TypeError("not a JSON object")
        body = {"entries": signed["entries"], "signed_at": signed["signed_at"]}
        for optional in ("next_update", "lifted"):  # absent from lists of earlier versions
            if signed.get(optional) is not None:
                body[optional] = signed[optional]
        kid = bytes.fromhex(signed["kid"])
        signature = base64.b64decode(signed["signature"], validate=True)
    except KeyError as exc:  # str(KeyError) is the bare key: say what is wrong with it
        raise _refused(path, f"malformed: it has no {exc.args[0]!r} (a list as `sibook "
                       "trust-list export-revocations` writes it has entries, signed_at, "
                       "next_update, kid and signature)") from exc
    except UnicodeDecodeError as exc:  # a ValueError, in Python's words ("'utf-8' codec...")
        raise _refused(path, f"malformed: not UTF-8 text (byte {exc.start + 1} is no "
                       "character), as the JSON `sibook trust-list export-revocations` writes "
                       "is") from exc
    except (ValueError, TypeError, binascii.Error) as exc:
        raise _refused(path, f"malformed: {exc}") from exc
    except RecursionError as exc:  # arrays nested past the parser's depth: no list is
        raise _refused(path, "malformed: JSON nested too deeply") from exc
    cert = _check_signature(path, trust_list, kid, signature, _canonical(body))
    signed_by = certs.realm_of(cert)
    if realm is not None and signed_by != realm:
        raise _refused(path, f"of the {realm} realm is signed by the {signed_by} realm's key")
    freshness = Freshness(signed_by, path.name, _instant(path, body["signed_at"]),
                          _instant(path, body.get("next_update")))
    # A key past its certificate signs nothing: not a list either (signed_at is signed too).
    expired = validity_problem(cert, freshness.signed_at) if freshness.signed_at else None
    if expired is not None:
        raise _refused(path, f"signed by a key that could not sign then: {expired}")
    entries, by_hash = [], {}
    for raw in body["entries"]:
        if isinstance(raw, dict) and "personal_id" not in raw and "book_hash" in raw:
            by_hash[str(raw["book_hash"])] = str(raw.get("revoked_at"))  # a published entry
        else:
            entries.append(_entry(path, raw))
    lifted = [_lifted(path, raw) for raw in body.get("lifted", [])]
    return signed, RevocationList(entries, freshness=[freshness], by_hash=by_hash,
                                  lifted=lifted)


def _check_signature(path: Path, trust_list: TrustList, kid: bytes, signature: bytes,
                     body: bytes) -> x509.Certificate:
    cert = trust_list.issuer(kid)
    if cert is None:
        raise _refused(path, f"signed by key id {kid.hex()}, which the trust list does not "
                             "hold (exported before a key rotation? export it again)")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _refused(path, "signing certificate is not an EC key")
    try:
        public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _refused(path, "bad signature: the file was altered after signing") from exc
    return cert


def _entry(path: Path, raw: Any) -> Revocation:
    try:
        hashed = raw.get("book_hash")
        return Revocation(str(raw["personal_id"]), int(raw["version"]),
                          str(raw.get("reason", "revoked")),  # published entries keep none
                          str(raw["revoked_at"]), None if hashed is None else str(hashed))
    except (KeyError, TypeError, ValueError) as exc:
        raise _refused(path, f"malformed entry {raw!r}") from exc


def _lifted(path: Path, raw: Any) -> Lifted:
    try:
        return Lifted(_entry(path, raw), str(raw["reinstated_at"]))
    except (KeyError, TypeError) as exc:
        raise _refused(path, f"malformed lifted entry {raw!r}") from exc


def _stamp(at: datetime | None) -> str:
    return (at or datetime.now(UTC)).isoformat(timespec="seconds")


def _instant(path: Path, raw: Any) -> datetime | None:
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise _refused(path, f"malformed time {raw!r}") from exc
    if at.tzinfo is None:
        raise _refused(path, f"time {raw!r} names no UTC offset")
    return at


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _locked(path: Path) -> AbstractContextManager[None]:
    """An exclusive lock on the list (a ``.lock`` file beside it) while it is rewritten."""
    return file_lock(path.with_name(f".{path.name}.lock"))


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _refused(path: Path, reason: str) -> ValidationError:
    return ValidationError(field=str(path), reason=f"revocation list {reason}")
