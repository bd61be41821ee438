"""Generated customer names: assembled from data/names.yaml parts, never copied from a deal."""

from __future__ import annotations

import random

from personas.behaviour import get_names


def generate_name(rng: random.Random, lang: str) -> str:
    """A fresh name in ``lang`` (surname + one or two given characters, or First Last)."""
    names = get_names()
    blocked = set(names.zh.blocked) | set(names.en.blocked)
    for _ in range(50):
        if lang == "zh":
            given = "".join(rng.choice(names.zh.given_chars) for _ in range(rng.choice((1, 2, 2))))
            name = rng.choice(names.zh.surnames) + given
        else:
            name = f"{rng.choice(names.en.first)} {rng.choice(names.en.last)}"
        if name not in blocked:
            return name
    raise RuntimeError("personas/data/names.yaml: name parts only produce blocked names; add more parts")
