"""Schema migrations (Alembic, the only way the schema changes) and reference data, in code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from shebao.db import Database, UnitOfWork


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "shebao:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(db: Database) -> int:
    """Bring the schema to head and load reference data; answers how many reference rows changed."""
    with db.engine.begin() as connection:
        config = alembic_config(db.settings.sqlalchemy_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    from shebao.reference.loader import load_reference_data

    with UnitOfWork(db).step() as step:
        return load_reference_data(step.session)
