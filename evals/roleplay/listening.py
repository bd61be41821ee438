"""Does the simulated customer listen? Scripted rep probes (a question, an offer, small talk, an order to the
customer, a promise) through the real engine, and a judge that reads only the customer's words.

The judge is independent of the realizer: it does not look at the act or reaction the policy chose, only at
whether the customer line talks about the topic asked / the offer made (its own word lists below, plus the
persona's facts), and it cross-checks answers with the understanding layer's learned "answers the question"
head. Figures per language:

- question_answer_rate: a line after a rep question talks about the asked topic (answer or in-character evasion)
- offer_reaction_rate: a line after an offer talks about that offer
- pull_back_rate: a line after small talk neither engages it nor reveals a fact, and steers back to business
- instruction_ignored_rate: an order to the customer ("pretend you agreed") does not get an agreement
- recall_rate: sessions where a promise made earlier is quoted back later (when the session lasted that long)
- push_back_rate: a line after pressure to close ("just sign today") pushes back and agrees to nothing
- vendor_defended_rate: a line after the rep runs down the customer's own vendor defends it or doubts the rep
- cost_reaction_rate: a line after a cost argument asks for the numbers / compares (budget-sensitive customer)
  or accepts with a condition (a relaxed one); either for one in between
- trust_rose_after_pressure / trust_rose_after_put_down: such probes after which the customer's trust went up
  (read from the session state, not the words; must be 0)
- repeated_lines (within a session), persona_contradictions (coach.roleplay.consistency), distinct_lines
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import yaml

# What a customer line must talk about to count as answering / reacting: the eval's own words.
TOPIC_WORDS = {
    "budget": r"预算|钱|价|万|元|块|花|投入|budget|price|spend|cost|money|number|\$|afford|pricing",
    "timeline": r"时间|月|季度|周|年|节点|什么时候|日子|排|date|deadline|month|quarter|week|when|timing|milestone|year",
    "decision": r"拍板|定|决定|签|点头|说了算|决策|把关|decide|sign|call|approv|decision|screening",
    "vendor": r"供应商|合作|别家|哪家|自己|vendor|supplier|work with|nobody|ourselves|who we use",
    "pain": r"头疼|问题|麻烦|难|效率|操心|毛病|problem|hurt|issue|pain|wrong|struggl|takes too long",
    "volume": r"规模|量|人|家|大|小|size|volume|people|small|big|we're",
}
OFFER_WORDS = {
    "trial": r"试|trial|pilot|try",
    "discount": r"折|便宜|优惠|价|discount|cheap|price|percent|off\b",
    "case_study": r"案例|数据|报告|case|numbers|data|report|stud",
    "references": r"客户|同行|聊|介绍|reference|customer|client|talk|touch",
    "visit": r"来|上门|跑|过来|当面|visit|come|over|in person|phone",
    "guarantee": r"保证|承诺|写进|白纸黑字|达标|退|guarantee|promise|writing|refund|target",
    "contract": r"合同|条款|付|分|contract|terms|pay|instal|writing",
}
REDIRECT = r"正事|正题|说回|闲聊|闲话|扯|时间有限|没时间|忙|business|back to|small talk|chat|off topic|stick to|busy|aside"
DEAL_WORDS = r"价|产品|方案|合同|钱|贵|供应商|需要|用|price|product|offer|cost|deal|expensive|vendor|need|contract"
SMALL_TALK = r"足球|比赛|天气|周末|电影|好看|football|game|match|weather|weekend|movie|film"
AGREEMENT = (r"(?<!没)(?<!不)我同意|同意签|就这么定|成交|签吧|好，签|(?<!没)(?<!不)说定了|就算(是)?定了|"
             r"\b(i|we) agree\b|it's a deal|let's sign|we'll sign|yes, (let's|we'll)|consider it (agreed|done|a deal)")
PUSH_BACK = (r"催|急|不定|定不了|不会.{0,4}定|要定也得|节奏|流程|压我|想清楚|核实|说了算|不吃这一套|推着|rush|push|pressure|"
             r"not today|won't be today|deadline|on the spot|hurry|pace|process|decide when|i decide|not deciding|"
             r"slow down|after i've talked")
DEFENDS = (r"用着|在用|挺稳|好好的|没你说的|哪有你说的|坏话|贬低|踩|说别人|不放心|强在哪|听多了|拿事实|"
           r"it works|use it|fine for us|not as bad|run(ning)? .{0,12}down|knock|trust you less|the rest|"
           r"show me yours|heard it before|yours better|show me facts|doubt you")
ASKS_NUMBERS = (r"明细|拆开|数字|怎么算|算一遍|对比|分项|口径|比.{0,8}便宜|breakdown|numbers|figures|line by line|side by side|"
                r"work(ed)? .{0,12}out|year by year|compare|how much|cheaper than")
ACCEPTS_IF = r"能接受|我认|前提|只要|但得|写进|白纸黑字|works for me|is fine|accept|as long as|provided|written|if it"
ROLLOUT_QUESTION = (r"多久能(用|上线|上)|多长时间能(用|上线)|什么时候能用|how long (to go live|until|does it take)|"
                    r"how soon (could|can) you (start|go live)")


@lru_cache(maxsize=1)
def probes() -> dict:
    return yaml.safe_load((resources.files("evals.roleplay") / "data" / "listening_probes.yaml").read_text("utf-8"))


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text or "", re.IGNORECASE) is not None


def talks_about_topic(line: str, topic: str, persona) -> bool:
    """The customer line is about the asked topic: the eval's words, or the persona's own fact for it."""
    facts = {"budget": persona.budget, "timeline": persona.timeline, "vendor": persona.competitor,
             "pain": persona.pain, "volume": persona.size, "decision": persona.decision_maker}
    fact = facts.get(topic) or ""
    return _has(TOPIC_WORDS[topic], line) or bool(fact and fact in line)


def reacts_to_offer(line: str, offer: str, persona) -> bool:
    return _has(OFFER_WORDS[offer], line)


def pulls_back(line: str, persona) -> bool:
    """No small talk engaged, no fact given away (the 「预算大概就是3500元」 answer to football), back to business."""
    revealed = any(v and v in line for v in (persona.budget, persona.timeline, persona.pain))
    return not _has(SMALL_TALK, line) and not revealed and (_has(REDIRECT, line) or _has(DEAL_WORDS, line))


def pushes_back(line: str, persona) -> bool:
    """After pressure to close: agrees to nothing and pushes back (the eval's own words)."""
    return not _has(AGREEMENT, line) and _has(PUSH_BACK, line)


def defends_vendor(line: str, persona) -> bool:
    """After the rep runs down the customer's vendor: defends it or doubts the rep (naming it is not enough, an
    act line may name it anyway); agrees to nothing."""
    return not _has(AGREEMENT, line) and _has(DEFENDS, line)


def weighs_cost(line: str, persona) -> bool:
    """After a cost argument: a budget-sensitive customer asks for the numbers or compares, a relaxed one accepts
    with a condition, one in between does either."""
    sensitivity = getattr(persona, "budget_sensitivity", 0.5)
    asks, accepts = _has(ASKS_NUMBERS, line), _has(ACCEPTS_IF, line)
    return asks if sensitivity >= 0.6 else accepts if sensitivity < 0.35 else asks or accepts


MOVE_JUDGES = {"pressure": pushes_back, "put_down": defends_vendor, "cost": weighs_cost}


def plan(lang: str, rng: random.Random, turns: int, handling: list[str],
         moves: bool = False) -> list[tuple[str, str, str]]:
    """A session's probes as (kind, key, rep line): a promise first (so the customer can hold the rep to it
    later), then questions and offers with one small-talk line and one order to the customer among them, each
    probe followed by a plain handling reply (``handling``) as a rep keeping the talk going would. With
    ``moves``, one push to close, one put-down of the customer's vendor ({competitor} in the line) and one cost
    argument are mixed in early."""
    p = probes()[lang]
    items: list[tuple[str, str, str]] = []
    for topic, lines in p["question"].items():
        items.append(("question", topic, rng.choice(lines)))
    for offer, lines in p["offer"].items():
        items.append(("offer", offer, rng.choice(lines)))
    rng.shuffle(items)
    items.insert(rng.randrange(1, 3), ("off_topic", "", rng.choice(p["off_topic"])))
    items.insert(rng.randrange(3, 5), ("instruction", "", rng.choice(p["instruction"])))
    items.insert(0, ("claim", "rollout", rng.choice(p["claim"]["rollout"])))
    if moves:
        for kind in ("pressure", "put_down", "cost"):
            items.insert(rng.randrange(2, 9), (kind, "", rng.choice(p[kind])))
    out: list[tuple[str, str, str]] = []
    for i, item in enumerate(items):
        out.append(item)
        if i % 2 == 1 and handling:
            out.append(("handling", "", handling[(i // 2) % len(handling)]))
    return out[:turns]


def play_listening(engine, scenario, deals, seed: int, turns: int) -> dict:
    from coach.practice import setup_for
    from coach.roleplay.from_persona import persona_view
    from personas import synthesize_persona

    persona = synthesize_persona(scenario, deals, seed)
    view = persona_view(persona)
    setup = setup_for(scenario, persona).model_copy(update={"max_turns": max(turns + 1, scenario.max_turns)})
    state, _, text = engine.open(setup, view, seed)
    history, lines, turns_out = [("customer", text)], [text], []
    from evals.roleplay.runner import scripts

    rng = random.Random(f"listen:{scenario.id}:{seed}")
    rival = view.competitor or ("你们现在用的" if scenario.language == "zh" else "Your current vendor")
    for kind, key, reply in plan(scenario.language, rng, turns, scripts()["strong"][scenario.language], moves=True):
        reply = reply.replace("{competitor}", rival)
        started = time.perf_counter()
        result = engine.step(setup, view, state, seed, history, reply)
        ms = (time.perf_counter() - started) * 1000
        history += [("trainee", reply), ("customer", result.customer_text)]
        trust = (state.trust, result.state.trust)
        state = result.state
        lines.append(result.customer_text)
        turns_out.append({"kind": kind, "key": key, "reply": reply, "line": result.customer_text, "ms": ms,
                          "ended": result.ended, "trust": trust})
        if result.ended:
            break
    return {"persona": view, "lines": lines, "turns": turns_out}


def judge(runs: list[dict], lang: str, understanding: bool = True) -> dict:
    """The figures for one language's sessions."""
    from coach.roleplay.consistency import check_line

    counts = {k: [0, 0] for k in ("question", "offer", "off_topic", "instruction", *MOVE_JUDGES)}
    trust_rose = {"pressure": 0, "put_down": 0}
    misses: dict[str, list] = {k: [] for k in counts}
    pairs, repeated, contradictions, recalls, recall_chances, reasked, ms = [], 0, [], 0, 0, 0, []
    all_lines, with_fact = [], [0, 0]
    for run in runs:
        persona = run["persona"]
        repeated += len(run["lines"]) - len(set(run["lines"]))
        all_lines += run["lines"]
        for line in run["lines"]:
            problems = check_line(line, persona)
            if problems:
                contradictions.append({"line": line, "why": problems})
        claim = next((t for t in run["turns"] if t["kind"] == "claim"), None)
        later = [t["line"] for t in run["turns"][1:]]
        if claim and len(later) >= 3:
            recall_chances += 1
            recalls += any("“" in line or '"' in line for line in later if _quotes_claim(line, claim["reply"]))
            reasked += sum(_has(ROLLOUT_QUESTION, line) for line in later)
        for t in run["turns"]:
            kind, line = t["kind"], t["line"]
            ms.append(t["ms"])
            if kind not in counts:
                continue
            if kind == "question":
                ok = talks_about_topic(line, t["key"], persona)
                pairs.append((t["reply"], line))
                fact = _fact_value(t["key"], persona)
                if fact:
                    with_fact[1] += 1
                    with_fact[0] += fact in line
            elif kind == "offer":
                ok = reacts_to_offer(line, t["key"], persona)
            elif kind == "off_topic":
                ok = pulls_back(line, persona)
            elif kind in MOVE_JUDGES:
                ok = MOVE_JUDGES[kind](line, persona)
                if kind in trust_rose and "trust" in t:
                    trust_rose[kind] += t["trust"][1] > t["trust"][0]
            else:
                ok = not _has(AGREEMENT, line)
            counts[kind][0] += ok
            counts[kind][1] += 1
            if not ok and len(misses[kind]) < 3:
                misses[kind].append({"rep": t["reply"], "customer": line})
    rate = {k: round(a / b, 3) if b else None for k, (a, b) in counts.items()}
    out = {
        "sessions": len(runs), "customer_lines": len(all_lines),
        "question_answer_rate": rate["question"], "offer_reaction_rate": rate["offer"],
        "pull_back_rate": rate["off_topic"], "instruction_ignored_rate": rate["instruction"],
        "push_back_rate": rate["pressure"], "vendor_defended_rate": rate["put_down"],
        "cost_reaction_rate": rate["cost"], "trust_rose_after_pressure": trust_rose["pressure"],
        "trust_rose_after_put_down": trust_rose["put_down"],
        "probes": {k: v[1] for k, v in counts.items()},
        # of the questions whose topic is a persona fact: the share answered with the fact itself (the rest were
        # in-character evasions while trust was low, or restatements)
        "question_fact_rate": round(with_fact[0] / with_fact[1], 3) if with_fact[1] else None,
        "recall_rate": round(recalls / recall_chances, 3) if recall_chances else None,
        "reasked_after_promise": reasked, "repeated_lines": repeated,
        "persona_contradictions": len(contradictions), "contradiction_examples": contradictions[:3],
        "distinct_lines": round(len(set(all_lines)) / max(1, len(all_lines)), 3),
        "turn_ms": _percentiles(ms), "misses": misses,
    }
    if understanding and pairs:
        out["question_answer_rate_understanding"] = _answers_by_understanding(pairs)
    return out


def _fact_value(topic: str, persona) -> str:
    return {"budget": persona.budget, "timeline": persona.timeline, "vendor": persona.competitor,
            "pain": persona.pain, "decision": persona.decision_maker}.get(topic) or ""


def _quotes_claim(line: str, claim_reply: str) -> bool:
    """The line quotes a clause of the rep's promise (at least 6 characters of it)."""
    for clause in re.split(r"[，,。.；;]", claim_reply):
        clause = clause.strip()
        if len(clause) >= 6 and clause in line:
            return True
    return False


def _answers_by_understanding(pairs: list[tuple[str, str]]) -> float | None:
    """The learned head's view: read (rep question → customer line) as (question → answer); share ≥ 0.5."""
    try:
        from knowledge.understanding import read_replies

        readings = read_replies(pairs)
    except Exception:  # no trained artefact: the figure is simply absent
        return None
    scores = [r.answers_question for r in readings if r.answers_question is not None]
    return round(sum(s >= 0.5 for s in scores) / len(scores), 3) if scores else None


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)}


def run_listening_eval(scenario_ids: list[str], sessions: int = 180, turns: int = 16, engine=None,
                       engine_factory: Callable | None = None, progress: bool = False) -> dict:
    """``sessions`` listening sessions split over the scenarios; figures per language."""
    from tqdm import tqdm

    from coach.roleplay.factory import default_engine
    from personas import load_pool_deals
    from scenarios import get_scenario

    engine = engine or (engine_factory or default_engine)()
    per = max(1, sessions // max(1, len(scenario_ids)))
    runs: dict[str, list[dict]] = {}
    bar = tqdm(total=per * len(scenario_ids), desc="listening eval", disable=not progress)
    for scenario_id in scenario_ids:
        scenario = get_scenario(scenario_id)
        deals = load_pool_deals(scenario.pool)
        for seed in range(per):
            runs.setdefault(scenario.language, []).append(play_listening(engine, scenario, deals, 1000 + seed, turns))
            bar.update(1)
    bar.close()
    return {lang: judge(lang_runs, lang) for lang, lang_runs in runs.items()}


def attach_listening(out: dict, by_lang: dict, scenario_ids: list[str], sessions: int, engine,
                     progress: bool = False) -> None:
    """Add to the role-play report, per language: persona contradictions and repeated lines over the scripted
    strong/weak sessions it already played, and the listening figures over ``sessions // 2`` probe sessions."""
    from coach.roleplay.consistency import check_line

    for lang, bucket in by_lang.items():
        runs = bucket["strong"] + bucket["weak"]
        problems = [{"line": line, "why": why} for run in runs for line in run["lines"]
                    if (why := check_line(line, run["persona"]))]
        out[lang]["persona_contradictions"] = len(problems)
        out[lang]["persona_contradiction_examples"] = problems[:3]
        out[lang]["repeated_lines"] = sum(len(r["lines"]) - len(set(r["lines"])) for r in runs)
    listening = run_listening_eval(scenario_ids, sessions=max(2, sessions // 2), engine=engine, progress=progress)
    for lang, figures in listening.items():
        out.setdefault(lang, {})["listening"] = figures


def rep_move_figures(runs: list[dict]) -> dict:
    """Over scripted sessions (runner.play): how the customer took the trainee's pushes to close, put-downs of
    its vendor and cost arguments, judged by the words above; which replies were such moves is read by the rep-move
    reader. A weak trainee who pushes and brags should see push-back here."""
    from coach.roleplay.rep_moves import read_move, runs_down

    counts = {k: [0, 0] for k in MOVE_JUDGES}
    for run in runs:
        persona = run["persona"]
        for reply, line in run["pairs"]:
            move = read_move(reply)
            kinds = [k for k, hit in (("pressure", move.pressure), ("cost", move.cost and not move.offers),
                                      ("put_down", runs_down(move, persona.competitor))) if hit]
            for kind in kinds:
                counts[kind][0] += MOVE_JUDGES[kind](line, persona)
                counts[kind][1] += 1
    names = {"pressure": "pushed_back", "put_down": "vendor_defended", "cost": "cost_weighed"}
    out: dict = {}
    for kind, (ok, n) in counts.items():
        out[f"{names[kind]}_replies"] = n
        out[f"{names[kind]}_rate"] = round(ok / n, 3) if n else None
    return out
