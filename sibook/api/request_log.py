"""The server's request log (uvicorn's access log) without the personal data an address holds.

The API names a person in its paths (``/api/v1/books/001089012345/pdf``, an HI card number at
``/hi-cards/.../validity``), and the sign-in callback's query carries its one-time code: each
request line went to the server's log as it was, beside the caller's address, a record of who
looked at whom kept outside the access log and its rules (the access log itself names routes,
never the URL: ``access.deps.route_of``). ``sibook serve`` logs each request without its query
and with every path segment holding a run of digits as long as an identifier's (a personal ID,
an SI code, an HI card number) written ``{id}``; the method, the status and the address stay,
so the log still tells load and errors apart.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import uvicorn.config

# A segment with nine digits in a row or more: a personal ID (12), an SI code (10), an HI card
# (2 letters and 13 digits), with whatever was pasted around it (%20). Unit codes are public
# (10 digits, masked alike); a declaration job's id (hex) rarely holds such a run.
IDENTIFIER = re.compile(r"[^/]*[0-9]{9,}[^/]*")
MASK = "{id}"


def without_identifiers(target: str) -> str:
    """A request's path and query as the log keeps it: the path alone, identifiers masked."""
    return IDENTIFIER.sub(MASK, target.partition("?")[0])


class WithoutIdentifiers(logging.Filter):
    """Rewrites uvicorn's access record (client, method, target, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], without_identifiers(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, its access lines passed through the filter."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["without_identifiers"] = {"()": WithoutIdentifiers}
    config["handlers"]["access"]["filters"] = ["without_identifiers"]
    return config
