"""Typed settings read from the environment (prefix ``SIBOOK_``)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sibook.core.digits import IN_DIGITS
from sibook.core.errors import ServerFault
from sibook.core.private_files import private_temp, sync_folder

# The URL schemes that name PostgreSQL without naming a driver.
_POSTGRESQL = ("postgresql", "postgres")


class Settings(BaseSettings):
    # A variable set empty (SIBOOK_DATABASE_URL= in a shell or a unit file) is one not set.
    model_config = SettingsConfigDict(env_prefix="SIBOOK_", extra="ignore", env_ignore_empty=True)

    # SQLite file in the working directory is the embedded default; PostgreSQL in production
    # (e.g. postgresql+psycopg://user@host:5432/sibook).
    database_url: str = "sqlite:///sibook.db"
    # Where the agency's signing keys and certificates live (never inside the repository).
    keys_dir: str = "keys"
    # Passphrase that encrypts the private keys at rest (PKCS#8). Unset: `sibook keys init`
    # generates one into keys_dir/passphrase (mode 0600) for the embedded default.
    key_passphrase: str | None = None
    # How long a signed revocation list stays fresh (its signed next_update = signed_at + this,
    # as an X.509 CRL's nextUpdate): past it verifiers call the list stale. Re-signed on every
    # revocation and by `sibook keys refresh-revocations`, which a cron runs well within it.
    revocation_list_hours: Annotated[float, IN_DIGITS] = 24.0
    # The National Population Database service; unset: the store's population_citizens table.
    population_url: str | None = None
    # Refuse registrations of personal IDs the population database does not know. Off in the
    # embedded default, where only seeded citizens are on record.
    require_population_match: bool = False
    host: str = "127.0.0.1"
    # Addresses of the reverse proxies whose X-Forwarded-For names the client (comma-separated,
    # as uvicorn's forwarded_allow_ips). Unset: none is trusted, so a client cannot pick the
    # address the sign-in rate limit counts by sending the header itself.
    trusted_proxies: str = ""
    port: Annotated[int, IN_DIGITS] = 8000
    # How long a writer waits for a lock another holds (a filing holds the employer, and on
    # SQLite the whole store, for its transaction: a national-size list takes tens of seconds
    # on the embedded store) before the request is refused as busy, never waiting forever.
    lock_wait_seconds: Annotated[float, IN_DIGITS] = 120.0
    # The largest request body the API takes (413 beyond it), checked while the body arrives,
    # so no upload can fill the server's disk. A 100,000-worker CSV list is about 10 MB.
    max_upload_bytes: Annotated[int, IN_DIGITS] = 100 * 1024 * 1024

    # The portal's public address (e.g. https://sobhxh.example.gov.vn): a signed book's PDF prints
    # its check page there (SIBOOK_PUBLIC_URL/portal/verify). Unset: the page's path alone.
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _an_address_to_print(cls, url: str | None) -> str | None:
        """An http(s) address with a host, printed without its trailing slash: a reader types
        it from paper, so anything else is a mistake the operator should hear of at start."""
        if url is None:
            return None
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.query \
                or parts.fragment:
            raise ValueError("must be an http(s) address with a host and no query, such as "
                             "https://sobhxh.example.gov.vn")
        return url.strip().rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgresql_through_psycopg(cls, url: str) -> str:
        """``postgresql://`` (SQLAlchemy reads it as psycopg2's, which sibook does not ship)
        and ``postgres://`` (as hosting tools print it) name PostgreSQL: read through psycopg
        (3), the driver sibook ships. Any other kind is left for the engine to read or refuse."""
        scheme, sep, rest = url.partition("://")
        return f"postgresql+psycopg://{rest}" if sep and scheme.lower() in _POSTGRESQL else url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def make_keys_dir(path: Path) -> None:
    """Create the keys folder (SIBOOK_KEYS_DIR) when missing, owner-only (0700): it holds the
    agency's secrets (private keys, passphrase, token keys, each 0600), and no other account
    needs even their names. A folder that exists open to other accounts (made by hand, or
    copied with its modes) is made 0700 when it is this account's, as signing does when it
    reads the keys; another account's is left for signing to refuse by name."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:  # a file where the folder should be, or a parent not ours to write
        why = "a file is there" if path.exists() else exc.strerror or str(exc)
        raise ServerFault(f"the keys folder {path} (SIBOOK_KEYS_DIR) cannot be made: "
                          f"{why}") from exc
    folder = path.stat()
    if folder.st_mode & 0o077 and folder.st_uid == os.getuid():
        os.chmod(path, 0o700)
        logging.getLogger(__name__).warning(
            "the keys folder %s was open to other accounts (%04o): made 0700", path,
            stat.S_IMODE(folder.st_mode))


def secret_made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret in ``path`` (in the keys folder), made by ``make`` when there is none yet.

    Processes (or threads) asking at once all read the one secret that won: each writes its own
    to a private temporary file first and links it into place, which fails where one is already
    there, so no reader ever sees a file half written (an O_EXCL create of ``path`` itself let
    a second reader read it empty: a 500 on the first requests to a fresh keys folder)."""
    if not path.exists():
        make_keys_dir(path.parent)
        tmp = private_temp(path, make())
        try:
            with contextlib.suppress(FileExistsError):  # another made it first: theirs it is
                os.link(tmp, path)
        finally:
            tmp.unlink()
        sync_folder(path.parent)
    return path.read_bytes()
