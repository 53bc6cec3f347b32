"""Getting into the desk: the session cookie, CSRF tokens, signing in and out, and the first-run setup link.

A signed-in browser carries `sp_session` (HttpOnly, SameSite=Lax, Secure over https). Every form it
posts carries the session's CSRF token in a hidden `csrf` field, and every API write made by the desk's
scripts carries it as `X-CSRF-Token`. Before anyone is signed in, the sign-in and setup forms use a
double-submit token: the same random value in a cookie and in the form.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stoppress.core.access import SESSION_DAYS
from stoppress.core.errors import Invalid, PermissionDenied, Unauthenticated
from stoppress.core.models import Role, User
from stoppress.storage.base import Session
from stoppress.web.errors import Problem

SESSION_COOKIE = "sp_session"
FORM_COOKIE = "sp_form"  # the double-submit token of the forms used before signing in
STALE_FORM = "The form is out of date; reload the page and try again."
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Desk pages run only their own files: a script that slipped into an entry could never run here.
CSP = (
    "default-src 'self'; img-src 'self' https: data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
EDITORS = (Role.ADMIN, Role.EDITOR)

Handler = Callable[[Request], Awaitable[Response]]


# Sessions


def is_secure(request: Request) -> bool:
    """Whether cookies must be Secure: the request came over https, or the site's public address is https."""
    return request.url.scheme == "https" or request.app.state.settings.base_url.startswith("https://")


async def current_session(request: Request) -> Session | None:
    """The signed-in browser behind this request, looked up once per request."""
    if "desk_session" not in request.scope.setdefault("state", {}):
        cookie = request.cookies.get(SESSION_COOKIE)
        request.state.desk_session = await request.app.state.newsroom.access.session(cookie)
    session: Session | None = request.state.desk_session
    return session


async def session_actor(request: Request) -> User:
    """The API's user for a request that carries the session cookie instead of a token."""
    session = await current_session(request)
    if session is None:
        raise Problem(401, "Your desk session has ended; sign in again at /desk/sign-in.")
    if request.method in UNSAFE and not same(request.headers.get("x-csrf-token"), session.csrf):
        raise Problem(403, STALE_FORM)
    return session.user


def same(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), expected.encode())


def set_session_cookie(response: Response, request: Request, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=SESSION_DAYS * 86400, path="/", httponly=True, samesite="lax",
        secure=is_secure(request),
    )


# Pages and forms


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A desk page, with the signed-in user and their CSRF token in its context."""
    state = request.app.state
    session = request.scope.get("state", {}).get("desk_session")
    body = state.renderer.page(
        template, lang="en", user=session.user if session else None, csrf=session.csrf if session else "",
        **context,
    )
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)


def message_page(request: Request, status: int, title: str, message: str, **context: Any) -> Response:
    return render(request, "desk/message.html", status, title=title, message=message, **context)


async def read_form(request: Request) -> dict[str, str]:
    """A posted form (application/x-www-form-urlencoded) as a dict; the desk posts no files."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise Invalid("Send the form as application/x-www-form-urlencoded.")
    limit = request.app.state.settings.max_request_bytes
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise Invalid(f"The form is larger than {limit:,} bytes.")
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=1000))


def desk_page(*roles: Role, why: str = "") -> Callable[[Handler], Handler]:
    """A desk handler: signed in (else off to the sign-in page), in one of `roles` if given, and for a
    form post, with the right CSRF token (the form is then in `request.state.form`)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def page(request: Request) -> Response:
            session = await current_session(request)
            if session is None:
                back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                target = "/desk/sign-in" + (f"?next={quote(back)}" if request.method == "GET" else "")
                return RedirectResponse(target, status_code=303)
            if roles and session.user.role not in roles:
                return message_page(request, 403, "Not allowed", why or "Your account may not open this page.")
            if request.method in UNSAFE:
                form = await read_form(request)
                if not same(form.get("csrf"), session.csrf):
                    return message_page(request, 403, "Not saved", STALE_FORM)
                request.state.form = form
            return await handler(request)

        return page

    return wrap


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a desk address on this site (no open redirect)."""
    if target and target.startswith("/desk") and not target.startswith("//") and "\\" not in target:
        return target
    return "/desk"


def _form_page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, template, status, form_csrf=token, **context)
    response.set_cookie(FORM_COOKIE, token, path="/desk", httponly=True, samesite="lax", secure=is_secure(request))
    return response


def _form_token_ok(request: Request, form: dict[str, str]) -> bool:
    return same(form.get("csrf"), request.cookies.get(FORM_COOKIE) or "\x00")


# Signing in and out


async def sign_in_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if await current_session(request):
        return RedirectResponse(target, status_code=303)
    notice = "You are signed out." if "signed_out" in request.query_params else ""
    return _form_page(request, "desk/sign_in.html", next=target, notice=notice, username="")


async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    target, name = safe_next(form.get("next")), form.get("name", "").strip()
    if not _form_token_ok(request, form):
        return _form_page(request, "desk/sign_in.html", 403, error=STALE_FORM, next=target, username=name)
    address = request.client.host if request.client else ""
    try:
        cookie, _ = await request.app.state.newsroom.access.sign_in(name, form.get("password", ""), address)
    except Unauthenticated as exc:
        throttled = exc.message.startswith("Too many")
        return _form_page(request, "desk/sign_in.html", 429 if throttled else 401, error=exc.message,
                          next=target, username=name)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, cookie)
    return response


@desk_page()
async def sign_out(request: Request) -> Response:
    await request.app.state.newsroom.access.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/desk/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(request))
    return response


# The first run: the link `stoppress serve` prints while there is no account


SETUP_USED = ("This setup link is not valid any more: the first account exists already. Sign in instead, "
              "or ask an admin for an account.")
SETUP_WRONG = ("This setup link is not valid. Use the link `stoppress serve` printed; restarting it prints "
               "a new one.")


async def _has_users(request: Request) -> bool:
    return bool(await request.app.state.newsroom.storage.list_users())


async def setup_page(request: Request) -> Response:
    if await _has_users(request):
        return message_page(request, 410, "Already set up", SETUP_USED, sign_in_link=True)
    return _form_page(request, "desk/setup.html", token=request.query_params.get("token", ""), username="")


async def setup(request: Request) -> Response:
    form = await read_form(request)
    token, name, password = form.get("token", ""), form.get("name", "").strip(), form.get("password", "")
    again = {"token": token, "username": name}
    if not _form_token_ok(request, form):
        return _form_page(request, "desk/setup.html", 403, error=STALE_FORM, **again)
    if password != form.get("password_again", ""):
        return _form_page(request, "desk/setup.html", 422, error="The two passwords differ; type them again.",
                          **again)
    access = request.app.state.newsroom.access
    try:
        await access.claim_setup(token, name, password)
    except Invalid as exc:
        return _form_page(request, "desk/setup.html", 422, error=exc.message, **again)
    except PermissionDenied:
        used = await _has_users(request)
        return message_page(request, 410 if used else 403, "Setup link not valid", SETUP_USED if used else SETUP_WRONG,
                            sign_in_link=used)
    address = request.client.host if request.client else ""
    cookie, _ = await access.sign_in(name, password, address)
    response = RedirectResponse("/desk?welcome=1", status_code=303)
    set_session_cookie(response, request, cookie)
    return response
