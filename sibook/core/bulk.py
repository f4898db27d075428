"""The bulk path of the store: COPY on PostgreSQL, executemany on SQLite, in one transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, text

if TYPE_CHECKING:  # the frames come from callers that loaded Polars; readers never need it
    import polars as pl


def write(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    if not rows:
        return
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def write_lines(conn: Connection, table: str, columns: Sequence[str], lines: Iterable[str]
                ) -> None:
    """COPY lines already in PostgreSQL's text format (tab-separated, ``\\N`` for NULL, each
    text through ``copy_text``), in blocks: for rows whose parts repeat, made faster than
    ``write`` converts each value of each row. PostgreSQL only."""
    raw: Any = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) == 10_000:
                copy.write("".join(block).encode())
                block.clear()
        if block:
            copy.write("".join(block).encode())


# COPY's text format: a backslash, a tab, a line end and a carriage return are escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_TO_ESCAPE = re.compile(r"[\\\t\n\r]")


def copy_text(value: str) -> str:
    """``value`` as a field of a COPY text line (PostgreSQL text holds no NUL: refused earlier).
    Most values need no escape, and looking costs a tenth of ``translate``."""
    return value if _TO_ESCAPE.search(value) is None else value.translate(_COPY_ESCAPES)


def analyze(conn: Connection) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load, without waiting for
    autovacuum: a plan made on an 'empty' table scans where it should look up. Only the store's
    own tables, those of its schema: a bare ANALYZE takes every table of the database, other
    schemas' too (a store in a schema of a shared database; each test's own)."""
    if conn.dialect.name == "postgresql":
        tables = conn.execute(text("SELECT quote_ident(tablename) FROM pg_tables "
                                   "WHERE schemaname = current_schema() ORDER BY 1")).scalars()
        if names := ", ".join(tables):
            conn.execute(text(f"ANALYZE {names}"))


def advance_sequences(conn: Connection, tables: dict[str, str]) -> None:
    """After COPY with explicit ids, move PostgreSQL's sequences past them (SQLite needs not)."""
    if conn.dialect.name != "postgresql":
        return
    for table, column in tables.items():
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )
        )


def write_frame(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    """Write a Polars frame whose columns are named as the table's: COPY in CSV on PostgreSQL
    (no Python per row), executemany on SQLite."""
    if frame.height == 0:
        return
    if conn.dialect.name != "postgresql":
        write(conn, table, frame.columns, frame.rows())
        return
    raw: Any = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(frame.write_csv(include_header=False))


def fetch(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``stmt`` as the driver's plain tuples: the bulk path for reads of many rows
    (the book's batches read tens of thousands), where SQLAlchemy's Row per row cost more than
    the query. The statement is compiled as usual, its values stay bound parameters; no result
    type processing happens, so select only ints and strings (SQLite's driver returns dates as
    text)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args: Any = (
        tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional
        else params
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()
