"""Dependencies shared by the routers: the unit of work per request, and routes that answer
some exceptions their own way without committing what the request wrote before it failed."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Annotated, Any, ClassVar, cast

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sibook.core.db import unit_of_work

# The routes whose unit of work only reads (``reads_only``).
_READS_ONLY: set[Callable[..., Any]] = set()


def reads_only(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route that writes nothing (but a refusal's access-log entries, which
    ``Guard.refuse`` writes in a transaction of their own): on SQLite it answers while a
    large filing holds the store, as a poll of that filing's progress must."""
    _READS_ONLY.add(endpoint)
    return endpoint


def route_reads_only(request: Request) -> bool:
    """Whether the request's route is marked ``reads_only``."""
    return getattr(request.scope.get("route"), "endpoint", None) in _READS_ONLY


def get_session(request: Request) -> Iterator[Session]:
    with unit_of_work(reads_only=route_reads_only(request)) as session:
        yield session


# scope="function": the transaction commits when the route returns, before the answer is sent.
# After it (FastAPI's default), an answer could carry personal data whose access-log entry then
# failed to commit, or a 201 for what was never stored; and on PostgreSQL the log's head row
# would stay locked while the answer is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# An exception's answer, or None for "not this one": the app's own handlers answer it then.
Answer = Callable[[Request, Any], Awaitable[Response | None]]


class AnsweringRoute(APIRoute):
    """A route with its own answers to some exceptions (``answers``, by class; an answer of
    None leaves the exception to the app's handler), given by the app's exception handlers
    (``answer_by_route``), after the route's unit of work has rolled back.

    Never catch them around the route's handler (``get_route_handler``): that runs inside
    FastAPI's function-scoped dependencies, so ``get_session`` would see the route return
    normally and commit what it wrote before it failed. Here the exception goes through the
    dependencies first (the unit of work rolls back; what ``Guard.refuse`` logged is committed
    already), and only then is answered."""

    answers: ClassVar[dict[type[Exception], Answer]] = {}


def _lookup(handlers: Mapping[Any, Any], exc: Exception) -> Any:
    return next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers), None)


def answer_by_route(app: FastAPI) -> None:
    """Let each ``AnsweringRoute`` answer its exceptions, and the app's handlers the rest: call
    it once the app's own handlers are in place."""
    classes = {cls for context in iter_route_contexts(app.routes)
               if isinstance(route := context.original_route, AnsweringRoute)
               for cls in route.answers}
    app_handlers = dict(app.exception_handlers)

    async def answer(request: Request, exc: Exception) -> Response:
        route = request.scope.get("route")
        if isinstance(route, AnsweringRoute) and (own := _lookup(route.answers, exc)):
            response: Response | None = await own(request, exc)
            if response is not None:
                return response
        handler = _lookup(app_handlers, exc)
        if handler is None:  # as if no handler had been added for it: a 500
            raise exc
        if inspect.iscoroutinefunction(handler):
            return cast(Response, await handler(request, exc))
        return cast(Response, await run_in_threadpool(handler, request, exc))

    for cls in classes:
        app.add_exception_handler(cls, answer)
