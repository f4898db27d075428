"""README.md's shell sessions typed as a newcomer types them, line by line: the proof it is true.

Runs, in order, in a fresh folder with its own database (a SQLite file there, and again a
PostgreSQL schema, the production store: SIBOOK_DATABASE_URL names it) and keys folder, every
command of
the ```sh blocks a newcomer types: "A walk through", then "HI visits" and "The HTTP API", whose
`curl` lines go to `sibook serve` on the same folder (readme_curl.py; the "Two commands" block is
not run: `make run` serves, `make test` runs this suite). Continuation lines are
joined, heredocs written, and `sibook` is the venv's own console script, found through the
README's `export PATH=...`. A command exits 0, or with the code its comment states ("exit 1"; a
code in parentheses is that of another situation). A `--json` command prints one JSON object
holding every `"key": value` its comment quotes (a `curl` line answers the status and keys the
comments before or beside it state, else a 2xx), and each figure a comment states is asserted
from the commands' answers (CLAIMS). The passphrase is left unset, as a newcomer leaves it: the
first signing generates it into the keys folder.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import NullPool, create_engine, text

from tests.conftest import BACKENDS, postgres_schema
from tests.e2e.readme_curl import CURL, Curls, Fetched

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("A walk through", "HI visits (KCB history)", "The HTTP API")
NOT_RUN = ("Two commands",)  # make run serves; make test runs this suite
NEEDS_A_SERVER = "curl"


@dataclass
class Command:
    line: int
    text: str
    comment: str = ""  # beside it and on the indented comment lines under it: its outcome
    context: str = ""  # every comment between the previous command and the next one
    said_before: str = ""  # the comments before it, since the previous command, and beside it

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def expected_exit(self) -> int:
        stated = re.search(r"\bexit (\d)\b", re.sub(r"\([^()]*\)", "", self.comment))
        return int(stated.group(1)) if stated else 0


@dataclass
class Heredoc:
    path: str
    body: str
    expands: bool  # <<TAG, not <<'TAG': the shell substitutes $(...) in the body


@dataclass
class Export:
    name: str
    value: str


Step = Command | Heredoc | Export


def sh_blocks(readme: str) -> dict[str, list[tuple[int, str]]]:
    """Each section's ```sh block, its lines numbered as in the file."""
    blocks: dict[str, list[tuple[int, str]]] = {}
    section, inside = "", False
    for number, line in enumerate(readme.splitlines(), start=1):
        if line.startswith("```"):
            inside = line == "```sh"
        elif inside:
            blocks.setdefault(section, []).append((number, line))
        elif line.startswith("#"):
            section = line.lstrip("#").strip()
    return blocks


def split_comment(line: str) -> tuple[str, str, str]:
    """The code and the comment of a line, and the quote it leaves open ('' when none)."""
    quote = ""
    for at, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (at == 0 or line[at - 1].isspace()):
            return line[:at].rstrip(), line[at:].lstrip("#").strip(), ""
    return line.rstrip(), "", quote


def steps_of(lines: list[tuple[int, str]]) -> list[Step]:
    steps: list[Step] = []
    loose: list[str] = []  # comment lines of their own since the last command
    last: Command | None = None
    at = 0
    while at < len(lines):
        number, line = lines[at]
        at += 1
        code, note, quote = split_comment(line)
        if not code:
            if note and last is not None:
                last.context += " " + note
                if line[:1].isspace() and not loose and steps[-1] is last:
                    last.comment += " " + note
                    continue
            if note:
                loose.append(note)
            continue
        while quote or code.endswith("\\"):  # a quote spans lines; a backslash joins them
            joined = code + "\n" + lines[at][1] if quote else code[:-1] + " " + lines[at][1]
            code, note, quote = split_comment(joined.strip())
            at += 1
        heredoc = re.fullmatch(r"cat > (\S+) <<('?)(\w+)\2", code)
        export = re.fullmatch(r"export (\w+)=(\S+)", code)
        if heredoc:
            end = next(i for i in range(at, len(lines)) if lines[i][1] == heredoc[3])
            body = "\n".join(text for _, text in lines[at:end]) + "\n"
            steps.append(Heredoc(heredoc[1], body, expands=not heredoc[2]))
            at = end + 1
        elif export:
            steps.append(Export(export[1], export[2]))
        else:
            said = " ".join([*loose, note])
            last = Command(number, code, note, said, said)
            steps.append(last)
            loose = []
    return steps


