"""What the content linter (``scenarios.lint``) renders for a scenario × seed persona, and how a text is
judged against that persona. Lives in coach because it renders coach's texts; the rules live in scenarios.

Rendered per persona: the public profile; every hint template (each exemplar of each playbook step, filled
the way the Practice page's hints and the grader's suggested reply fill it); every fallback customer-line template (``coach/data/customer_lines.yaml``,
filled the way the offline realizer fills it); and, with ``dialogue=True``, the customer's lines of a previewed
conversation (the real policy and realizer). Customer lines get the persona-consistency check
(``coach.roleplay.consistency.check_line``: roles, products, company size, budget, competitor); hints get
its product part only, since a rep may name roles the customer does not have.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from functools import lru_cache

from coach.hints import NEUTRAL, fill
from scenarios.lint import Finding, Rendered, lint_scenarios

HINT_CHECKS = ("product ",)  # reasons from check_line that apply to a rep's hint too


def slot_names(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError:
        return ["(unbalanced brace)"]


@lru_cache(maxsize=1)
def _playbooks():
    from knowledge.playbooks import load_playbooks

    return load_playbooks()


def hint_templates(lang: str) -> Iterator[tuple[str, str]]:
    """(where, template) for every exemplar of every playbook step in ``lang``."""
    for name, book in sorted(_playbooks().items()):
        for step in book.steps:
            for n, text in enumerate(step.exemplars.get(lang) or []):
                yield f"hint {name}.{step.id}[{n}]", text


def line_templates(lang: str) -> Iterator[tuple[str, str]]:
    """(where, template) for every fallback customer line in ``lang``."""
    from coach.roleplay.templates import load_line_bank

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == lang and isinstance(value, list):
                    for n, text in enumerate(value):
                        if isinstance(text, str):
                            yield f"line {'.'.join(path)}[{n}]", text
                elif key not in ("zh", "en"):
                    yield from walk(value, [*path, str(key)])

    yield from walk(load_line_bank().model_dump(), [])


def template_problems(lang: str) -> list[Finding]:
    """Slots no filler knows, in the hint and line templates themselves (a typo like {prodcut})."""
    from coach.roleplay.persona_view import PersonaView

    line_slots = set(PersonaView(name="x", lang=lang).slots())
    hint_slots = line_slots | set(NEUTRAL[lang])
    from coach.live.assist import SLOT_DEFAULTS

    live_slots = set(SLOT_DEFAULTS[lang])
    found = []
    for kind, templates, known in (("hint", hint_templates(lang), hint_slots), ("line", line_templates(lang), line_slots)):
        for where, text in templates:
            for slot in slot_names(text):
                if slot not in known:
                    found.append(Finding(f"{kind}-templates-{lang}", None, where, text,
                                         f"slot {{{slot}}} has no filler (known: {', '.join(sorted(known))})"))
                elif kind == "hint" and slot not in live_slots:  # live cards fill hints with neutral words only
                    found.append(Finding(f"{kind}-templates-{lang}", None, where, text,
                                         f"slot {{{slot}}} would be blank on a live card (coach.live.assist."
                                         f"SLOT_DEFAULTS knows {', '.join(sorted(live_slots))})"))
    return found


def persona_for(scenario, seed: int):
    from personas import synthesize_persona

    return synthesize_persona(scenario, _pool_deals(scenario.pool), seed)


@lru_cache(maxsize=16)
def _pool_deals(pool: str):
    from personas import load_pool_deals

    return load_pool_deals(pool)


def renderer(dialogue: bool = True, script: str = "good"):
    """``render(scenario, persona)`` for :func:`scenarios.lint.lint_scenario`."""

    def render(scenario, persona) -> list[Rendered]:
        from coach.grading import GradeContext
        from coach.grading.feedback import fill_slots
        from coach.roleplay.from_persona import persona_view

        view = persona_view(persona)
        lang = scenario.language
        out = [Rendered(f"profile {key}", str(value), "profile")
               for key, value in persona.public().model_dump().items() if value]
        out += [Rendered(where, fill(text, view, lang), "hint") for where, text in hint_templates(lang)]
        context = GradeContext(persona_name=view.name, product=view.products[0] if view.products else None,
                               competitor=view.competitor or None, industry=view.industry or None)
        out += [Rendered(f"feedback {where}", fill_slots(text, lang, context), "hint")
                for where, text in hint_templates(lang)]
        out += [Rendered(where, view.fill(text), "customer") for where, text in line_templates(lang)]
        if dialogue:
            from coach.preview import preview_scenario

            result = preview_scenario(scenario, script, persona.seed, deals=_pool_deals(scenario.pool))
            out += [Rendered(f"dialogue turn {t.idx}", t.text, "customer") for t in result.turns
                    if t.speaker == "customer"]
        return out

    return render


def check(text: str, persona, kind: str) -> list[str]:
    """The persona-consistency check on a rendered text (customer lines fully, hints for products only)."""
    from coach.roleplay.consistency import check_line
    from coach.roleplay.from_persona import persona_view

    problems = check_line(text, _view(persona, persona_view))
    if kind == "hint":
        problems = [p for p in problems if p.startswith(HINT_CHECKS)]
    elif kind == "profile":
        problems = []
    return problems


_VIEWS: dict[tuple[str, int], object] = {}


def _view(persona, build):
    key = (persona.scenario_id, persona.seed)
    if key not in _VIEWS:
        _VIEWS[key] = build(persona)
    return _VIEWS[key]


def lint_library(scenarios=None, seeds=(0, 1, 2), dialogue: bool = True, progress=None) -> list[Finding]:
    """Lint ``scenarios`` (default: the shipped library) over ``seeds``, plus the templates themselves."""
    from scenarios import load_library

    chosen = list(scenarios) if scenarios is not None else list(load_library().values())
    findings = [f for lang in sorted({s.language for s in chosen}) for f in template_problems(lang)]
    return findings + lint_scenarios(chosen, seeds, persona_for, renderer(dialogue), check, progress)
