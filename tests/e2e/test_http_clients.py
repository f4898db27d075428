"""The HTTP clients (ours, authlib's, the test client) are httpx2. On httpx, Starlette's test
client and authlib's OAuth client warn that it is deprecated; and with httpx2 installed,
authlib's client fails with httpx2's errors, which a sign-in catching httpx's would miss."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from joserfc.jwk import KeySet, RSAKey

from sibook.access import jwks, oidc_client
from sibook.access.principals import Unauthenticated
from sibook.access.settings import AccessSettings
from tests.servers import free_port, serving

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_importing_the_http_clients_warns_of_nothing() -> None:
    modules = ("fastapi.testclient", "authlib.integrations.httpx_client",
               "sibook.access.oidc_client", "sibook.access.jwks", "sibook.registry.population")
    imported = subprocess.run(
        [sys.executable, "-W", "error", "-c",
         "; ".join(f"import {m}" for m in modules)],
        capture_output=True, text=True, check=False)
    assert imported.returncode == 0, imported.stderr


@pytest.fixture
def issuer_without_token_endpoint() -> Iterator[str]:
    """An e-identity provider whose discovery answers, naming a token endpoint that does not."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    keys = KeySet([RSAKey.generate_key(2048)]).as_dict(private=False)
    provider = FastAPI()

    @provider.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, str]:
        return {"issuer": issuer, "jwks_uri": f"{issuer}/jwks",
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{UNREACHABLE}/token"}

    @provider.get("/jwks")
    def published_keys() -> dict[str, object]:
        return keys

    jwks.forget()
    with serving(provider, port):
        yield issuer
    jwks.forget()


def test_a_token_endpoint_that_cannot_be_reached_fails_the_sign_in(
        issuer_without_token_endpoint: str) -> None:
    settings = AccessSettings(oidc_issuer=issuer_without_token_endpoint,
                              oidc_client_secret="secret")
    with pytest.raises(Unauthenticated):
        oidc_client._exchange(settings, "code", "verifier")
