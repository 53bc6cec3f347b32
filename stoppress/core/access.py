"""Getting into the desk: sign-in sessions, the first-run setup link, slowing down password guessing,
and the admin's management of accounts and their API tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stoppress.core import accounts, permissions
from stoppress.core.errors import Invalid, NotFound, PermissionDenied, Unauthenticated
from stoppress.core.models import Role, User
from stoppress.storage.base import Session, Storage, TokenInfo

SESSION_DAYS = 14
FREE_FAILURES = 5  # failed sign-ins allowed before each further try must wait
MAX_WAIT = 300.0


@dataclass
class Throttle:
    """Failed sign-ins per key (user name, address): after a few, each try must wait longer.

    Kept in memory: with several processes each counts its own, which still slows guessing to a crawl.
    """

    monotonic: Callable[[], float] = time.monotonic
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def check(self, *keys: str) -> None:
        now = self.monotonic()
        for key in keys:
            count, last = self.failures.get(key, (0, 0.0))
            wait = min(MAX_WAIT, 2.0 ** (count - FREE_FAILURES)) if count >= FREE_FAILURES else 0.0
            if now - last < wait:
                raise Unauthenticated(
                    f"Too many failed sign-ins. Wait {int(wait - (now - last)) + 1} seconds and try again."
                )

    def failed(self, *keys: str) -> None:
        now = self.monotonic()
        for key in keys:
            count, _ = self.failures.get(key, (0, 0.0))
            self.failures[key] = (count + 1, now)
        if len(self.failures) > 100_000:  # bounded, whatever an attacker sends
            self.failures.clear()

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self.failures.pop(key, None)


class Access:
    def __init__(self, storage: Storage, clock: Callable[[], datetime], throttle: Throttle | None = None) -> None:
        self.storage = storage
        self.clock = clock
        self.throttle = throttle or Throttle()

    # The first run

    async def setup_token(self) -> str | None:
        """A new one-time setup link token while nobody has an account (None once somebody has)."""
        if await self.storage.list_users():
            return None
        token = secrets.token_urlsafe(24)
        await self.storage.add_setup_token(accounts.hash_token(token), self.clock())
        return token

    async def claim_setup(self, token: str, name: str, password: str) -> User:
        """Create the first admin with a setup link; the link works once and only on an empty site."""
        user = User(None, accounts.check_user_name(name), Role.ADMIN, accounts.hash_password(password), self.clock())
        created = await self.storage.create_first_admin(accounts.hash_token(token), user)
        if created is None:
            raise PermissionDenied(
                "This setup link is not valid any more: the first account exists already. Sign in instead, "
                "or ask an admin for an account."
            )
        return created

    # Sessions

    async def sign_in(self, name: str, password: str, address: str = "") -> tuple[str, Session]:
        """Check a password and open a session; returns the cookie value and the session."""
        keys = (f"user:{name.lower()}", f"addr:{address}")
        self.throttle.check(*keys)
        user = await self.storage.get_user(name)
        if user is None or not accounts.verify_password(user.password_hash, password):
            self.throttle.failed(*keys)
            raise Unauthenticated("That user name and password do not match.")
        self.throttle.succeeded(*keys)
        cookie, csrf, moment = secrets.token_urlsafe(32), secrets.token_urlsafe(24), self.clock()
        expires = moment + timedelta(days=SESSION_DAYS)
        await self.storage.add_session(accounts.hash_token(cookie), user.id or 0, csrf, moment, expires)
        return cookie, Session(user, csrf, expires)

    async def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        return await self.storage.get_session(accounts.hash_token(cookie), self.clock())

    async def sign_out(self, cookie: str) -> None:
        await self.storage.delete_sessions(token_hash=accounts.hash_token(cookie))

    # Accounts, for admins

    async def _user(self, name: str) -> User:
        user = await self.storage.get_user(name)
        if user is None:
            raise NotFound(f"There is no user named {name!r}.")
        return user

    async def set_role(self, actor: User, name: str, role: str) -> User:
        permissions.require_admin(actor)
        user = await self._user(name)
        try:
            user.role = Role(role)
        except ValueError:
            raise Invalid("The role must be admin, editor or contributor.", field="role") from None
        if user.id == actor.id and user.role is not Role.ADMIN:
            raise Invalid("You cannot take away your own admin role; ask another admin.", field="role")
        await self.storage.update_user(user)
        return user

    async def set_password(self, actor: User, name: str, password: str) -> None:
        if actor.name != name:
            permissions.require_admin(actor)
        user = await self._user(name)
        user.password_hash = accounts.hash_password(password)
        await self.storage.update_user(user)
        await self.storage.delete_sessions(user_id=user.id)  # every browser signs in again

    async def delete_user(self, actor: User, name: str) -> None:
        permissions.require_admin(actor)
        user = await self._user(name)
        if user.id == actor.id:
            raise Invalid("You cannot delete your own account.", field="name")
        await self.storage.delete_user(user.id or 0)

    async def tokens(self, actor: User, name: str) -> list[TokenInfo]:
        if actor.name != name:
            permissions.require_admin(actor)
        return await self.storage.list_tokens((await self._user(name)).id or 0)

    async def revoke_token(self, actor: User, name: str, token_id: int) -> None:
        if actor.name != name:
            permissions.require_admin(actor)
        if not await self.storage.revoke_token((await self._user(name)).id or 0, token_id):
            raise NotFound("There is no such token; it may have been revoked already.")
