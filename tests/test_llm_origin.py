"""Every stored customer line says who wrote it (LLM and model, or the offline customer) and what the trainee
was told; the opening's fallback is never silent. Shown in the transcript, `coach practice --json`, the
Markdown export and mentor review. zh and en."""

from __future__ import annotations

import pytest
from test_roleplay_policy import fake_grade

from coach.llm.fake_server import FakeReply
from coach.roleplay.engine import RolePlayEngine
from coach.roleplay.llm_realizer import LLMRealizer
from coach.roleplay.realizer import OfflineRealizer

SCENARIOS = {"zh": "zh-saas-price", "en": "en-shop-price"}
# the rep asks which vendor: the LLM customer's line answers it (a line ignoring the question is regenerated)
LINES = {"zh": "现在用的那家便宜不少，你们凭什么贵这么多？", "en": "The vendor we use now is cheaper. Why so much more?"}
REPLIES = {"zh": "理解您的顾虑，请问您现在对比的是哪家？", "en": "I understand. What are you comparing us with?"}


def service():
    from coach.practice import PracticeService

    return PracticeService(engine_factory=lambda: RolePlayEngine(grade=fake_grade, realizer=LLMRealizer(),
                                                                 fallback=OfflineRealizer()))


def users():
    from coach.users import ensure_demo_users, get_user

    ensure_demo_users()
    return get_user("trainee"), get_user("mentor")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_opening_fallback_is_told_and_every_line_records_its_source(db, fake_openai, lang):
    calls = iter([FakeReply(status=400, message="CUDA out of memory"), FakeReply(LINES[lang])])
    fake_openai.handler = lambda body: next(calls)
    trainee, mentor = users()
    practice = service()
    view = practice.start(trainee.id, SCENARIOS[lang], seed=3)
    assert view.notices and "CUDA out of memory" in view.notices[0]
    assert ("离线客户" in view.notices[0]) if lang == "zh" else ("offline customer" in view.notices[0])
    turn = practice.reply(view.session_id, trainee.id, REPLIES[lang])
    assert turn.customer_text == LINES[lang] and turn.origin["source"] == "llm"

    transcript = practice.transcript(view.session_id, trainee.id)
    customer = [t for t in transcript if t["speaker"] == "customer"]
    assert customer[0]["origin"]["source"] == "offline" and "CUDA" in customer[0]["origin"]["notices"][0]
    assert customer[1]["origin"] == {"source": "llm", "model": "fake-model", "notices": []}
    assert all("origin" not in t for t in transcript if t["speaker"] == "trainee")

    from coach.review import session_detail, session_markdown
    from ui.pages.review import transcript_html

    detail = session_detail(mentor, view.session_id)
    assert [t["origin"]["source"] for t in detail["turns"] if t["speaker"] == "customer"] == ["offline", "llm"]
    markdown = session_markdown(mentor, view.session_id)
    assert "LLM (fake-model)" in markdown and "离线客户 offline customer" in markdown and "CUDA" in markdown
    page = transcript_html(detail, lang)
    assert page.count("rv-origin") == 2 and "fake-model" in page
    assert ("离线客户" in page) if lang == "zh" else ("offline customer" in page)


def test_origin_notices_are_escaped_in_review_html():
    from ui.pages.review_llm import origin_html

    html = origin_html({"source": "offline", "model": None, "notices": ["<script>alert(1)</script>"]}, "zh")
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.slow
def test_coach_practice_json_shows_the_source_of_each_customer_line(seeded_home, fake_openai, tmp_path):
    from test_cli_practice import run

    lines = iter([LINES["en"], "Against the vendor we use now. Who else in retail uses it?",
                  "Send me the case study first."] * 3)
    fake_openai.handler = lambda body: next(lines)
    script = tmp_path / "replies.txt"
    script.write_text(REPLIES["en"] + "\n", encoding="utf-8")
    env = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.base_url,
           "COACH_LLM_MODEL": "fake-model"}
    import json

    result = run(["practice", "--scenario", "en-shop-price", "--seed", "2", "--script", str(script), "--json",
                  "--user", "rep"], seeded_home, env)
    assert result.returncode == 0, result.stderr
    customer = [t for t in json.loads(result.stdout)["transcript"] if t["speaker"] == "customer"]
    assert customer and all(t["origin"]["source"] == "llm" and t["origin"]["model"] == "fake-model"
                            for t in customer)
