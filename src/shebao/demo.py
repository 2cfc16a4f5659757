"""Demo data for `shebao demo`: a handful of payers covering every scheme and state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shebao.kit.clock import format_local
from shebao.runtime import Runtime


@dataclass
class DemoSummary:
    lines: list[str] = field(default_factory=list)

    def render(self, url: str, now: datetime) -> str:
        text = [
            "",
            "shebao 演示环境已启动（嵌入式 SQLite、模拟支付渠道、演练时钟）",
            f"  打开：{url}/    接口文档：{url}/docs",
            f"  服务时钟：{format_local(now, '%Y-%m-%d %H:%M')}（北京时间）",
            f"  调整时钟：POST {url}/sandbox/clock",
        ]
        text += self.lines
        text.append("  按 Ctrl+C 停止。")
        return "\n".join(text) + "\n"


def load_demo(runtime: Runtime) -> DemoSummary:
    from shebao.agency.demo import enrol_demo_payers

    summary = DemoSummary()
    summary.lines += enrol_demo_payers(runtime)
    if runtime.settings.sandboxes_enabled:
        from shebao.sandbox.bank.demo import open_demo_accounts

        summary.lines += open_demo_accounts(runtime)
        summary.lines += _demo_operators(runtime)
    return summary


def _demo_operators(runtime: Runtime) -> list[str]:
    """The console's demo operators, enrolled in the sandbox's authenticator (the operator's phone)."""
    from shebao.console.demo import add_demo_operators
    from shebao.console.staff import Role
    from shebao.sandbox.authenticator import enrol

    lines = ["  税务所控制台：/console（首次登录须修改初始密码；动态口令见 /sandbox/authenticator）"]
    for enrolment in add_demo_operators(runtime):
        operator = enrolment.operator
        enrol(enrolment.totp_uri)
        role = Role(operator.role).label
        lines.append(f"    {operator.username:<14} {role:<4} 初始密码 {enrolment.one_time_password}")
    return lines
