"""The admin page: accounts (add, role, password reset, delete) and their API tokens (create, list, revoke)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stoppress.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from stoppress.core.models import Role, User
from stoppress.web.desk.auth import desk_page, render

admin_only = desk_page(Role.ADMIN, why="Only an admin can manage users and API tokens; ask an admin on your desk.")

DONE = {
    "added": "Added the account {name}.",
    "role": "Changed the role of {name}.",
    "password": "Set a new password for {name}; they are signed out everywhere and sign in with it.",
    "deleted": "Deleted the account {name}; their entries stay, under their name.",
    "revoked": "Revoked an API token of {name}; programs using it are refused from now on.",
}


def _actor(request: Request) -> User:
    return request.state.desk_session.user  # type: ignore[no-any-return]


async def _page(request: Request, status: int = 200, *, error: str = "", error_user: str = "",
                new_token: tuple[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    newsroom = request.app.state.newsroom
    actor = _actor(request)
    users = await newsroom.storage.list_users()
    tokens = {user.name: await newsroom.access.tokens(actor, user.name) for user in users}
    done = DONE.get(request.query_params.get("done", ""), "")
    return render(
        request, "desk/admin.html", status, nav="admin", users=users, tokens=tokens, roles=[r.value for r in Role],
        done=done.format(name=request.query_params.get("name", "")) if done and not error and not new_token else "",
        error=error, error_user=error_user, new_token=new_token, values=values or {},
    )


def _done(what: str, name: str) -> Response:
    return RedirectResponse("/desk/admin?" + urlencode({"done": what, "name": name}), status_code=303)


@admin_only
async def page(request: Request) -> Response:
    return await _page(request)


@admin_only
async def add_user(request: Request) -> Response:
    form = request.state.form
    name, role, password = form.get("name", "").strip(), form.get("role", ""), form.get("password", "")
    try:
        if not password:
            raise Invalid("Give the new account a password of at least 10 characters.", field="password")
        user = await request.app.state.newsroom.add_user(name, role, password)
    except (Invalid, Conflict) as exc:
        return await _page(request, 422 if isinstance(exc, Invalid) else 409, error=exc.message,
                           values={"name": name, "role": role})
    return _done("added", user.name)


@admin_only
async def set_role(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await request.app.state.newsroom.access.set_role(_actor(request), name, request.state.form.get("role", ""))
    except (Invalid, NotFound) as exc:
        return await _page(request, 422, error=exc.message, error_user=name)
    return _done("role", name)


@admin_only
async def set_password(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await request.app.state.newsroom.access.set_password(_actor(request), name, request.state.form.get("password", ""))
    except (Invalid, NotFound) as exc:
        return await _page(request, 422, error=exc.message, error_user=name)
    return _done("password", name)


@admin_only
async def delete_user(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await request.app.state.newsroom.access.delete_user(_actor(request), name)
    except (Invalid, NotFound) as exc:
        return await _page(request, 422, error=exc.message, error_user=name)
    return _done("deleted", name)


@admin_only
async def create_token(request: Request) -> Response:
    newsroom = request.app.state.newsroom
    name = request.path_params["name"]
    label = " ".join(request.state.form.get("label", "").split())[:100] or "desk"
    try:
        user = await newsroom.get_user(name)
    except NotFound as exc:
        return await _page(request, 404, error=exc.message)
    token = await newsroom.create_token(user, label)
    # Shown once, on this answer only: the secret is stored as a hash.
    return await _page(request, 201, new_token=(name, token))


@admin_only
async def revoke_token(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await request.app.state.newsroom.access.revoke_token(_actor(request), name, request.path_params["token_id"])
    except (NotFound, PermissionDenied) as exc:
        return await _page(request, 404, error=exc.message, error_user=name)
    return _done("revoked", name)
