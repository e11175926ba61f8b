"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import migrations
from app.db import create_engine
from models import Base


async def test_models_and_migrations_agree(engine):
    """Fails when a model changes without a migration (or a migration without its model)."""

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    assert await migrations.current_revision(engine) == migrations.head_revision()


async def test_upgrade_from_nothing_down_and_up_again(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        await migrations.upgrade(engine)
        assert await migrations.current_revision(engine) == migrations.head_revision()

        def down(conn):
            cfg = migrations.alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")

        async with engine.begin() as conn:
            await conn.run_sync(down)
        assert await migrations.current_revision(engine) is None
        await migrations.upgrade(engine)
        assert await migrations.current_revision(engine) == migrations.head_revision()
    finally:
        await engine.dispose()
