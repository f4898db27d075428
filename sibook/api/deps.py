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


SessionDep = Annotated[Session, Depends(get_session)]
