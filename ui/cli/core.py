"""Core commands: init, serve, users (add, list, passwd, disable, enable, remove)."""

from __future__ import annotations

import json

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

users_app = typer.Typer(help="Manage users (trainees, mentors, trainers, admins).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def init(
    demo: bool = typer.Option(False, "--demo", help="also create the README demo users (admin/admin123 …): "
                              "for trying the app on your own machine, never on a team server"),
    json_out: bool = typer.Option(False, "--json", help="print a JSON summary"),
) -> None:
    """Create the data folder and database and load the bundled sample data (and, with --demo, the demo users).

    Safe to re-run: nothing is duplicated. Examples: coach init --demo (try it locally); coach init, then
    coach users add NAME --role admin (a team server)
    """
    from coach.bootstrap import initialise

    summary = initialise(progress=not json_out, demo=demo)
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    for key, value in summary.items():
        typer.echo(f"{key}: {value}")
    if not summary["users"]:
        typer.echo(NO_USERS)


NO_USERS = ("no users yet: add one with `coach users add NAME --role admin` "
            "(or run `coach init --demo` for the README demo accounts on your own machine)")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything: treat it as public


def demo_password_refusal(host: str, weak: list[str]) -> str:
    """What `coach serve` says when it will not listen beyond this machine with demo passwords in place."""
    weak = list(reversed(weak))  # trainees before their mentor: a mentor with trainees cannot be removed first
    fixes = "\n".join(f"  coach users passwd {name}" for name in weak)
    return (f"refusing to listen on {host}: demo account(s) {', '.join(weak)} still have the README passwords, "
            f"so anyone on the network could sign in. Give each a new password:\n{fixes}\n"
            f"or remove them: coach users remove {' '.join(weak)}  (or block them: coach users disable NAME). "
            f"To try the app on this machine only, use --host 127.0.0.1.")


@app.command()
def serve(
    host: str = typer.Option(None, help="interface to bind (default 127.0.0.1, COACH_HOST)"),
    port: int = typer.Option(None, help="port (default 7860, COACH_PORT)"),
) -> None:
    """Start the web app (Gradio) on http://127.0.0.1:7860. Example: coach serve --port 7861

    Never creates users. Listening beyond this machine (--host 0.0.0.0) is refused while a demo account still
    has its README password.
    """
    from coach.database import init_db
    from coach.users import demo_passwords_in_use, list_users
    from knowledge.settings import get_settings
    from ui.server import run_server

    settings = get_settings()
    host = host or settings.host
    init_db()
    if not is_loopback(host):
        weak = demo_passwords_in_use()
        if weak:
            raise UserError(demo_password_refusal(host, weak))
    if not list_users():
        typer.echo(NO_USERS, err=True)
    if settings.llm_enabled:  # a wrong key or model name is said once here, not as a fallback on every turn
        from coach.llm.check import cached_check

        typer.echo("LLM: " + cached_check(settings).message("en"), err=True)
    run_server(host, port or settings.port)


@users_app.command("add")
def users_add(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, help="at least 4 characters"),
    role: str = typer.Option("trainee", help="comma list of trainee, mentor, trainer, admin"),
    team: str = typer.Option("default"),
    mentor: str = typer.Option(None, help="username of the assigned mentor"),
    name: str = typer.Option("", help="display name"),
) -> None:
    """Add a user. Example: coach users add xiaoli --password s3cret --role trainee --mentor mentor"""
    from coach.database import init_db
    from coach.users import UserError as BadUser
    from coach.users import add_user

    init_db()
    try:
        user = add_user(username, password, role, team, mentor, name)
    except BadUser as exc:
        raise UserError(str(exc)) from exc
    typer.echo(f"added {user.username} ({user.roles}, team {user.team})")


@users_app.command("list")
def users_list(json_out: bool = typer.Option(False, "--json")) -> None:
    """List users. Example: coach users list --json"""
    from coach.database import init_db
    from coach.users import is_disabled, list_users

    init_db()
    rows = [
        {"username": u.username, "name": u.display_name, "roles": u.roles, "team": u.team, "mentor_id": u.mentor_id,
         "disabled": is_disabled(u)}
        for u in list_users()
    ]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            state = "  (disabled)" if r["disabled"] else ""
            typer.echo(f"{r['username']:<12} {r['roles']:<22} {r['team']:<10} {r['name']}{state}")


def _change(fn, *args):
    """Run a coach.users change after migrating, turning its UserError into the CLI's one-line error."""
    from coach.database import init_db
    from coach.users import UserError as BadUser

    init_db()
    try:
        return fn(*args)
    except BadUser as exc:
        raise UserError(str(exc)) from exc


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: str = typer.Option(..., prompt="New password", hide_input=True, confirmation_prompt=True,
                                 help="at least 4 characters (asked for when not given)"),
) -> None:
    """Give a user a new password. Example: coach users passwd admin"""
    from coach.users import set_password

    user = _change(set_password, username, password)
    typer.echo(f"new password set for {user.username}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Block a user from signing in anywhere; their history stays. Example: coach users disable trainee2"""
    from coach.users import set_disabled

    user = _change(set_disabled, username, True)
    typer.echo(f"{user.username} is disabled (undo: coach users enable {user.username})")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Let a disabled user sign in again. Example: coach users enable trainee2"""
    from coach.users import set_disabled

    user = _change(set_disabled, username, False)
    typer.echo(f"{user.username} can sign in again")


@users_app.command("remove")
def users_remove(usernames: list[str] = typer.Argument(..., help="one or more usernames")) -> None:
    """Delete users who have no history (others: disable them). Example: coach users remove rep trainee2"""
    from coach.users import remove_user

    for name in usernames:
        _change(remove_user, name)
        typer.echo(f"removed {name}")
