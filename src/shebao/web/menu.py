"""Every function of the guide, in its words, with where it lives once built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    slug: str
    title: str
    path: str | None  # None: not built yet, the menu links to its 即将开放 page
    public: bool = False  # usable without logging in (缴费证明查验)

    @property
    def href(self) -> str:
        return self.path or f"/soon/{self.slug}"


FEE_FUNCTIONS: tuple[Function, ...] = (
    Function("medical", "城乡居民基本医疗保险缴费办理", "/fees/medical"),
    Function("declarations", "已申报查询", "/declarations"),
    Function("medical-records", "城乡居民医疗缴费记录查询", "/records/medical"),
    Function("pension", "城乡居民养老保险办理", "/fees/pension"),
    Function("pension-declarations", "城乡居民养老保险申报记录查询", "/declarations/pension"),
    Function("pension-records", "城乡居民养老保险已缴费查询", "/records/pension"),
    Function("contribution-setting", "缴费金额设置", "/contribution-settings"),
    Function("contribution-void", "缴费金额作废", "/contribution-settings/void"),
    Function("flexible", "灵活就业人员应缴费信息查询", "/fees/flexible"),
    Function("flexible-records", "灵活就业人员缴费记录查询", "/records/flexible"),
    Function("agreements", "缴费协议", "/agreements"),
)

CERTIFICATE_FUNCTIONS: tuple[Function, ...] = (
    Function("certificate-print", "社保缴费证明打印", "/certificates/print"),
    Function("certificate-download", "社保缴费证明下载", "/certificates"),
    Function("certificate-verify", "缴费证明查验", "/verify", public=True),
)

ALL_FUNCTIONS = {f.slug: f for f in FEE_FUNCTIONS + CERTIFICATE_FUNCTIONS}
