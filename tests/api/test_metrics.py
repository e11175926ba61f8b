from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app import errors
from app.api import metrics
from app.config import Settings
from app.db import session_scope
from tests.conftest import ADMIN_TOKEN
from tests.services.test_metrics import add_assignment, add_two_units
from tests.support import ADMIN_HEADERS

URL = "/api/v1/metrics/response-times"
# The API judges deadlines at the moment of the request, so the data lies well in the past, where
# every deadline has passed.
F = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)  # 09:00 Bangkok
NOVEMBER = {"from": "2025-11-01", "to": "2025-11-30"}


@pytest.fixture
async def client(database_url, sessionmaker):
    """The metrics router alone, on the app state the real service gives it (settings, sessions)."""
    app = FastAPI()
    app.state.settings = Settings(_env_file=None, RONGTUK_ENV="development", database_url=database_url,
                                  admin_api_token=ADMIN_TOKEN, log_json=False)
    app.state.sessionmaker = sessionmaker
    errors.install(app)
    app.include_router(metrics.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
async def two_units(sessionmaker):
    async with session_scope(sessionmaker) as session:
        await add_two_units(session, forwarded_at=F)


async def test_response_times(client, two_units):
    # a whole November in Bangkok
    response = await client.get(URL, params=NOVEMBER, headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2025-11-01T00:00:00+07:00", "2025-12-01T00:00:00+07:00")
    assert [u["agency"] for u in body["units"]] == [{"code": "1001", "name_th": "สำนักงานเขตพระนคร"},
                                                    {"code": "1004", "name_th": "สำนักงานเขตบางรัก"}]
    bang_rak = body["units"][1]
    assert bang_rak["counts"] == {"forwarded": 4, "acknowledged": 3, "responded": 3, "resolved": 2, "returned": 0,
                                  "open": 2}
    # TTA wall [60, 120, 600] → p50 120, p90 120 + 0.8·480 = 504; business [0, 30, 120] → 30, 30 + 0.8·90 = 102
    assert bang_rak["tta"] == pytest.approx({"p50_seconds": 120.0, "p90_seconds": 504.0,
                                             "p50_business_seconds": 30.0, "p90_business_seconds": 102.0})
    # TTR wall [3600, 7200] → 5400, 6840
    assert bang_rak["ttr"]["p50_seconds"] == pytest.approx(5400.0)
    assert bang_rak["ttr"]["p90_seconds"] == pytest.approx(6840.0)
    # every deadline has passed: acknowledged in time 2 of 4; resolved in time 1 of 4
    assert bang_rak["sla"] == {"acknowledge_percent": 50.0, "resolve_percent": 25.0}
    assert "agency" not in body["total"]
    assert body["total"]["counts"]["forwarded"] == 5
    # FRT wall over both units [45, 60, 90, 600] → 60 + 0.5·30 = 75, 90 + 0.7·510 = 447
    assert body["total"]["frt"]["p50_seconds"] == pytest.approx(75.0)
    assert body["total"]["frt"]["p90_seconds"] == pytest.approx(447.0)
    assert body["units"][0]["tta"] == {"p50_seconds": None, "p90_seconds": None,
                                       "p50_business_seconds": None, "p90_business_seconds": None}


@pytest.mark.parametrize("agency", ["1004", "บางรัก", "bang rak"])
async def test_one_unit_by_code_or_name(client, two_units, agency):
    response = await client.get(URL, params={**NOVEMBER, "agency": agency}, headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [u["agency"]["code"] for u in body["units"]] == ["1004"]
    assert body["total"]["counts"]["forwarded"] == 4


async def test_to_is_exclusive_as_a_datetime(client, sessionmaker):
    async with session_scope(sessionmaker) as session:
        await add_assignment(session, "1004", status="forwarded", forwarded_at=F)
        await add_assignment(session, "1004", status="forwarded", forwarded_at=F + timedelta(hours=1))
    # F is 09:00 Bangkok; httpx encodes the '+', as a client should
    params = {"from": "2025-11-03T09:00:00+07:00", "to": "2025-11-03T10:00:00+07:00"}
    response = await client.get(URL, params=params, headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    assert response.json()["total"]["counts"]["forwarded"] == 1
    assert response.json()["from"] == "2025-11-03T09:00:00+07:00"


async def test_default_period_is_the_last_30_days(client, sessionmaker):
    now = datetime.now(UTC)
    async with session_scope(sessionmaker) as session:
        for days_ago in (1, 29, 31):
            await add_assignment(session, "1004", status="forwarded", forwarded_at=now - timedelta(days=days_ago))
    response = await client.get(URL, headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"]["counts"]["forwarded"] == 2
    assert body["total"]["sla"] == {"acknowledge_percent": None, "resolve_percent": None}  # no deadlines
    days = datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"])
    assert days == timedelta(days=30)


@pytest.mark.parametrize(("params", "message"), [
    ({"from": "2026-13-01"}, "not a real date"),
    ({"from": "last week"}, "must be a date like 2026-11-01"),
    ({"from": "2026-11-01T08:00:00", "to": "2026-11-30"}, "needs an offset"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "must be before"),
    ({"from": "2020-01-01", "to": "2026-11-01"}, "at most 1096 days"),
])
async def test_bad_parameters_are_422_with_a_message(client, params, message):
    response = await client.get(URL, params=params, headers=ADMIN_HEADERS)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidInput"
    assert message in body["message"]


async def test_unknown_and_ambiguous_units(client):
    unknown = await client.get(URL, params={"agency": "เขตไม่มีจริง"}, headers=ADMIN_HEADERS)
    assert unknown.status_code == 404 and unknown.json()["error"] == "AgencyNotFound"
    ambiguous = await client.get(URL, params={"agency": "บางกอก"}, headers=ADMIN_HEADERS)
    assert ambiguous.status_code == 409
    assert set(ambiguous.json()["details"]["candidates"]) == {"1016", "1020"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_admin_token_is_required(client, headers):
    response = await client.get(URL, params={"from": "nonsense"}, headers=headers)
    assert response.status_code == 401
