"""The few statements that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

import math
import re
from array import array

from sqlalchemy import Date, Double, Select, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def insert_ignoring_duplicates(dialect_name: str, table, index_elements: list[str]):
    """An INSERT that skips rows whose key already exists (ON CONFLICT DO NOTHING on both)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=index_elements)


def insert_or_update(dialect_name: str, table, index_elements: list[str], update: list[str]):
    """An UPSERT: a row whose key exists gets the new values of `update` (ON CONFLICT DO UPDATE on both)."""
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
    return stmt.on_conflict_do_update(index_elements=index_elements,
                                      set_={name: stmt.excluded[name] for name in update})


def storable(text: str) -> bool:
    """Whether both databases store `text` as it is: PostgreSQL refuses U+0000 in text (SQLite
    keeps it), and neither driver can encode a lone surrogate as UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")  # in C: far quicker than looking at each character
    except UnicodeEncodeError:
        return False
    return True


async def roomy_sorts(session: AsyncSession) -> None:
    """Percentiles sort every value of the period: on PostgreSQL give this transaction's sorts
    64 MB (the default 4 MB spills a year of values to disk, doubling the time). SQLite sorts in
    memory already."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL work_mem = '64MB'"))


def lock_skip_locked(dialect_name: str, stmt: Select, *of) -> Select:
    """FOR UPDATE SKIP LOCKED where rows can be locked (PostgreSQL): replicas share the queue.
    SQLite needs nothing: BEGIN IMMEDIATE (app.db) already makes claims one at a time."""
    if dialect_name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of or None)
    return stmt


# -- percentiles ---------------------------------------------------------------------------------
#
# One definition on both databases, PostgreSQL's `percentile_cont`: over the n non-NULL values in
# ascending order v[0] … v[n-1], the fraction f falls at position p = f·(n-1); the result is
# v[⌊p⌋] + (p - ⌊p⌋)·(v[⌈p⌉] - v[⌊p⌋]), NULL when there are no values. SQLite has no such
# aggregate, so app.db registers `PercentileCont` below on every SQLite connection under the same
# name, and `percentile_cont()` writes each database's spelling.


class percentile_cont(FunctionElement):  # lower case, like the SQL functions in sqlalchemy.func
    """`percentile_cont(fraction, column)`: the continuous percentile of a column, as a SQL aggregate."""

    type = Double()
    name = "percentile_cont"
    inherit_cache = True

    def __init__(self, fraction: float, column) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"percentile fraction must be between 0 and 1, not {fraction}")
        # A literal, not a bound parameter: it is part of the statement's shape (and its cache key).
        super().__init__(literal_column(repr(fraction), Double()), column)


@compiles(percentile_cont)
def _percentile_cont_standard(element: percentile_cont, compiler, **kw) -> str:
    fraction, column = element.clauses
    return (f"percentile_cont({compiler.process(fraction, **kw)}) "
            f"WITHIN GROUP (ORDER BY {compiler.process(column, **kw)})")


@compiles(percentile_cont, "sqlite")
def _percentile_cont_sqlite(element: percentile_cont, compiler, **kw) -> str:
    fraction, column = element.clauses
    return f"percentile_cont({compiler.process(column, **kw)}, {compiler.process(fraction, **kw)})"


def percentile_of_sorted(values, fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over values already in ascending order, step for step
    (orderedsetaggs.c: floor/ceil of f·(n-1), then lo + (hi - lo)·proportion), so that both
    databases give the same float to the last bit."""
    n = len(values)
    if n == 0 or fraction is None:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"percentile fraction must be between 0 and 1, not {fraction}")
    position = fraction * (n - 1)
    first, second = math.floor(position), math.ceil(position)
    low = float(values[first])
    if second == first:
        return low
    return low + (position - first) * (float(values[second]) - low)


class PercentileCont:
    """The SQLite aggregate `percentile_cont(value, fraction)`; NULL values are skipped. Values are
    kept as C doubles (8 bytes each) until the group ends, then sorted once."""

    __slots__ = ("_fraction", "_values")

    def __init__(self) -> None:
        self._values = array("d")
        self._fraction = None

    def step(self, value, fraction) -> None:
        if value is not None:
            self._values.append(value)
        self._fraction = fraction

    def finalize(self) -> float | None:
        return percentile_of_sorted(sorted(self._values), self._fraction)


# -- calendar weeks ------------------------------------------------------------------------------


class local_week(FunctionElement):  # lower case, like the SQL functions in sqlalchemy.func
    """`local_week(column, zone, offset_seconds)`: the Monday (a DATE) of the week in which a UTC
    instant falls, in the time zone `zone`. PostgreSQL converts with the zone itself; SQLite, which
    has no zones, adds `offset_seconds` (the zone's offset, exact for a zone without daylight
    saving such as Asia/Bangkok)."""

    type = Date()
    name = "local_week"
    inherit_cache = True

    def __init__(self, column, zone: str, offset_seconds: int) -> None:
        if not _ZONE_NAME.fullmatch(zone):
            raise ValueError(f"not a time zone name: {zone!r}")
        # Literals, not bound parameters: the expression is grouped by, and must read the same twice.
        super().__init__(column, literal_column(f"'{zone}'"), literal_column(str(int(offset_seconds))))


_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")


@compiles(local_week)
def _local_week_standard(element: local_week, compiler, **kw) -> str:
    column, zone, _ = element.clauses
    return (f"CAST(date_trunc('week', {compiler.process(column, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}) "
            "AS DATE)")


@compiles(local_week, "sqlite")
def _local_week_sqlite(element: local_week, compiler, **kw) -> str:
    column, _, offset = element.clauses
    # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is its Monday.
    return (f"date({compiler.process(column, **kw)}, '{int(offset.name):+d} seconds', 'weekday 0', '-6 days')")
