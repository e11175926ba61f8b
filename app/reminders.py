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

from app.config import Settings
from app.db import session_scope
from app.pipeline import outbox
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
    recipients = _Recipients(session)
    pushes: list[tuple[str, list[dict], int]] = []
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
            pushes.extend(await _messages(recipients, settings, furthest, assignment, now))
        except Exception:  # one bad case must not hold back everyone else's reminders
            log.exception("SLA timer failed", extra={"timer_id": furthest.id})
            furthest.outcome = "error"
            outcomes["error"] += 1
            continue
        furthest.outcome = "sent"
        outcomes["sent"] += 1
    await outbox.push_many(session, pushes, now=now)
    return outcomes


class _Recipients:
    """Who is told, looked up once per unit per batch."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._unit: dict[int, list[str]] = {}
        self._managers: dict[int, list[str]] = {}

    async def unit(self, agency_id: int) -> list[str]:
        if agency_id not in self._unit:
            self._unit[agency_id] = await routing.unit_chats(self.session, agency_id)
        return self._unit[agency_id]

    async def escalation(self, assignment: Assignment) -> list[str]:
        if assignment.agency_id not in self._managers:
            self._managers[assignment.agency_id] = await routing.unit_managers(self.session, assignment.agency_id)
        chats = [*self._managers[assignment.agency_id], *await routing.centre_chats(self.session, assignment.case)]
        return list(dict.fromkeys(chats))


async def _messages(recipients: _Recipients, settings: Settings, timer: SlaTimer, assignment: Assignment,
                    now: datetime) -> list[tuple[str, list[dict], int]]:
    case, tz = assignment.case, settings.tz
    if timer.threshold < 100:
        message = say.reminder(case, assignment, timer.deadline, timer.due_at, now, tz)
        return [(chat, [message], case.id) for chat in await recipients.unit(assignment.agency_id)]
    to_unit = say.breached(case, assignment, timer.deadline, timer.due_at, tz, to_unit=True)
    escalation = say.breached(case, assignment, timer.deadline, timer.due_at, tz, to_unit=False)
    return ([(chat, [to_unit], case.id) for chat in await recipients.unit(assignment.agency_id)]
            + [(chat, [escalation], case.id) for chat in await recipients.escalation(assignment)])
