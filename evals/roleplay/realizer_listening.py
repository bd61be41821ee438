"""Does the LLM customer listen, before and after its guards? The listening probes (evals/roleplay/listening.py:
a question, an offer, small talk, an order to the customer, each followed by plain handling) are played through
an engine whose realizer is the LLM one, once with its guards on and once off, and each customer line after a
probe is judged by the listening eval's own words (not the guards' readers), beside the independent judge's
contradictions and inversions (evals/roleplay/judge.py) and the fallbacks to the offline customer. Beside each
probe session, a short move session: a push to close, a put-down of the customer's vendor and a cost argument
in a seeded order, each after plain handling (in the probe sessions they would cost the patience the later
probes need, and end calls early).

With no LLM configured, the LLM is a scripted stand-in (evals/roleplay/scripted_llm.py) on the fake
OpenAI-compatible server: its slips are by design, so the figures show what the guards catch and cost.
"""

from __future__ import annotations

import random

from evals.roleplay.judge import judge_session
from evals.roleplay.listening import (
    AGREEMENT,
    MOVE_JUDGES,
    _has,
    plan,
    probes,
    pulls_back,
    reacts_to_offer,
    talks_about_topic,
)

PROBES = ("question", "offer", "off_topic", "instruction", "pressure", "put_down", "cost")
RATE = {"question": "question_answer_rate", "offer": "offer_reaction_rate", "off_topic": "pull_back_rate",
        "instruction": "instruction_ignored_rate", "pressure": "push_back_rate", "put_down": "vendor_defended_rate",
        "cost": "cost_reaction_rate"}


def move_plan(lang: str, rng: random.Random, handling: list[str]) -> list[tuple[str, str, str]]:
    """Plain handling, then a push to close, a put-down ({competitor} in the line) and a cost argument in a seeded
    order, each followed by plain handling."""
    p = probes()[lang]
    kinds = list(MOVE_JUDGES)
    rng.shuffle(kinds)
    out = [("handling", "", handling[0])]
    for i, kind in enumerate(kinds):
        out += [(kind, "", rng.choice(p[kind])), ("handling", "", handling[(i + 1) % len(handling)])]
    return out


def play_probes(engine, scenario, deals, seed: int, turns: int, moves: bool = False) -> dict:
    """One listening session: the customer's line, its origin and notices after every probe (with ``moves``, the
    move session instead)."""
    from coach.practice import setup_for
    from coach.roleplay.from_persona import persona_view
    from evals.roleplay.runner import scripts
    from personas import synthesize_persona

    synthesized = synthesize_persona(scenario, deals, seed)
    persona = persona_view(synthesized)
    setup = setup_for(scenario, synthesized).model_copy(update={"max_turns": max(turns + 1, scenario.max_turns)})
    opening = engine.open_line(setup, persona, seed)
    state, history, lines = opening.state, [("customer", opening.text)], [opening.text]
    origins, turns_out = [opening.origin.source], []
    rng = random.Random(f"listen:{scenario.id}:{seed}")
    handling = scripts()["strong"][scenario.language]
    rival = persona.competitor or ("你们现在用的" if scenario.language == "zh" else "Your current vendor")
    script = move_plan(scenario.language, rng, handling) if moves else plan(scenario.language, rng, turns, handling)
    for kind, key, reply in script:
        reply = reply.replace("{competitor}", rival)
        result = engine.step(setup, persona, state, seed, history, reply)
        history += [("trainee", reply), ("customer", result.customer_text)]
        state = result.state
        lines.append(result.customer_text)
        origins.append(result.origin.source)
        turns_out.append({"kind": kind, "key": key, "reply": reply, "line": result.customer_text,
                          "source": result.origin.source, "notices": result.origin.notices})
        if result.ended:
            break
    return {"persona": persona, "lines": lines, "origins": origins, "turns": turns_out, "moves": moves}


def listened(turn: dict, persona) -> bool | None:
    """The listening eval's verdict on one probe's answer (None for turns that are not probes)."""
    kind, line = turn["kind"], turn["line"]
    if kind == "question":
        return talks_about_topic(line, turn["key"], persona)
    if kind == "offer":
        return reacts_to_offer(line, turn["key"], persona)
    if kind == "off_topic":
        return pulls_back(line, persona)
    if kind == "instruction":
        return not _has(AGREEMENT, line)
    if kind in MOVE_JUDGES:
        return MOVE_JUDGES[kind](line, persona)
    return None


def figures(runs: list[dict], lang: str, competitors: list[str]) -> dict:
    """Listening rates per probe kind, contradictions/inversions by the independent judge, fallbacks."""
    counts = {k: [0, 0] for k in PROBES}
    misses: list[dict] = []
    verdicts, lines, fallbacks, rejected = [], 0, 0, 0
    for run in runs:
        verdicts += judge_session(run["lines"], lang, run["persona"], competitors)
        lines += len(run["lines"])
        fallbacks += sum(o == "offline" for o in run["origins"])
        for turn in run["turns"]:
            rejected += any(n for n in turn["notices"])
            ok = listened(turn, run["persona"])
            if ok is None:
                continue
            counts[turn["kind"]][0] += ok
            counts[turn["kind"]][1] += 1
            if not ok and len(misses) < 4:
                misses.append({"probe": turn["kind"], "rep": turn["reply"], "customer": turn["line"],
                               "source": turn["source"]})
    out = {RATE[k]: round(a / b, 3) if b else None for k, (a, b) in counts.items()}
    out.update({"probes": {k: b for k, (_, b) in counts.items()}, "sessions": sum(not r.get("moves") for r in runs),
                "move_sessions": sum(bool(r.get("moves")) for r in runs), "lines": lines,
                "contradictions": sum(v["contradiction"] for v in verdicts),
                "inversions": sum(v["inversion"] for v in verdicts),
                "turns_with_notices": rejected, "fallbacks": fallbacks,
                "fallback_rate": round(fallbacks / max(1, lines), 4), "misses": misses})
    return out