def readme_steps() -> list[Step]:
    blocks = sh_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = [name for name in SECTIONS if name not in blocks]
    assert not missing, f"README.md has no ```sh block under {missing}"
    return [step for name in SECTIONS for step in steps_of(blocks[name])]


@dataclass
class Shell:
    """The newcomer's terminal: one folder (database, keys and files), sibook once exported."""

    home: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SIBOOK_")}
        self.env |= {"SIBOOK_DATABASE_URL": self.database_url,
                     "SIBOOK_KEYS_DIR": str(self.home / "keys")}

    def export(self, step: Export) -> None:
        value = step.value.replace("$PWD", str(ROOT)).replace("$PATH", self.env.get("PATH", ""))
        assert step.name == "PATH" and "$" not in value, f"cannot export {step}"
        self.env[step.name] = value

    def write(self, step: Heredoc) -> None:
        body = step.body
        if step.expands:
            body = re.sub(r"\$\(base64 -w0 (\S+)\)", lambda m: base64.b64encode(
                (self.home / m[1]).read_bytes()).decode(), body)
        assert "$" not in body, f"cannot expand the heredoc of {step.path}"
        (self.home / step.path).write_text(body, encoding="utf-8")

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        program = shutil.which(argv[0], path=self.env.get("PATH"))
        assert program and Path(program) == ROOT / ".venv" / "bin" / "sibook", (
            f"{argv[0]} is {program}, not the venv's sibook (make install, export PATH)")
        return subprocess.run([program, *argv[1:]], capture_output=True, text=True,
                              env=self.env, cwd=self.home, timeout=300)

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        argv = ["sibook", *args] + ([] if "--json" in args else ["--json"])
        result = self.run(argv)
        return result.returncode, json.loads(result.stdout)

    def count(self, table: str) -> int:
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as db:
                return int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()


@dataclass
class Ran:
    command: Command
    result: subprocess.CompletedProcess[str]

    def answer(self) -> dict[str, Any]:
        answer = json.loads(self.result.stdout)
        assert isinstance(answer, dict)
        return answer


Probe = Callable[[Shell, Ran], None]


@dataclass(frozen=True)
class Claim:
    """What the README says around `command`, word for word, and how it is checked: right
    after the command (or after the later command `after`, when its proof needs one)."""

    command: str
    said: str
    probe: Probe
    after: str = ""


def seeding_a_seeded_database_is_refused(sh: Shell, ran: Ran) -> None:
    before = sh.count("persons")
    code, answer = sh.json(*ran.command.argv[1:])
    assert code == 1 and answer["errors"][0]["field"] == "SIBOOK_DATABASE_URL", answer
    assert sh.count("persons") == before


def each_person_listed_names_an_employer_key(sh: Shell, ran: Ran) -> None:
    persons = ran.answer()["persons"]
    assert len(persons) == 5 and all("employer" in p for p in persons), persons


def the_unit_lists_its_worker(sh: Shell, ran: Ran) -> None:
    assert [(p["personal_id"], p["employer"]) for p in ran.answer()["persons"]] == [
        ("001089012345", "0101234567")]


def filing_again_changes_nothing(sh: Shell, ran: Ran) -> None:
    before = sh.count("ledger_entries")
    code, answer = sh.json(*ran.command.argv[1:])
    assert code == 0 and answer["replayed"] is True, answer
    assert sh.count("ledger_entries") == before


def september_interest(sh: Shell, ran: Ran) -> None:
    _, ledger = sh.json(*ran.command.argv[1:])
    (september,) = [m for m in ledger["months"] if m["month"] == "2026-09"]
    assert (september["due"], september["deadline"], september["days_late"],
            september["interest"]) == (3_840_000, "2026-10-31", 20, 23_040), september


def nobody_is_paid_below_the_minimum(sh: Shell, ran: Ran) -> None:
    _, answer = sh.json(*ran.command.argv[1:])
    assert (answer["workers"], answer["minimum"]) == ([], 5_310_000), answer


def the_shares_are_per_fund_with_json(sh: Shell, ran: Ran) -> None:
    _, ledger = sh.json(*ran.command.argv[1:])
    september = ledger["months"][0]
    assert (september["month"], september["employee_share"]["retirement_survivorship"],
            september["status"], september["employer_days_late"]) == (
        "2026-09", 960_000, "paid", 20), september


