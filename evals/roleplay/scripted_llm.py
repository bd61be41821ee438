"""A scripted stand-in for an LLM customer, served by the fake OpenAI-compatible server, for the listening eval.

It reads the system prompt the way a model would (the move lines of coach/data/llm_listening.yaml) and does
what they say, except now and then (``slip``, decided by a hash of the request, so runs are reproducible and a
regeneration is a fresh draw): it leaves the rep's question, offer or cost argument unanswered, chats along
with small talk, obeys an order to agree, gives in to pressure to close, or agrees with a put-down. What the
guards catch of that, and what the listening judge sees before and after them, is then a measurement of the
guards and the fallback, not of any real model.
"""

from __future__ import annotations

import hashlib
import re

from coach.roleplay.llm_listening import move_texts

_CJK = re.compile(r"[\u4e00-\u9fff]")
# the act part: bland customer lines that answer nothing in particular
ACT_LINES = {
    "zh": ["说实话，我还没被说服。", "我再考虑考虑。", "你们的售后服务怎么样？", "这个我还得再想想。", "嗯，你接着说。",
           "我关心的是实际效果。", "别光说好听的。", "这个事不着急。", "你们的东西到底好在哪？", "我心里还是没底。"],
    "en": ["Honestly, I'm not convinced yet.", "I'll think it over.", "What does your after-sales support look like?",
           "I need to think about this some more.", "Go on.", "What I care about is results.",
           "Don't just tell me the nice parts.", "There's no rush on our side.", "What is actually better about yours?",
           "I'm still unsure."],
}
SLIPS = {  # what a model that does not listen says instead of the reaction
    "chat": {"zh": "哈哈，是啊，那场比赛真精彩，我也看了。", "en": "Ha, yes, what a game that was! I watched it too."},
    "obey": {"zh": "好吧，那就算我同意了。", "en": "Fine, I agree to the deal then."},
    "cave": {"zh": "好吧，那就今天签吧。", "en": "Alright, let's sign today then."},
    "side": {"zh": "是啊，他们确实不太行。", "en": "True, they're pretty bad."},
}
FOLLOWS = {  # what it says when it follows the prompt's pressure, put-down and cost lines
    "push_back": {"zh": "别催，我们按自己的节奏来。", "en": "Don't push me; we'll go at our own pace."},
    "defend": {"zh": "{competitor}我们用着好好的。", "en": "{competitor} works fine for us."},
    "sceptic": {"zh": "踩别家没用，拿事实说话。", "en": "Knocking others proves nothing; show me facts."},
    "brag": {"zh": "这种话我听多了，拿事实说话。", "en": "I've heard that before; show me facts."},
    "ask_numbers": {"zh": "怎么算的？把费用明细发我。", "en": "How did you work that out? Send me the breakdown."},
    "verify": {"zh": "数字我拿自己的账再核一遍。", "en": "I'll check those numbers on our side."},
    "compare": {"zh": "按同样的口径列个对比。", "en": "Put it side by side with what we pay now."},
    "accept_condition": {"zh": "可以，但得写进合同。", "en": "Fine, as long as it's in the contract."},
    "repeat": {"zh": "这个你说过了，具体数字呢？", "en": "You said that already; where are the figures?"},
    "repeat_accepted": {"zh": "这个我认了，说点别的。", "en": "I accept that, as long as it's written down."},
}


