"""Judge simulated customer lines without the realizer's guards, so the eval can measure what they miss.

The guards (coach/roleplay/guards.py) are hand-written patterns; counting inversions with the same patterns
would report 0 by construction. Here each line is read by the learned understanding layer instead:

- inversion: the line offers a discount when read as a rep's reply to a customer's price concern (anti-pattern
  head ≥ 0.9, and not a question: a customer asking for a discount is not selling); or it does not read as a
  customer at all (P(objection) < 0.4, P(buying) < 0.5, for the whole line and for each of its sentences) while
  reading as a good rep reply (quality ≥ 0.4 or a rep step evidence/reframe/validate/advance ≥ 0.5). Thresholds
  were set on a handful of hand-written lines and real offline-customer lines in zh and en: a measurement aid (it
  misses some pitches), not a classifier with a held-out figure.
- contradiction: a vendor from the deals other than the persona's is named, or the line reads as being
  about the budget (understanding layer: budget objection or budget_confirmed signal) and carries a
  number whose leading digits differ from the persona's budget.
- repeat: the same (or nearly the same, ratio ≥ 0.9) line said earlier in the session.
- wrong_language: ``detect_lang`` disagrees with the session's language.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

SELLER_STEPS = ("evidence", "reframe", "validate", "advance")
CONCERN = {"zh": "这个价格比别家贵了三成，我们很难接受。", "en": "That's 30% more than the others charge; hard to accept."}
_NUMBER = re.compile(r"\d[\d,.]*")


def _leading(number: str) -> str:
    digits = re.sub(r"\D", "", number.split(".")[0]).rstrip("0")
    return digits or "0"


# a count of people, shops or stores next to the budget ("at our size (about 200 people), the budget is tight")
_HEADCOUNT = re.compile(r"\d[\d,.]*\s*(?:people|employees|staff|persons?|stores?|shops?|branches|人|名|家|个门店|个员工)",
                        re.IGNORECASE)


def _budget_mismatch(line: str, budget: str) -> bool:
    ours = {_leading(n) for n in _NUMBER.findall(budget or "")}
    said = {_leading(n) for n in _NUMBER.findall(_HEADCOUNT.sub(" ", line))}
    return bool(ours and said and not said & ours)


def _near(a: str, b: str) -> bool:
    clean = re.compile(r"[\W_]+")
    a, b = clean.sub("", a.lower()), clean.sub("", b.lower())
    return bool(a) and SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


def judge_session(lines: list[str], lang: str, persona, competitors: list[str]) -> list[dict[str, bool]]:
    """One verdict per customer line: inversion, contradiction, repeat, wrong_language."""
    from knowledge.understanding.features import detect_lang, is_question, sentences
    from knowledge.understanding.loader import get_understanding, read_customers, read_replies

    # read every line as a reply to one fixed customer concern, so a verdict does not depend on its neighbours
    pairs = [(CONCERN["en" if lang == "en" else "zh"], line) for line in lines]
    replies = read_replies(pairs) if lines else []
    # the whole line and each of its sentences: a customer line of three sentences (an objection, a question, a
    # condition) reads as none of them as a whole, though each one alone is a customer's
    parts = [list(dict.fromkeys([line, *sentences(line)])) for line in lines]
    flat = [part for group in parts for part in group]
    read = dict(zip(flat, read_customers(flat, lang), strict=True)) if flat else {}
    readings = [read[line] for line in lines]
    model = get_understanding()
    out = []
    for i, (line, reply, reading) in enumerate(zip(lines, replies, readings, strict=True)):
        # a line that asks anywhere (「能不能再便宜点？别家都打八折。」) is haggling, not a rep offering a discount
        asks = any(is_question(part) for part in parts[i])
        offers_discount = reply.anti_patterns.get("discount_without_tradeoff", 0.0) >= 0.9 and not asks
        reads_as_rep = reply.quality >= 0.4 or max(reply.steps.get(s, 0.0) for s in SELLER_STEPS) >= 0.5
        # the bar was set on P(objection) before calibration existed: read it on that scale, as the live cards and
        # the chat guard do, so a recalibration (a new prior or temperature) does not move the verdicts
        not_a_customer = all(model.raw_p_objection(read[part]) < 0.4 and read[part].buying < 0.5 for part in parts[i])
        sells = offers_discount or (not_a_customer and reads_as_rep)
        about_budget = reading.objection == "budget" or reading.signal_probabilities.get("budget_confirmed", 0) >= 0.5
        other_vendor = any(c and c != persona.competitor and c in line for c in competitors)
        out.append({
            "inversion": bool(sells),
            "contradiction": other_vendor or (about_budget and _budget_mismatch(line, persona.budget)),
            "repeat": any(_near(line, earlier) for earlier in lines[:i]),
            "wrong_language": bool(line.strip()) and detect_lang(line) != lang,
        })
    return out


def tally(verdicts: list[dict[str, bool]], origins: list[str], llm: bool) -> dict[str, Any]:
    """Counts and rates over judged lines; fallbacks count LLM turns the offline customer answered."""
    n = len(verdicts)
    counts = {k: sum(v[k] for v in verdicts) for k in ("inversion", "contradiction", "repeat", "wrong_language")}
    fallbacks = sum(o == "offline" for o in origins) if llm else 0
    return {"lines": n, "inversions": counts["inversion"], "contradictions": counts["contradiction"],
            "repeats": counts["repeat"], "wrong_language": counts["wrong_language"], "fallbacks": fallbacks,
            "inversion_rate": round(counts["inversion"] / max(1, n), 4),
            "contradiction_rate": round(counts["contradiction"] / max(1, n), 4),
            "repeat_rate": round(counts["repeat"] / max(1, n), 4),
            "fallback_rate": round(fallbacks / max(1, n), 4)}
