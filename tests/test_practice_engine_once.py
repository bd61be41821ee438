"""The role-play engine is built once per practice service, even when `coach serve`'s warm-up thread and a
first trainee request ask for it at the same moment (a second engine would load its data twice)."""

from __future__ import annotations

import threading
import time

from coach.practice import PracticeService


def test_two_threads_asking_at_once_get_one_engine():
    built: list[object] = []

    def slow_factory():
        time.sleep(0.2)  # long enough for the second thread to arrive while the first is building
        engine = object()
        built.append(engine)
        return engine

    service = PracticeService(engine_factory=slow_factory)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(service.engine)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(built) == 1
    assert got == [built[0], built[0]]
