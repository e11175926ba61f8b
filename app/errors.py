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
    └── InvalidInput          422
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400

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


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's own validation, in the same shape as every other error."""
        problems = [{"where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in exc.errors()]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return JSONResponse({"error": "InvalidInput", "message": message, "details": {"problems": problems}},
                            status_code=422)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        body = {"error": type(exc).__name__, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return JSONResponse(body, status_code=exc.status_code)
