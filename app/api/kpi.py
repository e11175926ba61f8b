"""Admin API for the innovation KPI's score and quarterly report (SPEC §7, §8). Evidence is
recorded through app/api/kpi_evidence.py."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Response

from app.api.deps import AdminDep, AgencyPath, FiscalYear, SessionDep, SettingsDep
from app.api.schemas import KpiScoreOut
from app.services import agencies, kpi, kpi_report

router = APIRouter(prefix="/api/v1/kpi/innovation", dependencies=[AdminDep], tags=["kpi"])


@router.get("/{agency}/{fiscal_year}", response_model=KpiScoreOut)
async def get_score(agency: AgencyPath, fiscal_year: FiscalYear, session: SessionDep, settings: SettingsDep,
                    as_of: date | None = Query(None, description="score as of this day (default: today)")):
    """The breakdown: each criterion's points and reason, parts, total, level, target and achieved
    value, and the cumulative progress per quarter."""
    unit = await agencies.resolve(session, agency)
    result = await kpi.evaluate(session, agency=unit, fiscal_year=fiscal_year, as_of=as_of or settings.today(),
                                settings=settings)
    return KpiScoreOut.of(result)


@router.get("/{agency}/{fiscal_year}/report")
async def get_report(agency: AgencyPath, fiscal_year: FiscalYear, session: SessionDep, settings: SettingsDep,
                     quarter: int = Query(..., ge=1, le=4), format: str = Query("text", pattern="^(text|docx)$")):
    """The quarter's progress entry in Thai, as text or as a Word document."""
    unit = await agencies.resolve(session, agency)
    text = await kpi.quarterly_report(session, agency=unit, fiscal_year=fiscal_year, quarter=quarter,
                                      settings=settings)
    if format == "docx":
        return Response(kpi_report.quarterly_docx(text),
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f'attachment; filename="kpi-{unit.code}-{fiscal_year}-q{quarter}.docx"'})
    return Response(text, media_type="text/plain; charset=utf-8")
