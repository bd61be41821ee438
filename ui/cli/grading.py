"""`coach detect` and `coach grade`: objection detection and reply grading over files or stdin, one JSON per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


def _lines(source: str) -> list[str]:
    if source == "-":
        return sys.stdin.read().splitlines()
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source}: file not found; give a text/JSONL file or '-' for stdin")
    return path.read_text(encoding="utf-8").splitlines()


BATCH = 64


def _echo(payload: dict, json_out: bool, text: str) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False) if json_out else text)


@app.command()
def detect(
    source: str = typer.Argument("-", help="file with one utterance per line, or JSONL with a 'text' field; '-' = stdin"),
    json_out: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """Detect the objection in each customer utterance (Chinese or English).

    Example: echo "太贵了，能便宜点吗" | coach detect --json
    """
    from knowledge.detect import get_detector

    texts, bad = [], 0
    for number, line in enumerate(_lines(source), 1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                line = str(json.loads(line)["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                typer.echo(f"error: {source} line {number}: expected JSON with a 'text' field; skipped", err=True)
                bad += 1
                continue
        texts.append(line)
    for found in get_detector().detect_many(texts):
        payload = {"text": found.text, "objection": found.objection, "confidence": found.confidence,
                   "p_objection": found.p_objection, "objections": found.objections, "signals": found.signals,
                   "buying": found.buying, "sentiment": found.sentiment, "question": found.question}
        _echo(payload, json_out, f"{found.objection:<15} {found.confidence:.2f}  {found.text}")
    if bad:
        raise typer.Exit(1)


def _judge(name: str):
    """The second-opinion function for --judge, or None; a missing LLM says how to configure one."""
    if name == "none":
        return None
    if name not in ("llm", "unsure"):
        raise UserError(f"--judge {name!r} is not known; use --judge llm, --judge unsure or --judge none")
    from knowledge.settings import get_settings

    if not get_settings().llm_enabled:
        raise UserError(f"--judge {name} needs an LLM: set COACH_LLM_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY "
                        "(see docs/llm.md), or leave out --judge for the offline grade alone")
    from coach.grading.llm_judge import judge_reply

    return judge_reply


def _judge_line(opinion) -> str:
    if opinion.error:
        return f"judge: {opinion.error}"
    return f"judge ({opinion.model}): {opinion.score}  {opinion.rationale}"


@app.command()
def grade(
    source: str = typer.Argument("-", help='JSONL lines {"customer": ..., "reply": ...} (+ "objection", "lang"); "-" = stdin'),
    json_out: bool = typer.Option(False, "--json", help="one JSON object per line"),
    judge: str = typer.Option("none", "--judge", help="llm: add the configured LLM's second opinion beside "
                                                      "the offline grade (never replacing it); unsure: the same, "
                                                      "only for grades marked unsure; none: offline only"),
) -> None:
    """Grade each trainee reply against the objection's playbook, with feedback and a better reply.

    Example: echo '{"customer": "太贵了", "reply": "理解。您是跟哪家比的？"}' | coach grade --json
    Second opinion: coach grade replies.jsonl --judge llm --json (needs COACH_LLM_MODEL, OPENAI_BASE_URL);
    --judge unsure asks the LLM only where the offline grade is marked unsure (about a quarter of real replies)
    """
    from coach.grading import get_grader
    from coach.text_limits import TextLimitError, check_reply
    from knowledge.understanding.features import detect_lang

    judge_fn = _judge(judge)
    bad = 0
    rows: list[dict] = []
    for number, line in enumerate(_lines(source), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            customer, reply = str(row["customer"]), str(row["reply"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            reason = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else "needs 'customer' and 'reply'"
            typer.echo(f"error: {source} line {number}: {reason}; skipped", err=True)
            bad += 1
            continue
        try:  # the same limits as the Practice page and the HTTP API (coach.text_limits)
            reply = check_reply(reply, str(row.get("lang") or detect_lang(customer + reply[:200])))
        except TextLimitError as exc:
            typer.echo(f"error: {source} line {number}: {exc}; skipped", err=True)
            bad += 1
            continue
        rows.append({"customer": customer, "reply": reply, "objection": row.get("objection"), "lang": row.get("lang")})
    grader = get_grader("offline")
    results = []
    for start in range(0, len(rows), BATCH):  # one embedding batch per chunk: the model's throughput, not per line
        chunk = rows[start:start + BATCH]
        results.extend(grader.grade_many([(r["customer"], r["reply"], r["objection"], r["lang"]) for r in chunk]))
    for row, result in zip(rows, results, strict=True):
        payload = {"objection": result.objection, "score": result.score, "steps": result.steps,
                   "anti_patterns": result.anti_patterns, "relevance": result.relevance,
                   "answers_question": result.answers_question, "unsure": result.unsure,
                   "feedback": result.feedback,
                   "suggestion": result.suggestion,
                   "evidence": [e.model_dump(exclude_none=True) for e in result.evidence]}
        steps = ",".join(s for s, ok in result.steps.items() if ok) or "-"
        text = (f"{result.score:>3}  {result.objection:<14} steps={steps}  "
                f"anti={','.join(result.anti_patterns) or '-'}{'  unsure' if result.unsure else ''}\n"
                f"     {result.feedback}")
        if judge_fn is not None and (judge != "unsure" or result.unsure):
            opinion = judge_fn(row["customer"], row["reply"], result.objection, result.lang)
            payload["judge"] = opinion.model_dump()
            text += "\n     " + _judge_line(opinion)
        _echo(payload, json_out, text)
    if bad:
        raise typer.Exit(1)
