"""Live-call commands: `coach hints` (a stream of transcript events in, hint cards out) and `coach debrief`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


def _human(hint) -> str:
    """One readable line per hint for a terminal."""
    kind = hint.type
    if kind == "objection_card":
        first = hint.steps[0].phrase if hint.steps else ""
        return f"[{hint.latency_ms:.0f}ms] ⚠ {hint.title} ({hint.confidence:.2f}) → {first}"
    if kind == "keyword_card":
        return f"[{hint.latency_ms:.0f}ms] ▣ {hint.title}: " + ", ".join(f.label for f in hint.fields)
    if kind == "signal":
        return f"[{hint.latency_ms:.0f}ms] ★ {hint.label}: «{hint.span}»"
    if kind == "mood":
        return f"[{hint.latency_ms:.0f}ms] mood {hint.value:.2f}" + ("  ⚠ WARNING" if hint.warning else "")
    return f"error: {hint.message}"


def _open(file: str):
    if file == "-":
        return sys.stdin
    path = Path(file)
    if not path.is_file():
        raise UserError(f"{path}: no such file; give a JSONL file of events or - for standard input")
    return path.open(encoding="utf-8-sig")


@app.command()
def hints(
    file: str = typer.Argument("-", help="JSONL transcript events, one per line; - (default) reads standard input"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON hint event per line"),
    lang: str = typer.Option(None, "--lang", help="zh or en (default: from the first utterance)"),
    no_index: bool = typer.Option(False, "--no-index", help="skip similar won-deal moments (no index needed)"),
) -> None:
    """Live hints: read transcript events, print objection / keyword / signal / mood cards as they fire.

    Each input line is {"speaker": "customer"|"rep", "text": "...", "ts": 12.5, "final": true}; bad lines
    give an error event and the stream goes on. Every hint carries its processing latency_ms.

    Example: echo '{"speaker": "customer", "text": "你们太贵了"}' | coach hints - --json
    """
    from coach.live import LiveConfig, factory

    kit = factory.default_kit(with_index=not no_index)
    kit.warm_up()
    assist = kit.new_call(LiveConfig(lang=lang))
    source = _open(file)
    try:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            for hint in assist.process_raw(line, line=number):
                typer.echo(hint.model_dump_json() if json_out else _human(hint))
            sys.stdout.flush()
    finally:
        if source is not sys.stdin:
            source.close()


def _debrief_text(result) -> str:
    lines = [f"utterances {result.utterances} (customer {result.customer_utterances}), mood {result.mood:.2f}"
             + (" ⚠" if result.mood_warning else "")]
    lines.append("key decision signals:" if result.signals else "key decision signals: none heard")
    lines += [f"  ★ {s.label}: «{s.span}» — {s.text}" for s in result.signals]
    lines.append("objections:" if result.objections else "objections: none raised")
    lines += [f"  {'✔' if o.handled else '✘'} {o.title} ×{o.times}: {o.text}" for o in result.objections]
    lines.append("success cases (won deals):" if result.success_cases else "success cases: none found in the index")
    lines += [f"  [{m.deal_id}] customer: {m.text}\n      rep: {m.next_rep}" for m in result.success_cases]
    return "\n".join(lines)


@app.command()
def debrief(
    file: Path = typer.Argument(..., help="JSONL events, a transcript (客户: … / Customer: … lines) or a messages CSV"),
    json_out: bool = typer.Option(False, "--json", help="print the debrief as JSON"),
    save_for: str = typer.Option(None, "--save-for", help="username: store the debrief on this rep's record"),
    conversation: str = typer.Option(None, "--conversation", help="messages CSV with several calls: which one"),
) -> None:
    """战报即时解析: the key decision signals, each objection and whether it was handled, and won-deal moments.

    Example: coach debrief call.txt --save-for rep1
    """
    from coach.live import LiveInputError, read_call
    from coach.live import debrief as run_debrief

    try:
        events = read_call(file, conversation)
    except LiveInputError as exc:
        raise UserError(str(exc)) from exc
    if not events:
        raise UserError(f"{file}: no utterances found; write lines like '客户: 太贵了' or JSON events")
    user = None
    if save_for:
        from coach.database import init_db
        from coach.users import get_user

        init_db()
        user = get_user(save_for)
        if user is None:
            raise UserError(f"--save-for {save_for}: no such user; give an existing username (`coach init` creates the demo users)")
    result = run_debrief(events)
    saved = None
    if user is not None:
        from coach.live import save_debrief

        saved = save_debrief(user.id, result, source=file.name)
    if json_out:
        payload = result.model_dump(mode="json") | ({"saved_id": saved} if saved else {})
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        typer.echo(_debrief_text(result))
        if saved:
            typer.echo(f"saved as debrief #{saved} for {save_for}")
