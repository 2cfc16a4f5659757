"""`AnyStaff` … `AdminStaff` (what every console section builds on) and `Staff`'s office rule."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import column, select

from shebao.console.deps import AdminStaff, AnyStaff, ApproverStaff, OperatorStaff
from shebao.console.staff import Role, Staff
from shebao.runtime import Runtime
from tests.support.console import DONGCHENG, XICHENG, staff_headers


@pytest.fixture
def guarded(app: FastAPI) -> FastAPI:
    """Four console endpoints, one per least role, as a section of the console declares them."""

    @app.get("/api/v1/console/test/viewer")
    def viewer(staff: AnyStaff) -> str:
        return staff.role.value

    @app.post("/api/v1/console/test/operator")
    def operator(staff: OperatorStaff) -> str:
        return staff.role.value

    @app.post("/api/v1/console/test/approver")
    def approver(staff: ApproverStaff) -> str:
        return staff.role.value

    @app.get("/api/v1/console/test/admin")
    def admin(staff: AdminStaff) -> str:
        return staff.role.value

    return app


ROLES = ["viewer", "operator", "approver", "admin"]


def test_each_role_reaches_its_own_level_and_below(
    guarded: FastAPI, client: TestClient, runtime: Runtime
) -> None:
    for rank, role in enumerate(ROLES):
        headers = staff_headers(client, runtime, role=role)
        for needed_rank, needed in enumerate(ROLES):
            method = client.get if needed in ("viewer", "admin") else client.post
            answer = method(f"/api/v1/console/test/{needed}", headers=headers)
            if rank >= needed_rank:
                assert (answer.status_code, answer.json()) == (200, role)
            else:
                assert answer.status_code == 403, (role, needed)
                assert answer.json()["error"] == {"code": "forbidden", "message": "您的角色无权办理该业务"}
    assert client.get("/api/v1/console/test/viewer").status_code == 401


def test_office_rule() -> None:
    def staff(role: Role, office: str | None) -> Staff:
        return Staff(uuid.uuid4(), "x", role, office)

    mine = staff(Role.APPROVER, DONGCHENG)
    assert (mine.sees_office(DONGCHENG), mine.sees_office(XICHENG), mine.sees_office(None)) == (
        True,
        False,
        False,
    )
    everything = staff(Role.ADMIN, None)
    assert (everything.sees_office(DONGCHENG), everything.sees_office(None)) == (True, True)
    office_admin = staff(Role.ADMIN, XICHENG)
    assert (office_admin.sees_office(DONGCHENG), office_admin.sees_office(XICHENG)) == (False, True)
    office = column("tax_office_code")
    assert str(select(1).where(everything.office_filter(office))).endswith("WHERE true")
    assert "tax_office_code = :tax_office_code_1" in str(select(1).where(mine.office_filter(office)))
    assert str(select(1).where(staff(Role.VIEWER, None).office_filter(office))).endswith("WHERE false")
    assert mine.actor.type == "operator" and mine.actor.id == "x" and mine.actor.channel == "console"
    assert mine.at_least(Role.OPERATOR) and not mine.at_least(Role.ADMIN)
