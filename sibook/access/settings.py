"""Settings of the access part, from the environment (prefix ``SIBOOK_``). No secret defaults."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from sibook.core.digits import IN_DIGITS


class AccessSettings(BaseSettings):
    # A variable set empty (SIBOOK_DATABASE_URL= in a shell or a unit file) is one not set.
    model_config = SettingsConfigDict(env_prefix="SIBOOK_", extra="ignore", env_ignore_empty=True)

    # Shared with sibook.core.config: where generated keys live (gitignored, never committed).
    keys_dir: str = "keys"
    # Private JWK (JSON) that signs the project's own tokens. Unset: generated once into
    # keys_dir/access-token-key.json with mode 0600.
    access_token_key: str | None = None
    access_token_issuer: str = "sibook"
    access_token_audience: str = "sibook-api"
    # Short-lived bearer tokens: a revoked credential stops working within this many seconds.
    access_token_ttl: Annotated[PositiveInt, IN_DIGITS] = 600
    # A portal session (the citizen's cookie) is renewed on activity, a fresh token of the
    # same TTL, but never past this many seconds from its sign-in: then sign in again. Both
    # positive: 0 would end every session (every token) at once, which no operator means.
    portal_session_max_seconds: Annotated[PositiveInt, IN_DIGITS] = 8 * 3600

    # The national e-identity provider (VNeID level 2 in production); the dev provider locally.
    oidc_issuer: str = "http://127.0.0.1:8000/dev-idp"
    oidc_client_id: str = "sibook"
    oidc_client_secret: str | None = None
    oidc_redirect_uri: str = "http://127.0.0.1:8000/api/v1/auth/callback"
    oidc_scope: str = "openid profile"
    oidc_personal_id_claim: str = "personal_id"
    # acr values that mean "level 2" (JSON list in the environment).
    oidc_level2_acr: list[str] = ["2"]
    # The login cookie is Secure (HTTPS only) unless a loopback dev setup turns it off.
    cookie_secure: bool = True

    # Development identity provider, mounted at /dev-idp when true. Never in production.
    dev_idp: bool = False
    dev_idp_password: str | None = None

    # Credential endpoints: requests per minute per client address, and lockout after
    # lockout_threshold failures within lockout_minutes, lifting by itself after as long (a
    # client: from one address; lockout_client_threshold from all addresses together).
    auth_rate_per_minute: Annotated[int, IN_DIGITS] = 20
    lockout_threshold: Annotated[int, IN_DIGITS] = 5
    lockout_client_threshold: Annotated[int, IN_DIGITS] = 100
    lockout_minutes: Annotated[int, IN_DIGITS] = 15
    # Declarations filed over HTTP per minute per unit (whatever its address): each checks
    # the names on its lines against the registered ones, which must not become a way to
    # probe a stranger's name by personal ID, filing after filing. One a second on average:
    # payroll software re-filing a year of months, or a unit's batches, in one burst stays
    # under it (10 stopped such a burst at its eleventh month).
    declaration_rate_per_minute: Annotated[int, IN_DIGITS] = 60
    # A health facility's failed HI checks at admission (sibook.access.hi_checks) an hour per
    # credential: a number nobody holds (or a ministry's person's), or a card number whose SI
    # code is held but which is not the card on record. Each one is otherwise a free guess of
    # a known SI code's group, benefit level and province. 60, one a minute on average: the
    # busiest hospitals admit about 10,000 patients a day, nearly all checked by the chip ID
    # or VNeID; a number is typed only when those fail, and its typing mistakes run to tens a
    # day, a handful an hour at the morning peak, a re-check of each included. Past it the
    # credential's every check is a 429 until the earliest of them is 60 minutes old (in any
    # 60 minutes, not per clock hour: ``sliding_window``). Its claim files' records naming a
    # person not as registered count too (a guess of whose an ID is): their patients were
    # checked at admission, so an honest file holds few.
    hi_check_failures_per_hour: Annotated[PositiveInt, IN_DIGITS] = 60


@lru_cache(maxsize=1)
def get_access_settings() -> AccessSettings:
    return AccessSettings()
