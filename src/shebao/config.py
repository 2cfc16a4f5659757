"""Settings from `SHEBAO_*` environment variables (API.md, CLI section)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - the value production refuses
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "shebao"


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class ConfigError(RuntimeError):
    """A configuration the service refuses to start with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHEBAO_", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    clock: datetime | None = None
    session_idle_minutes: int = Field(default=30, ge=1)
    # SHA-256 (hex) of the key the tax core sends as X-TaxCore-Key (payments made elsewhere).
    taxcore_key_sha256: str | None = None
    payment_expiry_minutes: int = Field(default=30, ge=1)
    # Providers for the pluggable steps of login; "sandbox" ones are dev-only and refused in production.
    face_provider: str = "sandbox"
    sms_provider: str = "sandbox"
    phone_provider: str = "sandbox"
    log_json: bool = False
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed; none by default,
    # so a client cannot choose the address its rate limits count against (docs/deploy.md).
    trusted_proxies: str = ""
    # Alipay open platform. Enabled when the app id is set, and always outside production, where unset
    # keys are dev keys generated into {data_dir}/keys/ and the gateway is the sandbox's.
    alipay_app_id: str | None = None
    alipay_private_key: str | None = None  # the app's RSA2 private key: PEM text or a file path
    alipay_public_key: str | None = None  # Alipay's public key, for its answers and notifications
    alipay_gateway: str | None = None  # default: the real gateway in production, else the sandbox's
    # WeChat Pay API v3. Enabled when the merchant id is set, and always outside production (dev keys,
    # the sandbox's gateway). The platform key is a public key (with its PUB_KEY_ID serial) or
    # platform certificates (their serials read from them).
    wechat_mchid: str | None = None
    wechat_appid: str | None = None  # the mini program's / official account's appid
    wechat_private_key: str | None = None  # the merchant API certificate's private key
    wechat_cert_serial: str | None = None  # the merchant API certificate's serial number
    wechat_apiv3_key: str | None = None  # 32 characters: decrypts callback resources
    wechat_platform_public_key: str | None = None  # WeChat Pay's public key, or its platform certificate(s)
    wechat_platform_serial: str | None = None  # PUB_KEY_ID_… of that public key (not needed for certificates)
    wechat_gateway: str | None = None  # default: https://api.mch.weixin.qq.com, else the sandbox's
    # UnionPay online gateway (全渠道, version 5.1.0). Enabled like the others.
    unionpay_mer_id: str | None = None
    unionpay_sign_key: str | None = None  # the merchant signing certificate's private key
    unionpay_cert_id: str | None = None  # that certificate's serial number (certId, decimal)
    unionpay_verify_key: str | None = None  # UnionPay's signing public key or certificate
    unionpay_gateway: str | None = None  # default: https://gateway.95516.com, else the sandbox's
    # The bank front end (TIPS-style: agreement verification, real-time deduction, query). Enabled when the
    # gateway is set, and always outside production (dev keys, this deployment's sandbox bank).
    bank_gateway: str | None = None  # the bank front end's URL
    bank_private_key: str | None = None  # ours: signs every request message
    bank_public_key: str | None = None  # the front end's public key or certificate: verifies its answers
    bank_node_code: str = "SHEBAO"  # our node code, the sender of every message
    # The tax office's certificate signing (缴费证明的电子签章): the private key and the signing certificate
    # followed by its chain, PEM text or file paths. Production issues certificates only with both set
    # (never with generated keys); elsewhere a development CA and signer are generated into {data_dir}/keys/.
    certificate_signing_key: str | None = None
    certificate_signing_cert: str | None = None

    @field_validator("clock")
    @classmethod
    def _clock_has_zone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("SHEBAO_CLOCK must carry a UTC offset, e.g. 2025-11-20T09:00:00+08:00")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"SHEBAO_TRUSTED_PROXIES: not an address or network: {item}") from exc
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _split(self.trusted_proxies))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sandboxes_enabled(self) -> bool:
        return not self.is_production

    @property
    def alipay_enabled(self) -> bool:
        return bool(self.alipay_app_id) or not self.is_production

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_mchid) or not self.is_production

    @property
    def unionpay_enabled(self) -> bool:
        return bool(self.unionpay_mer_id) or not self.is_production

    @property
    def bank_enabled(self) -> bool:
        return bool(self.bank_gateway) or not self.is_production

    @property
    def certificates_enabled(self) -> bool:
        return bool(self.certificate_signing_key and self.certificate_signing_cert) or not self.is_production

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shebao.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def check_for_production(self) -> None:
        """Refuse to run production on defaults that would be unsafe there."""
        if not self.is_production:
            return
        if not self.secret_key or self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            raise ConfigError(
                "生产环境必须设置 SHEBAO_SECRET_KEY（至少32个字符的随机密钥），不能使用默认值。"
                " SHEBAO_SECRET_KEY is missing, default or too short."
            )
        if self.clock is not None:
            raise ConfigError("生产环境不能设置 SHEBAO_CLOCK：服务时钟只能是真实时间。")
        dev_only = {
            "SHEBAO_FACE_PROVIDER": self.face_provider,
            "SHEBAO_SMS_PROVIDER": self.sms_provider,
            "SHEBAO_PHONE_PROVIDER": self.phone_provider,
        }
        sandboxed = [name for name, value in dev_only.items() if value == "sandbox"]
        if sandboxed:
            raise ConfigError("生产环境不能使用仅供开发的模拟服务：" + ", ".join(sandboxed) + " = sandbox")
        if not self.database_url or not self.database_url.startswith("postgresql"):
            raise ConfigError("生产环境必须通过 SHEBAO_DATABASE_URL 使用 PostgreSQL。")
        for check in _production_checks.values():
            if check.applies(self):
                check.run(self)


@dataclass(frozen=True)
class ProductionCheck:
    """A check of settings that belong to a part above `config` (a channel's keys, the certificate
    signer): `run` raises `ConfigError` when production may not start with them."""

    applies: Callable[[Settings], bool]
    run: Callable[[Settings], None]


_production_checks: dict[str, ProductionCheck] = {}


def register_production_check(
    name: str, run: Callable[[Settings], None], *, applies: Callable[[Settings], bool]
) -> None:
    """Called by the part that owns the settings, when it is imported; `shebao.registrations` imports
    every such part before a process builds its runtime. Registering a name again replaces it."""
    _production_checks[name] = ProductionCheck(applies=applies, run=run)


def production_checks() -> tuple[str, ...]:
    """The names registered, in the order they run."""
    return tuple(_production_checks)


@cache
def get_settings() -> Settings:
    return Settings()
