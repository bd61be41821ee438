"""The customer answers in its own words (issue 15, realism): a reaction to a cost argument does not echo the rep's
phrases back, and two offers the rep repeats get one "heard that", not one per offer."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reaction_bank import load_reaction_bank
from coach.roleplay.realizer import OfflineRealizer, RealizeRequest
from coach.roleplay.state import Act, CustomerState, Reaction

PERSONAS = {
    "zh": PersonaView(name="王平斌", title="小卖部老板", company="一家快消个体经营户", industry="fmcg", segment="individual",
                      lang="zh", competitor="优果坊", budget="3500元", pain="获客引流", decision_maker="合伙人",
                      decision_chain=["合伙人"], timeline="这个月", size="夫妻两个人", budget_sensitivity=0.8),
    "en": PersonaView(name="Sam Lee", title="corner shop owner", company="A consumer-goods sole trader", industry="fmcg",
                      segment="individual", lang="en", competitor="Fresco Beverages", budget="$3.5k",
                      pain="slow stock turnover", decision_maker="business partner",
                      decision_chain=["business partner"], timeline="this month", size="two of us",
                      budget_sensitivity=0.8),
}


def units(text: str, lang: str) -> list[str]:
    return text.lower().replace(",", " ").replace(".", " ").replace("?", " ").split() if lang == "en" else list(text)


def longest_shared_run(a: str, b: str, lang: str) -> int:
    """Longest run of characters (zh) or words (en) two texts share."""
    x, y, best = units(a, lang), units(b, lang), 0
    for i in range(len(x)):
        for j in range(len(y)):
            k = 0
            while i + k < len(x) and j + k < len(y) and x[i + k] == y[j + k]:
                k += 1
            best = max(best, k)
    return best


def cost_arguments(lang: str) -> list[str]:
    probes = yaml.safe_load((resources.files("evals.roleplay") / "data" / "listening_probes.yaml").read_text("utf-8"))
    return probes[lang]["cost"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_cost_reaction_does_not_echo_the_reps_phrases(lang):
    persona, bank = PERSONAS[lang], load_reaction_bank()
    lines = [persona.fill(t) for entry in bank.cost.values() for t in getattr(entry, lang)]
    for rep in cost_arguments(lang):
        echoes = [line for line in lines if longest_shared_run(rep, line, lang) >= 3]
        assert not echoes, (rep, echoes)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_two_repeated_offers_get_one_heard_that(lang):
    persona = PERSONAS[lang]
    state = CustomerState(offers={"trial": "accept_condition", "guarantee": "ask_details"})
    act = Act(kind="buying_signal", reactions=[Reaction(kind="offer", offer="trial", stance="repeat"),
                                               Reaction(kind="offer", offer="guarantee", stance="repeat")])
    parts = OfflineRealizer().lead_parts(RealizeRequest(act=act, persona=persona, state=state, seed=1))
    assert len(parts) == 1
    # a fresh offer beside a repeated one still gets its own stance
    act = Act(kind="buying_signal", reactions=[Reaction(kind="offer", offer="trial", stance="repeat"),
                                               Reaction(kind="offer", offer="visit", stance="accept_condition")])
    assert len(OfflineRealizer().lead_parts(RealizeRequest(act=act, persona=persona, state=state, seed=1))) == 2
