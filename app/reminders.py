"""The SLA scan, run every minute by the scheduler: reminders at 50 % and 80 % of a deadline to the
unit's coordinators and group, and at 100 % an escalation to the unit's managers and the centre.

Each timer is claimed in the transaction that writes its messages (app.services.sla), so it acts
once whichever scheduler or replica runs the scan. A reminder whose condition no longer holds
(acknowledged meanwhile, re-routed, reopened with a new deadline) stays silent. After downtime,
when several thresholds of one deadline are due at once, only the furthest speaks.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app import flows
from app.config import Settings
from app.db import session_scope
from app.services import routing, sla
from app.texts import sla as say
from models import Assignment, ComplaintCase, SlaTimer

log = logging.getLogger(__name__)

BATCH = 500


async def run(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime) -> dict[str, int]:
    """Work every timer due at `now`, a batch per transaction. Returns counts by outcome."""
    totals: Counter[str] = Counter()
    while True:
        async with session_scope(sessionmaker) as session:
            outcomes = await scan(session, settings=settings, now=now, limit=BATCH)
        totals.update(outcomes)
        if sum(outcomes.values()) < BATCH:
            return dict(totals)


async def scan(session: AsyncSession, *, settings: Settings, now: datetime, limit: int) -> Counter[str]:
    timers = await sla.claim_due_timers(session, now=now, limit=limit)
    outcomes: Counter[str] = Counter()
    if not timers:
        return outcomes
    assignments = {a.id: a for a in (await session.scalars(
        select(Assignment).options(selectinload(Assignment.case).selectinload(ComplaintCase.assignments))
        .where(Assignment.id.in_({t.assignment_id for t in timers})))).all()}
    groups: dict[tuple[int, str], list[SlaTimer]] = defaultdict(list)
    for timer in timers:
        groups[(timer.assignment_id, timer.deadline)].append(timer)
    for group in groups.values():
        furthest = max(group, key=lambda t: t.threshold)
        for timer in group:
            if timer is not furthest:
                timer.outcome = "superseded"
                outcomes["superseded"] += 1
        assignment = assignments[furthest.assignment_id]
        if not sla.still_needed(furthest, assignment):
            furthest.outcome = "not_needed"
            outcomes["not_needed"] += 1
            continue
        try:
            async with session.begin_nested():
                await _tell(session, settings, furthest, assignment, now)
            furthest.outcome = "sent"
            outcomes["sent"] += 1
        except Exception:  # one bad case must not hold back everyone else's reminders
            log.exception("SLA timer failed", extra={"timer_id": furthest.id})
            furthest.outcome = "error"
            outcomes["error"] += 1
    await session.flush()
    return outcomes


async def _tell(session: AsyncSession, settings: Settings, timer: SlaTimer, assignment: Assignment,
                now: datetime) -> None:
    case, tz = assignment.case, settings.tz
    if timer.threshold < 100:
        message = say.reminder(case, assignment, timer.deadline, timer.due_at, now, tz)
        await flows.tell_unit(session, case=case, agency_id=assignment.agency_id, messages=[message], now=now)
        return
    await flows.tell_unit(session, case=case, agency_id=assignment.agency_id, now=now,
                          messages=[say.breached(case, assignment, timer.deadline, timer.due_at, tz, to_unit=True)])
    escalation = [say.breached(case, assignment, timer.deadline, timer.due_at, tz, to_unit=False)]
    chats = [*await routing.unit_managers(session, assignment.agency_id), *await routing.centre_chats(session, case)]
    for chat in dict.fromkeys(chats):
        await flows.push(session, to=chat, case=case, messages=escalation, now=now)
