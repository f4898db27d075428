"""Authlib's authorization server, wired for the development identity provider (in memory).

Codes live 5 minutes and are single use; access tokens (for /userinfo) live 10 minutes. The
signing key is an RSA key of its own (RS256, the OIDC default), generated into the keys dir, so
the project's own token key never signs anything the dev provider issues.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2 import AuthorizationServer  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import OAuth2Request, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload  # type: ignore[import-untyped]
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core.grants import OpenIDCode  # type: ignore[import-untyped]
from joserfc.jwk import RSAKey

from sibook.core.config import secret_made_once

CODE_TTL, TOKEN_TTL = 300, 600


@dataclass(frozen=True)
class DevUser:
    personal_id: str
    full_name: str
    level: int  # assurance level chosen at the dev login form (simulates VNeID level 1 or 2)

    def get_user_id(self) -> str:
        return self.personal_id


@dataclass(frozen=True)
class DevClient:
    client_id: str
    secret: str | None  # None: a public client, PKCE only
    redirect_uris: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in {"openid", "profile"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, no prefix tricks

    def check_client_secret(self, secret: str) -> bool:
        return self.secret is not None and hmac.compare_digest(self.secret, secret or "")

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.secret is None:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class DevCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: DevUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return str(self.user.level)

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Memory:
    """Codes and access tokens of one dev provider process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, tuple[float, DevCode]] = {}
        self.tokens: dict[str, tuple[float, DevUser]] = {}

    def user_of_token(self, token: str) -> DevUser | None:
        with self.lock:
            hit = self.tokens.get(token)
        return hit[1] if hit and hit[0] > time.time() else None


def load_rsa_key(keys_dir: str) -> RSAKey:
    made = secret_made_once(Path(keys_dir) / "dev-idp-key.json", lambda: json.dumps(
        RSAKey.generate_key(2048, private=True).as_dict(private=True)).encode())
    return RSAKey.import_key(json.loads(made))


class StarletteRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request from values already read off a Starlette request (query + form)."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str],
                 args: dict[str, str], form: dict[str, str]) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._args, self._form = args, form
        self.payload = BasicOAuth2Payload({**args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


def build_server(*, issuer: str, key: RSAKey, client: DevClient, memory: Memory) -> Any:
    class Server(AuthorizationServer):  # type: ignore[misc]
        def query_client(self, client_id: str) -> DevClient | None:
            return client if client_id == client.client_id else None

        def save_token(self, token: dict[str, Any], request: Any) -> None:
            with memory.lock:
                memory.tokens[token["access_token"]] = (time.time() + TOKEN_TTL, request.user)

        def create_oauth2_request(self, request: Any) -> Any:
            return request

        def handle_response(self, status: int, body: Any, headers: Any) -> Any:
            return status, body, headers

        def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
            return None

    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            p = request.payload.data
            item = DevCode(code, request.client.client_id, p.get("redirect_uri", ""),
                           p.get("scope", ""), request.user, p.get("nonce"),
                           p.get("code_challenge"), p.get("code_challenge_method"))
            with memory.lock:
                memory.codes[code] = (time.time() + CODE_TTL, item)

        def query_authorization_code(self, code: str, c: DevClient) -> DevCode | None:
            with memory.lock:
                hit = memory.codes.get(code)
            if hit and hit[0] > time.time() and hit[1].client_id == c.client_id:
                return hit[1]
            return None

        def delete_authorization_code(self, authorization_code: DevCode) -> None:
            with memory.lock:
                memory.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: DevCode) -> DevUser:
            return authorization_code.user

    class OpenID(OpenIDCode):  # type: ignore[misc]
        def exists_nonce(self, nonce: str, request: Any) -> bool:
            with memory.lock:
                return any(c.nonce == nonce for _, c in memory.codes.values())

        def resolve_client_private_key(self, c: DevClient) -> RSAKey:
            return key

        def get_client_algorithm(self, c: DevClient) -> str:
            return "RS256"

        def get_encode_header(self, c: DevClient) -> dict[str, str]:
            return {"alg": "RS256", "kid": key.thumbprint()}

        def get_client_claims(self, c: DevClient) -> dict[str, Any]:
            return {"iss": issuer, "aud": [c.client_id]}

        def generate_user_info(self, user: DevUser, scope: str) -> dict[str, Any]:
            return {"sub": user.personal_id, "personal_id": user.personal_id,
                    "name": user.full_name}

    server = Server()
    server.register_token_generator("default", BearerTokenGenerator(
        lambda *a, **k: generate_token(42), expires_generator=lambda *a, **k: TOKEN_TTL))
    server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenID(require_nonce=True)])
    return server
