from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from shebao.migrate import alembic_config, upgrade
from shebao.models import Base
from shebao.reference.models import BankBranch, Region, TaxOffice
from shebao.runtime import Runtime


def test_the_revisions_form_one_line(runtime: Runtime) -> None:
    """Engineers add revisions side by side; two heads would stop every upgrade until one is re-pointed."""
    heads = ScriptDirectory.from_config(alembic_config(runtime.settings.sqlalchemy_url)).get_heads()
    assert len(heads) == 1, f"{len(heads)} heads {heads}: re-point the newer down_revision"


def test_schema_matches_the_models(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_loads_reference_data_and_is_idempotent(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Region)) == 17
        xicheng = s.get(Region, "110102")
        assert xicheng is not None and xicheng.name == "西城区"
        office = s.scalar(select(TaxOffice).where(TaxOffice.name == "什刹海税务所"))
        assert office is not None and office.full_name == "国家税务总局北京市西城区税务局 什刹海税务所"
        assert s.scalar(select(func.count()).select_from(BankBranch)) == 272
    assert upgrade(runtime.db) == 0


def test_downgrade_to_empty_and_up_again(runtime: Runtime) -> None:
    config = alembic_config(runtime.settings.sqlalchemy_url)
    with runtime.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with runtime.db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(runtime.db)
    with runtime.db.engine.connect() as conn:
        assert {"audit_log", "regions", "service_clock"} <= set(inspect(conn).get_table_names())
