"""导入 in the console: the runs of both imports with their reports, and a CSV uploaded and imported as the
command imports it (an unreadable file is refused whole, beside the field)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shebao.enrolment.models import Enrolment
from shebao.imports.models import ImportRun
from shebao.runtime import Runtime
from tests.support.console import staff_headers
from tests.support.enrolment import XIAO_MING, CliRunnerCall, flexible_row, medical_row, write_csv
from tests.support.ops import csrf

API = "/api/v1/console/imports"


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")


def enrolment_file(tmp_path: Path) -> bytes:
    path = write_csv(
        tmp_path / "in.csv",
        [medical_row(), medical_row(XIAO_MING, "kindergarten"), flexible_row(start="2025-11")],
    )
    return path.read_bytes()


def enrolments(runtime: Runtime) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Enrolment)) or 0)


def test_an_upload_is_imported_recorded_and_reported(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    operator = staff_headers(client, runtime, username="sun.op")
    viewer = staff_headers(client, runtime, role="viewer")
    files = {"file": ("agency-1120.csv", enrolment_file(tmp_path), "text/csv")}
    assert client.post(API, data={"kind": "enrolments"}, files=files, headers=viewer).status_code == 403
    answer = client.post(API, data={"kind": "enrolments"}, files=files, headers=operator)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("kind_label", "file_name", "operator", "channel", "rows", "rejected")} == {
        "kind_label": "参保数据导入",
        "file_name": "agency-1120.csv",
        "operator": "sun.op",
        "channel": "console",
        "rows": 3,
        "rejected": 1,
    }
    assert [(c["label"], c["rows"]) for c in body["counts"]] == [
        ("导入", 2),
        ("更新", 0),
        ("未变", 0),
        ("拒绝", 1),
    ]
    assert body["rejections"] == [
        {
            "line": 3,
            "reason": "人员类别（category）不正确：kindergarten，"
            "应为 student_child、working_age、elderly 之一",
        }
    ]
    assert enrolments(runtime) == 2
    assert list((runtime.settings.data_dir / "imports").iterdir()) == []  # the upload is not kept

    listed = client.get(API, headers=viewer).json()["items"]
    assert [(r["file_name"], r["rows"]) for r in listed] == [("agency-1120.csv", 3)]
    assert client.get(API, params={"kind": "payments"}, headers=viewer).json()["items"] == []
    assert client.get(f"{API}/{body['id']}", headers=viewer).json() == body

    page = client.get(f"/console/imports/{body['id']}", headers=viewer)
    assert page.status_code == 200
    for text in ("agency-1120.csv", "sun.op", "人员类别（category）不正确", "被拒绝的行"):
        assert text in page.text, text


def test_the_command_line_import_shows_in_the_console(
    client: TestClient, runtime: Runtime, tmp_path: Path, cli: CliRunnerCall
) -> None:
    path = tmp_path / "cli.csv"
    path.write_bytes(enrolment_file(tmp_path))
    assert cli("import", "enrolments", str(path)).exit_code == 1
    viewer = staff_headers(client, runtime, role="viewer")
    (run,) = client.get(API, headers=viewer).json()["items"]
    assert (run["file_name"], run["channel"], run["rows"], run["rejected"]) == ("cli.csv", "cli", 3, 1)
    page = client.get("/console/imports", headers=viewer)
    assert "cli.csv" in page.text and "上传导入" not in page.text  # a viewer does not upload


def test_bad_uploads_are_refused_whole(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    operator = staff_headers(client, runtime)
    unreadable = {"file": ("x.csv", "姓名\n".encode("gbk"), "text/csv")}
    answer = client.post(API, data={"kind": "enrolments"}, files=unreadable, headers=operator)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"file": "无法读取文件：文件不是UTF-8编码（第1个字节附近）"}
    wrong_kind = client.post(API, data={"kind": "people"}, files=unreadable, headers=operator)
    assert wrong_kind.status_code == 422
    assert client.post(API, data={"kind": "payments"}, headers=operator).status_code == 422
    payments = {"file": ("p.csv", b"source_id\n1\n", "text/csv")}
    refused = client.post(API, data={"kind": "payments"}, files=payments, headers=operator)
    assert refused.status_code == 422 and refused.json()["error"]["message"].startswith(
        "无法读取文件：缺少列："
    )
    with runtime.db.session() as s:
        assert s.scalars(select(ImportRun)).all() == []
    assert enrolments(runtime) == 0
    assert client.get(f"{API}/{uuid.uuid4()}", headers=operator).status_code == 404
    assert client.get(f"{API}/x", headers=operator).status_code == 422

    token = csrf(client)
    page = client.post(
        "/console/imports",
        data={"kind": "enrolments", "csrf_token": token},
        files=unreadable,
        headers=operator,
    )
    assert page.status_code == 422
    assert 'id="u-file-error">无法读取文件：文件不是UTF-8编码（第1个字节附近）</span>' in page.text
    good = {"file": ("ok.csv", enrolment_file(tmp_path), "text/csv")}
    done = client.post(
        "/console/imports",
        data={"kind": "enrolments", "csrf_token": token},
        files=good,
        headers=operator,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?uploaded=1")
    assert "导入完成：共读取 3 行，拒绝 1 行。" in client.get(done.headers["location"], headers=operator).text
