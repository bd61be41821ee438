"""The same LLM session against a real OpenAI-compatible server (llama.cpp, Ollama, vLLM, DeepSeek, Qwen).

Runs only when COACH_TEST_LLM_URL is set (e.g. http://127.0.0.1:8080/v1), with COACH_TEST_LLM_MODEL (default
"local") and COACH_TEST_LLM_KEY (default "sk-local"); skipped otherwise. See docs/llm.md for a local server.
Example: COACH_TEST_LLM_URL=http://127.0.0.1:8080/v1 .venv/bin/python -m pytest -m llm_server -q
"""

from __future__ import annotations

import os

import pytest
from test_roleplay_policy import fake_grade

# read at import: the autouse fixture clears COACH_* for every test
URL = os.environ.get("COACH_TEST_LLM_URL")
MODEL = os.environ.get("COACH_TEST_LLM_MODEL", "local")
KEY = os.environ.get("COACH_TEST_LLM_KEY", "sk-local")

pytestmark = [pytest.mark.llm_server,
              pytest.mark.skipif(not URL, reason="COACH_TEST_LLM_URL is not set: no real LLM server to test against "
                                                 "(see docs/llm.md to start one)")]

REPLIES = {"zh": ["理解您的顾虑，请问您现在对比的是哪家？", "我们有同规模客户的数据：上线半年人效提升25%。", "下周二给您做个演示，可以吗？"],
           "en": ["I understand. What are you comparing us with?", "A shop like yours cut stock-outs by 30% in 3 months.",
                  "Can we book a 20-minute demo next Tuesday?"]}


@pytest.fixture
def real_llm(monkeypatch):
    from knowledge.settings import get_settings

    monkeypatch.setenv("OPENAI_BASE_URL", URL)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("COACH_LLM_MODEL", MODEL)
    monkeypatch.setenv("COACH_LLM_DEADLINE", "120")  # a CPU model is slow; the deadline still bounds each turn
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_endpoint_serves_the_model(real_llm):
    from coach.llm.check import check_llm_endpoint

    check = check_llm_endpoint()
    assert check.ok, check.message("en")


@pytest.mark.parametrize("lang,scenario", [("zh", "zh-saas-price"), ("en", "en-shop-price")])
def test_a_session_against_the_real_server_stores_every_line_with_its_source(db, real_llm, lang, scenario):
    from coach.practice import PracticeService
    from coach.roleplay.engine import RolePlayEngine
    from coach.roleplay.llm_realizer import LLMRealizer
    from coach.users import ensure_demo_users, get_user

    ensure_demo_users()
    trainee = get_user("trainee")
    service = PracticeService(engine_factory=lambda: RolePlayEngine(grade=fake_grade, realizer=LLMRealizer()))
    view = service.start(trainee.id, scenario, seed=5)
    for reply in REPLIES[lang]:
        turn = service.reply(view.session_id, trainee.id, reply)
        if turn.ended:
            break
    customer = [t for t in service.transcript(view.session_id, trainee.id) if t["speaker"] == "customer"]
    assert customer and all(t["text"].strip() for t in customer)
    assert all(t["origin"]["source"] in {"llm", "offline"} for t in customer)
    assert any(t["origin"]["source"] == "llm" for t in customer), [t["origin"] for t in customer]


def test_the_judge_answers_or_says_why_not(real_llm):
    from coach.grading.llm_judge import judge_reply

    result = judge_reply("太贵了", "理解。您是跟哪家在比呢？", "price", "zh")
    assert (result.score is not None and 0 <= result.score <= 100) or result.error
