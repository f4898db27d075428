"""The e-identity issuer's signing keys, fetched by OIDC discovery and cached.

Keys are cached for five minutes and fetched again at most once a minute on an unknown ``kid``
(key rotation), so a flood of forged tokens cannot turn into a flood of requests to the issuer.
An unreachable issuer is a 503, never a 500, and never lets a token through.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
from joserfc.jwk import KeySet
from starlette import status
from starlette.exceptions import HTTPException

TTL, MIN_REFRESH, TIMEOUT = 300.0, 60.0, 5.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, KeySet, dict[str, Any]]] = {}


class IssuerUnavailable(HTTPException):
    def __init__(self) -> None:
        super().__init__(status.HTTP_503_SERVICE_UNAVAILABLE,
                         "the e-identity provider cannot be reached; try again later",
                         headers={"Retry-After": "30"})  # as the OpenAPI declares every 503


def _fetch(issuer: str) -> tuple[KeySet, dict[str, Any]]:
    try:
        meta = httpx2.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration",
                          timeout=TIMEOUT).raise_for_status().json()
        keys = httpx2.get(meta["jwks_uri"], timeout=TIMEOUT).raise_for_status().json()
        return KeySet.import_key_set(keys), meta
    except (httpx2.HTTPError, ValueError, KeyError) as exc:
        raise IssuerUnavailable() from exc


def _entry(issuer: str, refresh: bool = False) -> tuple[KeySet, dict[str, Any]]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(issuer)
        fresh = hit is not None and now - hit[0] < (MIN_REFRESH if refresh else TTL)
        if hit is not None and fresh:
            return hit[1], hit[2]
    keys, meta = _fetch(issuer)
    with _lock:
        _cache[issuer] = (now, keys, meta)
    return keys, meta


def issuer_keys(issuer: str, kid: str | None = None) -> KeySet:
    """The issuer's key set; fetched again (at most once a minute) when ``kid`` is not in it."""
    keys = _entry(issuer)[0]
    if kid is not None and all(k.kid != kid for k in keys.keys):
        keys = _entry(issuer, refresh=True)[0]
    return keys


def issuer_metadata(issuer: str) -> dict[str, Any]:
    """The issuer's discovery document (authorization, token and userinfo endpoints)."""
    return _entry(issuer)[1]


def forget(issuer: str | None = None) -> None:
    """Drop cached keys (tests; an operator after an emergency key rotation)."""
    with _lock:
        if issuer is None:
            _cache.clear()
        else:
            _cache.pop(issuer, None)
