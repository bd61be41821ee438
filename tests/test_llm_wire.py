"""The LLM customer against a misbehaving OpenAI-compatible server (slow drip, no stop, junk tokens, 429 with
Retry-After, wrong model or key, server errors): each turn ends in time, with a line, and the user is told
what went wrong in the session's language, with the server's own message and address. zh and en each."""

from __future__ import annotations

import pytest
from test_roleplay_policy import PERSONA_EN, PERSONA_ZH

from coach.llm.check import check_llm_endpoint, forget_checks
from coach.llm.fake_server import FakeReply
from coach.roleplay.llm_realizer import LLMRealizer
from coach.roleplay.realizer import RealizeRequest
from coach.roleplay.state import Act, CustomerState
from knowledge.settings import get_settings

OFFLINE_WORDS = {"zh": "离线客户", "en": "offline customer"}
PERSONAS = {"zh": PERSONA_ZH, "en": PERSONA_EN}
LINES = {"zh": "说实话，这个价格对我们来说还是偏高。", "en": "Honestly, that price is still high for us."}


def request(lang, reply="您好"):
    return RealizeRequest(act=Act(kind="raise_objection", objection="price"), persona=PERSONAS[lang],
                          state=CustomerState(), seed=1, history=[("trainee", reply)], trainee_reply=reply)


def collect(events):
    text, notices, source = "", [], None
    for e in events:
        if e.kind == "delta":
            text += e.text
        elif e.kind == "reset":
            text = ""
        elif e.kind == "notice":
            notices.append(e.text)
        elif e.kind == "source":
            source = e.text
    return text, notices, source


