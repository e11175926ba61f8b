from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import AgencyNotFound, AmbiguousAgency
from app.services import agencies
from models import Agency


def test_shipped_file_has_every_district_and_unique_lookups():
    rows = agencies.read_file()
    districts = [r for r in rows if r["kind"] == "district"]
    assert [r["code"] for r in districts] == [str(c) for c in range(1001, 1051)]
    assert sum(r["code"] == "CENTRE" and r["kind"] == "centre" for r in rows) == 1
    assert {r["kind"] for r in rows} == {"centre", "district", "bureau", "office"}
    seen: dict[str, str] = {}
    for row in rows:
        for key in {agencies.normalize(x) for x in (row["code"], row["name_th"], row["name_en"], *row["aliases"])}:
            assert seen.setdefault(key, row["code"]) == row["code"], f"{key!r} finds {seen[key]} and {row['code']}"


@pytest.mark.parametrize("query", ["1004", "บางรัก", "เขตบางรัก", "สำนักงานเขตบางรัก", "Bang Rak", "bangrak",
                                   "BANG RAK DISTRICT OFFICE", " บางรัก "])
async def test_resolve_by_code_name_or_alias(session, query):
    assert (await agencies.resolve(session, query)).code == "1004"


async def test_bureau_prefix_is_optional(session):
    drainage = await agencies.resolve(session, "สำนักการระบายน้ำ")
    assert drainage.kind == "bureau"
    assert (await agencies.resolve(session, "การระบายน้ำ")).code == drainage.code
    assert (await agencies.resolve(session, "สนน.")).code == drainage.code


async def test_unknown_and_ambiguous(session):
    with pytest.raises(AgencyNotFound):
        await agencies.resolve(session, "เขตไม่มีจริง")
    with pytest.raises(AmbiguousAgency) as exc:
        await agencies.resolve(session, "บางกอก")  # บางกอกน้อย, บางกอกใหญ่
    assert {a.code for a in exc.value.candidates} == {"1016", "1020"}


async def test_load_is_idempotent_and_updates_changed_rows(session):
    before = await session.scalar(select(func.count()).select_from(Agency))
    again = await agencies.load(session)
    assert (again.created, again.updated) == (0, 0)
    rows = agencies.read_file()
    rows[3] = {**rows[3], "name_en": "Bang Rak District Office (renamed)"}
    changed = await agencies.load(session, rows)
    assert (changed.created, changed.updated) == (0, 1)
    assert await session.scalar(select(func.count()).select_from(Agency)) == before
    assert (await agencies.get_by_code(session, rows[3]["code"])).name_en.endswith("(renamed)")
