"""`crm import FILE`: an operator's import, run in the process, with a summary of every row."""

import re
import subprocess
from pathlib import Path

import aiosqlite

from api.core.ids import from_global_id, to_global_id
from tests.ops.processes import CRM, crm_env

CSV = "客户名称,电话,邮箱,标签\n云帆科技,+86 138-0013-8000,a@yunfan.cn,重点客户\n坏行,call me,,\n"


def _crm(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CRM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _printed_workspace_id(stdout: str) -> str:
    printed = re.findall(r"workspace id (\S+);", stdout)
    assert len(printed) == 1, stdout
    workspace = printed[0]
    assert from_global_id(workspace) == ("Workspace", 1)
    return workspace


async def test_import_reports_created_and_failed_rows(tmp_path: Path):
    # given: a migrated database with a workspace, and a GB18030 file
    env = crm_env(DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}", REDIS_URL=None)
    assert _crm(["migrate"], env, tmp_path).returncode == 0
    assert _crm(["seed"], env, tmp_path).returncode == 0
    (tmp_path / "客户.csv").write_bytes(CSV.encode("gb18030"))

    # when
    result = _crm(["import", "客户.csv", "--workspace", "1", "--mode", "create"], env, tmp_path)

    # then: it completed, and exits 1 since a row failed (a script running it notices)
    assert result.returncode == 1, result.stderr
    assert "COMPLETED: 1 created, 0 updated, 0 skipped, 1 failed" in result.stdout
    assert "row 3 (phone): “call me” is not a valid phone number." in result.stdout
    async with (
        aiosqlite.connect(tmp_path / "crm.sqlite3") as db,
        db.execute("SELECT phone_normalized FROM customer WHERE name = '云帆科技'") as cursor,
    ):
        assert await cursor.fetchall() == [("13800138000",)]


async def test_import_into_a_missing_workspace_is_refused(tmp_path: Path):
    env = crm_env(DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}", REDIS_URL=None)
    assert _crm(["migrate"], env, tmp_path).returncode == 0
    (tmp_path / "a.csv").write_text("name\nx\n")

    result = _crm(["import", "a.csv", "--workspace", "42"], env, tmp_path)

    assert result.returncode == 2
    assert "there is no workspace 42" in result.stderr


async def test_import_of_another_kind_links_rows_to_their_customers(tmp_path: Path):
    # given: the demo workspace, and a file of contacts for its customers
    env = crm_env(DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}", REDIS_URL=None)
    assert _crm(["migrate"], env, tmp_path).returncode == 0
    assert _crm(["seed"], env, tmp_path).returncode == 0
    (tmp_path / "联系人.csv").write_text(
        "客户名称,姓名,手机\n上海云帆科技有限公司,李娜,139 1122 0000\n没有的公司,张三,13700000000\n",
        encoding="utf-8",
    )

    # when
    result = _crm(["import", "联系人.csv", "--workspace", "1", "--kind", "contacts"], env, tmp_path)

    # then
    assert result.returncode == 1, result.stderr
    assert "COMPLETED: 1 created, 0 updated, 0 skipped, 1 failed" in result.stdout
    assert "row 3 (customer.name): No customer with name “没有的公司”." in result.stdout
    async with (
        aiosqlite.connect(tmp_path / "crm.sqlite3") as db,
        db.execute(
            "SELECT customer.name FROM contact JOIN customer ON customer.id = contact.customer_id "
            "WHERE contact.name = '李娜' AND contact.phone_normalized = '13911220000'"
        ) as cursor,
    ):
        assert await cursor.fetchall() == [("上海云帆科技有限公司",)]


async def test_an_explicit_mapping_names_the_columns_headers_do_not(tmp_path: Path):
    # given: an ERP extract whose headers say nothing the CRM recognises
    env = crm_env(DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}", REDIS_URL=None)
    assert _crm(["migrate"], env, tmp_path).returncode == 0
    seeded = _crm(["seed"], env, tmp_path)
    (tmp_path / "erp.csv").write_text("KUNNR,NAME1,TELF1\nK-77,华东贸易,021-5555 0000\n")

    # when: the operator maps them, once with each spelling of the option, into the workspace
    # whose id (the one the API shows) `crm seed` printed
    workspace = _printed_workspace_id(seeded.stdout)
    mapping = ["--mapping", "KUNNR=externalId", "--map", "NAME1=name", "--mapping", "TELF1=phone"]
    result = _crm(["import", "erp.csv", "--workspace", workspace, *mapping], env, tmp_path)

    # then
    assert result.returncode == 0, result.stderr
    assert "COMPLETED: 1 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    assert "columns imported: KUNNR → externalId, NAME1 → name, TELF1 → phone" in result.stdout
    async with (
        aiosqlite.connect(tmp_path / "crm.sqlite3") as db,
        db.execute(
            "SELECT external_id, phone_normalized FROM customer WHERE name = '华东贸易'"
        ) as cursor,
    ):
        assert await cursor.fetchall() == [("K-77", "02155550000")]


async def test_an_id_of_another_kind_is_no_workspace(tmp_path: Path):
    env = crm_env(DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}", REDIS_URL=None)
    (tmp_path / "a.csv").write_text("name\nx\n")

    result = _crm(["import", "a.csv", "--workspace", to_global_id("Customer", 1)], env, tmp_path)

    assert result.returncode == 2
    assert "is not a workspace id" in result.stderr
