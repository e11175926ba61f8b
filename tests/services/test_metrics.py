from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.errors import InvalidInput
from app.services import agencies, metrics
from models import Assignment, ComplaintCase

BANGKOK = ZoneInfo("Asia/Bangkok")
F = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # when the test assignments are forwarded (09:00 Bangkok)
NOW = F + timedelta(days=1)
_numbers = iter(range(1, 100_000))
START = datetime(2026, 11, 1, tzinfo=BANGKOK)
END = datetime(2026, 12, 1, tzinfo=BANGKOK)


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-12)


# -- data ---------------------------------------------------------------------------------------

async def add_assignment(session, agency_code: str, *, status: str, forwarded_at: datetime = F,
                         tta: tuple[float, float] | None = None, frt: tuple[float, float] | None = None,
                         ttr: tuple[float, float] | None = None, returned_after: float | None = None,
                         ack_due_after: float | None = None, resolve_due_after: float | None = None) -> Assignment:
    """One assignment of a case of its own; each response time is (wall seconds, business seconds)
    and sets the matching moment that many wall seconds after forwarding."""
    agency = await agencies.get_by_code(session, agency_code)
    n = next(_numbers)
    case = ComplaintCase(number=f"69-{n:05d}", fiscal_year=2569, sequence=n, title=f"เรื่องทดสอบ {n}", status=status)
    session.add(case)
    await session.flush()

    def at(seconds):
        return None if seconds is None else forwarded_at + timedelta(seconds=seconds)

    assignment = Assignment(
        case_id=case.id, agency_id=agency.id, status=status, forwarded_at=forwarded_at,
        acknowledged_at=at(tta and tta[0]), first_response_at=at(frt and frt[0]), resolved_at=at(ttr and ttr[0]),
        returned_at=at(returned_after), ack_due_at=at(ack_due_after), resolve_due_at=at(resolve_due_after),
        tta_seconds=tta and tta[0], tta_business_seconds=tta and tta[1],
        frt_seconds=frt and frt[0], frt_business_seconds=frt and frt[1],
        ttr_seconds=ttr and ttr[0], ttr_business_seconds=ttr and ttr[1],
    )
    session.add(assignment)
    await session.flush()
    return assignment


HOUR, DAY = 3600, 86400


async def add_two_units(session, forwarded_at: datetime = F) -> None:
    """Bang Rak (1004): four assignments; Phra Nakhon (1001): one, returned."""
    # acknowledged in time, resolved exactly at its deadline (met: ≤)
    await add_assignment(session, "1004", status="resolved", forwarded_at=forwarded_at, tta=(60, 30), frt=(60, 30), ttr=(3600, 1800),
                         ack_due_after=300, resolve_due_after=HOUR)
    # acknowledged in time, resolved late
    await add_assignment(session, "1004", status="resolved", forwarded_at=forwarded_at, tta=(120, 120), frt=(90, 90), ttr=(7200, 7200),
                         ack_due_after=300, resolve_due_after=HOUR)
    # acknowledged late, not resolved and its resolve deadline has passed (missed)
    await add_assignment(session, "1004", status="acknowledged", forwarded_at=forwarded_at, tta=(600, 0), frt=(600, 0),
                         ack_due_after=300, resolve_due_after=HOUR)
    # not acknowledged and its deadline has passed (missed); resolve deadline still ahead (undecided)
    await add_assignment(session, "1004", status="forwarded", forwarded_at=forwarded_at, ack_due_after=300, resolve_due_after=15 * DAY)
    # returned within the acknowledge deadline: a prompt "not ours" answers it (met); no resolve deadline
    await add_assignment(session, "1001", status="returned", forwarded_at=forwarded_at, frt=(45, 40), returned_after=45, ack_due_after=300)


# -- response_times -----------------------------------------------------------------------------

