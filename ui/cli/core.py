"""Core commands: init, serve, users."""

from __future__ import annotations

import json

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

users_app = typer.Typer(help="Manage users (trainees, mentors, trainers, admins).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def init(
    json_out: bool = typer.Option(False, "--json", help="print a JSON summary"),
) -> None:
    """Create the data folder and database, the demo users, and load the bundled sample data.

    Safe to re-run: nothing is duplicated. Example: coach init
    """
    from coach.bootstrap import initialise

    summary = initialise(progress=not json_out)
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            typer.echo(f"{key}: {value}")


@app.command()
def serve(
    host: str = typer.Option(None, help="interface to bind (default 127.0.0.1, COACH_HOST)"),
    port: int = typer.Option(None, help="port (default 7860, COACH_PORT)"),
) -> None:
    """Start the web app (Gradio) on http://127.0.0.1:7860. Example: coach serve --port 7861"""
    from knowledge.settings import get_settings
    from ui.server import run_server

    settings = get_settings()
    run_server(host or settings.host, port or settings.port)


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
    from coach.users import list_users

    init_db()
    rows = [
        {"username": u.username, "name": u.display_name, "roles": u.roles, "team": u.team, "mentor_id": u.mentor_id}
        for u in list_users()
    ]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            typer.echo(f"{r['username']:<12} {r['roles']:<22} {r['team']:<10} {r['name']}")