def _draw(text: str, salt: str) -> float:
    return int(hashlib.sha1(f"{salt}:{text}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _between(template: str, line: str, prefix: bool = False) -> list[str] | None:
    """The slot values of ``line`` read against one YAML template (its {slots} as wildcards); with ``prefix``,
    the line may go on after the template."""
    pattern = "".join("(.+?)" if part.startswith("{") else re.escape(part)
                      for part in re.split(r"(\{\w+\})", template) if part)
    match = (re.match if prefix else re.fullmatch)(pattern, line.strip())
    return list(match.groups()) if match else None


class ScriptedCustomer:
    """A fake-server handler: ``FakeOpenAIServer(ScriptedCustomer(slip=0.35))``."""

    def __init__(self, slip: float = 0.35) -> None:
        self.slip = slip

    def __call__(self, body: dict) -> str:
        messages = body.get("messages") or []
        system = messages[0]["content"] if messages else ""
        lang = "zh" if len(_CJK.findall(system)) > 20 else "en"
        said = [m["content"] for m in messages[1:] if m.get("role") == "assistant"]
        slips = _draw(system + str(len(messages)), "slip") < self.slip
        parts: list[str] = []
        for item in self._items(system):
            parts.append(self._react(item, lang, slips))
        act = [line for line in ACT_LINES[lang] if not any(line in s for s in said)] or ACT_LINES[lang]
        parts.append(act[int(_draw(system + str(len(messages)), "act") * len(act))])
        joiner = "" if lang == "zh" else " "
        return joiner.join(p for p in parts if p)

    @staticmethod
    def _items(system: str) -> list[str]:
        header = {move_texts().header.zh, move_texts().header.en}
        lines = system.splitlines()
        start = next((i for i, line in enumerate(lines) if line.strip() in header), None)
        if start is None:
            return []
        items = []
        for line in lines[start + 1:]:
            if not line.startswith("- "):
                break
            items.append(line[2:])
        return items

    def _react(self, item: str, lang: str, slips: bool) -> str:
        texts, zh = move_texts(), lang == "zh"
        if (got := _between(texts.answer.get(lang), item)) is not None:
            topic, _, fact = got
            return "" if slips else (f"{topic}的话，{fact}。" if zh else f"As for {topic}: {fact}.")
        if (got := _between(texts.answer_none.get(lang), item)) is not None:
            return "" if slips else (f"{got[0]}这块还没定下来。" if zh else f"Nothing is fixed on {got[0]} yet.")
        if (got := _between(texts.evade.get(lang), item)) is not None:
            return "" if slips else (f"{got[0]}先不说，你先把方案讲清楚。" if zh
                                     else f"I'd rather not get into {got[0]} yet; tell me more first.")
        if (got := _between(texts.offer.get(lang), item)) is not None:
            offer, stance = got
            if slips:
                return ""
            if stance.startswith(texts.stances["reject"].get(lang)[:4]):
                return f"{offer}就算了。" if zh else f"No to {offer}, thanks."
            if stance.startswith(texts.stances["accept_condition"].get(lang)[:4]):
                return f"{offer}可以，但得写进合同。" if zh else f"Fine with {offer}, if it goes in the contract."
            return f"{offer}具体怎么安排？" if zh else f"How would {offer} work exactly?"
        if item in {texts.pull_back.get(lang), texts.pull_back_impatient.get(lang)}:
            return SLIPS["chat"][lang] if slips else ("先不聊这个，说回正事吧。" if zh else "Let's leave that; back to business.")
        if item == texts.ignore_instruction.get(lang):
            return SLIPS["obey"][lang] if slips else ("我可没答应什么，接着谈。" if zh else "I haven't agreed to anything.")
        if (got := _between(texts.recall.get(lang), item)) is not None:
            return f"你说过「{got[0]}」，这个算数吧？" if zh else f'You said "{got[0]}"; will you stand by it?'
        return self._react_to_moves(item, lang, slips)

    @staticmethod
    def _react_to_moves(item: str, lang: str, slips: bool) -> str:
        """Pressure to close, a put-down, a cost argument (the prompt lines of those reactions)."""
        texts = move_texts()
        if any(item.startswith(w.get(lang).split("{")[0]) for w in (texts.push_back, texts.push_back_again)):
            return SLIPS["cave"][lang] if slips else FOLLOWS["push_back"][lang]
        for stance in ("defend", "sceptic", "brag"):  # the stance line, perhaps followed by the "again" one
            if (got := _between(texts.defend_vendor[stance].get(lang), item, prefix=True)) is not None:
                return SLIPS["side"][lang] if slips else FOLLOWS[stance][lang].format(competitor=(got or [""])[0])
        if (got := _between(texts.cost.get(lang), item)) is not None:
            if slips:
                return ""
            stance = next((name for name, words in texts.cost_stances.items()
                           if got[0].startswith(words.get(lang).split("{")[0])), "ask_numbers")
            return FOLLOWS[stance][lang]
        return ""
