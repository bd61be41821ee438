"""`coach tokens add|list|revoke`: API tokens for integrations that call the live-hint API (docs/security.md)."""

from __future__ import annotations

import json

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

tokens_app = typer.Typer(help="API tokens for integrations (dialers, call recorders) using the live-hint API.",
                         no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@tokens_app.command("add")
def tokens_add(
    name: str = typer.Argument(..., help="the integration, e.g. dialer-east"),
    by: str = typer.Option("", "--by", help="who created it (recorded with the token)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a token and print it once (only its hash is stored). Example: coach tokens add dialer-east"""
    from coach.database import init_db
    from coach.tokens import TokenError, add_token

    init_db()
    try:
        row, token = add_token(name, created_by=by)
    except TokenError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        typer.echo(json.dumps({"id": row.id, "name": row.name, "token": token}, ensure_ascii=False))
        return
    typer.echo(f"token for {row.name} (id {row.id}):\n{token}\n"
               "Store it now: it is not shown again. Send it as 'Authorization: Bearer <token>'.")


@tokens_app.command("list")
def tokens_list(json_out: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never the secret): name, first characters, created, last used, revoked."""
    from coach.database import init_db
    from coach.tokens import list_tokens

    init_db()
    rows = [{"id": r.id, "name": r.name, "shown": r.shown + "…", "created_by": r.created_by,
             "created_at": _when(r.created_at), "last_used_at": _when(r.last_used_at),
             "revoked_at": _when(r.revoked_at)} for r in list_tokens()]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no tokens; create one with: coach tokens add NAME")
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] != "-" else f"last used {r['last_used_at']}"
        typer.echo(f"{r['id']:>4}  {r['name']:<20} {r['shown']:<12} created {r['created_at']}  {state}")


@tokens_app.command("revoke")
def tokens_revoke(name: str = typer.Argument(..., help="token name (or id) from coach tokens list")) -> None:
    """Revoke a token at once: every later request with it gets 401. Example: coach tokens revoke dialer-east"""
    from coach.database import init_db
    from coach.tokens import TokenError, revoke_token

    init_db()
    try:
        rows = revoke_token(name)
    except TokenError as exc:
        raise UserError(str(exc)) from exc
    for row in rows:
        typer.echo(f"revoked {row.name} (id {row.id})")
