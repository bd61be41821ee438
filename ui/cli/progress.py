"""`coach progress`, `coach team-settings` and `coach review ...`: gates, unlocks, drills and mentor review
from the terminal. The CLI runs with database access, so `--as` names whose permissions apply."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

review_app = typer.Typer(help="Mentor review: list, show, override, sign off, export.\n\n"
                         "Example: coach review list --as mentor --trainee trainee", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _ready():
    """Migrate (progression tables included) and make sure the demo users exist."""
    from coach.database import init_db
    from coach.progression.tables import MIGRATIONS
    from coach.users import ensure_demo_users
    from knowledge.db import apply_migrations, get_engine

    init_db()
    apply_migrations(get_engine(), MIGRATIONS)  # no-op once coach.database registers them
    ensure_demo_users()


def _user(name: str, flag: str = "--user"):
    from coach.users import get_user

    user = get_user(name)
    if user is None:
        raise UserError(f"{flag} {name!r}: no such user; see `coach users list`")
    return user


def _echo(data, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
def progress(
    user: str = typer.Option(..., "--user", "-u", help="username"),
    json_out: bool = typer.Option(False, "--json", help="print everything as JSON"),
) -> None:
    """Show a rep's gates, unlocked client pools, drills due and guided sessions left.

    Example: coach progress --user trainee --json
    """
    from coach.progression import progress_report

    _ready()
    report = progress_report(_user(user))
    if json_out:
        _echo(report, True)
        return
    lang = "en" if _user(user).lang == "en" else "zh"
    for gate in report["gates"]:
        done = ", ".join(f"{c['have']}/{c['need']}" for c in gate["criteria"])
        typer.echo(f"[{gate['status']:>16}] {gate['id']}: {gate['title'][lang]} ({done})")
        if gate["held"]:
            turns = ", ".join(str(t) for t in gate["unsure_turns"])
            typer.echo(f"    待导师复核这些把握不大的评分（turn {turns}）" if lang == "zh" else
                       f"    waits for a mentor to review these unsure grades (turn {turns})")
        elif gate["review_could_open"]:
            turns = ", ".join(str(t) for t in gate["unsure_turns"])
            typer.echo(f"    这些把握不大的评分拉低了结果，导师复核后可能通过（turn {turns}）" if lang == "zh" else
                       f"    unsure grades count against it; a mentor's review may open it (turn {turns})")
    typer.echo(f"pools: {', '.join(report['unlocked_pools'])}")
    for drill in report["drills_due"]:
        typer.echo(f"drill due: {drill['scenario_id']} ({drill['objection']})")
    typer.echo(f"guided sessions left: {report['guided_sessions_left']}")


@app.command("team-settings")
def team_settings_cmd(
    team: str = typer.Argument(..., help="team name, e.g. east"),
    guided: int = typer.Option(None, "--guided", help="first N sessions run guided with hints (default 10)"),
    drill_threshold: int = typer.Option(None, "--drill-threshold", help="failures in a row before a drill (default 3)"),
) -> None:
    """Show or change a team's guided-session count and drill threshold.

    Example: coach team-settings east --guided 5 --drill-threshold 3
    """
    from pydantic import ValidationError

    from coach.progression import set_team_settings, team_settings

    _ready()
    try:
        current = team_settings(team) if guided is None and drill_threshold is None else \
            set_team_settings(team, guided, drill_threshold)
    except ValidationError as exc:
        raise UserError(f"team {team}: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
    _echo(current.model_dump(), True)


@review_app.command("list")
def review_list(
    viewer: str = typer.Option(..., "--as", help="whose permissions apply (a mentor, admin or trainee)"),
    trainee: str = typer.Option(None, help="only this trainee"),
    scenario: str = typer.Option(None, help="only this scenario id"),
    min_score: float = typer.Option(None, help="effective score at least"),
    max_score: float = typer.Option(None, help="effective score at most"),
    since: str = typer.Option(None, help="started on or after (YYYY-MM-DD)"),
    until: str = typer.Option(None, help="started on or before (YYYY-MM-DD)"),
    objection: str = typer.Option(None, help="sessions with a graded turn on this objection type"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List the sessions a mentor may review, with filters.

    Example: coach review list --as mentor --objection price --min-score 60 --json
    """
    from coach.review import list_sessions

    _ready()
    try:
        rows = list_sessions(_user(viewer, "--as"), trainee=trainee, scenario=scenario, min_score=min_score,
                             max_score=max_score, since=since, until=until, objection=objection)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        _echo(rows, True)
        return
    for row in rows:
        typer.echo(f"{row['session_id']:>5} {row['started_at']} {row['trainee']:<10} {row['scenario_id']:<28} "
                   f"{row['score'] if row['score'] is not None else '-':>5} {row['status']}")


