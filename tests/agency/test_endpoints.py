"""POST /api/v1/agency/enrolments: per-agency keys, the row report, 4xx for bad requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.agency.keys import create_key
from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.enrolment.models import AgencyKey, Enrolment
from shebao.runtime import Runtime
from tests.support.enrolment import XIAO_MING, count, flexible_row, medical_row, payables_of
from tests.support.people import transaction

URL = "/api/v1/agency/enrolments"
HIDDEN = "：零宽、文字方向控制等字符无法输入，请删除后重新提交"


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")


def new_key(runtime: Runtime, agency_code: str = "SB110102") -> dict[str, str]:
    with transaction(runtime) as session:
        key = create_key(session, agency_code, now=runtime.clock.now(), actor=Actor.system())
    return {"X-Agency-Key": key.secret}


class TestKeys:
    @pytest.mark.parametrize(
        "headers", [{}, {"X-Agency-Key": ""}, {"X-Agency-Key": "sbak_wrong"}, {"X-Agency-Key": "x" * 500}]
    )
    def test_missing_or_wrong_key_is_401(
        self, client: TestClient, runtime: Runtime, headers: dict[str, str]
    ) -> None:
        new_key(runtime)
        response = client.post(URL, json={"rows": [medical_row()]}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "code": "agency_key_invalid",
                "message": "机构密钥无效：请在请求头 X-Agency-Key 中提供本机构有效的密钥",
            }
        }
        assert count(runtime, Enrolment) == 0

    def test_a_revoked_key_is_401(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime)
        with transaction(runtime) as session:
            session.scalars(select(AgencyKey)).one().revoked_at = runtime.clock.now()
        assert client.post(URL, json={"rows": [medical_row()]}, headers=headers).status_code == 401

    def test_a_key_only_enrols_its_own_agency(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime, "SB110102")
        response = client.post(URL, json={"rows": [flexible_row(), medical_row()]}, headers=headers)
        assert response.status_code == 200
        items = response.json()["items"]
        assert items[0] == {
            "line": 2,
            "index": 0,
            "status": "rejected",
            "reason": "本机构（SB110102）的密钥不能报送其他社保经办机构的参保数据：SB110108",
        }
        assert items[1]["status"] == "imported"
        assert count(runtime, Enrolment) == 1


class TestImport:
    def test_good_rows(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime)
        rows = [
            medical_row(),
            medical_row(XIAO_MING, "student_child"),
            medical_row(category="elderly", name=""),
        ]
        response = client.post(URL, json={"rows": rows}, headers=headers)
        assert response.status_code == 200
        assert response.json() == {
            "items": [
                {"line": 2, "index": 0, "status": "imported", "reason": "已导入；生成应缴费1条"},
                {"line": 3, "index": 1, "status": "imported", "reason": "已导入；生成应缴费1条"},
                {"line": 4, "index": 2, "status": "rejected", "reason": "缺少必填项：姓名（name）"},
            ],
            "imported": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 1,
            "summary": "共3行：导入2行，更新0行，未变0行，拒绝1行",
        }
        assert [p.base_amount_fen for p in payables_of(runtime)] == [79500, 43500]
        with runtime.db.session() as session:
            entry = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "enrolment.created")
            ).first()
            assert entry is not None
            assert (entry.actor_type, entry.actor_id, entry.channel) == ("agency", "SB110102", "api")

    def test_resend_is_unchanged_and_a_change_updates(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime)
        client.post(URL, json={"rows": [medical_row()]}, headers=headers)
        again = client.post(URL, json={"rows": [medical_row()]}, headers=headers).json()
        assert again["items"][0]["status"] == "unchanged"
        changed = client.post(URL, json={"rows": [medical_row(category="elderly")]}, headers=headers).json()
        assert changed["items"][0] == {
            "line": 2,
            "index": 0,
            "status": "updated",
            "reason": "已更新（人员类别）；重新计算待申报应缴费1条",
        }

    def test_numbers_in_json_rows(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime, "SB110108")
        row = {**flexible_row(types="pension", start="2025-11"), "monthly_base_yuan": 7162.5}
        response = client.post(URL, json={"rows": [row]}, headers=headers)
        assert response.json()["items"][0]["status"] == "imported"
        assert [p.base_amount_fen for p in payables_of(runtime)] == [143250]

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"rows": []}, "rows", "数据行不能为空"),
            ({"rows": [medical_row()] * 1001}, "rows", "数据行最多1000项"),
            ({"rows": ["not an object"]}, "rows.0", "数据行应为 JSON 对象"),
            ({"rows": "x"}, "rows", "数据行应为列表"),
            ({}, "rows", "请填写数据行"),
            ([1, 2], "request", "请求内容应为 JSON 对象"),
        ],
    )
    def test_bad_request_is_422_in_chinese(
        self, client: TestClient, runtime: Runtime, body: object, field: str, message: str
    ) -> None:
        headers = new_key(runtime)
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["error"] == {
            "code": "validation_failed",
            "message": message,
            "fields": {field: message},
        }

    def test_malformed_json_is_422(self, client: TestClient, runtime: Runtime) -> None:
        headers = {**new_key(runtime), "Content-Type": "application/json"}
        response = client.post(URL, content=b'{"rows": [', headers=headers)
        assert response.status_code == 422
        assert response.json()["error"]["message"] == "请求内容不是有效的 JSON"

    def test_odd_values_in_a_row_reject_only_that_row(self, client: TestClient, runtime: Runtime) -> None:
        headers = new_key(runtime)
        rows = [
            {**medical_row(), "name": {"x": 1}},
            {**medical_row(), "category": None, "surprise": 1},
            {},
            medical_row(XIAO_MING, "student_child", id_number="1" * 10000),
        ]
        response = client.post(URL, json={"rows": rows}, headers=headers)
        assert response.status_code == 200
        assert [item["reason"] for item in response.json()["items"]] == [
            "姓名（name）格式不正确",
            "未知字段：surprise；缺少必填项：人员类别（category）",
            "缺少必填项：证件类型（id_type）；缺少必填项：证件号码（id_number）；缺少必填项：姓名（name）；"
            "缺少必填项：主管税务机关代码（tax_office_code）；缺少必填项：社保经办机构代码（agency_code）；"
            "缺少必填项：参保项目（scheme）",
            "身份证号码应为18位",
        ]

    def test_names_with_invisible_characters_are_refused_naming_the_row(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        headers = new_key(runtime)
        rows = [medical_row(name="张\u202e三"), medical_row(XIAO_MING, "student_child", name="小\u200b明")]
        response = client.post(URL, json={"rows": rows}, headers=headers)
        assert response.status_code == 200
        assert [(item["index"], item["status"], item["reason"]) for item in response.json()["items"]] == [
            (0, "rejected", "姓名（name）含有不可见字符（U+202E）" + HIDDEN),
            (1, "rejected", "姓名（name）含有不可见字符（U+200B）" + HIDDEN),
        ]
        assert count(runtime, Enrolment) == 0

    def test_documented_in_openapi(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        operation = spec["paths"][URL]["post"]
        assert operation["security"] == [{"APIKeyHeader": []}]
        assert set(operation["responses"]) >= {"200", "401", "422"}
