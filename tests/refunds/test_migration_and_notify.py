"""The migration gives payments flagged before refunds existed their refund; the refund notification route
refuses what a provider that answers at once (Alipay, the bank) never sends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from shebao.migrate import alembic_config, upgrade
from shebao.payments.refunds import Refund
from tests.support.payments import load_declaration
from tests.support.refunds import duplicate_by_alipay

BEFORE_REFUNDS = "021208bdf900"


def test_payments_flagged_before_refunds_get_theirs(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    config = alembic_config(runtime.settings.sqlalchemy_url)
    with runtime.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE_REFUNDS)
    with runtime.db.engine.connect() as conn:
        flagged = conn.execute(
            text("SELECT refund_status FROM payments WHERE duplicate = :yes"), {"yes": True}
        )
        assert flagged.scalars().all() == ["to_refund"]
    upgrade(runtime.db)
    with runtime.db.session() as s:
        found = s.scalars(select(Refund)).all()
    assert [(str(r.payment_id), r.status, r.origin, r.amount_fen, r.method) for r in found] == [
        (late["id"], "pending", "migrated", 79500, "alipay")
    ]
    assert found[0].out_refund_no.startswith("RF") and len(found[0].out_refund_no) == 32
    assert found[0].tax_office_code == load_declaration(runtime, late["declaration_id"]).tax_office_code


def test_alipay_and_the_bank_send_no_refund_notifications(client, runtime) -> None:  # type: ignore[no-untyped-def]
    for method in ("alipay", "agreement"):
        answer = client.post(
            f"/api/v1/channels/{method}/refund-notify", content=b"notify_id=1&out_request_no=RF1"
        )
        assert (answer.status_code, answer.text) == (400, "invalid notification")
    unknown = client.post("/api/v1/channels/paypal/refund-notify", content=b"{}")
    assert unknown.status_code == 422
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/channels/{method}/refund-notify"][
        "post"
    ]
    assert documented["summary"].startswith("退款结果通知")
