"""`rongtuk demo`: one working day at the complaints centre, played through the real service and the
built-in LINE emulator on a fresh SQLite database, printed as a Thai transcript with the day's
response-time table at the end.

Everything runs for real — signed webhooks, the inbox worker, the outbox sender, the emulator over
HTTP. Only the events' own times (LINE's `timestamp`, which the service takes as the moment people
acted) walk through the last business day before today, so a day passes in seconds and the
deadlines on the cards and the overdue list mean what they would have.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from app import migrations
from app.config import Settings
from app.db import create_engine, create_sessionmaker, session_scope
from app.line import events
from app.line.emulator import LineEmulator
from app.line.testing import ServiceDriver, buttons, quick_replies, serve_asgi
from app.services import agencies, business_calendar, metrics
from app.texts.coordination import duration


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    role: str
    agency: str
    where: str  # how the transcript names their side


CENTRE = Actor("U_demo_centre", "สมศรี", "centre", "CENTRE", "ศูนย์ฯ 1555")
BANGRAK = Actor("U_demo_bangrak", "สมชาย", "coordinator", "1004", "เขตบางรัก")
PATHUMWAN = Actor("U_demo_pathumwan", "วิภา", "coordinator", "1007", "เขตปทุมวัน")
TRAFFIC = Actor("U_demo_traffic", "ประเสริฐ", "coordinator", "TTD", "สจส.")
ACTORS = (CENTRE, BANGRAK, PATHUMWAN, TRAFFIC)


@dataclass
class SimClock:
    """The simulated time of day; each step's events carry it as their LINE timestamp."""

    now: datetime


class Day:
    """The script's verbs, each at a time of the simulated day."""

    def __init__(self, driver: ServiceDriver, clock: SimClock, day: date, tz, out: TextIO) -> None:
        self.driver, self.clock, self.day, self.tz, self.out = driver, clock, day, tz, out
        self.numbers: dict[str, str] = {}
        self.names = {a.user_id: f"{a.name} ({a.where})" for a in ACTORS}

    def _at(self, hhmm: str) -> datetime:
        self.clock.now = datetime.combine(self.day, time.fromisoformat(hhmm), tzinfo=self.tz).astimezone(UTC)
        return self.clock.now

    async def _play(self, hhmm: str, actor: Actor, shown: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.driver.emulator.accepted_messages())
        head = f"[{hhmm}] {self.names[actor.user_id]}: "
        print("\n" + head + shown.replace("\n", "\n" + " " * _columns(head)), file=self.out)
        await self.driver.send(event)
        await self.driver.settle()
        sent = self.driver.emulator.accepted_messages()[before:]
        for message in sent:
            print(f"        → ถึง {self.names.get(message['to'], message['to'])}: {_describe(message)}", file=self.out)
        return sent

    async def say(self, hhmm: str, actor: Actor, text: str, **options) -> list[dict[str, Any]]:
        text = text.format(**self.numbers)
        event = events.text_message(actor.user_id, text, at=self._at(hhmm), **options)
        shown = ("(ตอบกลับข้อความ) " if "quoted_message_id" in options else "") + text
        return await self._play(hhmm, actor, shown, event)

    async def forward(self, hhmm: str, key: str, text: str) -> None:
        sent = await self.say(hhmm, CENTRE, text)
        answer = next(m["text"] for m in sent if m["to"] == CENTRE.user_id)
        self.numbers[key] = re.search(r"#\d{2}-\d{5}", answer)[0]

    async def tap(self, hhmm: str, actor: Actor, key: str, label: str) -> None:
        card = next(m for m in reversed(self.driver.emulator.accepted_messages(actor.user_id))
                    if m["type"] == "flex" and self.numbers[key] in m["altText"])
        await self._play(hhmm, actor, f"[กดปุ่ม {label} บนการ์ด {self.numbers[key]}]",
                         events.postback(actor.user_id, buttons(card)[label], at=self._at(hhmm)))

    async def choose(self, hhmm: str, actor: Actor, label: str) -> None:
        last = self.driver.emulator.accepted_messages(actor.user_id)[-1]
        await self._play(hhmm, actor, f"[เลือก {label}]",
                         events.postback(actor.user_id, quick_replies(last)[label]["data"], at=self._at(hhmm)))

    async def quote_card(self, hhmm: str, actor: Actor, key: str, text: str) -> None:
        card = next(m for m in reversed(self.driver.emulator.accepted_messages(actor.user_id))
                    if m["type"] == "flex" and self.numbers[key] in m["altText"])
        await self.say(hhmm, actor, text, quoted_message_id=card["sentMessageId"])


