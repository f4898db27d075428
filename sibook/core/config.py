"""Typed settings read from the environment (prefix ``SIBOOK_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIBOOK_", extra="ignore")

    # SQLite file in the working directory is the embedded default; PostgreSQL in production
    # (e.g. postgresql+psycopg://user@host:5432/sibook).
    database_url: str = "sqlite:///sibook.db"
    # Where the agency's signing keys and certificates live (never inside the repository).
    keys_dir: str = "keys"
    # Passphrase that encrypts the private keys at rest (PKCS#8). Unset: `sibook keys init`
    # generates one into keys_dir/passphrase (mode 0600) for the embedded default.
    key_passphrase: str | None = None
    # The National Population Database service; unset: the store's population_citizens table.
    population_url: str | None = None
    # Refuse registrations of personal IDs the population database does not know. Off in the
    # embedded default, where only seeded citizens are on record.
    require_population_match: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # How long a writer waits for a lock another holds (a filing holds the employer, and on
    # SQLite the whole store, for its transaction: a national-size list takes tens of seconds
    # on the embedded store) before the request is refused as busy, never waiting forever.
    lock_wait_seconds: float = 120.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
