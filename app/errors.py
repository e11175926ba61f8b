"""Domain errors, raised by services and mapped once to HTTP (here) and to Thai chat answers
(handlers). LINE transport errors live apart, in app/line/errors.py.

    DomainError
    ├── NotFound              404
    │   ├── AgencyNotFound
    │   ├── CaseNotFound
    │   ├── InviteNotFound
    │   └── LinkNotFound      (a dashboard sign-in link that was never issued)
    ├── AmbiguousAgency       409  (a name that finds several units; carries the candidates)
    ├── TransitionNotAllowed  409  (an action the case's current state does not allow)
    │   └── StaleCard              (a button of an assignment that is no longer current)
    ├── InviteExpired         410
    ├── InviteUsed            410
    ├── LinkExpired           410  (a dashboard sign-in link past its 15 minutes)
    ├── LinkUsed              410  (a dashboard sign-in link already used: they work once)
    ├── NotAllowed            403  (a person acting outside their role or unit)
    │   └── NotYourUnit
    ├── NotAuthenticated      401  (the API without the admin token)
    └── InvalidInput          422

Every error of the HTTP API answers `{"error": <name>, "message": <text, Thai first where a person
reads it>, "details": {…}}`: domain errors, FastAPI's validation, Starlette's own HTTP errors (an
unknown path, a wrong method) and, last of all, anything unexpected (500, logged by the server).
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class DomainError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404


class AgencyNotFound(NotFound):
    pass


class InviteNotFound(NotFound):
    pass


class CaseNotFound(NotFound):
    pass


class LinkNotFound(NotFound):
    pass


class AmbiguousAgency(DomainError):
    status_code = 409

    def __init__(self, message: str, candidates: list) -> None:
        super().__init__(message, candidates=[c.code for c in candidates])
        self.candidates = candidates


class InviteExpired(DomainError):
    status_code = 410


class InviteUsed(DomainError):
    status_code = 410


class LinkExpired(DomainError):
    status_code = 410


class LinkUsed(DomainError):
    status_code = 410


class NotAllowed(DomainError):
    status_code = 403


class NotYourUnit(NotAllowed):
    pass


class TransitionNotAllowed(DomainError):
    status_code = 409


class StaleCard(TransitionNotAllowed):
    pass


class InvalidInput(DomainError):
    status_code = 422


class NotAuthenticated(DomainError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


# Starlette's own errors carry only the English phrase; these are the ones any caller meets.
_HTTP_MESSAGES = {
    404: "ไม่พบที่อยู่นี้ / not found",
    405: "ที่อยู่นี้ไม่รับคำขอแบบนี้ / method not allowed",
}


def error_response(status_code: int, error: str, message: str, details: dict | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, "details": details or {}}, status_code=status_code,
                        headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's own validation, in the same shape as every other error."""
        problems = [{"where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in exc.errors()]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return error_response(422, "InvalidInput", message, {"problems": problems})

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc.status_code, type(exc).__name__, exc.message, exc.details, exc.headers)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        """An unknown path, a wrong method, a body too large: the same shape, named after the status."""
        phrase = HTTPStatus(exc.status_code).phrase
        message = _HTTP_MESSAGES.get(exc.status_code, exc.detail) if exc.detail == phrase else exc.detail
        return error_response(exc.status_code, phrase.title().replace(" ", "").replace("-", ""), message,
                              headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        """Last resort: a bug. Starlette re-raises after this answer, so the server logs the traceback."""
        return error_response(500, "InternalError", "ระบบขัดข้อง โปรดลองใหม่ภายหลัง / internal error")
