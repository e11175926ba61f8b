"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app import migrations

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is at the code's migration head."""
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await migrations.current_revision(engine)
    except Exception as exc:  # any failure here means: not ready
        return JSONResponse({"status": "unavailable", "database": f"{type(exc).__name__}: {exc}"}, status_code=503)
    head = migrations.head_revision()
    if current != head:
        return JSONResponse({"status": "unavailable", "migrations": {"current": current, "head": head}},
                            status_code=503)
    return JSONResponse({"status": "ready", "migrations": {"current": current}})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
