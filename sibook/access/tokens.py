"""Bearer tokens: the project's own (client credentials, signed-in citizens) and the issuer's.

Security choices:
- Own tokens are JWTs signed with ES256 (ECDSA P-256); only ES256 is accepted back, so neither
  ``none`` nor an HMAC key-confusion token can pass.
- Issuer tokens (OIDC) are accepted only as RS256/ES256 signed by a key from the issuer's JWKS,
  with ``iss``, ``aud`` and ``exp`` checked (30 s leeway for clock skew).
- The unverified ``iss`` of an incoming token only chooses which key set to try; nothing in it is
  trusted until the signature verifies.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from sibook.access.jwks import issuer_keys
from sibook.access.principals import (
    CIVIL,
    Citizen,
    EmployerUnit,
    Hospital,
    Officer,
    Principal,
    Unauthenticated,
)
from sibook.access.settings import AccessSettings, get_access_settings
from sibook.core.config import secret_made_once

OWN_ALGS = ["ES256"]
OIDC_ALGS = ["RS256", "ES256"]
LEEWAY = 30


@lru_cache(maxsize=4)
def _load_key(inline: str | None, keys_dir: str) -> ECKey:
    if inline:
        return ECKey.import_key(json.loads(inline))
    made = secret_made_once(Path(keys_dir) / "access-token-key.json", lambda: json.dumps(
        ECKey.generate_key("P-256", private=True).as_dict(private=True)).encode())
    return ECKey.import_key(json.loads(made))


def signing_key(settings: AccessSettings | None = None) -> ECKey:
    s = settings or get_access_settings()
    return _load_key(s.access_token_key, s.keys_dir)


def public_jwks(settings: AccessSettings | None = None) -> dict[str, Any]:
    key = signing_key(settings)
    return {"keys": [{**key.as_dict(private=False), "kid": key.thumbprint(), "alg": "ES256",
                      "use": "sig"}]}


def issue(claims: dict[str, Any], settings: AccessSettings | None = None, *,
          audience: str | None = None, ttl: int | None = None,
          issued_at: int | None = None) -> str:
    """A token of ours. Another ``audience`` (e.g. the login cookie's) is never a bearer token.
    ``claims``' own ``iss``, ``aud``, ``iat``, ``exp`` and ``jti`` are replaced by this
    token's. ``issued_at`` (Unix seconds; default now) lets a test mint an aged token."""
    s = settings or get_access_settings()
    key = signing_key(s)
    now = int(time.time()) if issued_at is None else issued_at
    body = {**claims, "iss": s.access_token_issuer, "aud": audience or s.access_token_audience,
            "iat": now, "exp": now + (ttl or s.access_token_ttl), "jti": uuid.uuid4().hex}
    return jwt.encode({"alg": "ES256", "kid": key.thumbprint()}, body, key, algorithms=OWN_ALGS)


def _validate(token: str, key: ECKey | KeySet, algs: list[str], iss: str, aud: str,
              ) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, key, algorithms=algs)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY, iss={"essential": True, "value": iss},
            aud={"essential": True, "value": aud}, exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise Unauthenticated() from exc
    return dict(decoded.claims)


def verify_own(token: str, audience: str, settings: AccessSettings | None = None,
               ) -> dict[str, Any]:
    """The claims of a valid token of ours. One of a portal session (its ``auth_time``) is
    refused past the session's cap too, however recently it was renewed."""
    s = settings or get_access_settings()
    claims = _validate(token, signing_key(s), OWN_ALGS, s.access_token_issuer, audience)
    auth_time = claims.get("auth_time")
    if auth_time is not None and not (isinstance(auth_time, int) and time.time()
                                      <= auth_time + s.portal_session_max_seconds + LEEWAY):
        raise Unauthenticated()
    return claims


def _unverified(token: str, part: int, name: str) -> str | None:
    try:
        segment = token.split(".")[part]
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        value = data.get(name)
    except (IndexError, ValueError, AttributeError, TypeError) as exc:
        raise Unauthenticated() from exc
    return value if isinstance(value, str) else None


def token_id(token: str) -> str | None:
    """The ``jti`` of a token ``authenticate`` has already validated (for revocation)."""
    return _unverified(token, 1, "jti")


def session_id(token: str) -> str | None:
    """The portal session (``sid``) of a token ``authenticate`` has already validated; None
    for a bearer token of no portal session."""
    return _unverified(token, 1, "sid")


def unverified_issuer(token: str) -> str:
    iss = _unverified(token, 1, "iss")
    if iss is None:
        raise Unauthenticated()
    return iss


def verify_oidc(token: str, settings: AccessSettings | None = None) -> dict[str, Any]:
    """Claims of an ID token (or JWT access token) from the configured e-identity issuer."""
    s = settings or get_access_settings()
    keys = issuer_keys(s.oidc_issuer, kid=_unverified(token, 0, "kid"))
    return _validate(token, keys, OIDC_ALGS, s.oidc_issuer,
                     s.oidc_client_id)


def citizen_from_oidc(claims: dict[str, Any], settings: AccessSettings | None = None) -> Citizen:
    s = settings or get_access_settings()
    personal_id = claims.get(s.oidc_personal_id_claim)
    if not isinstance(personal_id, str) or re.fullmatch("[0-9]{12}", personal_id) is None:
        raise Unauthenticated("the e-identity token carries no personal ID")
    level = 2 if str(claims.get("acr", "")) in s.oidc_level2_acr else 1
    return Citizen(personal_id=personal_id, level=level)


def principal_from_own(claims: dict[str, Any]) -> Principal:
    kind, sub = claims.get("kind"), str(claims.get("sub", ""))
    if kind == "citizen":
        return Citizen(personal_id=str(claims["personal_id"]), level=int(claims["level"]))
    if kind == "officer":
        return Officer(client_id=sub, realm=str(claims.get("realm", CIVIL)),
                       province_code=claims.get("province_code"),
                       roles=frozenset(claims.get("roles", [])))
    if kind == "employer":
        return EmployerUnit(client_id=sub, unit_code=str(claims["unit_code"]),
                            realm=str(claims.get("realm", CIVIL)))
    if kind == "hospital":
        facility = claims.get("facility_code")
        return Hospital(client_id=sub, facility_code=facility if isinstance(facility, str)
                        else None)
    raise Unauthenticated()


def authenticate(token: str, settings: AccessSettings | None = None) -> Principal:
    """The principal a bearer token stands for; 401 for anything expired, forged or foreign."""
    s = settings or get_access_settings()
    iss = unverified_issuer(token)
    if iss == s.access_token_issuer:
        claims = verify_own(token, s.access_token_audience, s)
        try:
            return principal_from_own(claims)
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthenticated() from exc
    if iss == s.oidc_issuer:
        return citizen_from_oidc(verify_oidc(token, s), s)
    raise Unauthenticated()
