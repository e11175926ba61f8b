"""The few statements that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_duplicates(dialect_name: str, table, index_elements: list[str]):
    """An INSERT that skips rows whose key already exists (ON CONFLICT DO NOTHING on both)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=index_elements)


def lock_skip_locked(session: AsyncSession, stmt: Select, *of) -> Select:
    """FOR UPDATE SKIP LOCKED where rows can be locked (PostgreSQL): replicas share the queue.
    SQLite needs nothing: BEGIN IMMEDIATE (app.db) already makes claims one at a time."""
    if session.bind.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of or None)
    return stmt
