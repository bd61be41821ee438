"""Scenario preview: auto-play a scenario with a scripted trainee so a trainer sees how it behaves before
publishing. The persona, the policy, the grader and the realizer are the real ones; only the trainee is
scripted (coach/data/preview_scripts.yaml: a "good" and a "poor" reply set per language).

Nothing is stored unless ``persist=True`` (then it is a normal session with mode "preview", which never
counts toward progression). Offline by default: the bundled customer lines and the playbook grader, no
index and no LLM, so a preview is fast, reproducible from its seed, and runs before ``coach init``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.roleplay.engine import RolePlayEngine
from knowledge.yaml_lines import safe_load as bounded_yaml
from scenarios import Scenario, get_scenario, parse_scenario

SCRIPT_NAMES = ("good", "poor")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


class ScriptSet(BaseModel):
    """One scripted trainee: replies per language, played in order."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    zh: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    @field_validator("zh", "en")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        if any(not line.strip() for line in value):
            raise ValueError("a scripted reply is empty; remove it or write what the trainee says")
        return value


class PreviewScripts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    good: ScriptSet
    poor: ScriptSet


class PreviewTurn(BaseModel):
    """One line of the auto-played conversation; trainee lines carry the grade, customer lines the act."""

    idx: int
    speaker: Literal["customer", "trainee"]
    text: str
    act: str | None = None
    objection: str | None = None
    reason: str = ""  # why the policy chose the act
    score: float | None = None
    steps: list[str] = Field(default_factory=list)
    anti_patterns: list[str] = Field(default_factory=list)
    grade: dict[str, Any] | None = None


class PreviewResult(BaseModel):
    scenario_id: str
    version: int
    title: str
    lang: str
    seed: int
    script: str
    persona_public: dict[str, str]
    turns: list[PreviewTurn]
    outcome: str  # next_step_agreed | customer_ended | max_turns | unhandled | script_ended
    ended: bool
    objections_raised: list[str]
    objections_resolved: list[str]
    objections_escalated: list[str]
    average_score: float
    trust: float
    patience: float
    session_id: int | None = None  # set only with persist=True

    def summary(self) -> dict[str, Any]:
        """The figures a trainer compares between the good and the poor script."""
        return {"scenario": self.scenario_id, "script": self.script, "seed": self.seed, "outcome": self.outcome,
                "average_score": self.average_score, "raised": len(self.objections_raised),
                "resolved": len(self.objections_resolved), "trainee_turns": self.trainee_turns}

    @property
    def trainee_turns(self) -> int:
        return sum(t.speaker == "trainee" for t in self.turns)


class PreviewScriptError(ValueError):
    """The shipped or given script cannot be used; the message says which file/field and what to do."""


