"""`coach practice`: a practice round in the terminal, typed or scripted."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


def read_script(path: Path) -> list[str]:
    """One reply per line; blank lines and lines starting with # are skipped. Errors name the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"script file {path} not found") from exc
    except IsADirectoryError as exc:
        raise UserError(f"script file {path} is a folder; give a text file with one reply per line") from exc
    replies = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        if b"\x00" in line:
            raise UserError(f"{path} line {number}: binary data; the script must be UTF-8 text, one reply per line")
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError as exc:
            raise UserError(f"{path} line {number}: not UTF-8 text; save the file as UTF-8") from exc
        if text and not text.startswith("#"):
            if len(text) > 4000:
                raise UserError(f"{path} line {number}: reply longer than 4000 characters")
            replies.append(text)
    if not replies:
        raise UserError(f"{path} contains no replies; write one reply per line")
    return replies


@app.command()
def practice(
    scenario: str = typer.Option(..., "--scenario", "-s", help="scenario id (see `coach scenario list`)"),
    seed: int = typer.Option(None, help="persona seed; the same seed and replies give the same session"),
    script: Path = typer.Option(None, help="file with one trainee reply per line (otherwise type them)"),
    user: str = typer.Option("trainee", help="whose session this is (a user from `coach users list`)"),
    json_out: bool = typer.Option(False, "--json", help="print the transcript with every grade as JSON"),
) -> None:
    """Practise one scenario in the terminal against the offline (or configured LLM) customer.

    Example: coach practice --scenario zh-saas-price --seed 7 --script replies.txt --json
    """
    from coach.database import init_db
    from coach.practice import PracticeError, PracticeService
    from coach.scorecard import session_scorecard
    from coach.users import ensure_demo_users, get_user
    from scenarios import get_scenario

    replies = read_script(script) if script else None
    init_db()
    ensure_demo_users()
    account = get_user(user)
    if account is None:
        raise UserError(f"user {user!r} does not exist; add it with `coach users add {user}` or use --user trainee")
    try:
        get_scenario(scenario)
    except Exception as exc:
        raise UserError(f"unknown scenario {scenario!r}: {exc}; list them with `coach scenario list`") from exc
    from coach.progression import start_session

    service = PracticeService()
    try:
        view = start_session(service, account, scenario, seed=seed if seed is not None else 0)
    except PermissionError as exc:
        raise UserError(str(exc)) from exc
    except Exception as exc:
        raise UserError(f"could not start scenario {scenario!r}: {exc}") from exc
    if not json_out:
        typer.echo(f"== {view.title} ==  ({view.persona_public['name']}, {view.persona_public['title']})")
        for notice in view.notices:
            typer.echo(f"  ({notice})")
        typer.echo(f"客户/Customer: {view.opening}")
    turn = None
    index = 0
    while True:
        if replies is not None:
            if index >= len(replies):
                break
            text = replies[index]
            index += 1
        else:
            try:
                text = input("你/You> ").strip()
            except EOFError:
                break
            if text in {"", "/end", "/quit"}:
                break
        try:
            turn = service.reply(view.session_id, account.id, text)
        except PracticeError as exc:
            raise UserError(str(exc)) from exc
        if not json_out:
            grade = turn.grade
            typer.echo(f"  [score {grade.get('score')}] " + ", ".join(k for k, v in (grade.get("steps") or {}).items() if v))
            for notice in turn.notices:
                typer.echo(f"  ({notice})")
            typer.echo(f"客户/Customer: {turn.customer_text}")
        if turn.ended:
            break
    if turn is None or not turn.ended:
        service.end(view.session_id, account.id)
    card = session_scorecard(view.session_id)
    if json_out:
        transcript = service.transcript(view.session_id, account.id)
        for item in transcript:
            item.pop("turn_id", None)
        typer.echo(json.dumps({"scenario": view.scenario_id, "version": view.scenario_version, "seed": view.seed,
                               "persona": view.persona_public, "transcript": transcript, "scorecard": card},
                              ensure_ascii=False, indent=1))
    else:
        typer.echo(f"== score {card['score']} · outcome {card['outcome']} · objections {card['objections_handled']}")
    typer.echo(f"session {view.session_id} saved", err=True)
