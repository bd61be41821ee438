"""The persona consistency check over the shipped line banks and the bundled deal corpus (zh and en)."""

from __future__ import annotations

from functools import lru_cache

import pytest

from coach.roleplay.consistency import check_line
from coach.roleplay.from_persona import persona_view
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reaction_bank import fill, load_reaction_bank
from coach.roleplay.templates import load_line_bank
from knowledge.sample import load_sample_deals


@lru_cache(maxsize=1)
def personas() -> list[PersonaView]:
    """Three customers of every shipped scenario, synthesized from the bundled deals."""
    from personas import synthesize_persona
    from scenarios import list_scenarios

    deals = load_sample_deals()
    return [persona_view(synthesize_persona(s, deals, seed)) for s in list_scenarios() for seed in range(3)]


def bank_lines(lang: str) -> list[tuple[str, dict]]:
    """Every template of both banks in one language, with the extra slots it needs."""
    out: list[tuple[str, dict]] = []
    bank = load_line_bank()
    for entry in bank.acts.values():
        for item in entry.values() if isinstance(entry, dict) else [entry]:
            out += [(t, {}) for t in getattr(item, lang)]
    for pair in bank.objections.values():
        out += [(t, {}) for t in getattr(pair.raise_, lang) + getattr(pair.press, lang)]
    reactions = load_reaction_bank()
    for group in (reactions.answer, reactions.answer_none, reactions.answer_again, reactions.evade):
        for item in group.values():
            out += [(t, {}) for t in getattr(item, lang)]
    for stances in reactions.offer.values():
        for item in stances.values():
            out += [(t, {}) for t in getattr(item, lang)]
    for item in (reactions.pull_back, reactions.pull_back_impatient, reactions.ignore_instruction):
        out += [(t, {}) for t in getattr(item, lang)]
    out += [(t, {"claim": "两周就能上线" if lang == "zh" else "we go live in two weeks"})
            for t in getattr(reactions.recall, lang)]
    out += [(t, {"offer": "试用" if lang == "zh" else "the trial"}) for t in getattr(reactions.offer_repeat, lang)]
    for ask in [*reactions.asks.values(), *reactions.voice.values()]:
        out += [(t, {}) for t in getattr(ask, lang)]
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_line_fits_every_shipped_persona(lang):
    chosen = [p for p in personas() if p.lang == lang]
    assert {p.segment for p in chosen} >= {"individual", "smb", "ka"}
    problems = []
    for template, extra in bank_lines(lang):
        for persona in chosen:
            line = fill(template, persona, **extra)
            problems += [(line, persona.segment, why) for why in check_line(line, persona)]
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_check_catches_role_product_size_budget_and_vendor_contradictions(lang):
    persona = next(p for p in personas() if p.lang == lang and p.segment == "individual" and p.competitor
                   and p.budget and p.industry != "education")
    zh = lang == "zh"
    lines = {
        "role": "我们销售总监说了算。" if zh else "Our sales director decides.",
        "product": "教师培训课程包我们也想要。" if zh else "We also want the teacher training course pack.",
        "size": "我们董事会下周开会。" if zh else "Our board of directors meets next week.",
        "headcount": "我们有三百人在用。" if zh else "We have 300 people using it.",
        "budget": "我们的预算是999万。" if zh else "Our budget is $9,990k.",
    }
    for kind, line in lines.items():
        assert check_line(line, persona), (kind, line)
    assert check_line("我们的预算就是" + persona.budget if zh else "Our budget is " + persona.budget, persona) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_corpus_agrees_with_its_own_deals_and_not_with_other_industries(lang):
    """A deal's customer lines fit that deal (few known slips in the corpus); its product lines never fit a
    customer of another industry."""
    deals = [d for d in load_sample_deals() if d.lang == lang]
    checked, flagged, crossed = 0, [], 0
    for deal in deals:
        own = PersonaView(name="x", lang=lang, industry=deal.industry, segment=deal.segment,
                          title=deal.customer_title or "", decision_chain=deal.decision_chain,
                          decision_maker=(deal.decision_chain or [""])[0], size=deal.company_size or "",
                          competitor=(deal.competitors or [""])[0], also_evaluating=deal.competitors[1:],
                          products=deal.products)
        other = own.model_copy(update={"industry": "insurance", "products": []})
        for turn in deal.turns:
            if turn.speaker != "customer":
                continue
            checked += 1
            if check_line(turn.text, own):
                flagged.append(turn.text)
            if any(p in turn.text for p in deal.products):
                crossed += 1
                assert check_line(turn.text, other), turn.text
    assert checked > 500 and crossed > 30
    assert len(flagged) / checked < 0.01, flagged[:5]