def voluntary_month_costs_528000(sh: Shell, ran: Ran) -> None:
    _, ledger = sh.json("ledger", "show", "001195004321")
    months = [m for m in ledger["months"] if m["kind"] == "voluntary"]
    assert months and all((m["basis"], m["due"]) == (3_000_000, 528_000) for m in months)
    _, dues = sh.json("rules", "contribution", "--month", months[0]["month"], "--salary",
                      "3000000", "--voluntary", "--support", "near_poor")
    assert (dues["total"], dues["state_support"]) == (660_000, 132_000), dues


def reposting_changes_nothing_another_amount_or_date_is_refused(sh: Shell, ran: Ran) -> None:
    argv = ran.command.argv[1:]
    code, answer = sh.json(*argv)
    assert code == 0 and answer["replayed"] is True, answer
    amount, day = argv.index("--amount") + 1, argv.index("--date") + 1
    other_day = (date.fromisoformat(argv[day]) - timedelta(days=1)).isoformat()
    for flag, at, other in (("--amount", amount, str(int(argv[amount]) + 1)),
                            ("--date", day, other_day)):
        code, answer = sh.json(*argv[:at], other, *argv[at + 1:])
        assert code == 1 and answer["errors"][0]["field"] == flag, answer


def sickness_amount(sh: Shell, ran: Ran) -> None:
    assert ran.answer()["amount"] == 1_875_000


def export_signs_version_2_over_version_1_as_registered(sh: Shell, ran: Ran) -> None:
    _, history = sh.json("book", "history", "001089012345")
    assert [v["version"] for v in history["versions"]] == [1, 2] and history["chain_intact"]
    _, first = sh.json("book", "show", "001089012345", "--version", "1")
    assert [s["salary_basis"] for s in first["book"]["sheets"]] == [12_000_000]
    assert first["book"]["benefits"] == []


def the_settled_claim_is_in_the_book(sh: Shell, ran: Ran) -> None:
    _, book = sh.json("book", "show", "001089012345", "--version", "2")
    assert [(b["dossier_no"], b["status"], b["amount"]) for b in book["book"]["benefits"]] == [
        ("HS-2026-0001", "settled", 1_875_000)]


def the_revoked_version_is_refused_as_quoted(sh: Shell, ran: Ran) -> None:
    quoted = re.search(r'"([^"]*) \.\.\."', ran.command.comment)
    assert quoted, ran.command.comment
    assert ran.answer()["errors"][0].startswith(quoted[1]), ran.answer()


def reinstated_verifies_again(sh: Shell, ran: Ran) -> None:
    code, answer = sh.json("book", "verify", "an.pdf", "--strict")
    assert code == 0 and answer["valid"] is True, answer


def spaces_around_an_id_are_no_part_of_it(sh: Shell, ran: Ran) -> None:
    code, answer = sh.json("book", "history", " 001089012345 ")
    assert code == 0 and answer["personal_id"] == "001089012345", answer
    code, answer = sh.json("ids", "inspect", " 001089012345 ")
    assert code == 0 and answer["value"] == "001089012345", answer


def extra_lump_sum_for_years_past_the_age(sh: Shell, ran: Ran) -> None:
    assert ran.answer()["extra_lump_sum"] == 54_000_000


def retirement_date(sh: Shell, ran: Ran) -> None:
    answer = ran.answer()
    assert (answer["age"], answer["retirement_date"]) == ("61 years 3 months", "2025-06-30")


def day_61_is_evasion(sh: Shell, ran: Ran) -> None:
    answer = ran.answer()
    assert answer["evasion"] is True and answer["evasion_from_day"] == 61, answer


def the_secret_is_shown(sh: Shell, ran: Ran) -> None:
    assert ran.answer()["secret"]