async def test_counts_percentiles_and_sla_per_unit_and_in_total(session):
    await add_two_units(session)
    result = await metrics.response_times(session, start=START, end=END, now=NOW)

    assert (result.start, result.end) == (START, END)
    assert [(u.agency.code, u.agency.name_th) for u in result.units] == [("1001", "สำนักงานเขตพระนคร"),
                                                                         ("1004", "สำนักงานเขตบางรัก")]
    phra_nakhon, bang_rak = result.units

    assert bang_rak.counts == metrics.Counts(forwarded=4, acknowledged=3, responded=3, resolved=2, returned=0, open=2)
    # TTA wall [60, 120, 600]: p50 at 1.0 → 120; p90 at 0.9·2 = 1.8 → 120 + 0.8·480 = 504
    # TTA business [0, 30, 120]: p50 → 30; p90 → 30 + 0.8·90 = 102
    assert bang_rak.tta == metrics.Percentiles(approx(120.0), approx(504.0), approx(30.0), approx(102.0))
    # FRT wall [60, 90, 600]: 90; 90 + 0.8·510 = 498. Business [0, 30, 90]: 30; 30 + 0.8·60 = 78
    assert bang_rak.frt == metrics.Percentiles(approx(90.0), approx(498.0), approx(30.0), approx(78.0))
    # TTR wall [3600, 7200]: p50 at 0.5 → 3600 + 0.5·3600 = 5400; p90 at 0.9 → 3600 + 0.9·3600 = 6840
    # TTR business [1800, 7200]: 1800 + 0.5·5400 = 4500; 1800 + 0.9·5400 = 6660
    assert bang_rak.ttr == metrics.Percentiles(approx(5400.0), approx(6840.0), approx(4500.0), approx(6660.0))
    # acknowledge: met 2 of 4 decided; resolve: met 1 of 3 decided (the fourth is still ahead)
    assert bang_rak.sla == metrics.Compliance(acknowledge_percent=50.0, resolve_percent=approx(100 / 3))

    assert phra_nakhon.counts == metrics.Counts(forwarded=1, acknowledged=0, responded=1, resolved=0, returned=1,
                                                open=0)
    assert phra_nakhon.tta == metrics.Percentiles(None, None, None, None)
    assert phra_nakhon.frt == metrics.Percentiles(45.0, 45.0, 40.0, 40.0)  # one value: every percentile is it
    assert phra_nakhon.ttr == metrics.Percentiles(None, None, None, None)
    assert phra_nakhon.sla == metrics.Compliance(acknowledge_percent=100.0, resolve_percent=None)

    total = result.total
    assert total.counts == metrics.Counts(forwarded=5, acknowledged=3, responded=4, resolved=2, returned=1, open=2)
    assert total.tta == bang_rak.tta  # Phra Nakhon has no TTA
    # FRT wall [45, 60, 90, 600]: p50 at 1.5 → 60 + 0.5·30 = 75; p90 at 2.7 → 90 + 0.7·510 = 447
    # FRT business [0, 30, 40, 90]: 30 + 0.5·10 = 35; 40 + 0.7·50 = 75
    assert total.frt == metrics.Percentiles(approx(75.0), approx(447.0), approx(35.0), approx(75.0))
    assert total.ttr == bang_rak.ttr
    # acknowledge: met 3 of 5 (Bang Rak's two and Phra Nakhon's return); resolve: as Bang Rak
    assert total.sla == metrics.Compliance(acknowledge_percent=60.0, resolve_percent=approx(100 / 3))


async def test_a_deadline_is_nobodys_miss_once_the_centre_took_the_case_away(session):
    # re-routed before anyone answered, its deadlines long past: neither met nor missed
    await add_assignment(session, "1004", status="reassigned", ack_due_after=300, resolve_due_after=HOUR)
    # closed by the centre while the unit held it, unanswered: likewise
    await add_assignment(session, "1004", status="withdrawn", ack_due_after=300, resolve_due_after=HOUR)
    # returned after the acknowledge deadline: a late answer is a miss
    await add_assignment(session, "1001", status="returned", frt=(900, 900), returned_after=900, ack_due_after=300)
    result = await metrics.response_times(session, start=START, end=END, now=NOW)
    assert result.total.sla == metrics.Compliance(acknowledge_percent=0.0, resolve_percent=None)
    assert [u.sla for u in result.units] == [metrics.Compliance(0.0, None), metrics.Compliance(None, None)]


