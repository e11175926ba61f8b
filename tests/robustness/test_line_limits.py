"""Every request the service sends LINE in a whole working day, its edges included, is one LINE
accepts: the day of `rongtuk demo`, then long texts, long echoes, digests, reminders and
escalations, through the real service and the emulator, which checks each request with LINE's
limits counted in UTF-16 units and with line-bot-sdk's request models. The bodies are checked
again here after the run, and the SDK's models parse each one."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

from linebot.v3.messaging import MulticastRequest, PushMessageRequest, ReplyMessageRequest

from app import demo, reminders, utf16
from app.line.emulator.checks import validate_messages
from app.line.emulator.schema import request_errors
from app.services import digests

MODELS = {"/v2/bot/message/reply": ReplyMessageRequest, "/v2/bot/message/push": PushMessageRequest,
          "/v2/bot/message/multicast": MulticastRequest}
PARAGRAPH = "ท่อประปาแตกหน้าบ้านเลขที่ ๑๒๓ 👨‍👩‍👧 น้ำท่วมขัง 🇹🇭 ผู้ร้องแจ้งว่ากำลังเดือดร้อนมาก 😀\n"


def as_long_as_line_allows(prefix: str) -> str:
    """`prefix` and Thai with emoji up to 5,000 UTF-16 units: the most a LINE user can send."""
    text = prefix
    while utf16.length(text + PARAGRAPH) <= 5000:
        text += PARAGRAPH
    return text + "ก" * (5000 - utf16.length(text))


async def test_a_working_day_sends_only_requests_line_accepts(service, settings):
    day = await demo.start_day(service, settings, io.StringIO())
    await demo.play(day)
    centre, bangrak = demo.CENTRE, demo.BANGRAK
    # Yesterday's edges (reply tokens long stale, so these answers go by push) ...
    await day.forward("16:25", "long", as_long_as_line_allows("ส่งเรื่อง บางรัก\nน้ำท่วมซอยสีลม 5 " + "ยาว" * 90 + "\n"))
    await day.tap("16:26", bangrak, "long", "ไม่ใช่หน่วยงานเรา")
    await day.choose("16:27", bangrak, "อื่นๆ")
    await day.say("16:28", bangrak, as_long_as_line_allows("เหตุผล "))
    relayed = as_long_as_line_allows("{light} ")
    await day.say("16:29", bangrak, relayed)
    await day.say("16:30", centre, as_long_as_line_allows("เปิดใหม่ {pipe} "))
    # ... and today's, answered by reply.
    # 96 characters: under the longest name chat reads (longer ones are refused unread), over the echo
    unknown_unit = "ส่งเรื่อง " + "หน่วยงานที่ไม่มีอยู่จริง" * 4 + "\nหัวเรื่อง\nรายละเอียด"
    [not_found] = await service.say(centre.user_id, unknown_unit)
    for user, text in [(centre.user_id, f"สถานะ {day.numbers['long']}"), (centre.user_id, f"สถานะ {day.numbers['light']}"),
                       (centre.user_id, "ค้าง"), (centre.user_id, "สรุป"), (bangrak.user_id, "สรุป สัปดาห์"),
                       (centre.user_id, "ส่งเรื่อง บาง\nป้ายหาย\nหน้าตลาด"),  # several units match: quick replies
                       *[(a.user_id, "ช่วยเหลือ") for a in demo.ACTORS],
                       *[(a.user_id, as_long_as_line_allows("สวัสดี ")) for a in demo.ACTORS]]:
        await service.say(user, text)
    await reminders.run(service.sessionmaker, settings, now=datetime.now(UTC))  # yesterday's deadlines: due now
    await digests.send_scheduled(service.sessionmaker, settings, period="daily", now=datetime.now(UTC))
    await service.settle()

    sent = [r for r in service.emulator.requests if r.path in MODELS]
    print(f"\n{len(sent)} requests to LINE checked:",
          dict(Counter(r.path.rsplit("/", 1)[1] for r in sent)))
    refused = [(r.path, r.status, r.response) for r in sent if r.status != 200]
    print(f"refused by LINE: {len(refused)}")
    assert refused == []
    for r in sent:
        MODELS[r.path].from_dict(r.json)  # the SDK's own parse raises on what LINE's schema refuses
        assert validate_messages(r.json["messages"]) == [] and request_errors(r.path, r.json) == []
    assert len(sent) >= 70 and {"reply", "push"} <= {r.path.rsplit("/", 1)[1] for r in sent}

    # The relay carried the whole 5,000-unit message, in parts; the echoes were cut.
    to_centre = [m["text"] for m in service.emulator.accepted_messages(centre.user_id) if m["type"] == "text"]
    body = relayed.format(**day.numbers).split(" ", 1)[1]
    assert any(body in "".join(to_centre[i:i + 3]) for i in range(len(to_centre)))
    assert not_found.startswith("⚠️ ไม่พบหน่วยงาน") and "…" in not_found and utf16.length(not_found) < 200
    kinds = Counter(m["type"] for m in service.emulator.accepted_messages())
    print("messages accepted:", dict(kinds))
    assert kinds["flex"] >= 8 and kinds["text"] >= 60
    choices = [m for m in service.emulator.accepted_messages(centre.user_id) if m.get("text", "").startswith("พบหลาย")]
    assert choices and len(choices[-1]["quickReply"]["items"]) > 5
    # the pipe case was Pathum Wan's: the reopen reason goes there, cut
    reopened = [t for t in service.emulator.accepted_messages(demo.PATHUMWAN.user_id)
                if t.get("text", "").startswith(f"เหตุผลที่เปิดเรื่อง {day.numbers['pipe']}")]
    assert reopened and utf16.length(reopened[-1]["text"]) <= 1100 and reopened[-1]["text"].endswith("…")