def setenv(monkeypatch, **values):
    for key, value in values.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    forget_checks()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_server_error_names_the_server_and_its_message_in_the_session_language(fake_openai, lang):
    fake_openai.handler = lambda body: FakeReply(status=503, message="model is loading, try again later")
    text, notices, source = collect(LLMRealizer(deadline=2).stream(request(lang)))
    assert text and source == "offline"
    notice = notices[-1]
    assert "model is loading" in notice and fake_openai.base_url in notice and "503" in notice
    assert OFFLINE_WORDS[lang] in notice
    if lang == "zh":
        assert "switched" not in notice and "LLM unavailable" not in notice


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_guard_notices_speak_the_session_language(fake_openai, lang):
    replies = iter(["我们的产品可以为您提供八折优惠！", "Our product gives you 20% off!", LINES[lang]])
    fake_openai.handler = lambda body: next(replies)
    _, notices, _ = collect(LLMRealizer().stream(request(lang)))
    guard = [n for n in notices if "推销" in n or "selling" in n]
    assert guard, notices
    if lang == "zh":
        assert all("guard:" not in n and "regenerating" not in n for n in notices)
        assert "重新生成" in guard[0]
    else:
        assert "regenerating" in guard[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_slow_drip_stops_at_the_turn_deadline_and_the_offline_customer_answers(fake_openai, monkeypatch, lang):
    setenv(monkeypatch, COACH_LLM_TIMEOUT=8, COACH_LLM_DEADLINE=1)
    # one character every 0.25 s: each chunk arrives well within the read timeout, the whole line does not
    fake_openai.handler = lambda body: FakeReply(LINES[lang] * 3, chunk_size=1, chunk_delay=0.25)
    text, notices, source = collect(LLMRealizer().stream(request(lang)))
    assert source == "offline" and text and text not in LINES[lang] * 3
    assert any(("COACH_LLM_DEADLINE" in n and OFFLINE_WORDS[lang] in n) for n in notices), notices


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_max_tokens_and_stop_are_sent_and_cap_a_server_that_never_stops(fake_openai, monkeypatch, lang):
    setenv(monkeypatch, COACH_LLM_MAX_TOKENS=12)
    fake_openai.handler = lambda body: FakeReply(LINES[lang], endless=True, chunk_size=2)
    events = list(LLMRealizer().stream(request(lang)))
    sent = fake_openai.requests[0]
    assert sent["max_tokens"] == 12 and "<|im_end|>" in sent["stop"] and len(sent["stop"]) <= 4
    streamed = "".join(e.text for e in events if e.kind == "delta")
    assert 0 < len(streamed) <= 2 * 12 * 2  # at most 12 chunks of 2 characters (plus a fallback line)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_junk_template_tokens_are_cut_from_the_line(fake_openai, lang):
    junk = LINES[lang] + "<|im_end|>\n<|im_start|>user\n销售：我们的产品最便宜"
    fake_openai.handler = lambda body: FakeReply(junk, ignore_stop=True)
    text, _, source = collect(LLMRealizer().stream(request(lang)))
    assert text == LINES[lang] and source == "llm:fake-model"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stage_direction_echo_is_rejected(fake_openai, lang):
    replies = iter([FakeReply("（销售接通了电话）喂？", ignore_stop=True), FakeReply(LINES[lang])])
    fake_openai.handler = lambda body: next(replies)
    text, notices, _ = collect(LLMRealizer().stream(request(lang)))
    assert text == LINES[lang] and len(fake_openai.requests) == 2
    assert any("模板" in n or "template" in n for n in notices)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_429_is_retried_after_the_servers_retry_after(fake_openai, lang):
    answers = iter([FakeReply(status=429, headers={"Retry-After": "1"}, message="rate limit reached"),
                    FakeReply(LINES[lang])])
    fake_openai.handler = lambda body: next(answers)
    text, notices, source = collect(LLMRealizer(deadline=10).stream(request(lang)))
    assert text == LINES[lang] and source == "llm:fake-model" and len(fake_openai.requests) == 2
    assert any("429" in n and fake_openai.base_url in n for n in notices)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_retry_after_longer_than_the_deadline_falls_back_at_once(fake_openai, lang):
    fake_openai.handler = lambda body: FakeReply(status=429, headers={"Retry-After": "120"}, message="quota exceeded")
    text, notices, source = collect(LLMRealizer(deadline=5).stream(request(lang)))
    assert source == "offline" and text and len(fake_openai.requests) == 1
    assert "quota exceeded" in notices[-1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_5xx_is_retried_with_backoff(fake_openai, lang):
    answers = iter([FakeReply(status=502), FakeReply(LINES[lang])])
    fake_openai.handler = lambda body: next(answers)
    text, _, source = collect(LLMRealizer(deadline=10).stream(request(lang)))
    assert text == LINES[lang] and source == "llm:fake-model"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wrong_model_is_found_before_any_turn_and_said_plainly(fake_openai, monkeypatch, lang):
    setenv(monkeypatch, COACH_LLM_MODEL="qwen2.5:7b-instruct")
    text, notices, source = collect(LLMRealizer().stream(request(lang)))
    assert source == "offline" and text
    assert fake_openai.requests == []  # no chat call is wasted on a model the server does not have
    notice = notices[0]
    assert "qwen2.5:7b-instruct" in notice and "fake-model" in notice and "COACH_LLM_MODEL" in notice
    assert ("模型" in notice) if lang == "zh" else ("has no model" in notice)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wrong_key_is_found_before_any_turn_and_said_plainly(fake_openai, monkeypatch, lang):
    setenv(monkeypatch, OPENAI_API_KEY="sk-wrong")
    _, notices, source = collect(LLMRealizer().stream(request(lang)))
    assert source == "offline" and fake_openai.requests == []
    assert "OPENAI_API_KEY" in notices[0] and "Incorrect API key" in notices[0]
    assert ("拒绝" in notices[0]) if lang == "zh" else ("rejected" in notices[0])


def test_check_llm_endpoint_reports_each_problem(fake_openai, monkeypatch):
    assert check_llm_endpoint().ok
    setenv(monkeypatch, COACH_LLM_MODEL="deepseek-chat")
    check = check_llm_endpoint()
    assert not check.ok and check.problem == "wrong_model" and check.available == ["fake-model"]
    setenv(monkeypatch, COACH_LLM_MODEL="fake-model", OPENAI_API_KEY="sk-wrong")
    assert check_llm_endpoint().problem == "wrong_key"
    setenv(monkeypatch, OPENAI_API_KEY="sk-fake", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    check = check_llm_endpoint()
    assert check.problem == "unreachable" and "127.0.0.1:9" in check.message("zh")
    setenv(monkeypatch, COACH_LLM_MODEL="offline")
    assert check_llm_endpoint().problem == "offline"


def test_coach_doctor_runs_the_llm_endpoint_check(fake_openai, monkeypatch):
    from knowledge.health import run_checks

    [ok] = run_checks(only=["LLM endpoint"])
    assert ok.ok and "fake-model" in ok.detail
    setenv(monkeypatch, COACH_LLM_MODEL="deepseek-chat")
    [bad] = run_checks(only=["LLM endpoint"])
    assert not bad.ok and "deepseek-chat" in bad.detail and "COACH_LLM_MODEL" in bad.hint
