"""The LLM customer: langchain ChatOpenAI against any OpenAI-compatible endpoint, grounded on retrieved deal
lines, streamed; guarded (role inversion, leaks, contradictions) with one regeneration, then the offline
realizer. Timeouts and API errors fall back the same way, and the user is told."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

import yaml

from coach.roleplay.guards import check_line
from coach.roleplay.realizer import (
    LineSource,
    OfflineRealizer,
    Realizer,
    RealizeRequest,
    RealizerEvent,
    register_realizer,
)


@lru_cache(maxsize=1)
def load_prompts() -> dict:
    return yaml.safe_load((resources.files("coach.data") / "prompts.yaml").read_text(encoding="utf-8"))


def build_messages(request: RealizeRequest, grounding: list[str], retry: bool = False):
    """System prompt with persona, act and grounding; the dialogue as alternating turns (trainee = human)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    prompts, persona, act = load_prompts(), request.persona, request.act
    lang = "en" if persona.lang == "en" else "zh"
    act_instruction = prompts["acts"][act.kind][lang].format(
        objection=act.objection or "", fact=persona.facts.get(act.fact or "", act.fact or ""))
    facts = "; ".join(f"{k}: {v}" for k, v in persona.facts.items() if k in request.state.revealed or k == act.fact)
    system = prompts["customer_system"][lang].format(
        name=persona.name, title=persona.title, company=persona.company, industry=persona.industry,
        temperament=persona.temperament or "-", style=persona.style or "-", facts=facts or "-",
        competitor=persona.competitor or "-", budget=persona.budget or "-", act_instruction=act_instruction,
        grounding="\n".join(f"- {line}" for line in grounding[:5]) or "-",
    )
    if retry:
        system += "\n" + prompts["retry_note"][lang]
    messages = [SystemMessage(system)]
    for speaker, text in request.history[-12:]:
        messages.append(AIMessage(text) if speaker == "customer" else HumanMessage(text))
    if len(messages) == 1:
        messages.append(HumanMessage("（销售接通了电话）" if lang == "zh" else "(the rep is on the line)"))
    return messages


@register_realizer("llm")
class LLMRealizer(Realizer):
    name = "llm"

    def __init__(self, chat_model=None, line_source: LineSource | None = None, hidden_strings: list[str] | None = None,
                 known_competitors: list[str] | None = None, fallback: Realizer | None = None) -> None:
        if chat_model is None:
            from coach.llm.client import get_chat_model

            chat_model = get_chat_model(streaming=True)
        self.chat_model = chat_model
        self.line_source = line_source
        self.hidden_strings = hidden_strings or []
        self.known_competitors = known_competitors or []
        self.fallback = fallback or OfflineRealizer(line_source)

    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        grounding = self.line_source(request) if self.line_source else []
        lang = request.persona.lang
        for attempt in range(2):
            text = ""
            try:
                for chunk in self.chat_model.stream(build_messages(request, grounding, retry=attempt > 0)):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        text += piece
                        yield RealizerEvent(kind="delta", text=piece)
            except Exception as exc:  # any API/transport failure: fall back, tell the user why
                if text:
                    yield RealizerEvent(kind="reset")
                yield RealizerEvent(kind="notice", text=(
                    f"LLM 不可用（{exc.__class__.__name__}），已切换到离线客户" if lang == "zh"
                    else f"LLM unavailable ({exc.__class__.__name__}); switched to the offline customer"))
                yield from self.fallback.stream(request)
                return
            problem = check_line(text, request.persona, self.hidden_strings + request.persona.hidden,
                                 self.known_competitors) if text.strip() \
                else "empty reply"
            if problem is None:
                return
            yield RealizerEvent(kind="reset")
            yield RealizerEvent(kind="notice", text=f"guard: {problem}" + ("; regenerating" if attempt == 0 else ""))
        yield RealizerEvent(kind="notice", text=(
            "LLM 回复两次不合格，已切换到离线客户" if lang == "zh" else
            "The LLM reply failed the checks twice; switched to the offline customer"))
        yield from self.fallback.stream(request)