@lru_cache(maxsize=1)
def load_preview_scripts() -> PreviewScripts:
    """The shipped good/poor reply sets, validated (a broken data file fails loudly, naming the field)."""
    path = resources.files("coach.data") / "preview_scripts.yaml"
    try:
        return PreviewScripts.model_validate(bounded_yaml(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PreviewScriptError(f"coach/data/preview_scripts.yaml: {exc}; fix the file") from exc


def script_replies(script: str | Sequence[str], lang: str) -> tuple[str, list[str]]:
    """(name, replies) for a named script in ``lang`` or for the caller's own list of replies."""
    if isinstance(script, str):
        if script not in SCRIPT_NAMES:
            raise PreviewScriptError(f"unknown script {script!r}; use good, poor, or a list of replies")
        return script, list(getattr(getattr(load_preview_scripts(), script), "en" if lang == "en" else "zh"))
    replies = [str(r).strip() for r in script if str(r).strip()]
    if not replies:
        raise PreviewScriptError("the script has no replies; give at least one trainee reply")
    return "custom", replies


def resolve_scenario(scenario_or_yaml: Scenario | str, source: str = "<preview>") -> Scenario:
    """A Scenario as is; a bare id from the library/published versions; otherwise YAML text, validated first
    (raises ScenarioError with every issue, so nothing runs on a broken file)."""
    if isinstance(scenario_or_yaml, Scenario):
        return scenario_or_yaml
    text = str(scenario_or_yaml)
    if _ID.match(text.strip()) and "\n" not in text.strip():
        return get_scenario(text.strip())
    return parse_scenario(text, source)


def preview_grade(customer: str, reply: str, objection: str | None, lang: str,
                  weights: dict[str, float] | None, persona) -> Any:
    """The practice grader without the won-deal lookup: it would open the vector index (files on disk)."""
    from coach.grading import GradeContext, grade_reply

    context = GradeContext(persona_name=persona.name, product=persona.products[0] if persona.products else None,
                           competitor=persona.competitor or None, industry=persona.industry or None)
    return grade_reply(customer, reply, objection=objection, lang=lang, weights=weights, context=context)


def offline_engine() -> RolePlayEngine:
    """The offline customer over the bundled line bank: no index, no network, same seed -> same words."""
    from coach.roleplay.realizer import OfflineRealizer

    return RolePlayEngine(grade=preview_grade, realizer=OfflineRealizer(None))


def preview_scenario(scenario_or_yaml: Scenario | str, script: str | Sequence[str] = "good", seed: int = 0,
                     persist: bool = False, *, engine: RolePlayEngine | None = None,
                     deals: Sequence | None = None, user_id: int | None = None,
                     source: str = "<preview>") -> PreviewResult:
    """Auto-play ``scenario_or_yaml`` (a Scenario, an id, or YAML text) with a scripted trainee.

    Returns the transcript with each grade and each customer act with the policy's reason, the outcome,
    the objections raised/resolved and the average score. With ``persist`` the run is stored as a session
    of ``user_id`` in mode "preview"; otherwise the database is only read (for the pool's deals).
    """
    scenario = resolve_scenario(scenario_or_yaml, source)
    name, replies = script_replies(script, scenario.language)
    engine = engine or offline_engine()
    if persist:
        return _persisted(scenario, name, replies, seed, engine, deals, user_id)

    from coach.practice import setup_for
    from coach.roleplay.from_persona import persona_view
    from personas import load_pool_deals, synthesize_persona

    persona = synthesize_persona(scenario, list(deals) if deals is not None else load_pool_deals(scenario.pool), seed)
    view, setup = persona_view(persona), setup_for(scenario, persona)
    state, act, text = engine.open(setup, view, seed)
    turns = [PreviewTurn(idx=0, speaker="customer", text=text, act=act.kind, objection=act.objection,
                         reason=act.reason)]
    history: list[tuple[str, str]] = [("customer", text)]
    for reply in replies:
        if state.ended:
            break
        result = engine.step(setup, view, state, seed, history, reply)
        state = result.state
        history += [("trainee", reply), ("customer", result.customer_text)]
        turns.append(_trainee_turn(len(turns), reply, result.grade))
        turns.append(PreviewTurn(idx=len(turns), speaker="customer", text=result.customer_text,
                                 act=result.act.kind, objection=result.act.objection, reason=result.act.reason))
    return _result(scenario, name, seed, persona.public().model_dump(), turns, state)


def _trainee_turn(idx: int, reply: str, grade: dict[str, Any]) -> PreviewTurn:
    steps = grade.get("steps") or {}
    return PreviewTurn(idx=idx, speaker="trainee", text=reply, objection=grade.get("objection"),
                       score=float(grade.get("score", 0)), steps=[k for k, v in steps.items() if v],
                       anti_patterns=list(grade.get("anti_patterns") or []), grade=grade)


def _result(scenario: Scenario, name: str, seed: int, public: dict, turns: list[PreviewTurn], state,
            session_id: int | None = None) -> PreviewResult:
    scores = [t.score for t in turns if t.score is not None]
    return PreviewResult(
        scenario_id=scenario.id, version=scenario.version, title=scenario.title, lang=scenario.language, seed=seed,
        script=name, persona_public=public, turns=turns,
        outcome=state.outcome if state.ended else "script_ended", ended=state.ended,
        objections_raised=list(state.raised), objections_resolved=list(state.resolved),
        objections_escalated=list(state.escalated),
        average_score=round(sum(scores) / len(scores), 1) if scores else 0.0,
        trust=round(state.trust, 3), patience=round(state.patience, 3), session_id=session_id,
    )


class _ActRecorder:
    """Delegates to the real engine and remembers each act's reason (stored turns keep only the act)."""

    def __init__(self, engine: RolePlayEngine) -> None:
        self.engine, self.reasons = engine, []

    def open(self, *args, **kwargs):
        state, act, text = self.engine.open(*args, **kwargs)
        self.reasons.append(act.reason)
        return state, act, text

    def open_line(self, *args, **kwargs):
        opening = self.engine.open_line(*args, **kwargs)
        self.reasons.append(opening.act.reason)
        return opening

    def stream_step(self, *args, **kwargs):
        from coach.roleplay.engine import TurnResult

        for item in self.engine.stream_step(*args, **kwargs):
            if isinstance(item, TurnResult):
                self.reasons.append(item.act.reason)
            yield item


def _persisted(scenario: Scenario, name: str, replies: list[str], seed: int, engine: RolePlayEngine,
               deals: Sequence | None, user_id: int | None) -> PreviewResult:
    """The same run through PracticeService, stored as a "preview" session (never counted for gates)."""
    if user_id is None:
        raise ValueError("persist=True needs user_id: the preview session is stored under that user")
    from coach.practice import PracticeService
    from coach.roleplay.state import CustomerState
    from coach.tables import PracticeSession
    from knowledge.db import session as db_session

    recorder = _ActRecorder(engine)
    loader: Callable[..., Scenario] = lambda _sid, _version=None: scenario  # noqa: E731
    service = PracticeService(engine_factory=lambda: recorder, scenario_loader=loader,
                              deals_loader=(lambda _pool: list(deals)) if deals is not None else None)
    view = service.start(user_id, scenario.id, seed=seed, mode="preview")
    ended = False
    for reply in replies:
        if service.reply(view.session_id, user_id, reply).ended:
            ended = True
            break
    if not ended:
        service.end(view.session_id, user_id)  # the script ran out: a stored preview is always closed
    turns, reasons = [], iter(recorder.reasons)
    for item in service.transcript(view.session_id, user_id):
        if item["speaker"] == "trainee":
            turns.append(_trainee_turn(item["idx"], item["text"], item.get("grade") or {}))
        elif item["speaker"] == "customer":
            turns.append(PreviewTurn(idx=item["idx"], speaker="customer", text=item["text"], act=item["act"],
                                     objection=item["objection"], reason=next(reasons, "")))
    with db_session() as db:
        state = CustomerState.model_validate_json(db.get(PracticeSession, view.session_id).state_json)
    return _result(scenario, name, seed, view.persona_public, turns, state, session_id=view.session_id)
