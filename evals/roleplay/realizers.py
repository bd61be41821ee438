"""Per realizer, what the customer's lines get wrong before and after the guards, judged independently of them.

The sessions already played by the runner are the "after guards" figures of the engine's realizer. For the
LLM realizer the same sessions are replayed with its guards switched off ("before guards"), so the report
shows what the guards catch and what they cost in fallbacks. The offline customer has no guards: its
before and after figures are the same sessions.

Listening (question answered, offer reacted to, pull-back, order ignored) is measured for the LLM path before
and after the guards by evals/roleplay/realizer_listening.py: on the configured LLM when there is one, and
always on a scripted stand-in behind the fake OpenAI-compatible server (``realizers["llm_scripted"]``).
"""

from __future__ import annotations

import copy

from coach.roleplay.engine import RolePlayEngine
from evals.roleplay.judge import judge_session, tally
from evals.roleplay.realizer_listening import before_after, scripted_before_after

LISTENING_TURNS = 16  # probe turns per listening session: every question, offer, small talk and order once
SCRIPTED_SLIP = 0.35  # share of turns on which the scripted stand-in ignores the rep's move
SCRIPTED_SESSIONS = 12  # listening sessions per language for the scripted stand-in (each played twice)


def _figures(runs_by_lang: dict[str, list[dict]], competitors: list[str], llm: bool) -> dict:
    out = {}
    for lang, runs in runs_by_lang.items():
        verdicts, origins, examples = [], [], []
        for run in runs:
            judged = judge_session(run["lines"], lang, run["persona"], competitors)
            verdicts += judged
            origins += run.get("origins") or ["offline"] * len(run["lines"])
            examples += [{"line": line, **{k: v for k, v in verdict.items() if v}}
                         for line, verdict in zip(run["lines"], judged, strict=True) if any(verdict.values())]
        out[lang] = {**tally(verdicts, origins, llm), "examples": examples[:5]}
    return out


def unguarded(engine: RolePlayEngine) -> RolePlayEngine:
    """The same engine with the LLM realizer's guards off (its fallbacks for errors stay)."""
    realizer = copy.copy(engine.realizer)
    realizer.guards = False
    return RolePlayEngine(grade=engine.grade, realizer=realizer, fallback=engine.fallback)


def attach_realizers(out: dict, by_lang: dict, engine: RolePlayEngine, chosen: list[str], per: int, turns: int,
                     competitors: list[str], progress: bool = False) -> None:
    """Add ``out["realizers"][name]`` = {"judge", "before_guards": {lang: figures}, "after_guards": {...}}, with
    "listening" for an LLM realizer, and ``out["realizers"]["llm_scripted"]`` (listening on the fake server)."""
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    name = getattr(engine.realizer, "name", "offline")
    llm = name == "llm"
    after = _figures({lang: b["strong"] + b["weak"] for lang, b in by_lang.items()}, competitors, llm)
    entry = {"judge": "understanding layer (evals/roleplay/judge.py), independent of the guards",
             "after_guards": after}
    if llm:
        bare = unguarded(engine)
        replayed: dict[str, list[dict]] = {}
        for scenario_id in chosen:
            scenario = get_scenario(scenario_id)
            deals, lang = load_pool_deals(scenario.pool), scenario.language
            for kind in ("strong", "weak"):
                for seed in range(per):
                    replayed.setdefault(lang, []).append(
                        play(bare, scenario, deals, seed, scripts()[kind][lang], turns))
        entry["before_guards"] = _figures(replayed, competitors, llm)
        entry["listening"] = before_after(engine, chosen, listening_sessions(per), LISTENING_TURNS, competitors)
    else:
        entry["before_guards"] = after
        entry["note"] = "the offline customer has no guards: before and after are the same sessions"
    out.setdefault("realizers", {})[name] = entry
    out["realizers"]["llm_scripted"] = {
        "judge": "listening: the listening eval's own words (evals/roleplay/listening.py); contradictions and "
                 "inversions: evals/roleplay/judge.py; neither uses the guards' readers",
        "listening": scripted_before_after(engine.grade, chosen, SCRIPTED_SESSIONS, LISTENING_TURNS,
                                           competitors, SCRIPTED_SLIP)}


def listening_sessions(per: int) -> int:
    """Listening sessions per scenario for the LLM path (each is played twice: guards on and off)."""
    return max(1, min(6, per // 2))
