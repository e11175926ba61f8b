"""The anchor for bench/webhook.py, shaped like line-bot-sdk's FastAPI example
(examples/fastapi-echo): `WebhookParser.parse` (signature check, then the body into the SDK's event
models) and a 200, on the same server stack. It stores nothing and answers nobody."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser

app = FastAPI()
parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])


@app.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    try:
        parser.parse(body, request.headers.get("x-line-signature", ""))
    except InvalidSignatureError:
        return JSONResponse({"message": "invalid signature"}, status_code=400)
    return JSONResponse({})
