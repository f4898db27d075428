"""Errors that cross layers. Each names what is wrong and why, so the edge can report it as is."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One reason an input was refused: where (row, field) and why."""

    field: str
    reason: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "reason": self.reason}
        if self.row is not None:
            out["row"] = self.row
        return out


MAX_PROBLEMS = 1_000  # a report longer than this is cut; the count says how many there were


def capped(problems: list[Problem]) -> list[Problem]:
    """``problems`` by row, the first MAX_PROBLEMS of them, and then how many more there were:
    a file wrong on every line is refused, not answered with a report of megabytes."""
    shown = sorted(problems, key=lambda p: p.row or 0)[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(Problem(field="file", reason=f"{len(problems) - MAX_PROBLEMS} more problems "
                             f"not shown ({len(problems)} in all)"))
    return shown


class SibookError(Exception):
    """Base of the errors the edges (CLI exit 1, HTTP 4xx) turn into answers."""


@dataclass
class ValidationError(SibookError):
    """Well-formed input that the rules refuse. Carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(
        self,
        problems: list[Problem] | Problem | None = None,
        *,
        field: str | None = None,
        reason: str | None = None,
        row: int | None = None,
    ):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems or [])
        if field is not None and reason is not None:
            self.problems.append(Problem(field=field, reason=reason, row=row))
        super().__init__("; ".join(str(p) for p in self.problems))


class ServerFault(SibookError):
    """The server cannot do this now, for want of its own files (a font): the operator's to
    mend, not the request's, and not that the thing asked for is missing. The API and the
    portal answer 503 without naming the server's files; the log and the CLI give the detail."""


class NamedError(SibookError):
    """A refusal about one input: ``field`` names it (the API's answer names it), when one
    does."""

    field: str | None = None

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field


class NotFoundError(NamedError):
    """The thing asked for does not exist (or is not visible to the caller). ``field``: the
    input that names it (the API's 404 names it), when one does."""


class ConflictError(NamedError):
    """The request contradicts what is stored (e.g. registering a person twice). ``field``:
    the input that holds what is taken (the API's 409 names it), when one does."""


class RecordedOtherwise(ConflictError):
    """What a request names (a number, a code) was recorded before with other content: one
    problem per field that differs, so that a request re-sent after its answer was lost is
    told apart from another one (the API's 409 lists them, the CLI's refusal names each)."""

    problems: list[Problem]

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems), field=problems[0].field)
        self.problems = problems
