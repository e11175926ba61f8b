"""The KPI evidence API (SPEC §7, §8) over HTTP on the running service."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import quote

from openpyxl import Workbook
from sqlalchemy import func, select

from models import KpiChange, KpiRecord
from tests.services.test_kpi_evidence import GOOD_CSV

BASE = "/api/v1/kpi/innovation/{agency}/{fy}/evidence"
BANGRAK = BASE.format(agency="บางรัก", fy=2564)
IDEA = {"proposer": "สมศรี ใจดี", "submitted_on": "2021-01-10", "problem": "ประสานงานช้า", "idea": "ใช้ LINE",
        "innovation_type": "บริการ"}


async def _count(service, model) -> int:
    async with service.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_record_items_selection_and_changes(service):
    me = {"X-Actor": quote("สมชาย ผู้ดูแล")}
    async with service.http() as client:
        missing = await client.get(BANGRAK)
        assert missing.status_code == 404 and "ยังไม่มีข้อมูล" in missing.json()["message"]
        assert "no innovation KPI evidence" in missing.json()["message"]

        put = await client.put(BANGRAK, headers=me, json={
            "innovation_title": "LINE @ร้องทุกข์ 1555", "innovation_type": "บริการ", "form3_submitted_on": "2021-02-20"})
        assert put.status_code == 200, put.text
        assert put.json()["agency"] == {"code": "1004", "name_th": "สำนักงานเขตบางรัก"}
        assert (put.json()["innovation_type"], put.json()["form3_submitted_on"]) == ("service", "2021-02-20")

        first = (await client.post(f"{BANGRAK}/ideas", json=IDEA)).json()
        second = await client.post(f"{BANGRAK}/ideas", json=IDEA | {"proposer": "สมชาย", "innovation_type": "นโยบาย"})
        assert second.status_code == 201 and second.json()["innovation_type"] == "policy"
        second = second.json()
        patched = await client.patch(f"{BANGRAK}/ideas/{first['id']}", json={"problem": "ประสานงานช้ามาก"})
        assert patched.status_code == 200 and patched.json()["problem"] == "ประสานงานช้ามาก"

        choice = {"selected_by": "คณะผู้บริหารสำนักงานเขต", "selected_on": "2021-02-01"}
        assert (await client.post(f"{BANGRAK}/ideas/{first['id']}/select", json=choice)).status_code == 200
        selected = await client.post(f"{BANGRAK}/ideas/{second['id']}/select", json=choice | {"selected_on": "2021-02-02"})
        assert selected.status_code == 200
        assert [(i["id"], i["selected"]) for i in selected.json()["ideas"]] == [(first["id"], False), (second["id"], True)]
        assert selected.json()["selected_on"] == "2021-02-02"

        activity = await client.post(f"{BANGRAK}/activities", json={"name": "สร้างบัญชี", "planned_end": "2021-04-30"})
        assert activity.status_code == 201
        done = await client.patch(f"{BANGRAK}/activities/{activity.json()['id']}", json={"done_on": "2021-04-28"})
        assert done.json()["done_on"] == "2021-04-28"
        indicator = await client.post(f"{BANGRAK}/indicators", json={"name": "ร้อยละที่รับเรื่องทันเวลา", "unit": "%",
                                                                     "target": 80, "baseline": 40})
        assert indicator.status_code == 201 and indicator.json()["higher_is_better"] is True
        achieved = await client.patch(f"{BANGRAK}/indicators/{indicator.json()['id']}", json={"achieved": 85.5})
        assert achieved.json()["achieved"] == 85.5

        assert (await client.delete(f"{BANGRAK}/ideas/{first['id']}")).status_code == 204
        assert (await client.delete(f"{BANGRAK}/ideas/{first['id']}")).status_code == 404
        gone = await client.delete(f"{BANGRAK}/indicators/{indicator.json()['id']}", headers=me)
        assert gone.status_code == 204

        evidence = (await client.get(BASE.format(agency="1004", fy=2564))).json()
        changes = (await client.get(f"{BANGRAK}/changes")).json()
    assert [i["proposer"] for i in evidence["ideas"]] == ["สมชาย"] and evidence["indicators"] == []
    assert evidence["activities"][0]["done_on"] == "2021-04-28"
    assert [(c["what"], c["action"], c["actor"]) for c in changes] == [
        ("record", "create", "สมชาย ผู้ดูแล"), ("record", "update", "สมชาย ผู้ดูแล"),
        ("idea", "create", "api"), ("idea", "create", "api"), ("idea", "update", "api"),
        ("idea", "select", "api"), ("idea", "select", "api"),
        ("activity", "create", "api"), ("activity", "update", "api"),
        ("indicator", "create", "api"), ("indicator", "update", "api"),
        ("idea", "delete", "api"), ("indicator", "delete", "สมชาย ผู้ดูแล")]
    assert changes[4]["before"] == {"problem": "ประสานงานช้า"} and changes[4]["after"] == {"problem": "ประสานงานช้ามาก"}
    assert changes[6]["before"]["idea_id"] == first["id"] and changes[6]["after"]["idea_id"] == second["id"]


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_import_csv_and_xlsx_as_the_request_body(service):
    url = BASE.format(agency="สลป.", fy=2564) + "/import"
    async with service.http() as client:
        csv = await client.post(url, content=b"\xef\xbb\xbf" + GOOD_CSV.encode(),
                                headers={"Content-Type": "text/csv; charset=utf-8", "X-Actor": "somchai"})
        assert csv.status_code == 200, csv.text
        body = csv.json()
        assert (body["record_created"], body["ideas"], body["activities"], body["indicators"]) == (True, 3, 2, 1)
        assert body["evidence"]["agency"]["code"] == "PSSEC" and body["evidence"]["ideas"][2]["selected"] is True
        assert body["selected_idea_id"] == body["evidence"]["ideas"][2]["id"]

        workbook = _xlsx([["kind", "name", "target", "ผลงานที่ทำได้"], ["ตัวชี้วัด", "หน่วยงานมีผู้ประสานงาน", 100, 100],
                          ["ตัวชี้วัด", "รับเรื่องทันเวลา", "80%", None]])
        by_query = await client.post(url, params={"format": "xlsx"}, content=workbook)
        sniffed = await client.post(url, content=workbook, headers={"Content-Type": "application/octet-stream"})
        for response in (by_query, sniffed):
            assert response.status_code == 200, response.text
            assert (response.json()["record_created"], response.json()["ideas"], response.json()["indicators"]) == (
                False, None, 2)
        assert [i["target"] for i in sniffed.json()["evidence"]["indicators"]] == [100.0, 80.0]
        assert len(sniffed.json()["evidence"]["ideas"]) == 3  # not in the file: left as they were

        before = await _count(service, KpiChange)
        bad = _xlsx([["kind", "proposer", "submitted_on", "problem", "idea", "innovation_type"],
                     ["idea", "สมศรี", datetime(2021, 1, 5), "ช้า", "LINE", "บริการ"],
                     ["idea", "", "32/1/2564", "ช้า", "LINE", "บริการ"]])
        refused = await client.post(url, content=bad, params={"format": "xlsx"})
        wrong_type = await client.post(url, content=b"{}", headers={"Content-Type": "application/json"})
        changes = (await client.get(url.removesuffix("/import") + "/changes")).json()
    assert refused.status_code == 422 and refused.json()["error"] == "InvalidInput"
    message = refused.json()["message"]
    assert "row 3, column proposer: required" in message and "row 3, column submitted_on:" in message
    assert "row 2" not in message
    assert {"row": "row 3", "column": "proposer", "problem": "required"} in refused.json()["details"]["problems"]
    assert wrong_type.status_code == 415
    assert await _count(service, KpiChange) == before
    assert [(c["what"], c["action"], c["actor"]) for c in changes] == [
        ("record", "create", "somchai"), ("import", "replace", "somchai"), ("record", "update", "somchai"),
        ("import", "replace", "api"), ("import", "replace", "api")]


async def test_refusals(service):
    async with service.http(admin=False) as anonymous:
        assert (await anonymous.get(BANGRAK)).status_code == 401
        assert (await anonymous.post(f"{BANGRAK}/ideas", json=IDEA)).status_code == 401
        assert (await anonymous.post(f"{BANGRAK}/import", content=GOOD_CSV.encode())).status_code == 401
    async with service.http() as client:
        assert (await client.get(BASE.format(agency="ดาวอังคาร", fy=2564))).status_code == 404
        assert (await client.put(BASE.format(agency="บางกอก", fy=2564), json={})).status_code == 409
        for fy in (2021, 2800, "สองห้าหกสี่"):
            response = await client.put(BASE.format(agency="1004", fy=fy), json={"innovation_title": "x"})
            assert response.status_code == 422, (fy, response.text)
        for body in ({"innovation_type": "ดิจิทัล"}, {"committee_decision": "เห็นชอบ"},
                     {"form3_submitted_on": "2030-01-01"}, {"form3_submitted_on": "1/4/2564"}, {"colour": "red"},
                     {"baseline_tta_seconds": 0}):
            response = await client.put(BANGRAK, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["error"] == "InvalidInput" and response.json()["message"]
        assert (await client.patch(f"{BANGRAK}/ideas/1", json={"proposer": "x"})).status_code == 404  # no record yet
        assert (await client.get(f"{BANGRAK}/changes")).status_code == 404
        assert await _count(service, KpiRecord) == 0  # refused changes created no record

        pathumwan = BASE.format(agency="ปทุมวัน", fy=2564)
        theirs = (await client.post(f"{pathumwan}/ideas", json=IDEA)).json()
        ours = (await client.post(f"{BANGRAK}/ideas", json=IDEA)).json()
        assert (await client.patch(f"{BANGRAK}/ideas/{theirs['id']}", json={"proposer": "x"})).status_code == 404
        assert (await client.post(f"{BANGRAK}/ideas/{theirs['id']}/select",
                                  json={"selected_by": "x", "selected_on": "2021-02-01"})).status_code == 404
        assert (await client.delete(f"{BANGRAK}/activities/{theirs['id']}")).status_code == 404
        for bad in ({"proposer": None}, {"submitted_on": "not a date"}, {"selected": True}):
            assert (await client.patch(f"{BANGRAK}/ideas/{ours['id']}", json=bad)).status_code == 422, bad
        assert (await client.post(f"{BANGRAK}/ideas", json={"proposer": "x"})).status_code == 422
        early = await client.post(f"{BANGRAK}/ideas/{ours['id']}/select", json={"selected_by": "x", "selected_on": "2021-01-01"})
        assert early.status_code == 422 and "selected_on" in early.json()["message"]
        assert (await client.post(f"{BANGRAK}/activities", json={"name": "x", "planned_start": "2021-05-01",
                                                                 "planned_end": "2021-04-01"})).status_code == 422
        evidence = (await client.get(BANGRAK)).json()
    assert [i["selected"] for i in evidence["ideas"]] == [False] and evidence["activities"] == []
