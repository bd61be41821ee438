"""Play many sessions with scripted trainees through the real engine and measure the customer.

- reproducible: the same scenario, seed and replies give an identical transcript and scores
- consistent: no customer line names another vendor than the persona's, states another budget, or sells
- responsive: a strong and a weak trainee get measurably different outcomes on the same personas
- varied: distinct customer lines and distinct-1/2 across sessions of the same scenario
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from coach.practice import setup_for
from coach.roleplay.engine import RolePlayEngine
from coach.roleplay.from_persona import persona_view
from coach.roleplay.guards import contradicts, role_inversion
from evals.roleplay.listening import rep_move_figures
from knowledge.yaml_lines import safe_load as bounded_yaml


@lru_cache(maxsize=1)
def scripts() -> dict:
    return bounded_yaml((resources.files("evals.roleplay") / "data" / "scripts.yaml").read_text("utf-8"))


def tokens(text: str, lang: str) -> list[str]:
    if lang == "en":
        return text.lower().split()
    import jieba

    return [t for t in jieba.lcut(text) if t.strip()]


def distinct_n(lines: list[str], lang: str, n: int) -> float:
    grams, total = set(), 0
    for line in lines:
        toks = tokens(line, lang)
        for i in range(len(toks) - n + 1):
            grams.add(tuple(toks[i:i + n]))
            total += 1
    return round(len(grams) / total, 3) if total else 0.0


def play(engine: RolePlayEngine, scenario, deals, seed: int, replies: list[str], turns: int) -> dict:
    from personas import synthesize_persona

    persona = synthesize_persona(scenario, deals, seed)
    view = persona_view(persona)
    setup = setup_for(scenario, persona).model_copy(update={"max_turns": max(turns, scenario.max_turns)})
    opening = engine.open_line(setup, view, seed)
    state, act, text = opening.state, opening.act, opening.text
    history = [("customer", text)]
    lines, scores, acts = [text], [], [act.kind]
    origins = [opening.origin.source]  # llm | offline: who wrote each line (fallbacks are counted from it)
    result = None
    for i in range(turns):
        reply = replies[i % len(replies)]
        result = engine.step(setup, view, state, seed, history, reply)
        history += [("trainee", reply), ("customer", result.customer_text)]
        state = result.state
        lines.append(result.customer_text)
        scores.append(float(result.grade.get("score", 0)))
        acts.append(result.act.kind)
        origins.append(result.origin.source)
        if result.ended:
            break
    pairs = [(history[i][1], history[i + 1][1]) for i in range(1, len(history) - 1, 2)]  # (reply, next line)
    return {"persona": view, "lines": lines, "scores": scores, "acts": acts, "state": state, "origins": origins,
            "pairs": pairs}


def run_roleplay_eval(scenario_ids: list[str] | None = None, sessions: int = 200, turns: int = 20,
                      engine_factory: Callable[[], RolePlayEngine] | None = None, progress: bool = True,
                      realism: bool = False) -> dict:
    """Figures per language; ``sessions`` is split over the scenarios and the two scripted trainees. With
    ``realism``, the customer's relevance to the rep's line is set beside real customers' (realism.py)."""
    from tqdm import tqdm

    from coach.roleplay.factory import default_engine, known_competitors
    from personas import load_pool_deals
    from scenarios import get_scenario, list_scenarios

    engine = (engine_factory or default_engine)()
    chosen = scenario_ids or [s.id for s in list_scenarios() if not s.id.startswith("drill-")]
    competitors = list(known_competitors())
    per = max(1, sessions // (2 * len(chosen)))
    report: dict = {"sessions": 0, "turns": 0, "scenarios": chosen, "by_lang": {}}
    bar = tqdm(total=per * 2 * len(chosen), desc="role-play eval", disable=not progress)
    for scenario_id in chosen:
        scenario = get_scenario(scenario_id)
        deals = load_pool_deals(scenario.pool)
        lang = scenario.language
        bucket = report["by_lang"].setdefault(lang, {"strong": [], "weak": [], "lines": [], "checked": 0,
                                                     "contradictions": [], "inversions": []})
        for kind in ("strong", "weak"):
            replies = scripts()[kind][lang]
            for seed in range(per):
                run = play(engine, scenario, deals, seed, replies, turns)
                bar.update(1)
                report["sessions"] += 1
                report["turns"] += len(run["scores"])
                bucket[kind].append(run)
                for line in run["lines"]:
                    bucket["checked"] += 1
                    reason = contradicts(line, run["persona"], competitors)
                    if reason:
                        bucket["contradictions"].append({"scenario": scenario_id, "seed": seed, "line": line,
                                                         "why": reason})
                    if role_inversion(line):
                        bucket["inversions"].append({"scenario": scenario_id, "seed": seed, "line": line})
                bucket["lines"].extend(run["lines"])
    bar.close()
    out = {"sessions": report["sessions"], "turns": report["turns"], "scenarios": chosen}
    for lang, bucket in report["by_lang"].items():
        out[lang] = {
            "customer_lines": bucket["checked"],
            "contradiction_rate": round(len(bucket["contradictions"]) / max(1, bucket["checked"]), 4),
            "role_inversion_rate": round(len(bucket["inversions"]) / max(1, bucket["checked"]), 4),
            "contradiction_examples": bucket["contradictions"][:3],
            "distinct_lines": round(len(set(bucket["lines"])) / max(1, len(bucket["lines"])), 3),
            "distinct_1": distinct_n(bucket["lines"], lang, 1),
            "distinct_2": distinct_n(bucket["lines"], lang, 2),
            "strong": outcome_rates(bucket["strong"]),
            "weak": outcome_rates(bucket["weak"]),
        }
    from evals.roleplay.listening import attach_listening  # the customer listens (issue 15)

    attach_listening(out, report["by_lang"], chosen, sessions, engine, progress)
    from evals.roleplay.realizers import attach_realizers  # per realizer, before/after guards (issue 18)

    attach_realizers(out, report["by_lang"], engine, chosen, per, turns, competitors, progress)
    if realism:
        from evals.roleplay.realism import attach_realism  # relevance to the rep's line vs real customers

        attach_realism(out, report["by_lang"], progress)
    return out


def outcome_rates(runs: list[dict]) -> dict:
    if not runs:
        return {}
    return {
        "sessions": len(runs),
        "mean_score": round(statistics.mean(s for r in runs for s in r["scores"] or [0]), 1),
        "objections_resolved_per_session": round(statistics.mean(len(r["state"].resolved) for r in runs), 2),
        "next_step_agreed_rate": round(sum(r["state"].next_step_agreed for r in runs) / len(runs), 3),
        "customer_ended_rate": round(sum(r["state"].end_reason in {"patience", "unhandled"} for r in runs)
                                     / len(runs), 3),
        "mean_turns": round(statistics.mean(len(r["scores"]) for r in runs), 1),
        "final_trust": round(statistics.mean(r["state"].trust for r in runs), 3),
        **rep_move_figures(runs),  # pushes to close, put-downs and cost arguments, and how the customer took them
    }


def check_reproducible(scenario_id: str = "zh-saas-price", seed: int = 7) -> bool:
    """Two fresh engines, same inputs: identical lines and scores."""
    from coach.roleplay.factory import default_engine
    from personas import load_pool_deals
    from scenarios import get_scenario

    scenario = get_scenario(scenario_id)
    deals = load_pool_deals(scenario.pool)
    replies = scripts()["strong"][scenario.language] + scripts()["weak"][scenario.language]
    a = play(default_engine(), scenario, deals, seed, replies, 10)
    b = play(default_engine(), scenario, deals, seed, replies, 10)
    return a["lines"] == b["lines"] and a["scores"] == b["scores"]
