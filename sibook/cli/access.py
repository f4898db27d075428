"""``sibook access``: principal credentials, lockouts, and the development identity provider."""

from __future__ import annotations

from typing import Any

import typer

from sibook.access import credentials
from sibook.cli.context import ready_engine
from sibook.cli.flags import identifier, one_of, realm_flag
from sibook.cli.output import JsonFlag, console, emit, refuse, refused_with, usage_error
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, ValidationError

app = typer.Typer(help="Credentials, lockouts and the development e-identity provider.",
                  no_args_is_help=True)

# The kinds of client a credential is for (the credentials table's CHECK): a citizen signs in
# with VNeID instead.
KINDS = ("employer", "hospital", "officer")
# The client id argument as the help, the README and a refusal name it (the service's field is
# client_id, the API's key: as_typed names it so).
CLIENT_ID = "CLIENT_ID"


@app.command("add-client")
def add_client(
    client_id: str = typer.Argument(..., metavar=CLIENT_ID, callback=identifier,
                                    help="Identifier the client signs in with"),
    kind: str = typer.Option(..., metavar="|".join(KINDS), callback=one_of(KINDS, "--kind"),
                             help="employer, hospital or officer"),
    unit_code: str | None = typer.Option(None, metavar="CODE", callback=identifier, help=(
        "Employer's unit code; a hospital's 5-digit facility code (MA_CSKCB), which it then "
        "files claims for (without one it checks HI validity only)")),
    province: str | None = typer.Option(None, metavar="NN", callback=identifier,
                                        help="Officer's province code; none = national"),
    realm: str = typer.Option("civil", metavar="REALM", callback=realm_flag,
                              help="civil, defence or public_security"),
    roles: str = typer.Option("", metavar="ROLES",
                              help="Officer roles, comma-separated: clerk,approver,auditor"),
    as_json: bool = JsonFlag,
) -> None:
    """Create client credentials; the secret is printed once and stored only as an argon2 hash."""
    _flags_of_kind(kind, {"--unit-code": unit_code, "--province": province,
                          "--roles": roles.strip() or None,
                          "--realm": None if realm == "civil" else realm})
    client = credentials.NewClient(
        client_id=client_id, kind=kind, unit_code=unit_code, province_code=province, realm=realm,
        roles=tuple(r.strip() for r in roles.split(",") if r.strip()))
    try:
        with unit_of_work(ready_engine()) as session:
            secret = credentials.create_client(session=session, client=client)
    except ValidationError as exc:  # each by the argument or flag typed (as_typed)
        refuse(exc.problems, as_json, aliases={"province_code": "province"})
    except ConflictError as exc:  # the id is taken
        refuse([Problem(field="client_id", reason=str(exc))], as_json)

    def render(d: dict[str, Any]) -> None:
        console.print(f"client {d['client_id']} created; secret (shown once): {d['secret']}")

    emit({"client_id": client_id, "secret": secret}, as_json, render)


# The flags each kind of credential reads; the others it would drop without a word.
_FLAGS_OF_KIND = {
    "--unit-code": ("employer", "hospital"),
    "--province": ("officer",),
    "--roles": ("officer",),
    "--realm": ("employer", "officer"),  # a hospital's is the civil realm (``Hospital``)
}


def _flags_of_kind(kind: str, given: dict[str, str | None]) -> None:
    """A flag the credential's kind does not read is a usage error (exit 2), not dropped: an
    officer given ``--unit-code`` would act nationwide (no ``--province``), not for the unit,
    and an employer given ``--roles clerk`` has no clerk's rights."""
    for flag, value in given.items():
        if value is not None and kind not in _FLAGS_OF_KIND[flag]:
            usage_error(flag, f"is for {' and '.join(_FLAGS_OF_KIND[flag])} credentials, not "
                              f"{kind} ones, which would not use it")


@app.command("unlock")
@refused_with(unlocked=False)
def unlock(client_id: str = typer.Argument(..., metavar=CLIENT_ID, callback=identifier,
                                           help="The client id to lift the locks of"),
           as_json: bool = JsonFlag) -> None:
    """Lift a client's lockout and stops before they expire (after checking who asked, out of
    band): its sign-in locks, its stop from registering after ten identities the population
    database refused within 60 minutes, and a facility's stop after its failed HI checks."""
    try:
        with unit_of_work(ready_engine()) as session:
            lifted = credentials.unlock(session=session, client_id=client_id)
    except ValidationError as exc:  # an id no client can have: the CLIENT_ID typed
        refuse(exc.problems, as_json)
    emit({"client_id": client_id, "unlocked": True, "locks_lifted": lifted}, as_json,
         _show_unlocked)


def _show_unlocked(d: dict[str, Any]) -> None:
    """A lock on an id lifts whether a client has it or not (guessers' ids are locked too);
    the count says whether there was one, for an id typed wrong."""
    n = d["locks_lifted"]
    console.print(f"{d['client_id']} unlocked: "
                  + (f"{n} lock{'s' if n > 1 else ''} lifted" if n else "no lock was in force"),
                  markup=False, highlight=False)


@app.command("revoke-client")
@refused_with(revoked=False)
def revoke_client(client_id: str = typer.Argument(..., metavar=CLIENT_ID, callback=identifier,
                                                  help="The client id to end"),
                  as_json: bool = JsonFlag) -> None:
    """End a client's credential (leaked, or its holder gone): its secret is refused from now
    on, and so is every token it holds, at once. A new credential takes another client id."""
    try:
        with unit_of_work(ready_engine()) as session:
            was_active = credentials.revoke_client(session=session, client_id=client_id)
    except ValidationError as exc:  # an id no client has: the CLIENT_ID typed
        refuse(exc.problems, as_json)
    emit({"client_id": client_id, "revoked": True, "was_active": was_active}, as_json,
         lambda d: console.print(f"{d['client_id']} revoked" + (
             "" if d["was_active"] else " (it was already)"), markup=False, highlight=False))


@app.command("dev-idp")
def dev_idp(
    host: str = typer.Option("127.0.0.1", "--host", metavar="HOST", help="Address to listen on."),
    port: int = typer.Option(8001, "--port", metavar="PORT", min=1, max=65535,
                             help="Port to listen on."),
) -> None:
    """Run the development OpenID provider (users: the database's persons). Never in production."""
    import uvicorn

    from sibook.access.dev_idp import create_dev_idp

    issuer = f"http://{host}:{port}"
    console.print(f"dev identity provider at {issuer}; set SIBOOK_OIDC_ISSUER={issuer}")
    uvicorn.run(create_dev_idp(issuer=issuer, engine=ready_engine()), host=host, port=port)