CLAIMS = {claim.probe.__name__: claim for claim in [
    Claim("sibook seed --people 2000", "holds it already: exit 1, nothing changed, field "
          "SIBOOK_DATABASE_URL", seeding_a_seeded_database_is_refused),
    Claim("sibook persons list --limit 5 --json", '"employer": whom each works for this month',
          each_person_listed_names_an_employer_key),
    Claim("sibook persons list --employer 0101234567 --json", "the unit's workers this month",
          the_unit_lists_its_worker),
    Claim("sibook declare d02.csv", "filing it again changes nothing",
          filing_again_changes_nothing),
    Claim("sibook ledger employer 0101234567", "September falls due 10-31, the month after: "
          "paid 11-20, 20 days late, 3,840,000 x 0.03% x 20 = 23,040", september_interest),
    Claim("sibook ledger below-minimum 0101234567", "(none here: 15,000,000 meets region I's "
          "5,310,000)", nobody_is_paid_below_the_minimum),
    Claim("sibook ledger show 001089012345", "each side's share (per fund with --json), "
          "paid/partly/unpaid, the employer's delay", the_shares_are_per_fund_with_json),
    Claim("sibook payments voluntary 001195004321", "528,000 a month (22% of 3,000,000 less "
          "the state's 132,000)", voluntary_month_costs_528000),
    Claim("sibook payments voluntary 001195004321", "Reposting a reference changes nothing; "
          "another amount or date is refused",
          reposting_changes_nothing_another_amount_or_date_is_refused),
    Claim("sibook rules sickness", "= 1,875,000", sickness_amount),
    Claim("sibook book export 001089012345", "signs version 2: version 1 is the book as "
          "registered, kept as it was", export_signs_version_2_over_version_1_as_registered),
    Claim("sibook benefits list 001089012345", "every claim with its decision; in the book too",
          the_settled_claim_is_in_the_book, after="sibook book export 001089012345"),
    Claim("sibook book verify an.pdf --trust-list", 'exit 1: "revoked: version 2 of book ..."',
          the_revoked_version_is_refused_as_quoted),
    Claim("sibook book reinstate", "the suspicion was cleared: valid again",
          reinstated_verifies_again),
    Claim("sibook ids inspect 001089012345", '(" 001089012345 " is 001089012345)',
          spaces_around_an_id_are_no_part_of_it),
    Claim("sibook rules pension --sex female --contribution-months 396",
          "= 54,000,000", extra_lump_sum_for_years_past_the_age),
    Claim("sibook rules retirement", "61y3m: retires 2025-06-30", retirement_date),
    Claim("sibook rules late-interest", "day 61: evasion", day_61_is_evasion),
    Claim("sibook access add-client anphat", "secret shown once", the_secret_is_shown),
]}


@dataclass
class Walk:
    ran: list[Ran]
    fetched: list[Fetched]
    claims: dict[str, Exception | None]


def prove(claim: Claim, commands: list[Command], sh: Shell, ran: Ran) -> None:
    matches = [c for c in commands if c.text.startswith(claim.command)]
    assert len(matches) == 1, f"README.md has {len(matches)} commands `{claim.command}...`"
    said_at = matches[0]
    assert claim.said in said_at.context, (
        f"README.md line {said_at.line} no longer says {claim.said!r}: {said_at.context!r}")
    claim.probe(sh, ran)


_WALKS: dict[str, Walk] = {}  # each store's walk, walked once in this process


