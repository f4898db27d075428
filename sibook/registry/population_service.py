"""A development population service: the store's citizens behind the HTTP contract that
``HttpPopulationRegistry`` speaks, so that adapter is exercised over real HTTP.

Run: ``uvicorn --factory sibook.registry.population_service:create_app --port 8100``, then
``SIBOOK_POPULATION_URL=http://127.0.0.1:8100``.
"""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel
from sqlalchemy import Engine

from sibook.core.db import default_engine, unit_of_work
from sibook.registry.population import LocalPopulationRegistry


class CitizenOut(BaseModel):
    personal_id: str
    full_name: str
    birth_date: date
    sex: str


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(title="population service (development)")

    @app.get("/citizens/{personal_id}", response_model=CitizenOut)
    def citizen(personal_id: str = Path(pattern=r"^[0-9]{12}$")) -> CitizenOut:
        with unit_of_work(engine or default_engine()) as session:
            found = LocalPopulationRegistry(session).lookup(personal_id)
        if found is None:
            raise HTTPException(status_code=404, detail="not found")
        return CitizenOut(**found.__dict__)

    return app
