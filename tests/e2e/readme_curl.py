"""The README's `curl` lines, typed against `sibook serve` on the walk's own database and keys,
as a newcomer types them with `make run` serving: curl itself, the README's address turned into
the server's, `client_secret=...` into the secret `access add-client` printed for that client,
and `$TOKEN` / `$OFFICER_TOKEN` into a token of the last client made of that kind (an officer's,
or an employer's or hospital's), minted at `POST /api/v1/auth/token` as the README says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tests.servers import free_port

README_BASE = "http://127.0.0.1:8000"
CURL = shutil.which("curl")


class Typed(Protocol):
    """The README's command (test_readme_walk's Command)."""

    line: int
    text: str
    argv: list[str]
    said_before: str


class Terminal(Protocol):
    """The newcomer's terminal (test_readme_walk's Shell)."""

    env: dict[str, str]
    home: Path

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]: ...


@dataclass
class Fetched:
    command: Typed
    status: int
    body: str

    def answer(self) -> Any:
        return json.loads(self.body)

    def expected_status(self) -> int | None:
        """The status the comments before or beside it state (not one in parentheses, which
        is another situation's); None when they state none: then any 2xx."""
        stated = re.search(r"\b([1-5]\d\d)\b", re.sub(r"\([^()]*\)", "",
                                                      self.command.said_before))
        return int(stated[1]) if stated else None

    def quoted_keys(self) -> list[tuple[str, Any]]:
        """The `"key": value` pairs the comments quote, outside parentheses."""
        said = re.sub(r"\([^()]*\)", "", self.command.said_before)
        return [(k, json.loads(v)) for k, v in
                re.findall(r'"(\w+)": (true|false|null|-?\d+|"[^"]*")', said)]


@dataclass
class Curls:
    sh: Terminal
    secrets: dict[str, str] = field(default_factory=dict)
    client_of: dict[str, str] = field(default_factory=dict)  # $TOKEN, $OFFICER_TOKEN
    server: subprocess.Popen[bytes] | None = None
    base: str = ""
    client_named: str = ""  # the client_id= of the call being typed

    def remember(self, argv: list[str], stdout: str) -> None:
        """A client `access add-client ... --json` made, and its secret."""
        if argv[1:3] != ["access", "add-client"]:
            return
        kind = argv[argv.index("--kind") + 1]
        self.secrets[argv[3]] = json.loads(stdout)["secret"]
        self.client_of["OFFICER_TOKEN" if kind == "officer" else "TOKEN"] = argv[3]

    def fetch(self, command: Typed) -> Fetched:
        self._serve()
        argv = [self._typed(arg) for arg in command.argv[1:]]
        body, status = self._curl(argv)
        return Fetched(command, status, body)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def _typed(self, arg: str) -> str:
        arg = arg.replace(README_BASE, self.base)
        if arg == "client_secret=...":
            return f"client_secret={self.secrets[self.client_named]}"
        if arg.startswith("client_id="):
            self.client_named = arg.removeprefix("client_id=")
        return re.sub(r"\$(OFFICER_TOKEN|TOKEN)\b", lambda m: self._token(m[1]), arg)

    def _token(self, variable: str) -> str:
        client = self.client_of[variable]
        body, status = self._curl(["-s", "-X", "POST", f"{self.base}/api/v1/auth/token",
                                   "-d", "grant_type=client_credentials",
                                   "-d", f"client_id={client}",
                                   "-d", f"client_secret={self.secrets[client]}"])
        assert status == 200, body
        return str(json.loads(body)["access_token"])

    def _curl(self, args: list[str]) -> tuple[str, int]:
        assert CURL is not None
        result = subprocess.run([CURL, *args, "-w", "\n%{http_code}"], capture_output=True,
                                text=True, cwd=self.sh.home, timeout=120)
        body, _, status = result.stdout.rpartition("\n")
        return body, int(status)

    def _serve(self) -> None:
        """`sibook serve` on the walk's database and keys, from the walk's folder."""
        if self.server is not None:
            return
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        sibook = shutil.which("sibook", path=self.sh.env.get("PATH"))
        assert sibook, "sibook is not on the README's PATH"
        log = self.sh.home / "serve.log"
        with open(log, "wb") as out:
            self.server = subprocess.Popen([sibook, "serve", "--port", str(port)],
                                           env=self.sh.env, cwd=self.sh.home, stdout=out,
                                           stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while self._curl(["-s", f"{self.base}/healthz"])[1] != 200:  # 000 until it listens
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sibook serve did not start: {log.read_text()}")
            time.sleep(0.1)
