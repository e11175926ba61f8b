"""The managers' digest (SPEC §6) as a Flex carousel, built with line-bot-sdk's models.

Bubbles, in order of importance: the period's figures (BMA-wide, or the unit beside the BMA
median), the most overdue units or cases now, and, BMA-wide, the units slowest to acknowledge.
LINE's limits are kept here: ≤ 12 bubbles, ≤ 50 KB for the carousel and ≤ 30 KB per bubble (of
compact UTF-8 JSON, as LINE counts), alt text ≤ 400 UTF-16 units (LINE allows 1,500; a notification
preview shows far less). Every list is bounded and every name and title cut, so the worst case
(long unit names everywhere) stays far inside the limits; an optional bubble that would not fit
is left out, and a digest that still would not fit is a bug, raised rather than sent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexMessage,
    FlexSeparator,
    FlexText,
    URIAction,
)

from app import utf16
from app.texts import digest as say

if TYPE_CHECKING:
    from app.services.digests import Digest

MAX_BUBBLES = 12
MAX_CAROUSEL_BYTES = 50 * 1024
MAX_BUBBLE_BYTES = 30 * 1024
ALT_TEXT_UNITS = 400
NAME_UNITS = 60  # a unit's name in a list
TITLE_UNITS = 80  # a case's title in a list

_BLUE, _RED, _GREY, _DARK, _WHITE = "#1565C0", "#C62828", "#8C8C8C", "#111111", "#FFFFFF"


def carousel(digest: Digest, *, tz: ZoneInfo) -> dict[str, Any]:
    """The digest as a LINE Flex message (`{"type": "flex", "altText", "contents": carousel}`)."""
    message = plain(message_model(digest, tz=tz))
    check(message["contents"])
    return message


def message_model(digest: Digest, *, tz: ZoneInfo) -> FlexMessage:
    """The digest as the SDK's models: the required bubbles, then the optional ones that fit."""
    if digest.unit is None:
        bubbles = [_bma_summary(digest, tz), _overdue_units(digest)]
        optional = [_slowest(digest)] if digest.slowest else []
    else:
        bubbles = [_unit_summary(digest, tz), _overdue_cases(digest)]
        optional = []
    for bubble in optional:
        if len(bubbles) < MAX_BUBBLES and size(plain(FlexCarousel(contents=[*bubbles, bubble]))) <= MAX_CAROUSEL_BYTES:
            bubbles.append(bubble)
    return FlexMessage(alt_text=alt_text(digest, tz=tz), contents=FlexCarousel(contents=bubbles))


def plain(model) -> dict[str, Any]:
    """An SDK model as LINE's JSON: the same dict as the SDK's `to_dict()` (a test holds it to that)
    in a quarter of the time, because `to_dict()` serialises every nested container again at each
    level of nesting, and a digest job draws one carousel per manager."""
    return model.dict(by_alias=True, exclude_none=True)


def size(contents: dict[str, Any]) -> int:
    """Bytes of compact UTF-8 JSON: how LINE measures a Flex container."""
    return len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check(contents: dict[str, Any]) -> None:
    """LINE's limits on a carousel; a digest past them is a bug here, not something to send."""
    bubbles = contents["contents"]
    if not 1 <= len(bubbles) <= MAX_BUBBLES:
        raise ValueError(f"a carousel holds 1–{MAX_BUBBLES} bubbles, not {len(bubbles)}")
    if size(contents) > MAX_CAROUSEL_BYTES or any(size(b) > MAX_BUBBLE_BYTES for b in bubbles):
        raise ValueError(f"digest too large for LINE: {size(contents):,} bytes")


def alt_text(digest: Digest, *, tz: ZoneInfo) -> str:
    """The key numbers, for the notification and for chats that cannot show Flex."""
    scope = utf16.cut(digest.unit.name_th, NAME_UNITS) if digest.unit else None
    summary = say.summary(digest.period.name, _period(digest, tz), scope, digest.figures, digest.overdue_total)
    return utf16.cut(summary, ALT_TEXT_UNITS)


# -- bubbles -------------------------------------------------------------------------------------

def _bma_summary(d: Digest, tz: ZoneInfo) -> FlexBubble:
    f = d.figures
    body = [
        *_counts(d),
        FlexSeparator(margin="md"),
        _heading(say.SLA),
        _row(say.SLA_ACK, say.percent(f.sla.acknowledge_percent)),
        _row(say.SLA_RESOLVE, say.percent(f.sla.resolve_percent)),
        FlexSeparator(margin="md"),
        _heading(say.TIMES),
        _row(say.TTA_P50, say.hours(f.tta.p50_business_seconds)),
        _row(say.TTA_P90, say.hours(f.tta.p90_business_seconds)),
        _row(say.TTR_P50, say.hours(f.ttr.p50_business_seconds)),
        _row(say.TTR_P90, say.hours(f.ttr.p90_business_seconds)),
        FlexSeparator(margin="md"),
        _row(say.OVERDUE_NOW, say.count(d.overdue_total), emphasis=bool(d.overdue_total)),
        _note(say.as_of(d.now, tz)),
    ]
    return _bubble(f"📊 {say.TITLE[d.period.name]}", say.BMA_WIDE, _period(d, tz), body, d.dashboard_url)


