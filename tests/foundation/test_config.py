from __future__ import annotations

from pathlib import Path

import pytest

from shebao.config import DEFAULT_SECRET_KEY, ConfigError, Settings

PG = "postgresql+psycopg://shebao@db:5432/shebao"
STRONG = "x" * 40


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": STRONG,
        "database_url": PG,
        "face_provider": "acme-face",
        "sms_provider": "acme-sms",
        "phone_provider": "alipay",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_production_with_real_providers_starts() -> None:
    _production().check_for_production()


@pytest.mark.parametrize("secret", [DEFAULT_SECRET_KEY, "", "short-secret"])
def test_production_refuses_default_missing_or_weak_secret_naming_the_variable(secret: str) -> None:
    with pytest.raises(ConfigError, match="SHEBAO_SECRET_KEY"):
        _production(secret_key=secret).check_for_production()


@pytest.mark.parametrize("provider", ["face_provider", "sms_provider", "phone_provider"])
def test_production_refuses_dev_only_providers(provider: str) -> None:
    with pytest.raises(ConfigError, match="sandbox"):
        _production(**{provider: "sandbox"}).check_for_production()


def test_production_refuses_sqlite_and_a_rehearsal_clock() -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        _production(database_url=None).check_for_production()
    with pytest.raises(ConfigError, match="SHEBAO_CLOCK"):
        _production(clock="2025-11-20T09:00:00+08:00").check_for_production()


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=None)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'shebao.db'}"
    assert settings.sandboxes_enabled is True


def test_clock_without_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Settings(clock="2025-11-20T09:00:00")  # type: ignore[arg-type]


def test_production_app_mounts_no_sandbox(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from shebao.app import create_app
    from shebao.kit.clock import ServiceClock
    from shebao.runtime import Runtime

    settings = _production()
    # Build the runtime by hand: a PostgreSQL URL that is never connected to, since no request touches it.
    from shebao.db import Database
    from shebao.kit import crypto

    crypto.configure(settings.secret_key)
    runtime = Runtime(
        settings=settings, db=Database(settings), clock=ServiceClock(None, frozen_real_time=True)
    )
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        assert client.post("/sandbox/clock", json={"now": "2030-01-01T00:00:00+08:00"}).status_code == 404
        assert client.get("/sandbox/clock").status_code == 404
        assert "/sandbox/clock" not in client.get("/openapi.json").json()["paths"]
    crypto.configure("test-secret-key-0123456789abcdef0123456789")


@pytest.mark.parametrize("entry", ["shebao.app", "shebao.cli", "shebao.worker"])
def test_every_entry_point_registers_every_production_check_and_login_provider(entry: str) -> None:
    """`config` imports no channel: each registers its check when imported, and every process imports
    them all (`shebao.registrations`) before it builds its runtime."""
    import subprocess
    import sys

    script = (
        f"import {entry}\n"
        "from shebao.config import production_checks\n"
        "from shebao.identity import providers\n"
        "print(','.join(production_checks()))\n"
        "made = providers.sms_sender, providers.face_verifier, providers.phone_authorizer\n"
        "print(*(type(make('sandbox')).__name__ for make in made))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "alipay,wechat,unionpay,bank,certificates",
        "SandboxSmsSender SandboxFaceVerifier SandboxPhoneAuthorizer",
    ]