async def play(day: Day) -> None:
    c = CENTRE
    await day.forward("08:41", "light", "ส่งเรื่อง บางรัก\nไฟทางดับ ซอยสีลม 5\nมืดทั้งซอยมา 3 คืนแล้ว ผู้ร้องกังวลเรื่องความปลอดภัย")
    await day.forward("08:44", "pipe", "ส่งเรื่อง ปทุมวัน ด่วน\nท่อประปาแตก น้ำท่วมถนนพระราม 1\nหน้าสนามกีฬาแห่งชาติ รถติดยาว")
    await day.forward("08:47", "bus", "ส่งเรื่อง บางรัก\nป้ายรถเมล์ชำรุด ถนนสุรวงศ์\nหลังคาป้ายหลุด เสี่ยงตกใส่ผู้รอรถ")
    await day.forward("08:52", "footpath", "ส่งเรื่อง ปทุมวัน\nทางเท้าชำรุด ซอยจุฬาฯ 42\nแผ่นทางเท้ายุบ ผู้สูงอายุสะดุดล้ม")
    await day.forward("08:56", "drain", "ส่งเรื่อง บางรัก\nท่อระบายน้ำอุดตัน ถนนเจริญกรุง\nฝนตกแล้วน้ำขังนาน")
    await day.tap("08:58", PATHUMWAN, "pipe", "รับเรื่อง")
    await day.quote_card("09:06", PATHUMWAN, "pipe", "ส่งทีมช่างและประสานการประปานครหลวงแล้วค่ะ")
    await day.say("09:10", c, "{pipe} ขอบคุณค่ะ รบกวนแจ้งเมื่อปิดน้ำได้")
    await day.tap("09:32", BANGRAK, "light", "รับเรื่อง")
    await day.tap("09:40", BANGRAK, "bus", "ไม่ใช่หน่วยงานเรา")
    await day.choose("09:41", BANGRAK, "เป็นของหน่วยงานอื่น")
    await day.say("09:50", c, "โอนเรื่อง {bus} สจส.")
    await day.tap("10:20", TRAFFIC, "bus", "รับเรื่อง")
    await day.tap("11:05", PATHUMWAN, "pipe", "เสร็จแล้ว")
    await day.say("11:07", PATHUMWAN, "ซ่อมท่อเสร็จ เปิดการจราจรได้ตามปกติแล้ว")
    await day.say("11:15", c, "ปิดเรื่อง {pipe}")
    await day.tap("13:40", PATHUMWAN, "footpath", "รับเรื่อง")
    await day.tap("14:02", BANGRAK, "light", "ตอบกลับ")
    await day.say("14:03", BANGRAK, "เปลี่ยนหลอดไฟแล้ว 4 ดวง คืนนี้จะให้เจ้าหน้าที่ตรวจซ้ำ")
    await day.tap("15:30", TRAFFIC, "bus", "เสร็จแล้ว")
    await day.say("15:31", TRAFFIC, "เปลี่ยนหลังคาป้ายใหม่เรียบร้อย")
    await day.say("15:45", c, "เปิดใหม่ {bus} ผู้ร้องแจ้งว่าม้านั่งยังชำรุด")
    await day.say("16:10", c, "ค้าง")
    await day.say("16:20", c, "สถานะ {light}")


async def start_day(driver: ServiceDriver, settings: Settings, out: TextIO) -> Day:
    """The last business day before today, its people registered at 08:00: ready for `play`."""
    async with driver.sessionmaker() as session:
        calendar = await business_calendar.load(session, settings)
    day = _last_business_day(calendar, settings.today())
    clock = SimClock(datetime.combine(day, time(8, 0), tzinfo=settings.tz).astimezone(UTC))
    for actor in ACTORS:
        await driver.register(actor.user_id, actor.role, actor.agency, name=actor.name, at=clock.now)
    return Day(driver, clock, day, settings.tz, out)


