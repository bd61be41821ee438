"""A role-play session on the small-shop scenarios through the real engine, for the listening tests."""

from __future__ import annotations

SHOPS = {"zh": "zh-fmcg-shop-owner", "en": "en-shop-price"}


def start(lang, seed):
    """(engine, setup, persona view, state, history) after the customer's opening line."""
    from coach.practice import setup_for
    from coach.roleplay.factory import default_engine
    from coach.roleplay.from_persona import persona_view
    from personas import load_pool_deals, synthesize_persona
    from scenarios import get_scenario

    scenario = get_scenario(SHOPS[lang])
    persona = synthesize_persona(scenario, load_pool_deals(scenario.pool), seed)
    view = persona_view(persona)
    engine, setup = default_engine(), setup_for(scenario, persona)
    state, _, text = engine.open(setup, view, seed)
    return engine, setup, view, state, [("customer", text)]


def say(engine, setup, view, state, history, reply, seed):
    """One rep reply and the customer's answer, appended to ``history``."""
    result = engine.step(setup, view, state, seed, history, reply)
    history += [("trainee", reply), ("customer", result.customer_text)]
    return result
