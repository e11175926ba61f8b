"""The baseline for bench/webhook.py: an endpoint that only verifies LINE's signature and parses
the JSON, with the same server and the same SDK validator, and stores nothing."""

from __future__ import annotations

import json
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

app = FastAPI()
validator = SignatureValidator(os.environ["LINE_CHANNEL_SECRET"])


@app.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    body = await request.body()
    if not validator.validate(body.decode(), request.headers.get("x-line-signature", "")):
        return JSONResponse({"message": "invalid signature"}, status_code=400)
    json.loads(body)
    return JSONResponse({})