async def run(out: TextIO, *, workdir: Path | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="rongtuk-demo-") as tmp:
        folder = workdir or Path(tmp)
        database_url = f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}"
        settings = Settings(_env_file=None, RONGTUK_ENV="development", database_url=database_url,
                            line_channel_secret="demo-secret", line_channel_access_token="demo-token",
                            admin_api_token="demo-admin", worker_poll_seconds=0.05, log_json=False,
                            log_level="WARNING", line_api_base_url="http://127.0.0.1:1",  # replaced below
                            workers="inline",  # the workers in this event loop, beside the emulator
                            scheduler="off")  # a scripted day: no reminders or digests from the wall clock
        engine = create_engine(database_url)
        try:
            await migrations.upgrade(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                await agencies.load(session)
            emulator = LineEmulator(channel_secret=settings.line_channel_secret,
                                    access_token=settings.line_channel_access_token)
            async with serve_asgi(emulator.app) as line_url:
                emulator.base_url = line_url
                settings = settings.model_copy(update={"line_api_base_url": line_url,
                                                       "line_data_api_base_url": line_url})
                from app.main import create_app

                app = create_app(settings)
                async with serve_asgi(app) as url:
                    emulator.webhook_url = url + "/webhook"
                    driver = ServiceDriver(app=app, url=url, emulator=emulator,
                                           sessionmaker=create_sessionmaker(engine), admin_token="demo-admin")
                    day = await start_day(driver, settings, out)
                    emulator.reset()
                    print(f"วันทำการ {_thai_day(day.day)} — ศูนย์เรื่องราวร้องทุกข์ กรุงเทพมหานคร (สายด่วน 1555)",
                          file=out)
                    print("ผู้ใช้: " + " · ".join(f"{a.name} ({a.where})" for a in ACTORS), file=out)
                    await play(day)
            await emulator.aclose()
            async with create_sessionmaker(engine)() as session:
                start = datetime.combine(day.day, time(), tzinfo=settings.tz)
                result = await metrics.response_times(session, start=start, end=start + timedelta(days=1),
                                                      now=day.clock.now)
            _print_table(result, out)
        finally:
            await engine.dispose()
    return 0


def _last_business_day(calendar, today: date) -> date:
    day = today - timedelta(days=1)
    while not calendar.is_business_day(day):
        day -= timedelta(days=1)
    return day


def _thai_day(day: date) -> str:
    from app import fiscal

    weekday = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")[day.weekday()]
    return f"{weekday}ที่ {fiscal.thai_date(day)}"


def _describe(message: dict[str, Any]) -> str:
    kind = message["type"]
    if kind == "flex":
        return f"[การ์ด] {message['altText']}"
    if kind == "image":
        return "[รูปภาพ]"
    if kind == "location":
        return f"[ตำแหน่ง] {message.get('title', '')}"
    body = message.get("text", f"[{kind}]").replace("\n", "\n" + " " * 12)
    items = quick_replies(message)
    return body + (f"\n{' ' * 12}[ปุ่ม: {' · '.join(items)}]" if items else "")


def _print_table(result: metrics.ResponseTimes, out: TextIO) -> None:
    print("\nเวลาตอบสนองของวันนี้ (ค่ามัธยฐาน นับเฉพาะเวลาทำการ จ.–ศ. 08:30–16:30)", file=out)
    columns = (("หน่วยงาน", 26), ("ส่ง", 5), ("รับ", 5), ("เสร็จ", 6), ("คืน", 5), ("รับเรื่อง", 14),
               ("ตอบครั้งแรก", 14), ("แล้วเสร็จ", 14), ("รับทันกำหนด", 12))
    print("".join(_pad(title, width) for title, width in columns), file=out)
    for name, fig in [(u.agency.name_th, u) for u in result.units] + [("รวมทุกหน่วยงาน", result.total)]:
        sla = fig.sla.acknowledge_percent
        cells = (name, fig.counts.forwarded, fig.counts.acknowledged, fig.counts.resolved, fig.counts.returned,
                 _median(fig.tta), _median(fig.frt), _median(fig.ttr), f"{sla:.0f}%" if sla is not None else "-")
        print("".join(_pad(str(cell), width) for cell, (_, width) in zip(cells, columns, strict=True)), file=out)


def _median(p: metrics.Percentiles) -> str:
    return duration(p.p50_business_seconds) if p.p50_business_seconds is not None else "-"


def _columns(text: str) -> int:
    """Terminal columns `text` takes: Thai vowel and tone marks above and below sit on their
    consonant (the transcript's alignment only; LINE counts UTF-16 units, app/utf16.py)."""
    return sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me") and ch != "\u200d")


def _pad(cell: str, width: int) -> str:
    """Pad by what the eye sees: Thai vowel and tone marks take no column of their own."""
    return cell + " " * max(1, width - _columns(cell))


def main(out: TextIO) -> int:
    return asyncio.run(run(out))
