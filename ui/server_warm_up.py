"""Warm `coach serve` up in a background thread: the page is up at once, and the first session start and trainee
turn (or live call) do not pay for parsing the scenarios, loading the understanding model, opening the index and
building its filter masks.

The same steps the benchmark server and `coach live` take before they listen (``LiveKit.warm_up``); here they
run beside the server, so /healthz and the sign-in page answer while the model loads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


def warm_steps(services) -> list[tuple[str, Callable[[], str | None]]]:
    """(name, step) pairs in the order a first session start and turn would meet them; a step may return a note."""

    def scenarios():
        from coach.progression.gates import load_gates
        from personas.behaviour import get_behaviour, get_names
        from scenarios import list_scenarios

        get_behaviour(), get_names()  # persona synthesis data
        load_gates()  # the gate file checks its scenarios: parses the shipped library once (~2 s cold)
        return f"{len(list_scenarios())} scenarios"  # and every published version, once

    def engine():
        from coach.roleplay.factory import known_competitors

        _ = services.practice.engine  # the realizer, its line bank and reactions
        known_competitors()

    def understanding():
        from knowledge.detect import get_detector
        from knowledge.understanding import get_understanding

        get_detector().detect("warm up", None)  # loads the encoder and the heads
        get_understanding().read_replies([("太贵了", "warm up")])  # the grader's side of the model

    def index():
        from knowledge.index import get_index

        index = get_index()
        masks = index.warm()  # the BM25 filter masks every turn's line lookup meets
        # opens the vector store, and loads jieba's dictionary for Chinese queries (~2 s cold)
        index.search("价格太贵了 too expensive", k=1, filters={"speaker": "customer", "outcome": "won"})
        return f"{masks} filter masks"

    def live():
        from coach.live.factory import default_kit

        default_kit().warm_up()  # the live page's kit: playbooks, keywords (model and index are shared)

    return [("scenarios", scenarios), ("role-play engine", engine), ("understanding model", understanding),
            ("index", index), ("live hints", live)]


class WarmUp:
    """Runs the warm steps once on a daemon thread; ``done`` is set when all have run. A step that fails is
    reported and skipped (the turn that needs it will say what is wrong, in the user's language)."""

    def __init__(self, services, steps: list[tuple[str, Callable[[], str | None]]] | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.steps = steps if steps is not None else warm_steps(services)
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self.done = threading.Event()
        self.ready: list[str] = []
        self.errors: dict[str, str] = {}
        self.seconds = 0.0
        self.thread: threading.Thread | None = None

    def start(self) -> WarmUp:
        self.thread = threading.Thread(target=self.run, name="coach-warm-up", daemon=True)
        self.thread.start()
        return self

    def run(self) -> None:
        started = time.perf_counter()
        try:
            for name, step in self.steps:
                try:
                    note = step()
                except Exception as exc:
                    self.errors[name] = f"{exc.__class__.__name__}: {exc}"
                    continue
                self.ready.append(f"{name} ({note})" if note else name)
        finally:
            self.seconds = time.perf_counter() - started
            self.done.set()
        self.say(f"warmed up in {self.seconds:.1f} s: {', '.join(self.ready) or 'nothing'}"
                 + "".join(f"; {name} not warmed ({why}), its first use loads it" for name, why in self.errors.items()))
