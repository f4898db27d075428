"""A sliding-window rate limit for the credential endpoints, per client address.

In-process memory: it holds per server process. Behind several workers, put the same limit at
the gateway too; the database lockout (credentials.py) is the limit that holds everywhere.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from sibook.access.principals import TooManyRequests
from sibook.access.settings import get_access_settings

WINDOW = 60.0
_lock = threading.Lock()
_hits: dict[str, deque[float]] = {}


def hit(key: str, limit: int, now: float | None = None, window: float = WINDOW,
        count: bool = True) -> int | None:
    """Count one request (``count``: else only look); seconds to wait when over ``limit`` in
    the last ``window`` seconds, else None."""
    now = time.monotonic() if now is None else now
    with _lock:
        q = _hits.setdefault(key, deque())
        while q and now - q[0] >= window:
            q.popleft()
        if len(q) >= limit:
            return int(window - (now - q[0])) + 1
        if not count:
            return None
        q.append(now)
        if len(_hits) > 100_000:  # bound memory under address-spraying
            _hits.clear()
        return None


def address_of(request: Request) -> str:
    """The caller's address (a trusted proxy's X-Forwarded-For already applied by the server)."""
    return request.client.host if request.client else "unknown"


# Set by the retry middleware (sibook.api.retry) on a request it may run again: the keys the
# request was counted under already, so an attempt run again is not counted a second time.
COUNTED = "sibook.ratelimit.counted"


def limit(request: Request, bucket: str, *, who: str | None = None,
          per_minute: int | None = None) -> None:
    """Refuse with 429 (and Retry-After) when ``who`` (default: this address) exceeds the
    per-minute budget (default: the credential endpoints'). A request is counted once, however
    many times it is run."""
    key = f"{bucket}:{address_of(request) if who is None else who}"
    counted: set[str] | None = request.scope.get(COUNTED)
    if counted is not None and key in counted:
        return  # an attempt run again: the request passed the limit on its first (its count
        # may now be the budget's last, which a look would take for one over it)
    wait = hit(key, get_access_settings().auth_rate_per_minute if per_minute is None
               else per_minute)
    if wait is not None:
        raise TooManyRequests(wait)
    if counted is not None:
        counted.add(key)


def reset() -> None:
    with _lock:
        _hits.clear()
