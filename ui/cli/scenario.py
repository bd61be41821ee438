"""Scenario and persona commands: validate, list, publish scenarios; show the persona a seed produces."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

scenario_app = typer.Typer(help="Author scenarios: validate, lint, list, publish.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    return out


@scenario_app.command("validate")
def validate(files: list[Path] = typer.Argument(..., help="scenario YAML files or folders")) -> None:
    """Check scenario files; prints OK per file, or one line per problem (file, line, field) and exits 1.

    Example: coach scenario validate my-scenario.yaml
    """
    from scenarios import validate_files

    scenarios, issues = validate_files(_expand(files))
    for scenario in scenarios:
        typer.echo(f"OK {scenario.id} ({scenario.language}, pool {scenario.pool}, {len(scenario.objections.types)} objections)")
    for issue in issues:
        typer.echo(str(issue), err=True)
    if issues:
        raise typer.Exit(1)


@scenario_app.command("lint")
def lint(
    targets: list[str] = typer.Argument(None, help="scenario files, folders or shipped ids (default: the whole library)"),
    seeds: int = typer.Option(3, "--seeds", min=1, help="personas per scenario (seeds 0..N-1)"),
    dialogue: bool = typer.Option(True, "--dialogue/--no-dialogue",
                                  help="also preview a conversation per seed and check the customer's lines"),
    json_out: bool = typer.Option(False, "--json", help="print findings as JSON lines"),
) -> None:
    """Render every scenario with its seed personas, hints and customer lines; report unfilled {slots}, raw ids and
    industries, products or roles that contradict the persona. Exits 1 when anything is found.

    Example: coach scenario lint --seeds 3        (the shipped library)
    Example: coach scenario lint my-scenario.yaml --no-dialogue
    """
    from coach.content_lint import lint_library
    from scenarios import load_library, validate_files

    chosen = list(load_library().values())
    if targets:
        library = load_library()
        ids = [t for t in targets if t in library and not Path(t).exists()]
        scenarios, issues = validate_files(_expand([Path(t) for t in targets if t not in ids]))
        for issue in issues:
            typer.echo(str(issue), err=True)
        if issues:
            raise typer.Exit(1)
        chosen = [library[i] for i in ids] + scenarios
    findings = lint_library(chosen, seeds=tuple(range(seeds)), dialogue=dialogue,
                            progress=lambda sid: typer.echo(f"lint {sid}", err=True))
    for finding in findings:
        if json_out:
            typer.echo(json.dumps(finding.__dict__, ensure_ascii=False))
        else:
            typer.echo(str(finding))
    typer.echo(f"{len(chosen)} scenarios x {seeds} seeds: {len(findings)} problems", err=True)
    if findings:
        raise typer.Exit(1)


@scenario_app.command("list")
def list_cmd(json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List every scenario (shipped and published), newest version. Example: coach scenario list --json"""
    from coach.database import init_db
    from scenarios import list_scenarios

    init_db()
    rows = [
        {"id": s.id, "version": s.version, "title": s.title, "language": s.language, "pool": s.pool,
         "objections": s.objections.types, "goal": s.goal.kind, "gates": s.gates}
        for s in list_scenarios()
    ]
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        typer.echo(f"{r['id']:<28} v{r['version']:<3} {r['language']}  {r['pool']:<14} {','.join(r['objections']):<30} {r['title']}")


@scenario_app.command("publish")
def publish(
    file: Path = typer.Argument(..., help="scenario YAML file"),
    by: str = typer.Option("trainer", "--by", help="who publishes (recorded with the version)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Store the file as a new version when its content changed (same content: nothing new).

    Example: coach scenario publish zh-saas-price.yaml --by lihua
    """
    from coach.database import init_db
    from scenarios import ScenarioError, parse_scenario, publish_scenario, scenario_history

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{file}: cannot read the file ({exc.strerror}); check the path") from exc
    init_db()
    try:
        before = len(scenario_history(parse_scenario(text, str(file)).id))
        row = publish_scenario(text, published_by=by, source=str(file))
    except ScenarioError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1) from exc
    created = len(scenario_history(row.scenario_id)) > before
    if json_out:
        typer.echo(json.dumps({"id": row.scenario_id, "version": row.version, "content_hash": row.content_hash,
                               "published_by": row.published_by}, ensure_ascii=False))
    else:
        typer.echo(f"{row.scenario_id} v{row.version} ({'published' if created else 'unchanged'})")


@app.command()
def persona(
    scenario: str = typer.Option(..., "--scenario", help="scenario id, e.g. zh-saas-price"),
    seed: int = typer.Option(0, "--seed", help="same scenario + seed = same persona"),
    version: int = typer.Option(None, "--version", help="scenario version (default: newest)"),
    json_out: bool = typer.Option(False, "--json", help="print the whole persona as JSON"),
) -> None:
    """Show the customer a scenario and seed produce (public part first, then the hidden facts).

    Example: coach persona --scenario zh-saas-price --seed 7 --json
    """
    from coach.database import init_db
    from personas import PersonaDataError, load_pool_deals, synthesize_persona
    from scenarios import ScenarioNotFound, get_scenario

    init_db()
    try:
        chosen = get_scenario(scenario, version)
        result = synthesize_persona(chosen, load_pool_deals(chosen.pool), seed)
    except (ScenarioNotFound, PersonaDataError) as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        typer.echo(json.dumps({"public": result.public().model_dump(), **result.model_dump(mode="json")},
                              ensure_ascii=False))
        return
    for line in _describe(result):
        typer.echo(line)


def _describe(p) -> list[str]:
    zh = p.lang == "zh"
    sep = "、" if zh else ", "
    comp = p.competitor.name or ("无" if zh else "none")
    objections = sep.join(f"{o.type}({o.severity}, {o.trigger.text})" for o in p.hidden_objections)
    budget = f"{p.facts.budget:g} {p.facts.currency}" if p.facts.budget else "-"
    labels = (
        ("姓名", "职位", "公司", "决策角色", "预算敏感度", "决策周期", "在用竞品", "决策链", "隐藏异议", "性格/风格", "预算", "来源成交")
        if zh else
        ("Name", "Title", "Company", "Role", "Budget sensitivity", "Decision cycle", "Competitor in use",
         "Decision chain", "Hidden objections", "Temperament/style", "Budget", "Source deals")
    )
    values = (p.name, p.title, p.company.description, p.role, p.budget_sensitivity, p.decision_cycle,
              f"{comp} ({p.competitor.satisfaction})" if p.competitor.name else comp, sep.join(p.decision_chain) or "-",
              objections or "-", f"{p.temperament}/{p.speaking_style}", budget, sep.join(p.source_deal_ids))
    return [f"{label}: {value}" for label, value in zip(labels, values, strict=True)]