def walk_on(store: str, request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Walk:
    """The walk on ``store`` (sqlite, postgresql), in a folder and database of its own: its
    answers are kept, the database dropped once walked."""
    if store not in _WALKS:
        home = tmp_path_factory.mktemp(f"readme-{store}")
        if store == "sqlite":
            _WALKS[store] = walked(Shell(home, f"sqlite:///{home / 'sibook.db'}"))
        else:
            with postgres_schema(request.getfixturevalue("pg_server")) as url:
                _WALKS[store] = walked(Shell(home, url))
    return _WALKS[store]


@pytest.fixture(scope="module", params=BACKENDS)
def walk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Walk:
    return walk_on(request.param, request, tmp_path_factory)


def walked(sh: Shell) -> Walk:
    steps = readme_steps()
    commands = [s for s in steps if isinstance(s, Command)]
    done = Walk([], [], {name: AssertionError("its command never ran") for name in CLAIMS})
    curls = Curls(sh)
    try:
        for step in steps:
            if isinstance(step, Export):
                sh.export(step)
            elif isinstance(step, Heredoc):
                sh.write(step)
            elif step.argv[0] == NEEDS_A_SERVER:
                if CURL is not None:  # else test_every_http_call_... skips
                    done.fetched.append(curls.fetch(step))
            else:
                ran = Ran(step, sh.run(step.argv))
                done.ran.append(ran)
                curls.remember(step.argv, ran.result.stdout)
                for name, claim in CLAIMS.items():
                    if step.text.startswith(claim.after or claim.command):
                        try:
                            prove(claim, commands, sh, ran)
                            done.claims[name] = None
                        except Exception as failed:  # reported by its own test
                            done.claims[name] = failed
    finally:
        curls.stop()
    return done


def test_the_walk_runs_every_command_a_newcomer_types(walk: Walk) -> None:
    typed = [r.command.argv[:3] for r in walk.ran]
    assert typed[0] == ["sibook", "seed", "--people"] and len(typed) > 40
    assert ["sibook", "visits", "import"] in typed and ["sibook", "audit", "verify"] in typed
    assert all(f.command.argv[0] == "curl" for f in walk.fetched)
    assert walk.fetched or CURL is None


def test_every_http_call_answers_as_its_comments_say(walk: Walk) -> None:
    if CURL is None:
        pytest.skip("the README's HTTP calls are typed with curl, which is not installed")
    wrong = []
    for f in walk.fetched:
        stated, said = f.expected_status(), f"line {f.command.line}: `{f.command.text}`"
        if (f.status != stated) if stated else not 200 <= f.status < 300:
            wrong.append(f"{said} answered {f.status}, not {stated or '2xx'}: {f.body[:300]}")
        elif f.quoted_keys():
            answer = f.answer()
            wrong += [f"{said} answered {key} {answer.get(key)!r}, not {value!r}"
                      for key, value in f.quoted_keys() if answer.get(key) != value]
    assert not wrong, "\n".join(wrong)


def test_every_command_exits_as_its_comment_says(walk: Walk) -> None:
    wrong = [f"line {r.command.line}: `{r.command.text}` exited {r.result.returncode}, not "
             f"{r.command.expected_exit}: {r.result.stdout[-300:]}{r.result.stderr[-600:]}"
             for r in walk.ran if r.result.returncode != r.command.expected_exit]
    assert not wrong, "\n".join(wrong)


def test_every_sh_block_is_run_or_said_why_not() -> None:
    blocks = sh_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sorted(blocks) == sorted(SECTIONS + NOT_RUN)


def test_an_exit_code_in_parentheses_is_another_situations() -> None:
    """The seed exits 1 only into make run's seeded database; the revoked book always."""
    commands = [c for c in readme_steps() if isinstance(c, Command)]
    expected = {c.argv[1]: c.expected_exit for c in commands
                if c.text.startswith(("sibook seed", "sibook book verify an.pdf --trust-list"))}
    assert expected == {"seed": 0, "book": 1}


def test_every_json_command_prints_one_object_with_the_keys_its_comment_quotes(
        walk: Walk) -> None:
    for ran in walk.ran:
        if "--json" not in ran.command.argv:
            continue
        answer = ran.answer()
        for key, value in re.findall(r'"(\w+)": (true|false|null|-?\d+|"[^"]*")',
                                     ran.command.comment):
            assert answer.get(key) == json.loads(value), (ran.command.text, key, answer)


@pytest.mark.parametrize("name", list(CLAIMS))
def test_what_the_readme_says_a_command_prints(walk: Walk, name: str) -> None:
    failed = walk.claims[name]
    if failed is not None:
        raise failed


# What the stores cannot make alike: the moments recorded (their shape must match: UTC, whole
# seconds or not), the secrets drawn and the walk's folder; all else a newcomer reads is the
# same on both.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?|\d\d:\d\d:\d\d")
_SECRET = re.compile(r'"(secret|access_token)": ?"[^"]*"')
_FOLDER = re.compile(r"/\S*/readme-(sqlite|postgresql)\d*")  # walk_on's, named by its store


def as_seen(answer: str) -> str:
    answer = _MOMENT.sub(lambda m: re.sub(r"\d", "9", m[0]), answer)
    return _FOLDER.sub("<the walk's folder>", _SECRET.sub(lambda m: f'"{m[1]}": "..."', answer))


def answers(walk: Walk) -> list[tuple[Command, str]]:
    """Each command's exit code and stdout, each HTTP call's status and body, as a user sees
    them on any store."""
    return ([(r.command, f"exit {r.result.returncode}: {as_seen(r.result.stdout)}")
             for r in walk.ran]
            + [(f.command, f"{f.status}: {as_seen(f.body)}") for f in walk.fetched])


@pytest.mark.postgres
def test_postgresql_answers_the_walk_as_sqlite_does(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    sqlite, postgresql = (answers(walk_on(store, request, tmp_path_factory))
                          for store in ("sqlite", "postgresql"))
    differ = [f"line {c.line}: `{c.text}`\n  sqlite:     {a[:400]}\n  postgresql: {b[:400]}"
              for (c, a), (_, b) in zip(sqlite, postgresql, strict=True) if a != b]
    assert not differ, "\n".join(differ)
