"""The whole schema in one MetaData, for migrations and tests: imports every part's tables."""

from __future__ import annotations

import sibook.access.store
import sibook.benefits.store
import sibook.book.store
import sibook.contributions.job_store
import sibook.contributions.ledger_store
import sibook.contributions.store
import sibook.registry.store
import sibook.visits.store  # noqa: F401
from sibook.core.db import Base

metadata = Base.metadata
