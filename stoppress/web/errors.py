"""Domain errors to HTTP, in one place: problem+json for programs, a plain page for people."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stoppress.core.errors import Conflict, Invalid, NotFound, PermissionDenied, StopPressError, Unauthenticated

STATUS = {Invalid: 422, NotFound: 404, Conflict: 409, PermissionDenied: 403, Unauthenticated: 401}
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
}


class Problem(Exception):
    """An HTTP-level error raised by the web layer itself (bad JSON, missing header...)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="stoppress"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def status_of(exc: StopPressError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def handle_domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StopPressError)
    status = status_of(exc)
    if wants_json(request):
        extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
        if isinstance(exc, Conflict) and getattr(exc.current, "version", None) is not None:
            extra["current_version"] = exc.current.version  # type: ignore[union-attr]
        return problem(status, exc.message, **extra)
    return html_error(request, status, exc.message)


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem(exc.status, exc.message, **exc.extra)


async def handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "There is nothing at this address.", 405: f"{request.method} is not allowed here."}
    message = messages.get(exc.status_code, str(exc.detail))
    if wants_json(request):
        return problem(exc.status_code, message)
    return html_error(request, exc.status_code, message)


def html_error(request: Request, status: int, message: str) -> Response:
    renderer = request.app.state.renderer
    body = renderer.page("error.html", title=TITLES.get(status, "Error"), message=message)
    return Response(body, status_code=status, media_type="text/html; charset=utf-8")


HANDLERS = {StopPressError: handle_domain, Problem: handle_problem, HTTPException: handle_http}
