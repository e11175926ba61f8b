"""Deadlines for an assignment (SPEC §5 defaults; policies per unit and category come with the SLA
scheduler). Acknowledging a normal case is counted in business hours, everything else in wall time."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.config import Settings
from app.services.business_calendar import BusinessCalendar
from models import Priority


def ack_due(priority: str, forwarded_at: datetime, calendar: BusinessCalendar, settings: Settings) -> datetime:
    if priority == Priority.urgent:
        return forwarded_at + timedelta(minutes=settings.sla_urgent_ack_minutes)
    return calendar.add_business_seconds(forwarded_at, settings.sla_normal_ack_business_hours * 3600)


def resolve_due(priority: str, start: datetime, calendar: BusinessCalendar, settings: Settings) -> datetime:
    days = settings.sla_urgent_resolve_days if priority == Priority.urgent else settings.sla_normal_resolve_days
    return start + timedelta(days=days)


def due_times(priority: str, forwarded_at: datetime, calendar: BusinessCalendar,
              settings: Settings) -> tuple[datetime, datetime]:
    return (ack_due(priority, forwarded_at, calendar, settings),
            resolve_due(priority, forwarded_at, calendar, settings))
