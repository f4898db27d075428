"""Dependencies shared by the routers: the unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from sibook.core.db import unit_of_work


def get_session() -> Iterator[Session]:
    with unit_of_work() as session:
        yield session


# scope="function": the transaction commits when the route returns, before the answer is sent.
# After it (FastAPI's default), an answer could carry personal data whose access-log entry then
# failed to commit, or a 201 for what was never stored; and on PostgreSQL the log's head row
# would stay locked while the answer is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