@review_app.command("show")
def review_show(
    session_id: int = typer.Argument(..., help="session id from `coach review list`"),
    viewer: str = typer.Option(..., "--as", help="whose permissions apply"),
    json_out: bool = typer.Option(False, "--json", help="print JSON instead of Markdown"),
) -> None:
    """Show one session's transcript with per-turn grades and evidence.

    Example: coach review show 12 --as mentor
    """
    from coach.review import session_detail, session_markdown

    _ready()
    who = _user(viewer, "--as")
    try:
        if json_out:
            _echo(session_detail(who, session_id), True)
        else:
            typer.echo(session_markdown(who, session_id))
    except LookupError as exc:
        raise UserError(str(exc)) from exc


@review_app.command("override")
def review_override(
    viewer: str = typer.Option(..., "--as", help="a mentor or admin"),
    score: float = typer.Option(..., help="new score 0-100"),
    comment: str = typer.Option(..., help="why (required, kept in the audit log)"),
    turn: int = typer.Option(None, help="turn id (from `coach review show --json`); omit to set the session score"),
    session_id: int = typer.Option(None, "--session", help="session id, when overriding the whole session"),
) -> None:
    """Override a turn or session score with a required comment; gate progress is recomputed.

    Example: coach review override --as mentor --turn 31 --score 85 --comment "问到了关键需求"
    """
    from coach.review import override_session, override_turn

    _ready()
    who = _user(viewer, "--as")
    if (turn is None) == (session_id is None):
        raise UserError("give exactly one of --turn or --session")
    try:
        result = override_turn(who, turn, score, comment) if turn is not None else \
            override_session(who, session_id, score, comment)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    _echo(result, True)


@review_app.command("signoff")
def review_signoff(
    viewer: str = typer.Option(..., "--as", help="a mentor or admin"),
    trainee: str = typer.Option(..., help="the trainee's username"),
    gate: str = typer.Option(..., help="gate id (see `coach progress --user NAME`)"),
) -> None:
    """Sign off a gate whose criteria a trainee has met; its pools unlock.

    Example: coach review signoff --as mentor --trainee trainee --gate g2-smb
    """
    from coach.review import sign_off_gate

    _ready()
    try:
        result = sign_off_gate(_user(viewer, "--as"), _user(trainee, "--trainee"), gate)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc).strip("'\"")) from exc
    _echo(result, True)


@review_app.command("export")
def review_export(
    viewer: str = typer.Option(..., "--as", help="whose permissions apply"),
    out: Path = typer.Option(..., "--out", "-o", help="file to write (.md, .pdf or .csv)"),
    session_id: int = typer.Option(None, "--session", help="session to export (Markdown or PDF)"),
    team: bool = typer.Option(False, "--team", help="export all visible sessions as CSV instead"),
) -> None:
    """Export a session (Markdown or PDF, by the --out suffix) or the team's results (CSV).

    Example: coach review export --as mentor --session 12 --out s12.pdf ; coach review export --as mentor --team --out team.csv
    """
    from coach.review import ExportError, session_markdown, session_pdf, team_csv

    _ready()
    who = _user(viewer, "--as")
    try:
        if team:
            out.write_text(team_csv(who), encoding="utf-8")
        elif session_id is None:
            raise UserError("give --session N (or --team for the CSV)")
        elif out.suffix.lower() == ".pdf":
            try:
                session_pdf(who, session_id, out)
            except ExportError as exc:
                md = out.with_suffix(".md")
                md.write_text(session_markdown(who, session_id), encoding="utf-8")
                raise UserError(f"{exc}; wrote {md} instead") from exc
        else:
            out.write_text(session_markdown(who, session_id), encoding="utf-8")
    except LookupError as exc:
        raise UserError(str(exc)) from exc
    typer.echo(f"wrote {out}")
