"""The innovation KPI over HTTP: evidence imported, the breakdown, the quarterly report."""

from __future__ import annotations

import io
from pathlib import Path

import docx

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "kpi_import_example.csv"
BASE = "/api/v1/kpi/innovation"


async def test_score_and_quarterly_report_from_imported_evidence(service):
    async with service.http() as client:
        missing = await client.get(f"{BASE}/PSSEC/2564")
        imported = await client.post(f"{BASE}/สลป./2564/evidence/import?format=csv", content=EXAMPLE.read_bytes())
        score = await client.get(f"{BASE}/PSSEC/2564", params={"as_of": "2021-09-30"})
        report = await client.get(f"{BASE}/PSSEC/2564/report", params={"quarter": 2})
        document = await client.get(f"{BASE}/PSSEC/2564/report", params={"quarter": 2, "format": "docx"})
        bad_year = await client.get(f"{BASE}/PSSEC/2021")
        bad_quarter = await client.get(f"{BASE}/PSSEC/2564/report", params={"quarter": 5})
    async with service.http(admin=False) as client:
        anonymous = await client.get(f"{BASE}/PSSEC/2564")
    assert missing.status_code == 404 and "ยังไม่มีหลักฐาน" in missing.json()["message"]
    assert imported.status_code == 200, imported.text
    body = score.json()
    assert score.status_code == 200 and body["agency"]["code"] == "PSSEC" and body["target"] == 100
    # every step of the example is on time; the live results are empty in a fresh database
    assert body["parts"] == {"1": 20.0, "2": 40.0, "3": 10.0} and body["total"] == 70.0 and body["level"] == "2.0000"
    assert [p["quarter"] for p in body["progress"]] == [1, 2, 3, 4]
    assert all(c["reason_th"] for c in body["criteria"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/plain")
    assert "ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 2:" in report.text and "ค่าเป้าหมาย : 100" in report.text
    assert document.headers["content-type"].endswith("wordprocessingml.document")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(document.content)).paragraphs]
    assert paragraphs == report.text.split("\n")
    assert bad_year.status_code == 422 and bad_quarter.status_code == 422 and anonymous.status_code == 401
