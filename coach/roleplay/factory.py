"""Build the engine the settings ask for: the offline realizer over the team's deals, or the LLM one."""

from __future__ import annotations

import threading
from functools import lru_cache

from coach.roleplay.deal_lines import DealLineSource
from coach.roleplay.engine import RolePlayEngine
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.realizer import OfflineRealizer
from knowledge.settings import get_settings


def grade_with_playbooks(customer: str, reply: str, objection: str | None, lang: str,
                         weights: dict[str, float] | None, persona: PersonaView):
    """The engine's grade function: the playbook grader, with the persona for suggestion slots."""
    from coach.grading import GradeContext, grade_reply

    context = GradeContext(persona_name=persona.name, product=persona.products[0] if persona.products else None,
                           competitor=persona.competitor or None, industry=persona.industry or None,
                           won_line_lookup=won_line_lookup)
    return grade_reply(customer, reply, objection=objection, lang=lang, weights=weights, context=context)


_WON_AHEAD: dict[tuple[str, str], str | None] = {}  # filled by the read-ahead, taken once by the grade
_WON_AHEAD_LIMIT = 256
_WON_LOCK = threading.Lock()


def read_customer_ahead(customer: str, objection: str | None = None) -> None:
    """Before the trainee answers ``customer``: embed it into the grader's cache and, when an objection is
    open, look up the won-deal line the grade's feedback will show (a BM25 search over every turn)."""
    from knowledge.understanding import get_understanding

    get_understanding().embed_ahead([customer])
    if objection and objection != "none":
        line = _won_line(customer, objection)
        with _WON_LOCK:
            _WON_AHEAD[(customer, objection)] = line
            while len(_WON_AHEAD) > _WON_AHEAD_LIMIT:
                _WON_AHEAD.pop(next(iter(_WON_AHEAD)))


def won_line_lookup(customer_text: str, objection: str | None) -> str | None:
    """What a rep said next in a won deal after a customer line like this one (for the grader's feedback);
    a line read ahead is used once, so an index that grew since is searched afresh next time."""
    with _WON_LOCK:
        key = (customer_text, objection or "")
        if key in _WON_AHEAD:
            return _WON_AHEAD.pop(key)
    return _won_line(customer_text, objection)


def _won_line(customer_text: str, objection: str | None) -> str | None:
    try:
        from knowledge.index import get_index

        filters = {"speaker": "customer", "outcome": "won"}
        if objection and objection != "none":
            filters["objection"] = objection
        for hit in get_index().search(customer_text, k=3, filters=filters, mode="bm25"):
            if hit.metadata.get("next_rep"):
                return str(hit.metadata["next_rep"])
    except Exception:  # no index yet: the feedback simply has no won-deal line
        return None
    return None


@lru_cache(maxsize=1)
def known_competitors() -> tuple[str, ...]:
    """Competitor names across the bundled and ingested deals: lines naming one are adapted or skipped."""
    from personas import load_pool_deals, load_pools

    names = set()
    for pool in load_pools():
        for deal in load_pool_deals(pool.id):
            names.update(deal.competitors)
    return tuple(sorted(names))


def deal_line_source() -> DealLineSource | None:
    try:
        from knowledge.index import get_index

        return DealLineSource(get_index(), known_competitors())
    except Exception:  # no index yet (before `coach init`): the bundled line bank answers alone
        return None


def default_engine() -> RolePlayEngine:
    settings = get_settings()
    source = deal_line_source()
    offline = OfflineRealizer(source)
    if settings.llm_enabled:
        from coach.roleplay.llm_realizer import LLMRealizer

        realizer = LLMRealizer(line_source=source, known_competitors=list(known_competitors()), fallback=offline)
        return RolePlayEngine(grade=grade_with_playbooks, realizer=realizer, fallback=offline,
                              read_ahead=read_customer_ahead)
    return RolePlayEngine(grade=grade_with_playbooks, realizer=offline, read_ahead=read_customer_ahead)