def guard_on_offline_lines(persona, lang: str) -> dict:
    """How often the listening guard rejects a line that does listen: the offline customer's own reaction
    wordings (answers, evasions, pull-backs, refusals, push-backs; team-written) after the listening eval's
    probes."""
    from coach.roleplay.guards import unheard
    from coach.roleplay.reaction_bank import fill, load_reaction_bank
    from coach.roleplay.state import Act, Reaction

    bank, p = load_reaction_bank(), probes()[lang]
    cases = [(Reaction(kind=kind, topic=topic), q, fill(line, persona))
             for topic, questions in p["question"].items()
             for kind, table in (("answer", bank.answer), ("evade", bank.evade), ("answer", bank.answer_none))
             for line in getattr(table.get(topic), lang, []) for q in questions]
    cases += [(Reaction(kind="pull_back"), q, line) for q in p["off_topic"]
              for line in getattr(bank.pull_back, lang) + getattr(bank.pull_back_impatient, lang)]
    cases += [(Reaction(kind="ignore_instruction"), q, line) for q in p["instruction"]
              for line in getattr(bank.ignore_instruction, lang)]
    cases += [(Reaction(kind="push_back"), q, fill(line, persona)) for q in p["pressure"]
              for entry in bank.push_back.values() for line in getattr(entry, lang)]
    rejected = [{"rep": q, "line": line, "why": problem.code} for reaction, q, line in cases
                if (problem := unheard(line, Act(kind="stall", reactions=[reaction]), persona, q))]
    return {"lines": len(cases), "rejected": len(rejected), "rate": round(len(rejected) / max(1, len(cases)), 3),
            "examples": rejected[:3]}


def before_after(engine, scenario_ids: list[str], sessions: int, turns: int, competitors: list[str]) -> dict:
    """{"before_guards": {lang: figures}, "after_guards": {lang: figures}} over ``sessions`` per scenario."""
    from evals.roleplay.realizers import unguarded
    from personas import load_pool_deals
    from scenarios import get_scenario

    out: dict = {"before_guards": {}, "after_guards": {}}
    for label, eng in (("before_guards", unguarded(engine)), ("after_guards", engine)):
        runs: dict[str, list[dict]] = {}
        for scenario_id in scenario_ids:
            scenario = get_scenario(scenario_id)
            deals = load_pool_deals(scenario.pool)
            for seed in range(sessions):
                for moves in (False, True):
                    runs.setdefault(scenario.language, []).append(
                        play_probes(eng, scenario, deals, 2000 + seed, turns, moves=moves))
        out[label] = {lang: figures(lang_runs, lang, competitors) for lang, lang_runs in runs.items()}
        if label == "after_guards":
            out["guard_on_offline_lines"] = {lang: guard_on_offline_lines(lang_runs[0]["persona"], lang)
                                             for lang, lang_runs in runs.items()}
    return out


def scripted_engine(grade, chat_model, competitors: list[str]):
    """An engine whose customer is the LLM realizer talking to ``chat_model`` (the scripted stand-in)."""
    from coach.roleplay.engine import RolePlayEngine
    from coach.roleplay.llm_realizer import LLMRealizer
    from coach.roleplay.realizer import OfflineRealizer

    offline = OfflineRealizer()
    realizer = LLMRealizer(chat_model=chat_model, known_competitors=competitors, fallback=offline,
                           check_endpoint=False, deadline=60)
    return RolePlayEngine(grade=grade, realizer=realizer, fallback=offline)


def scripted_before_after(grade, scenario_ids: list[str], sessions: int, turns: int, competitors: list[str],
                          slip: float = 0.35) -> dict:
    """The LLM path against the fake server with the scripted customer, one scenario per language."""
    from coach.llm.client import get_chat_model
    from coach.llm.fake_server import FakeOpenAIServer
    from evals.roleplay.scripted_llm import ScriptedCustomer
    from knowledge.settings import get_settings
    from scenarios import get_scenario

    by_lang: dict[str, str] = {}
    for scenario_id in scenario_ids:
        by_lang.setdefault(get_scenario(scenario_id).language, scenario_id)
    with FakeOpenAIServer(ScriptedCustomer(slip)) as server:
        settings = get_settings().model_copy(update={"openai_base_url": server.base_url, "llm_deadline": 60.0,
                                                     "openai_api_key": server.api_key, "llm_model": "fake-model"})
        engine = scripted_engine(grade, get_chat_model(settings, streaming=True), competitors)
        result = before_after(engine, list(by_lang.values()), sessions, turns, competitors)
    return {"model": f"scripted stand-in on the fake OpenAI-compatible server (slips {slip:.0%} of turns by design)",
            "scenarios": list(by_lang.values()), **result}
