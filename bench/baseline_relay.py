"""The baseline for bench/relay.py: a naive relay with no database and no durability.

POST /webhook verifies LINE's signature with the SDK's validator, answers 200 at once, and in a
background task pushes each text message on to one fixed centre user as "💬 <the text>", with an
`X-Line-Retry-Key`, on one shared httpx client. Nothing is stored: an event in flight when the
process dies is lost, and nobody is looked up (sender, case, recipient).

Environment: LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL (the emulator),
BASELINE_CENTRE_ID (the user every message is pushed to).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

validator = SignatureValidator(os.environ["LINE_CHANNEL_SECRET"])
CENTRE = os.environ["BASELINE_CENTRE_ID"]
client: httpx.AsyncClient | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global client
    client = httpx.AsyncClient(base_url=os.environ["LINE_API_BASE_URL"], timeout=10.0,
                               headers={"authorization": f"Bearer {os.environ['LINE_CHANNEL_ACCESS_TOKEN']}"})
    try:
        yield
    finally:
        await client.aclose()


app = FastAPI(lifespan=lifespan)


async def push(text: str) -> None:
    response = await client.post("/v2/bot/message/push",
                                 json={"to": CENTRE, "messages": [{"type": "text", "text": f"💬 {text}"}]},
                                 headers={"x-line-retry-key": str(uuid.uuid4())})
    response.raise_for_status()


@app.post("/webhook")
async def webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
    body = await request.body()
    if not validator.validate(body.decode(), request.headers.get("x-line-signature", "")):
        return JSONResponse({"message": "invalid signature"}, status_code=400)
    for event in json.loads(body)["events"]:
        message = event.get("message") or {}
        if event.get("type") == "message" and message.get("type") == "text":
            background.add_task(push, message["text"])
    return JSONResponse({}, background=background)
