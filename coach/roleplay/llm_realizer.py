"""The LLM customer: langchain ChatOpenAI against any OpenAI-compatible endpoint, grounded on retrieved deal
lines and told what the rep just did (coach.roleplay.llm_listening), streamed within one deadline per turn;
guarded (selling, leaks, contradictions, parroting, repeats, template tokens, wrong language, not listening to
the rep's move) with one regeneration, then the offline realizer. A misconfigured endpoint (wrong key or
model, checked once through /models), API errors and the deadline fall back the same way, and the user is
told why, in the session's language, with the server's own message and address.

Every line ends with a ``source`` event (``llm:<model>`` or ``offline``) so the engine can store who spoke.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from coach.llm.deadline import DeadlineExceeded, Retry, stream_within
from coach.llm.errors import base_url, server_detail
from coach.llm.messages import say
from coach.roleplay.guards import Problem, check, cut_template_tail, describe
from coach.roleplay.llm_listening import move_brief
from coach.roleplay.realizer import (
    LineSource,
    OfflineRealizer,
    Realizer,
    RealizeRequest,
    RealizerEvent,
    register_realizer,
)
from knowledge.settings import get_settings
from knowledge.taxonomy import INDUSTRY_LABELS_ZH
from knowledge.yaml_lines import safe_load as bounded_yaml

# where a customer's line ends: chat-template tokens and the next speaker (OpenAI accepts at most four)
STOP = {"zh": ["<|im_end|>", "\n\n", "销售：", "（销售"], "en": ["<|im_end|>", "\n\n", "Rep:", "(the rep"]}
# facts a customer may mention while raising this objection (its current vendor when comparing)
OBJECTION_FACTS = {"competitor": "current_vendor"}


@lru_cache(maxsize=1)
def load_prompts() -> dict:
    return bounded_yaml((resources.files("coach.data") / "prompts.yaml").read_text(encoding="utf-8"))


def _label(kind: str, value: str, lang: str) -> str:
    """Trait codes and ids as words of the prompt's language (the Chinese prompt carries no English codes)."""
    if lang != "zh" or not value:
        return value
    if kind == "industry":
        return INDUSTRY_LABELS_ZH.get(value, value)
    return load_prompts()["labels_zh"][kind].get(value, value)


def prompt_facts(request: RealizeRequest) -> dict[str, str]:
    """Only facts the trainee has already drawn out, or that this act reveals: no volunteered budget/vendor."""
    persona, act, revealed = request.persona, request.act, set(request.state.revealed)
    allowed = revealed | {act.fact} | {OBJECTION_FACTS.get(act.objection or "")}
    return {k: v for k, v in persona.facts.items() if k in allowed}


