"""Bearer tokens: ours verify; expired, forged, foreign, wrong-audience and 'none' ones do not."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from sibook.access import tokens
from sibook.access.principals import Citizen, EmployerUnit, Officer, Unauthenticated
from sibook.access.settings import AccessSettings


@pytest.fixture
def settings(tmp_path: Path) -> AccessSettings:
    return AccessSettings(keys_dir=str(tmp_path / "keys"))


def test_an_employer_token_round_trips_to_its_unit(settings: AccessSettings) -> None:
    token = tokens.issue({"sub": "acme", "kind": "employer", "unit_code": "0100000155"}, settings)
    assert tokens.authenticate(token, settings) == EmployerUnit("acme", "0100000155")


def test_an_officer_token_keeps_realm_province_and_roles(settings: AccessSettings) -> None:
    token = tokens.issue({"sub": "o1", "kind": "officer", "realm": "defence",
                          "province_code": "01", "roles": ["clerk"]}, settings)
    assert tokens.authenticate(token, settings) == Officer("o1", "defence", "01",
                                                           frozenset({"clerk"}))


def test_the_key_is_generated_once_with_owner_only_permissions(settings: AccessSettings) -> None:
    tokens.issue({"sub": "x", "kind": "hospital"}, settings)
    key_file = Path(settings.keys_dir) / "access-token-key.json"
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_file.parent.stat().st_mode & 0o777 == 0o700  # the keys folder it made, too


def test_the_first_requests_at_once_to_a_fresh_keys_folder_share_one_key(
        settings: AccessSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests arriving together before the key exists each made one; the one that lost the
    race to create the file failed (a 500) or read it still empty. All now read the winner's."""
    made = ECKey.generate_key

    def slow(*args: Any, **kwargs: Any) -> ECKey:
        time.sleep(0.05)  # each request is still making its key when the others look
        return made(*args, **kwargs)

    monkeypatch.setattr(ECKey, "generate_key", slow)
    tokens._load_key.cache_clear()
    start = threading.Barrier(6)

    def first_request() -> str:
        start.wait()
        return tokens._load_key(None, settings.keys_dir).thumbprint()

    with ThreadPoolExecutor(6) as pool:
        prints = list(pool.map(lambda _: first_request(), range(6)))
    tokens._load_key.cache_clear()
    assert len(set(prints)) == 1
    assert prints[0] == tokens.signing_key(settings).thumbprint()
    assert [p.name for p in Path(settings.keys_dir).iterdir()] == ["access-token-key.json"]


def test_a_keys_folder_open_to_others_is_made_owner_only_when_a_key_is_written(
        settings: AccessSettings) -> None:
    folder = Path(settings.keys_dir)
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # made by hand, the umask aside
    tokens.issue({"sub": "x", "kind": "hospital"}, settings)
    assert folder.stat().st_mode & 0o777 == 0o700


def test_an_expired_token_is_refused(settings: AccessSettings) -> None:
    token = tokens.issue({"sub": "acme", "kind": "hospital"}, settings, ttl=1)
    body = {"iss": "sibook", "aud": "sibook-api", "sub": "acme", "kind": "hospital",
            "exp": int(time.time()) - 120}
    key = tokens.signing_key(settings)
    stale = jwt.encode({"alg": "ES256"}, body, key, algorithms=["ES256"])
    assert tokens.authenticate(token, settings).kind == "hospital"
    with pytest.raises(Unauthenticated):
        tokens.authenticate(stale, settings)


def test_a_token_signed_by_another_key_is_refused(settings: AccessSettings) -> None:
    body = {"iss": "sibook", "aud": "sibook-api", "sub": "acme", "kind": "hospital",
            "exp": int(time.time()) + 600}
    forged = jwt.encode({"alg": "ES256"}, body, ECKey.generate_key("P-256", private=True),
                        algorithms=["ES256"])
    with pytest.raises(Unauthenticated):
        tokens.authenticate(forged, settings)


def test_a_login_cookie_is_not_a_bearer_token(settings: AccessSettings) -> None:
    cookie = tokens.issue({"sub": "acme", "kind": "hospital"}, settings, audience="sibook-login")
    with pytest.raises(Unauthenticated):
        tokens.authenticate(cookie, settings)


def test_an_unsigned_token_is_refused(settings: AccessSettings) -> None:
    unsigned = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJzaWJvb2siLCJraW5kIjoiaG9zcGl0YWwifQ."
    with pytest.raises(Unauthenticated):
        tokens.authenticate(unsigned, settings)


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "x.eyJpc3MiOjF9.y"])
def test_garbage_is_a_401_not_a_crash(settings: AccessSettings, junk: str) -> None:
    with pytest.raises(Unauthenticated):
        tokens.authenticate(junk, settings)


def test_the_acr_claim_sets_the_assurance_level(settings: AccessSettings) -> None:
    level2 = tokens.citizen_from_oidc({"personal_id": "001089012345", "acr": "2"}, settings)
    level1 = tokens.citizen_from_oidc({"personal_id": "001089012345", "acr": "1"}, settings)
    assert level2 == Citizen("001089012345", 2) and level1.level == 1


def test_an_identity_token_without_a_personal_id_is_refused(settings: AccessSettings) -> None:
    with pytest.raises(Unauthenticated):
        tokens.citizen_from_oidc({"sub": "abc", "acr": "2"}, settings)
