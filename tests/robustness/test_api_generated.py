"""Generated API requests (schemathesis over the service's own /openapi.json, plus hostile
`/media/…` tokens) against the real service over real HTTP, on each database: never a 5xx, every
4xx in the documented `{error, message, details}` shape, and the service still works afterwards.

Requests are sent from a worker thread: the service runs in this test's event loop, which must
stay free to answer them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import quote

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support import ADMIN_HEADERS

REQUESTS = 2_000  # per database, per run
AUTH = {"admin": ADMIN_HEADERS, "none": {}, "wrong": {"Authorization": "Bearer not-the-token"}}
# Mostly authorised, so most requests reach the routes' own checks rather than stop at the 401.
AUTHS = st.sampled_from(["admin"] * 8 + ["none", "wrong"])


def _media_paths() -> st.SearchStrategy[str]:
    """Tokens as LINE or a stranger might send them: NUL, surrogates (as bytes), huge, empty-ish."""
    texts = st.one_of(st.text(max_size=80), st.text(min_size=60, max_size=5_000), st.just("\x00"))
    return texts.map(lambda t: "/media/" + quote(t.encode("utf-8", "surrogatepass"), safe=""))


def _check_shape(response, seen: Counter) -> None:
    status = response.status_code
    seen[status // 100 * 100] += 1
    assert status < 500, f"{response.request.method} {response.request.url} → {status}: {response.text[:500]}"
    if status >= 400:
        body = response.json()
        assert set(body) == {"error", "message", "details"}, body
        assert isinstance(body["error"], str) and isinstance(body["message"], str) and body["message"]
        assert isinstance(body["details"], dict), body


def _generate(base_url: str, raw_schema: dict, seen: Counter) -> None:
    schema = schemathesis.openapi.from_dict(raw_schema)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases = st.one_of([op.as_strategy(generation_mode=mode) for op in operations
                       for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)])
    http = requests.Session()

    @settings(max_examples=REQUESTS, database=None, deadline=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(request=st.one_of(cases, _media_paths()), auth=AUTHS)
    def send(request, auth) -> None:
        if isinstance(request, str):
            note(f"GET {request} ({auth})")
            response = http.get(base_url + request, headers=AUTH[auth], timeout=10)
        else:
            note(f"{request.as_curl_command(headers=AUTH[auth])} ({auth})")
            response = request.call(base_url=base_url, session=http, headers=AUTH[auth], timeout=10)
            request.validate_response(response, checks=[not_a_server_error])
        _check_shape(response, seen)

    send()


async def test_generated_requests_get_no_5xx_and_errors_have_the_shape(service):
    async with service.http(admin=False) as client:
        raw_schema = (await client.get("/openapi.json")).json()
    seen: Counter = Counter()
    await asyncio.to_thread(_generate, service.url, raw_schema, seen)

    assert seen.total() >= REQUESTS and seen[500] == 0, seen
    assert seen[200] and seen[400], seen  # both accepted and refused requests were tried
    async with service.http() as client:  # still answers a valid request…
        found = await client.get("/api/v1/agencies", params={"q": "บางรัก"})
    assert found.status_code == 200 and [a["code"] for a in found.json()] == ["1004"]
    service.emulator.add_user("U" + "a" * 32, "ผู้ทดสอบ")  # …and works a valid signed webhook event
    assert await service.say("U" + "a" * 32, "สวัสดี")


# -- the requests that answered 500 before, kept as plain cases ---------------------------------

async def test_out_of_range_and_unstorable_input_is_refused_with_the_shape(service):
    sla = {"priority": "normal", "ack_seconds": 3600, "resolve_seconds": 86400}
    async with service.http() as client:
        answers = {
            "id past INTEGER": await client.delete("/api/v1/sla/policies/99999999999999999999999"),
            "id past int4": await client.delete("/api/v1/sla/policies/9999999999"),
            "idea id past int4": await client.patch("/api/v1/kpi/innovation/1004/2570/evidence/ideas/9999999999",
                                                    json={}),
            "page past the offset": await client.get("/api/v1/cases", params={"page": 10**20}),
            "year 1": await client.get("/api/v1/cases", params={"from": "0001-01-01", "to": "0001-01-01"}),
            "year 9999": await client.get("/api/v1/metrics/response-times", params={"to": "9999-12-31"}),
            "NUL in a path": await client.get("/api/v1/agencies/%00"),
            "NUL in a body": await client.post("/api/v1/cases", json={"title": "a\x00", "agency": "1004"}),
            "NUL in a header": await client.put("/api/v1/kpi/innovation/1004/2570/evidence", json={},
                                                headers={"X-Actor": "%00"}),
            "lone surrogate": await client.post("/api/v1/cases", content=b'{"title": "\\ud800", "agency": "1004"}',
                                                headers={"content-type": "application/json"}),
            "a deadline of 10**300 s": await client.put("/api/v1/sla/policies", json=sla | {"ack_seconds": 1e300}),
            "Infinity": await client.put("/api/v1/sla/policies", content=b'{"priority": "normal", "ack_seconds": '
                                         b'Infinity, "resolve_seconds": 86400}', headers={"content-type": "application/json"}),
            "NUL media token": await client.get("/media/%00"),
            "unknown media token": await client.get("/media/" + "a" * 43),
            "unknown path": await client.get("/api/v1/nothing"),
        }
        forwarded = await client.post("/api/v1/cases", json={"title": "ไฟทางดับ", "agency": "1004"})
    async with service.http(admin=False) as client:
        answers["no token"] = await client.get("/api/v1/agencies")
    statuses = {what: r.status_code for what, r in answers.items()}
    assert statuses == {what: (404 if what in ("unknown media token", "unknown path") else
                               401 if what == "no token" else 422) for what in answers}, statuses
    for response in answers.values():
        assert set(response.json()) == {"error", "message", "details"}, response.text
    assert answers["no token"].json()["error"] == "NotAuthenticated"
    assert answers["no token"].headers["www-authenticate"] == "Bearer"
    assert forwarded.status_code == 201  # nothing refused above was stored in the way of a valid case
