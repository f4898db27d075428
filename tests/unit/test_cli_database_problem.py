"""The CLI's answer when the database cannot be used now: the server's reason, said plainly."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from sibook.cli.output import database_problem


def _refused(message: str) -> OperationalError:
    return OperationalError("UPDATE employers ...", {}, Exception(message))


def test_postgresql_s_context_line_is_left_to_the_server_s_log() -> None:
    problem = database_problem(_refused(
        "canceling statement due to lock timeout\n"
        'CONTEXT:  while locking tuple (0,1) in relation "employers"'))
    assert problem is not None and problem.field == "database"
    assert problem.reason == ("the database cannot be used now: canceling statement due to "
                              "lock timeout")


def test_a_hint_on_a_line_of_its_own_is_kept() -> None:
    problem = database_problem(_refused(
        'connection failed: connection to server at "127.0.0.1", port 5433 failed: Connection '
        "refused\n\tIs the server running on that host and accepting TCP/IP connections?"))
    assert problem is not None and "Is the server running" in problem.reason
