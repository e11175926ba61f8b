"""SLA (SPEC §5): the policy that applies to an assignment, its deadlines, and the timers that remind
the unit at 50 % and 80 % of each deadline and escalate at 100 %.

A deadline counted in business time falls inside office hours; a wall-clock one may not. Quiet
hours: for a normal case every reminder and escalation waits for office hours; for an urgent case
none waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dialect import lock_skip_locked
from app.errors import InvalidInput, NotFound
from app.services.business_calendar import BusinessCalendar
from models import Agency, Assignment, ComplaintCase, Priority, SlaPolicy, SlaTimer

THRESHOLDS = (50, 80, 100)
DEADLINES = ("ack", "resolve")


@dataclass(frozen=True)
class Terms:
    """How long a unit has, and how the time is counted."""

    ack_seconds: float
    ack_business: bool
    resolve_seconds: float
    resolve_business: bool
    source: str = "default"  # "default" or the policy's scope, for people to see where it came from


def default_terms(priority: str, settings: Settings) -> Terms:
    if priority == Priority.urgent:
        return Terms(settings.sla_urgent_ack_minutes * 60, False, settings.sla_urgent_resolve_days * 86400, False)
    return Terms(settings.sla_normal_ack_business_hours * 3600, True, settings.sla_normal_resolve_days * 86400, False)


def scope_key(agency_id: int | None, category: str | None) -> str:
    return f"{agency_id if agency_id is not None else '*'}|{category if category is not None else '*'}"


async def terms_for(session: AsyncSession, *, priority: str, agency_id: int, category: str | None,
                    settings: Settings) -> Terms:
    """The most specific policy: unit and category, unit, category, then the default."""
    keys = [scope_key(agency_id, category), scope_key(agency_id, None), scope_key(None, category)]
    rows = {p.scope_key: p for p in (await session.scalars(select(SlaPolicy).where(
        SlaPolicy.priority == priority, SlaPolicy.scope_key.in_(keys + [scope_key(None, None)])))).all()}
    for key in keys + [scope_key(None, None)]:
        if (policy := rows.get(key)) is not None:
            return Terms(policy.ack_seconds, policy.ack_business, policy.resolve_seconds, policy.resolve_business,
                         source=key)
    return default_terms(priority, settings)


def due(start: datetime, seconds: float, business: bool, calendar: BusinessCalendar) -> datetime:
    return calendar.add_business_seconds(start, seconds) if business else start + timedelta(seconds=seconds)


def fire_times(start: datetime, seconds: float, business: bool, *, quiet: bool,
               calendar: BusinessCalendar) -> dict[int, datetime]:
    """When each threshold of a deadline is reached; with `quiet`, moved into office hours."""
    times = {t: due(start, seconds * t / 100, business, calendar) for t in THRESHOLDS}
    if quiet:
        times = {t: calendar.office_moment(at) for t, at in times.items()}
    return times


async def start_clock(session: AsyncSession, assignment: Assignment, case: ComplaintCase, *, at: datetime,
                      calendar: BusinessCalendar, settings: Settings, deadlines: tuple[str, ...] = DEADLINES) -> None:
    """Set the assignment's deadlines counted from `at` and lay its timers. A reopened case
    restarts only its resolve deadline; the old timers then find their deadline changed and stay
    silent."""
    terms = await terms_for(session, priority=case.priority, agency_id=assignment.agency_id,
                            category=case.category, settings=settings)
    quiet = case.priority != Priority.urgent
    for deadline in deadlines:
        seconds = terms.ack_seconds if deadline == "ack" else terms.resolve_seconds
        business = terms.ack_business if deadline == "ack" else terms.resolve_business
        due_at = due(at, seconds, business, calendar)
        setattr(assignment, f"{deadline}_due_at", due_at)
        for threshold, fire_at in fire_times(at, seconds, business, quiet=quiet, calendar=calendar).items():
            session.add(SlaTimer(assignment_id=assignment.id, deadline=deadline, threshold=threshold,
                                 due_at=due_at, fire_at=fire_at))
    await session.flush()


async def claim_due_timers(session: AsyncSession, *, now: datetime, limit: int) -> list[SlaTimer]:
    """Take due timers, marking them fired in the caller's transaction: two schedulers never
    take the same one (SKIP LOCKED on PostgreSQL, one writer on SQLite)."""
    ids = select(SlaTimer.id).where(SlaTimer.fired_at.is_(None), SlaTimer.fire_at <= now) \
        .order_by(SlaTimer.fire_at, SlaTimer.id).limit(limit)
    ids = (await session.scalars(lock_skip_locked(session.bind.dialect.name, ids))).all()
    if not ids:
        return []
    await session.execute(update(SlaTimer).where(SlaTimer.id.in_(ids)).values(fired_at=now)
                          .execution_options(synchronize_session=False))
    return list((await session.scalars(select(SlaTimer).where(SlaTimer.id.in_(ids))
                                       .order_by(SlaTimer.fire_at, SlaTimer.id)
                                       .execution_options(populate_existing=True))).all())


def still_needed(timer: SlaTimer, assignment: Assignment) -> bool:
    """A reminder is sent only while its deadline stands and is not met: the unit still holds the
    case, the deadline is the one the timer was laid for, and the step is not done."""
    if assignment.status not in ("forwarded", "acknowledged"):
        return False
    if timer.deadline == "ack":
        return assignment.acknowledged_at is None and assignment.ack_due_at == timer.due_at
    return assignment.resolved_at is None and assignment.resolve_due_at == timer.due_at


# -- policies (admin) ----------------------------------------------------------------------------

async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list((await session.scalars(select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.scope_key))).all())


async def set_policy(session: AsyncSession, *, priority: str, agency: Agency | None, category: str | None,
                     terms: Terms, updated_by: str | None) -> SlaPolicy:
    """Create or replace the policy of one scope. New deadlines apply to cases forwarded from now
    on; deadlines already running keep the terms they started with."""
    if priority not in Priority.__members__:
        raise InvalidInput(f"priority must be normal or urgent, not {priority!r}")
    if terms.ack_seconds <= 0 or terms.resolve_seconds <= 0:
        raise InvalidInput("deadlines must be longer than zero")
    if terms.ack_seconds > terms.resolve_seconds and terms.ack_business == terms.resolve_business:
        raise InvalidInput("the acknowledge deadline can't be longer than the resolve deadline")
    key = scope_key(agency.id if agency else None, category)
    policy = await session.scalar(select(SlaPolicy).where(SlaPolicy.priority == priority, SlaPolicy.scope_key == key))
    if policy is None:
        policy = SlaPolicy(priority=priority, agency_id=agency.id if agency else None, agency=agency,
                           category=category, scope_key=key)
        session.add(policy)
    policy.ack_seconds, policy.ack_business = terms.ack_seconds, terms.ack_business
    policy.resolve_seconds, policy.resolve_business = terms.resolve_seconds, terms.resolve_business
    policy.updated_by = updated_by
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy_id: int) -> None:
    policy = await session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}")
    await session.delete(policy)
    await session.flush()

