"""RFC 9457 problem answers of the fake ATS, for its own errors and for invalid requests."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rsc_service.simulators.ats.world import InvalidChange, RecordNotFound

PROBLEM_JSON = "application/problem+json"


class AtsProblem(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def problem(status: int, code: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "code": code}
    return JSONResponse(body | {"detail": detail}, status_code=status, media_type=PROBLEM_JSON)


async def _ats_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AtsProblem)
    return problem(exc.status, exc.code, exc.detail)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return problem(404, "not_found", str(exc))


async def _invalid_change(_: Request, exc: Exception) -> JSONResponse:
    return problem(422, "validation_error", str(exc))


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    reasons = [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()]
    return problem(422, "validation_error", "; ".join(reasons[:5]))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    return problem(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(AtsProblem, _ats_problem)
    app.add_exception_handler(RecordNotFound, _not_found)
    app.add_exception_handler(InvalidChange, _invalid_change)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
