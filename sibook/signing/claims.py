"""What a signed book or HI card says of itself, held to its signer and to the verifier's
clock: the realm it names must be the signing certificate's, and it cannot have been issued
later than now. Pure; each check answers the reason it refuses, or None.

A signature proves only who signed, not that the signer was the one to sign this book: each
realm's issuer signs its own people's books (civil SI agency, defence, public security), so a
defence key's signature on a civil book is no book of the agency's. Payloads issued before
``REALM_KEY`` was written name no realm, and are held to nothing here, as before: they were
signed by certificates made before, which lack ``certs.PAYLOADS_NAME_REALM``; a certificate
that has it signs only payloads that name their realm.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509

from sibook.signing import certs

REALM_KEY = "realm"  # in a book's and an HI card's signed payload since it was added
# How far ahead of the verifier's clock a signer's may run before what it signed counts as
# issued in the future: machines synchronised by NTP drift apart by seconds, one that missed
# synchronisation for a day or so by a minute or two. Beyond this, the signer wrote a time
# it had not reached: a clock set wrong, or a date chosen to outlive a key's distrust.
CLOCK_SKEW = timedelta(minutes=5)
ISSUED_IN_FUTURE = "issued in the future"
OTHER_REALM = "signed by another realm's key"
NO_REALM = "the signed payload names no realm"


def realm_problem(payload: Mapping[str, Any], signer: x509.Certificate) -> str | None:
    """Why a payload naming a realm may not be signed by ``signer``, or None."""
    signing = certs.realm_of(signer)
    if REALM_KEY not in payload:  # as issued before payloads named their realm, or forged
        return None if not certs.names_realm(signer) else (
            f"{NO_REALM}, which every payload the certificate {certs.common_name(signer)!r} "
            f"of the {signing!r} realm signs names")
    named = payload[REALM_KEY]
    if named == signing:
        return None
    return (f"{OTHER_REALM}: issued for the {named!r} realm, signed by the certificate "
            f"{certs.common_name(signer)!r} of the {signing!r} realm")


def future_problem(issued: datetime | None, now: datetime) -> str | None:
    """Why an issue time (``latest_issue``) cannot be true at ``now``; None when there is
    none to judge."""
    if issued is None or issued <= now + CLOCK_SKEW:
        return None
    return (f"{ISSUED_IN_FUTURE}: {issued.isoformat()}, later than the verifier's clock "
            f"{now.replace(microsecond=0).isoformat()} by more than the "
            f"{int(CLOCK_SKEW.total_seconds() // 60)} minutes clocks may differ")


def latest_issue(signed_at: datetime | None, payload: Mapping[str, Any]) -> datetime | None:
    """The later of the signature's own time and the ``issued_at`` the payload states (what
    the PDF prints), either of them missing or unreadable left out."""
    stated = payload.get("issued_at")
    try:
        said = datetime.fromisoformat(stated) if isinstance(stated, str) else None
    except ValueError:
        said = None
    # The agency writes UTC offsets; a time without one (a PDF date may omit it) is no
    # moment to compare.
    times = [t for t in (signed_at, said) if t is not None and t.tzinfo is not None]
    return max(times) if times else None
