"""`coach scenario preview`: auto-play a scenario file with the good or poor scripted trainee (or your own)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.errors import UserError
from ui.cli.scenario import scenario_app


def preview_lines(result) -> list[str]:
    """The transcript as terminal lines: each reply with its score, each customer act with the policy's reason."""
    zh = result.lang == "zh"
    who = {"customer": "客户" if zh else "Customer", "trainee": "学员" if zh else "Trainee"}
    public = result.persona_public
    lines = [f"== {result.title} ({result.scenario_id} v{result.version}, seed {result.seed}, script {result.script}) ==",
             f"{public.get('name', '')} · {public.get('title', '')} · {public.get('company', '')}"]
    for turn in result.turns:
        if turn.speaker == "trainee":
            problems = f" ! {','.join(turn.anti_patterns)}" if turn.anti_patterns else ""
            lines.append(f"  {who['trainee']}: {turn.text}")
            lines.append(f"      [{turn.score:.0f}/100 · {turn.objection or '-'} · {','.join(turn.steps) or '-'}{problems}]")
        else:
            act = f"{turn.act}:{turn.objection}" if turn.objection else str(turn.act)
            lines.append(f"  {who['customer']}: {turn.text}")
            lines.append(f"      <{act} — {turn.reason}>")
    lines.append(f"outcome {result.outcome} · average {result.average_score:g} · objections resolved "
                 f"{len(result.objections_resolved)}/{len(result.objections_raised)} "
                 f"({', '.join(result.objections_resolved) or '-'}) · trust {result.trust:.2f} · "
                 f"patience {result.patience:.2f}")
    return lines


@scenario_app.command("preview")
def preview(
    file: Path = typer.Argument(..., help="scenario YAML file (validated first)"),
    script: str = typer.Option("good", "--script", help="good, poor, or a text file with one reply per line"),
    seed: int = typer.Option(0, "--seed", help="persona seed; same file + seed + script = same run"),
    json_out: bool = typer.Option(False, "--json", help="print the whole run as JSON"),
) -> None:
    """Auto-play a scenario with a scripted trainee and show every grade and customer act (nothing stored).

    Example: coach scenario preview scenarios/library/zh-saas-price.yaml --script poor --seed 3
    """
    from coach.preview import PreviewScriptError, preview_scenario
    from scenarios import ScenarioError, parse_scenario
    from ui.cli.practice import read_script

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{file}: cannot read the file ({exc}); check the path") from exc
    replies = script if script in ("good", "poor") else read_script(Path(script))
    try:
        result = preview_scenario(parse_scenario(text, str(file)), replies, seed=seed)
    except ScenarioError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1) from exc
    except PreviewScriptError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    for line in preview_lines(result):
        typer.echo(line)