def build_messages(request: RealizeRequest, grounding: list[str], retry: str | bool = False):
    """System prompt with persona, the rep's move this turn (coach.roleplay.llm_listening), act and grounding;
    the dialogue as alternating turns (trainee = human).

    The opening has no user message at all (small models echo a placeholder such as 「（销售接通了电话）」):
    the system prompt says the call has just connected and the customer speaks first."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    prompts, persona, act = load_prompts(), request.persona, request.act
    lang = "en" if persona.lang == "en" else "zh"
    fact_text = persona.facts.get(act.fact or "", "") or _label("fact", act.fact or "", lang)
    act_instruction = prompts["acts"][act.kind][lang].format(
        objection=_label("objection", act.objection or "", lang), fact=fact_text)
    sep = "；" if lang == "zh" else "; "
    facts = sep.join(f"{_label('fact', k, lang)}{'：' if lang == 'zh' else ': '}{v}"
                     for k, v in prompt_facts(request).items())
    move = move_brief(act, persona, request.state, request.trainee_reply)
    system = prompts["customer_system"][lang].format(
        name=persona.name, title=persona.title, company=persona.company,
        industry=_label("industry", persona.industry, lang),
        temperament=_label("temperament", persona.temperament, lang) or "-",
        style=_label("style", persona.style, lang) or "-", facts=facts or "-", act_instruction=act_instruction,
        move=f"{move}\n" if move else "",
        grounding="\n".join(f"- {line}" for line in grounding[:5]) or "-",
    )
    if retry:
        system += "\n" + prompts["retry_note"][lang].format(reason=retry if isinstance(retry, str) else "-")
    messages = [SystemMessage(system)]
    for speaker, text in request.history[-12:]:
        messages.append(AIMessage(text) if speaker == "customer" else HumanMessage(text))
    if len(messages) == 1:
        messages[0] = SystemMessage(system + "\n" + prompts["opening_note"][lang])
    return messages


@register_realizer("llm")
class LLMRealizer(Realizer):
    name = "llm"

    def __init__(self, chat_model=None, line_source: LineSource | None = None, hidden_strings: list[str] | None = None,
                 known_competitors: list[str] | None = None, fallback: Realizer | None = None,
                 deadline: float | None = None, guards: bool = True, check_endpoint: bool | None = None) -> None:
        settings = get_settings()
        if check_endpoint is None:
            check_endpoint = chat_model is None  # an injected model has no endpoint of ours to check
        if chat_model is None:
            from coach.llm.client import get_chat_model

            chat_model = get_chat_model(settings, streaming=True)
        self.chat_model = chat_model
        self.model = str(getattr(chat_model, "model_name", "") or settings.llm_model)
        self.base_url = base_url(settings)
        self.deadline = deadline or settings.llm_deadline
        self.guards = guards  # off only in the eval, to measure what the guards catch
        self.check_endpoint = check_endpoint
        self.line_source = line_source
        self.hidden_strings = hidden_strings or []
        self.known_competitors = known_competitors or []
        self.fallback = fallback or OfflineRealizer(line_source)

    def _offline(self, request: RealizeRequest, notice: str) -> Iterator[RealizerEvent]:
        yield RealizerEvent(kind="notice", text=notice)
        yield RealizerEvent(kind="source", text="offline")
        yield from self.fallback.stream(request)

    def _problem(self, text: str, request: RealizeRequest) -> Problem | None:
        if not self.guards:
            return None if text.strip() else Problem(code="empty")
        earlier = [t for s, t in request.history if s == "customer"]
        return check(text, request.persona, self.hidden_strings + request.persona.hidden, self.known_competitors,
                     rep_line=request.trainee_reply, earlier=earlier, act=request.act)

    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        lang = "en" if request.persona.lang == "en" else "zh"
        if self.check_endpoint:
            from coach.llm.check import cached_check

            endpoint = cached_check()
            if not endpoint.ok:
                yield from self._offline(request, say("config", lang, problem=endpoint.message(lang)))
                return
        grounding = self.line_source(request) if self.line_source else []
        end = time.monotonic() + self.deadline
        problem: Problem | None = None
        for attempt in range(2):
            text = ""
            messages = build_messages(request, grounding, retry=describe(problem, lang) if problem else False)
            try:
                for item in stream_within(self.chat_model, messages, max(0.001, end - time.monotonic()),
                                          stop=STOP[lang]):
                    if isinstance(item, Retry):
                        yield RealizerEvent(kind="notice", text=say("retrying", lang, base_url=self.base_url,
                                                                    status=item.status or "-", wait=item.wait))
                        continue
                    text += item
                    yield RealizerEvent(kind="delta", text=item)
            except DeadlineExceeded:
                if text:
                    yield RealizerEvent(kind="reset")
                yield from self._offline(request, say("deadline", lang, base_url=self.base_url,
                                                      seconds=self.deadline))
                return
            except Exception as exc:  # any API/transport failure: fall back, tell the user why
                if text:
                    yield RealizerEvent(kind="reset")
                yield from self._offline(request, say("unavailable", lang, base_url=self.base_url,
                                                      detail=server_detail(exc)))
                return
            kept = cut_template_tail(text).strip()
            if kept != text:
                yield RealizerEvent(kind="reset")
                if kept:
                    yield RealizerEvent(kind="delta", text=kept)
            problem = self._problem(kept, request)
            if problem is None:
                yield RealizerEvent(kind="source", text=f"llm:{self.model}")
                return
            yield RealizerEvent(kind="reset")
            yield RealizerEvent(kind="notice", text=say("guard", lang, reason=describe(problem, lang))
                                + (say("regenerating", lang) if attempt == 0 else ""))
        yield from self._offline(request, say("failed_twice", lang))