async def test_deadlines_still_ahead_are_not_counted_yet(session):
    await add_assignment(session, "1004", status="forwarded", ack_due_after=300, resolve_due_after=HOUR)
    early = await metrics.response_times(session, start=START, end=END, now=F + timedelta(seconds=299))
    assert early.total.sla == metrics.Compliance(None, None)
    at_deadline = await metrics.response_times(session, start=START, end=END, now=F + timedelta(seconds=300))
    assert at_deadline.total.sla == metrics.Compliance(acknowledge_percent=0.0, resolve_percent=None)


async def test_period_includes_its_start_and_excludes_its_end(session):
    tick = timedelta(microseconds=1)
    for at in (START - tick, START, END - tick, END):
        await add_assignment(session, "1004", status="forwarded", forwarded_at=at)
    result = await metrics.response_times(session, start=START, end=END, now=NOW)
    assert result.total.counts.forwarded == 2
    assert [(u.agency.code, u.counts.forwarded) for u in result.units] == [("1004", 2)]


async def test_one_unit(session):
    await add_two_units(session)
    bang_rak = await agencies.get_by_code(session, "1004")
    everyone = await metrics.response_times(session, start=START, end=END, now=NOW)
    one = await metrics.response_times(session, start=START, end=END, agency_id=bang_rak.id, now=NOW)
    assert one.units == [everyone.units[1]]
    assert metrics.Figures(**{k: getattr(one.units[0], k) for k in ("counts", "tta", "frt", "ttr", "sla")}) \
        == one.total


async def test_nothing_forwarded(session):
    await add_two_units(session)
    result = await metrics.response_times(session, start=END, end=END + timedelta(days=30), now=NOW)
    assert result.units == []
    nothing = metrics.Percentiles(None, None, None, None)
    assert result.total == metrics.Figures(counts=metrics.Counts(0, 0, 0, 0, 0, 0), tta=nothing, frt=nothing,
                                           ttr=nothing, sla=metrics.Compliance(None, None))


@pytest.mark.parametrize(("start", "end"), [(END, END), (END, START),
                                            (START, START + metrics.MAX_SPAN + timedelta(seconds=1))])
async def test_bad_periods_are_refused(session, start, end):
    with pytest.raises(InvalidInput):
        await metrics.response_times(session, start=start, end=end, now=NOW)


# -- parse_period -------------------------------------------------------------------------------

PARSE_NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(("given", "expected"), [
    # dates are whole days in Bangkok; `to` includes its day
    (("2026-11-01", "2026-11-30"), (datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC))),
    (("2026-11-01", "2026-11-01"), (datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 11, 1, 17, tzinfo=UTC))),
    # date-times keep their offset; 'Z' is UTC; a '+' left unencoded in the URL arrives as a space
    (("2026-11-01T08:30:00+07:00", "2026-11-02T00:00:00Z"),
     (datetime(2026, 11, 1, 1, 30, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))),
    (("2026-11-01T08:30:00 07:00", None), (datetime(2026, 11, 1, 1, 30, tzinfo=UTC), PARSE_NOW)),
    # defaults: up to now, and the 30 days before the end
    ((None, None), (PARSE_NOW - timedelta(days=30), PARSE_NOW)),
    ((None, "2026-11-30"), (datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC))),
    # exactly three years (a leap day included) is allowed
    (("2024-01-01", "2026-12-31"), (datetime(2023, 12, 31, 17, tzinfo=UTC), datetime(2026, 12, 31, 17, tzinfo=UTC))),
])
def test_parse_period(given, expected):
    assert metrics.parse_period(*given, tz=BANGKOK, now=PARSE_NOW) == expected


@pytest.mark.parametrize(("given", "message"), [
    (("2026-02-30", None), "not a real date"),
    (("yesterday", None), "must be a date like 2026-11-01"),
    (("2026-11-01T08:30:00", None), "needs an offset"),
    (("2026-11-30", "2026-11-01"), "must be before"),
    (("2026-11-02", "2026-11-01"), "must be before"),  # `to` 2026-11-01 ends when 2026-11-02 begins
    (("2023-01-01", "2026-11-01"), "at most 1096 days"),
    ((None, "2026-11-30T00:00:00"), "“to” needs an offset"),
])
def test_parse_period_refuses_with_a_clear_message(given, message):
    with pytest.raises(InvalidInput, match=message):
        metrics.parse_period(*given, tz=BANGKOK, now=PARSE_NOW)
