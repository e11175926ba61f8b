"""The dashboard's pages and exports under /dashboard (auth.py says who sees what).

Every route runs through `WebRoute`: no session → a redirect to the sign-in page (back to the page
afterwards); a domain error (a case that does not exist, another unit's page) → a Thai error page
with its status; every answer → security headers (no framing, no referrer, nothing loaded from
another host, pages not cached).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute

from app import fiscal, privacy
from app.api.deps import SessionDep
from app.errors import DomainError, InvalidInput, NotFound, NotYourUnit
from app.services import dashboard_links, digests, metrics
from app.web import auth, charts, exports, queries, scorecard, snapshots
from app.web.auth import Viewer, ViewerDep
from app.web.filters import Filters, parse
from app.web.render import STATIC, render
from models import Person

SECURITY_HEADERS = {
    # Nothing from another host, no script at all, forms post here only.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a one-time link's token never leaves in a Referer
}


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except auth.SignInRequired as exc:
                response = RedirectResponse(auth.signin_url(exc.next_url), status_code=303)
            except DomainError as exc:
                # The viewer as the route's dependency found it: no new session here (SQLite has one
                # connection, and the route's session may still hold it).
                response = render(request, "error.html", status_code=exc.status_code, message=exc.message,
                                  viewer=getattr(request.state, "viewer", None))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route


router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)


def _filters(request: Request) -> Filters:
    settings = request.app.state.settings
    return parse(dict(request.query_params), today=settings.today(), tz=settings.tz)


FiltersDep = Annotated[Filters, Depends(_filters)]


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def _now() -> datetime:
    return datetime.now(UTC)


async def _snapshot(request: Request, session, f: Filters, now: datetime) -> snapshots.Snapshot | None:
    """The precomputed figures of a standard period while fresh (app.web.snapshots), else None."""
    return await snapshots.read(session, f, now=now, max_age=snapshots.max_age(request.app.state.settings))


def _figures_note(request: Request, snap: snapshots.Snapshot | None) -> dict:
    """What the filters show when the figures come from a snapshot ("ตัวเลข ณ … (ปรับทุก N นาที)")."""
    return {"figures_at": snap.computed_at if snap else None,
            "figures_every": request.app.state.settings.dashboard_snapshot_minutes}


def _week_label(monday: date) -> str:
    return f"{monday.day} {fiscal.MONTHS_SHORT[monday.month - 1]}"


# -- static, sign-in, sign-out ---------------------------------------------------------------------

@router.get("/static/app.css")
async def stylesheet() -> Response:
    return Response((STATIC / "app.css").read_bytes(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})  # the URL carries a version


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None):
    if await auth.read(request) is not None:
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return render(request, "signin.html", viewer=None, next=auth.safe_next(next), error=None)


@router.post("/signin")
async def signin(request: Request):
    settings = request.app.state.settings
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    target = auth.safe_next((form.get("next") or [""])[0])
    if not auth.admin_token_matches(settings, token):
        return render(request, "signin.html", status_code=401, viewer=None, next=target,
                      error="รหัสไม่ถูกต้อง โปรดลองอีกครั้ง หรือขอลิงก์เข้าใช้งานทาง LINE โดยพิมพ์ แดชบอร์ด")
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(response, settings, auth.ADMIN_VIEWER)
    return response


@router.api_route("/signout", methods=["GET", "POST"])
async def signout(request: Request):
    response = RedirectResponse(f"{auth.HOME}/signin", status_code=303)
    auth.clear_cookie(response, request.app.state.settings)
    return response


@router.get("/login/{token}")
async def link_page(token: str, request: Request, session: SessionDep):
    """The link from LINE shows a button; only pressing it (a POST) spends the link. LINE and other
    apps fetch a link to draw a preview, and that fetch must not use it up."""
    link = await dashboard_links.check(session, token, now=_now())
    person_name = (await session.get(Person, link.person_id)).display_name
    return render(request, "link.html", viewer=None, token=token, name=person_name or "")


@router.post("/login/{token}")
async def link_signin(token: str, request: Request, session: SessionDep):
    settings = request.app.state.settings
    person = await dashboard_links.redeem(session, token, now=_now())
    viewer = auth.viewer_of(person)
    await session.commit()
    home = f"{auth.HOME}/units/{viewer.unit_code}" if viewer.unit_code else auth.HOME
    response = RedirectResponse(home, status_code=303)
    auth.set_cookie(response, settings, viewer)
    return response


# -- the pages -------------------------------------------------------------------------------------

@router.get("")
async def overview(request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    if code := request.query_params.get("agency"):  # the digest's link to a unit
        return RedirectResponse(f"{auth.HOME}/units/{quote(code, safe='')}{f.query()}", status_code=303)
    now = _now()
    if snap := await _snapshot(request, session, f, now):
        totals, weeks = snap.totals, snap.weeks
    else:
        totals = await queries.totals(session, f, now=now)
        weeks = await queries.weekly(session, f, now=now)
    statuses = await queries.status_counts(session, f)
    codes = {u.code for u in await queries.units_of_kind(session, f.agency_kind)}
    overdue_units = [u for u in await digests.overdue_now(session, now=now, limit=0) if u.code in codes]
    return render(request, "overview.html", viewer=viewer, f=f, nav="overview", totals=totals, statuses=statuses,
                  weeks=weeks, overdue_units=overdue_units[:10], overdue_count=sum(u.count for u in overdue_units),
                  **_figures_note(request, snap),
                  status_chart=charts.responsive(charts.bar_chart, [(s.label, s.count) for s in statuses], wide=640,
                                                 title=f"การส่งเรื่องถึงหน่วยงานตามสถานะ · {f.label}", unit="เรื่อง"),
                  **_trend_charts(weeks, f, sla_width=960))


def _trend_charts(weeks: list[queries.Week], f: Filters, *, sla_width: int = 600) -> dict:
    """The weekly charts: SLA compliance, TTA and TTR percentiles (business hours)."""
    labels = [_week_label(w.monday) for w in weeks]

    def hours(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 3600

    sla = [charts.Series("รับเรื่องภายในกำหนด", [w.figures.sla.acknowledge_percent for w in weeks]),
           charts.Series("แล้วเสร็จภายในกำหนด", [w.figures.sla.resolve_percent for w in weeks])]
    tta = [charts.Series("มัธยฐาน (p50)", [hours(w.figures.tta.p50_business_seconds) for w in weeks]),
           charts.Series("p90", [hours(w.figures.tta.p90_business_seconds) for w in weeks], dashed=True)]
    ttr = [charts.Series("มัธยฐาน (p50)", [hours(w.figures.ttr.p50_business_seconds) for w in weeks]),
           charts.Series("p90", [hours(w.figures.ttr.p90_business_seconds) for w in weeks], dashed=True)]
    return {
        "sla_chart": charts.responsive(
            charts.line_chart, labels, sla, wide=sla_width, unit="%", y_max=100, reference=(80, "เป้าหมาย 80%"),
            title=f"ร้อยละที่รับเรื่องและแล้วเสร็จภายในกำหนด รายสัปดาห์ · {f.label}",
            description="แกนนอนคือสัปดาห์ (วันจันทร์แรกของสัปดาห์) แกนตั้งคือร้อยละ"),
        "tta_chart": charts.responsive(
            charts.line_chart, labels, tta, wide=600, unit="ชม.",
            title=f"เวลารับเรื่อง (ชั่วโมงทำการ) รายสัปดาห์ · {f.label}",
            description="มัธยฐานและเปอร์เซ็นไทล์ที่ 90 ของเวลาตั้งแต่ส่งเรื่องจนหน่วยงานรับเรื่อง"),
        "ttr_chart": charts.responsive(
            charts.line_chart, labels, ttr, wide=600, unit="ชม.",
            title=f"เวลาแล้วเสร็จ (ชั่วโมงทำการ) รายสัปดาห์ · {f.label}",
            description="มัธยฐานและเปอร์เซ็นไทล์ที่ 90 ของเวลาตั้งแต่ส่งเรื่องจนหน่วยงานแจ้งว่าเสร็จ"),
    }


@router.get("/units")
async def leaderboard(request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    key, descending = queries.parse_sort(request.query_params.get("sort"))
    now = _now()
    if snap := await _snapshot(request, session, f, now):
        rows, total = await snapshots.leaderboard(session, snap, now=now), snap.total
    else:
        rows, total = await queries.leaderboard(session, f, now=now)
    rows = queries.sort_rows(rows, key, descending)
    columns = []
    for column, (label, full, _) in queries.SORTS.items():
        if column == key:
            target, aria = (column if descending else f"-{column}"), ("descending" if descending else "ascending")
        else:
            target, aria = queries.best_first(column), None
        columns.append({"key": column, "label": label, "full": full, "href": f.query(sort=target), "aria": aria})
    return render(request, "units.html", viewer=viewer, f=f, nav="units", rows=rows, total=total,
                  columns={c["key"]: c for c in columns}, sort=key, descending=descending,
                  sort_param=request.query_params.get("sort"), **_figures_note(request, snap))


@router.get("/units/{code}")
async def unit_page(code: str, request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    agency = await queries.agency_by_code(session, code)
    if not viewer.may_open_unit(agency.id):
        raise NotYourUnit("หน้านี้แสดงได้เฉพาะหน่วยงานของท่าน ท่านดูตัวเลขของทุกหน่วยงานได้ที่หน้าเทียบหน่วยงาน")
    now, page = _now(), _page(request)
    times = await metrics.response_times(session, start=f.start, end=f.end, agency_id=agency.id, now=now)
    weeks = await queries.weekly(session, f, now=now, agency_id=agency.id)
    rows, total = await queries.unit_cases(session, f, agency_id=agency.id, now=now, page=page,
                                           contact=viewer.sees_contact)
    people = await queries.coordinators(session, f, agency_id=agency.id)
    overdue = await queries.overdue_total(session, f, now=now, agency_id=agency.id)
    return render(request, "unit.html", viewer=viewer, f=f, nav="mine" if viewer.unit_id == agency.id else "units",
                  agency=agency, figures=times.total, weeks=weeks, rows=rows, total=total, page=page,
                  pages=max(1, -(-total // queries.PER_PAGE)), coordinators=people, overdue=overdue,
                  **_trend_charts(weeks, f))


@router.get("/cases")
async def find_case(f: FiltersDep, viewer: ViewerDep, number: str = ""):
    number = number.strip().lstrip("#").strip()
    if not number:
        return RedirectResponse(f"{auth.HOME}/overdue{f.query()}", status_code=303)
    return RedirectResponse(f"{auth.HOME}/cases/{quote(number, safe='')}{f.query()}", status_code=303)


@router.get("/cases/{number}")
async def case_page(number: str, request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    detail = await queries.case_detail(session, number)
    if not viewer.may_see_case(detail.case):
        raise NotYourUnit(f"เรื่อง #{detail.case.number} ไม่ได้ส่งถึงหน่วยงานของท่าน")
    case = detail.case
    show = (lambda text: text or "") if viewer.sees_contact else (lambda text: privacy.scrub(text or "", case))
    return render(request, "case.html", viewer=viewer, f=f, nav="", case=case, events=detail.events,
                  names=detail.names, show=show, units={a.id: a.agency.name_th for a in case.assignments})


@router.get("/overdue")
async def overdue(request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    page, unit_id, unit_name, code = _page(request), viewer.unit_id, viewer.unit_name, None
    if viewer.bma_wide and (code := request.query_params.get("agency")):  # one unit's, from its page
        agency = await queries.agency_by_code(session, code)
        unit_id, unit_name = agency.id, agency.name_th
    rows, total = await queries.overdue_cases(session, f, now=_now(), agency_id=unit_id, page=page,
                                              contact=viewer.sees_contact)
    return render(request, "overdue.html", viewer=viewer, f=f, nav="overdue", rows=rows, total=total, page=page,
                  pages=max(1, -(-total // queries.PER_PAGE)), now=_now(), unit_name=unit_name, agency_code=code)


@router.get("/kpi")
async def kpi_page(request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    settings = request.app.state.settings
    card = await scorecard.scorecard(session, f, today=settings.today(), settings=settings)
    return render(request, "kpi.html", viewer=viewer, f=f, nav="kpi", card=card)


# -- exports ---------------------------------------------------------------------------------------

def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _file_stem(kind: str, f: Filters) -> str:
    first, last = f.days
    return f"{kind}-{first.isoformat()}-{last.isoformat()}" + (f"-{f.kind}" if f.kind != "all" else "")


async def _export_unit(request: Request, viewer: Viewer) -> int | None:
    """The unit a cases export is about: the viewer's own for a unit; for the BMA-wide, `agency`
    (a code) or every unit."""
    code = request.query_params.get("agency")
    if viewer.unit_id is not None:
        if code and code != viewer.unit_code:
            raise NotYourUnit("ส่งออกได้เฉพาะเรื่องของหน่วยงานของท่าน")
        return viewer.unit_id
    if not code:
        return None
    async with request.app.state.sessionmaker() as session:
        return (await queries.agency_by_code(session, code)).id


@router.get("/export/cases.{fmt}")
async def export_cases(fmt: str, request: Request, viewer: ViewerDep, f: FiltersDep):
    if fmt not in ("csv", "xlsx"):
        raise NotFound("ไม่มีไฟล์ชนิดนี้ (csv หรือ xlsx)")
    agency_id = await _export_unit(request, viewer)
    settings, now, contact = request.app.state.settings, _now(), viewer.sees_contact
    columns = exports.case_columns(settings.tz, contact=contact)
    stmt = queries.case_rows_statement(f, agency_id=agency_id, newest_first=False)

    async def partitions():
        # A session of its own, open while the file streams (the request's is gone by then).
        async with request.app.state.sessionmaker() as session:
            result = await session.stream(stmt.execution_options(yield_per=exports.PARTITION))
            async for part in result.partitions(exports.PARTITION):
                yield [queries.case_row(r, now=now, contact=contact) for r in part]

    stem = _file_stem("cases", f)
    if fmt == "csv":
        return StreamingResponse(exports.csv_stream(columns, partitions()), media_type=exports.CSV_TYPE,
                                 headers=_attachment(f"{stem}.csv"))
    async with request.app.state.sessionmaker() as session:
        count = await queries.case_count(session, f, agency_id=agency_id)
    if count > exports.XLSX_MAX_ROWS:
        raise InvalidInput(f"ข้อมูล {count:,} รายการเกินกว่าที่ไฟล์ Excel เดียวรับได้ ({exports.XLSX_MAX_ROWS:,} แถว) "
                           "โปรดเลือกช่วงเวลาที่สั้นลง หรือส่งออกเป็น CSV")
    book = exports.XlsxBook()
    await book.sheet("เรื่อง", columns, partitions())
    return Response(await book.to_bytes(), media_type=exports.XLSX_TYPE, headers=_attachment(f"{stem}.xlsx"))


@router.get("/export/response-times.{fmt}")
async def export_response_times(fmt: str, request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    if fmt not in ("csv", "xlsx"):
        raise NotFound("ไม่มีไฟล์ชนิดนี้ (csv หรือ xlsx)")
    key, descending = queries.parse_sort(request.query_params.get("sort") or "code")
    now = _now()
    if snap := await _snapshot(request, session, f, now):  # the figures the page shows
        rows, total = await snapshots.leaderboard(session, snap, now=now), snap.total
    else:
        rows, total = await queries.leaderboard(session, f, now=now)
    await session.close()
    rows = queries.sort_rows(rows, key, descending)
    everything = [*rows, queries.UnitRow(agency_id=0, code="", name_th=f"รวม ({f.kind_label})", kind="",
                                         figures=total, overdue=sum(r.overdue for r in rows))]
    columns = exports.response_time_columns()
    stem = _file_stem("response-times", f)
    if fmt == "csv":
        return StreamingResponse(exports.csv_stream(columns, exports.once(everything)), media_type=exports.CSV_TYPE,
                                 headers=_attachment(f"{stem}.csv"))
    book = exports.XlsxBook()
    await book.sheet("เวลาตอบสนอง", columns, exports.once(everything))
    return Response(await book.to_bytes(), media_type=exports.XLSX_TYPE, headers=_attachment(f"{stem}.xlsx"))


@router.get("/export/kpi.xlsx")
async def export_kpi(request: Request, viewer: ViewerDep, f: FiltersDep, session: SessionDep):
    settings = request.app.state.settings
    card = await scorecard.scorecard(session, f, today=settings.today(), settings=settings)
    await session.close()
    book = exports.XlsxBook()
    await book.sheet(f"ตัวชี้วัด {card.fiscal_year}", exports.kpi_columns(), exports.once(card.rows))
    criteria = [(row, c) for row in card.rows if row.score for c in row.score.criteria]
    await book.sheet("รายละเอียดคะแนน", exports.kpi_criteria_columns(), exports.once(criteria))
    name = f"kpi-{card.fiscal_year}" + (f"-{f.kind}" if f.kind != "all" else "") + ".xlsx"
    return Response(await book.to_bytes(), media_type=exports.XLSX_TYPE, headers=_attachment(name))
