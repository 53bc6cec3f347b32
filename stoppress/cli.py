"""The `stoppress` command: serve, users, tokens, import, export."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from stoppress import __version__
from stoppress.core.errors import StopPressError
from stoppress.core.models import Role, User
from stoppress.core.services import Newsroom
from stoppress.settings import Settings

T = TypeVar("T")

# The operator at the command line acts with every right, under this name in revisions.
OPERATOR = User(id=None, name="operator", role=Role.ADMIN)


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", envvar="STOPPRESS_DB", default=None,
        help="Database URL (default: sqlite:///stoppress.db in the working folder).",
    )(fn)


def run(db: str | None, work: Callable[[Newsroom], Awaitable[T]]) -> T:
    """Open the database, do one piece of work with the newsroom, close it; errors become messages."""
    from stoppress.app import open_broker, open_storage

    settings = Settings.load({"db": db})

    async def main() -> T:
        storage = open_storage(settings.db)
        broker = open_broker("memory://")
        await storage.startup()
        await broker.startup()
        try:
            return await work(Newsroom(storage, broker))
        finally:
            await broker.shutdown()
            await storage.shutdown()

    try:
        return asyncio.run(main())
    except StopPressError as exc:
        raise click.ClickException(exc.message) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


class DefaultGroup(click.Group):
    """`stoppress` alone runs `serve`, like Datasette."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "--version")):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup)
@click.version_option(__version__, prog_name="stoppress")
def cli() -> None:
    """Stop Press: live blogs for newsrooms."""


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8000; 0 picks a free one).")
@db_option
@click.option("--broker", default=None, help="Event broker URL (default memory://).")
@click.option("--base-url", default=None, help="Public address of the site, e.g. https://live.example.com.")
@click.option("--short-link-base", default=None, help="Public short-link prefix, e.g. https://p.dw.com/p/.")
def serve(**options: Any) -> None:
    """Run the web server (the default command)."""
    import socket

    import uvicorn

    from stoppress.app import create_app
    from stoppress.web.live_protocol import bind

    try:
        settings = Settings.load(options)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {settings.host}:{settings.port} ({exc.strerror}); pick another with --port."
        ) from None
    sock.listen(4096)  # connections made from now on wait in the backlog until the app is up
    port = sock.getsockname()[1]
    base = settings.base_url or f"http://{settings.host}:{port}"
    settings = Settings.load({**options, "base_url": base, "port": port})
    app = create_app(settings)
    users = run(settings.db, lambda newsroom: newsroom.storage.list_users())
    click.echo(f"Stop Press {__version__} serving {settings.db}")
    click.echo(f"Open {base}/ in your browser.", err=False)
    if not users:
        # A one-time link: whoever opens it first creates the admin account, so it is printed only here.
        token = run(settings.db, lambda newsroom: newsroom.access.setup_token())
        click.echo("No accounts yet. Open this one-time link to create the first admin account:\n"
                   f"  {base}/desk/setup?token={token}\n"
                   "Or create the first one at the command line with:\n"
                   "  stoppress users add NAME --role admin\n"
                   "then an API token with:\n"
                   "  stoppress tokens create NAME")
    sys.stdout.flush()
    config = uvicorn.Config(
        app, http=bind(app.state.hub), loop="auto", log_level="warning", lifespan="on",
        timeout_graceful_shutdown=5, backlog=4096,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


@cli.group()
def users() -> None:
    """Manage accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@db_option
def users_add(name: str, role: str, password_stdin: bool, db: str | None) -> None:
    """Create an account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = run(db, lambda newsroom: newsroom.add_user(name, role, password))
    click.echo(f"Created {user.role} {user.name}.")


@users.command("list")
@db_option
def users_list(db: str | None) -> None:
    """List accounts."""
    for user in run(db, lambda newsroom: newsroom.storage.list_users()):
        click.echo(f"{user.name}\t{user.role}")


@cli.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for, to recognise it later.")
@db_option
def tokens_create(name: str, label: str, db: str | None) -> None:
    """Print a new API token for the user NAME (shown once; keep it secret)."""

    async def work(newsroom: Newsroom) -> str:
        return await newsroom.create_token(await newsroom.get_user(name), label)

    click.echo(run(db, work))


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--slug", default=None, help="Slug for the new blog (default: from its headline).")
@click.option("--base-url", envvar="STOPPRESS_BASE_URL", default="http://127.0.0.1:8000", show_default=True,
              help="Public address, to print the blog's URL.")
@db_option
def import_(file: str, slug: str | None, base_url: str, db: str | None) -> None:
    """Import a schema.org LiveBlogPosting (JSON-LD) or a Stop Press export; prints slug and URL."""
    from stoppress.core.interchange import import_document

    raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from None
    blog = run(db, lambda newsroom: import_document(newsroom, OPERATOR, document, slug=slug))
    click.echo(f"{blog.slug}\t{base_url.rstrip('/')}/live/{blog.slug}")


@cli.command()
@click.argument("slug")
@db_option
def export(slug: str, db: str | None) -> None:
    """Write a full-fidelity export of a blog (JSON) to standard output."""
    from stoppress.core.interchange import export_blog

    document = run(db, lambda newsroom: export_blog(newsroom, slug))
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))
