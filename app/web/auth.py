"""Who is looking at the dashboard, and what they may see.

Signing in: the admin token on /dashboard/signin (full scope), or a one-time link a registered
person asks for in LINE (`แดชบอร์ด`, app.services.dashboard_links), scoped to their role and unit.
Either way the browser gets one cookie: signed (itsdangerous, with a key derived from
ADMIN_API_TOKEN), HttpOnly, SameSite=Lax, Secure behind HTTPS, holding the person, their role and
unit when signed in, and an expiry (8 hours). Nothing else is kept on the server.

Every request reads the person afresh: deactivated (blocked the account, or an admin said so), or
given another role or unit since, and the session is over.

What a viewer sees (SPEC §9; aggregates are not personal data):

    centre, admin, the admin token     everything, complainant contact included
    manager without a unit (BMA-wide)  everything but complainant contact
    unit manager, coordinator          every page of figures (overview, leaderboard, KPI), but
                                       case lists, case timelines, coordinators and case exports
                                       of their own unit only; never complainant contact
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.config import Settings
from app.services import digests
from app.texts import ROLE_TH
from models import ComplaintCase, Person, Role

COOKIE = "rongtuk_dashboard"
TOKEN_ROLE = "token"  # signed in with ADMIN_API_TOKEN, not as a person
HOME = "/dashboard"


class SignInRequired(Exception):
    """No valid session: the route answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class Viewer:
    person_id: int | None  # None: signed in with the admin token
    name: str
    role: str  # a Role, or TOKEN_ROLE
    unit_id: int | None  # None: BMA-wide
    unit_code: str | None = None
    unit_name: str | None = None

    @property
    def bma_wide(self) -> bool:
        return self.unit_id is None

    @property
    def sees_contact(self) -> bool:
        """Complainant name, phone and email: centre and admin only (SPEC §9)."""
        return self.role in (TOKEN_ROLE, Role.centre, Role.admin)

    @property
    def role_label(self) -> str:
        return "ผู้ดูแลระบบ (รหัสผู้ดูแล)" if self.role == TOKEN_ROLE else ROLE_TH[Role(self.role)]

    def may_open_unit(self, agency_id: int) -> bool:
        return self.bma_wide or agency_id == self.unit_id

    def may_see_case(self, case: ComplaintCase) -> bool:
        """A unit sees the cases that were ever forwarded to it (as app.services.cases.can_see)."""
        return self.bma_wide or any(a.agency_id == self.unit_id for a in case.assignments)


def viewer_of(person: Person) -> Viewer:
    unit = digests.scope_of(person)  # the same rule as the digests: centre staff and BMA-wide managers see all
    return Viewer(person_id=person.id, name=person.display_name or "-", role=person.role,
                  unit_id=unit.id if unit else None, unit_code=unit.code if unit else None,
                  unit_name=unit.name_th if unit else None)


ADMIN_VIEWER = Viewer(person_id=None, name="ผู้ดูแลระบบ", role=TOKEN_ROLE, unit_id=None)


def admin_token_matches(settings: Settings, given: str) -> bool:
    # compare_digest: the time taken must not tell how much of a guessed token was right
    return bool(given) and hmac.compare_digest(given.encode(), settings.admin_api_token.encode())


# -- the cookie ----------------------------------------------------------------------------------

def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    # A key of its own, derived from the admin token: a cookie is no token, and changing the
    # token ends every session.
    key = hmac.new(settings.admin_api_token.encode(), b"rongtuk dashboard session v1", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt="rongtuk.dashboard.session")


def session_seconds(settings: Settings) -> int:
    return int(settings.dashboard_session_hours * 3600)


def cookie_value(settings: Settings, viewer: Viewer) -> str:
    return _serializer(settings).dumps({"p": viewer.person_id, "r": viewer.role, "u": viewer.unit_id,
                                        "x": int(time.time()) + session_seconds(settings)})


def set_cookie(response, settings: Settings, viewer: Viewer) -> None:
    response.set_cookie(COOKIE, cookie_value(settings, viewer), max_age=session_seconds(settings), path=HOME,
                        httponly=True, samesite="lax", secure=settings.public_base_url.startswith("https://"))


def clear_cookie(response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=HOME, httponly=True, samesite="lax",
                           secure=settings.public_base_url.startswith("https://"))


async def read(request: Request) -> Viewer | None:
    """The viewer of a valid session cookie, or None. Reads the person in a session of its own,
    closed at once (SQLite has one connection: never hold it across the route's own session)."""
    settings: Settings = request.app.state.settings
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings).loads(raw, max_age=session_seconds(settings))
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("x"), int) or data["x"] < time.time():
        return None
    if data.get("p") is None:
        return ADMIN_VIEWER if data.get("r") == TOKEN_ROLE else None
    async with request.app.state.sessionmaker() as session:
        person = await session.get(Person, data["p"])
        viewer = viewer_of(person) if person is not None and person.active else None
    if viewer is None or viewer.role != data.get("r") or viewer.unit_id != data.get("u"):
        return None  # deactivated, or another role or unit since: sign in again
    return viewer


async def require_viewer(request: Request) -> Viewer:
    viewer = await read(request)
    if viewer is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    request.state.viewer = viewer  # for the error page, which must not open a session of its own
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]


def safe_next(next_url: str | None) -> str:
    """Where to go after signing in: a dashboard path of this site only (no open redirect)."""
    if not next_url:
        return HOME
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME) or next_url.startswith("//") \
            or "\\" in next_url:
        return HOME
    return next_url


def signin_url(next_url: str) -> str:
    target = safe_next(next_url)
    return f"{HOME}/signin" + (f"?next={quote(target, safe='')}" if target != HOME else "")