def _unit_summary(d: Digest, tz: ZoneInfo) -> FlexBubble:
    f, bma, m = d.figures, d.bma, d.bma_median
    body = [
        *_counts(d),
        FlexSeparator(margin="md"),
        _row("", say.UNIT_COLUMN, say.BMA_COLUMN, muted=True),
        _heading(say.SLA),
        _row(say.SLA_ACK, say.percent(f.sla.acknowledge_percent), say.percent(bma.sla.acknowledge_percent)),
        _row(say.SLA_RESOLVE, say.percent(f.sla.resolve_percent), say.percent(bma.sla.resolve_percent)),
        _heading(say.TIMES),
        _row(say.TTA_P50, say.hours(f.tta.p50_business_seconds), say.hours(m["tta_p50"])),
        _row(say.TTA_P90, say.hours(f.tta.p90_business_seconds), say.hours(m["tta_p90"])),
        _row(say.TTR_P50, say.hours(f.ttr.p50_business_seconds), say.hours(m["ttr_p50"])),
        _row(say.TTR_P90, say.hours(f.ttr.p90_business_seconds), say.hours(m["ttr_p90"])),
        _note(say.BMA_NOTE),
        FlexSeparator(margin="md"),
        _row(say.OVERDUE_NOW, say.count(d.overdue_total), emphasis=bool(d.overdue_total)),
        FlexText(text=say.kpi_line(d.kpi_level, d.fiscal_year), size="sm", weight="bold", wrap=True, margin="md"),
        _note(say.as_of(d.now, tz)),
    ]
    return _bubble(f"📊 {say.TITLE[d.period.name]}", utf16.cut(d.unit.name_th, NAME_UNITS), _period(d, tz), body,
                   d.dashboard_url)


def _overdue_units(d: Digest) -> FlexBubble:
    body: list[Any] = []
    for i, unit in enumerate(d.overdue_units, 1):
        body.append(FlexText(text=f"{i}. {utf16.cut(unit.name_th, NAME_UNITS)}", size="sm", weight="bold", wrap=True,
                             margin="md" if i > 1 else None))
        body.append(_row(say.cases_count(unit.count), say.worst(unit.worst_seconds), emphasis=True))
    if not body:
        body.append(FlexText(text=say.NO_OVERDUE, size="sm", wrap=True))
    else:
        body.append(_note(say.overdue_everywhere(d.overdue_total)))
    return _bubble(say.OVERDUE_TITLE, say.OVERDUE_UNITS, None, body, d.dashboard_url, color=_RED)


def _overdue_cases(d: Digest) -> FlexBubble:
    body: list[Any] = []
    for i, case in enumerate(d.overdue_cases, 1):
        body.append(FlexText(text=f"#{case.number} {utf16.cut(case.title, TITLE_UNITS)}", size="sm", weight="bold",
                             wrap=True, margin="md" if i > 1 else None))
        body.append(_row(say.MISSED[case.missed], say.overdue_for(case.overdue_seconds), emphasis=True))
    if not body:
        body.append(FlexText(text=say.NO_OVERDUE, size="sm", wrap=True))
    elif d.overdue_total > len(d.overdue_cases):
        body.append(_note(say.more_cases(d.overdue_total - len(d.overdue_cases))))
    return _bubble(say.OVERDUE_TITLE, say.OVERDUE_CASES, None, body, d.dashboard_url, color=_RED)


def _slowest(d: Digest) -> FlexBubble:
    body: list[Any] = [_note(say.SLOWEST_NOTE)]
    for i, unit in enumerate(d.slowest, 1):
        body.append(_row(f"{i}. {utf16.cut(unit.agency.name_th, NAME_UNITS)}", say.hours(unit.tta.p50_business_seconds),
                         say.percent(unit.sla.acknowledge_percent)))
    return _bubble(say.SLOWEST_TITLE, say.SLOWEST, None, body, d.dashboard_url)


# -- parts ---------------------------------------------------------------------------------------

def _counts(d: Digest) -> list[Any]:
    c = d.figures.counts
    return [_heading(say.COUNTS), _row(say.FORWARDED, say.count(c.forwarded)),
            _row(say.ACKNOWLEDGED, say.count(c.acknowledged)), _row(say.RESOLVED, say.count(c.resolved)),
            _row(say.RETURNED, say.count(c.returned))]


def _period(d: Digest, tz: ZoneInfo) -> str:
    return say.period_label(d.period.name, d.period.start, d.period.end, so_far=d.period.so_far, tz=tz)


def _bubble(title: str, subtitle: str, period: str | None, body: list[Any], url: str, *,
            color: str = _BLUE) -> FlexBubble:
    header = [FlexText(text=title, weight="bold", size="md", color=_WHITE),
              FlexText(text=subtitle, size="sm", color=_WHITE, wrap=True)]
    if period:
        header.append(FlexText(text=period, size="xs", color=_WHITE, wrap=True))
    return FlexBubble(
        header=FlexBox(layout="vertical", contents=header, background_color=color, padding_all="12px"),
        body=FlexBox(layout="vertical", contents=body, spacing="sm"),
        footer=FlexBox(layout="vertical", contents=[
            FlexButton(style="link", height="sm", action=URIAction(label=say.DASHBOARD, uri=url))]),
    )


def _heading(text: str) -> FlexText:
    return FlexText(text=text, size="sm", weight="bold", color=_DARK, margin="md", wrap=True)


def _row(label: str, *values: str, emphasis: bool = False, muted: bool = False) -> FlexBox:
    """A label and one or two values, right-aligned: 'รับเรื่องทันกำหนด  50.0%  60.0%'."""
    colour = _GREY if muted else (_RED if emphasis else _DARK)
    return FlexBox(layout="horizontal", spacing="sm", contents=[
        FlexText(text=label or " ", size="xs", color=_GREY, flex=5, wrap=True),
        *(FlexText(text=value, size="xs", color=colour, flex=3, align="end", wrap=True) for value in values),
    ])


def _note(text: str) -> FlexText:
    return FlexText(text=text, size="xxs", color=_GREY, wrap=True, margin="md")
