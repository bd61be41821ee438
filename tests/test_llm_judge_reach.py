"""The LLM judge, reachable: JSON mode where the server has it, a schema-repair round where it does not, from
`coach grade --judge llm` and as a mentor's second opinion in Review, always beside the offline grade."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.grading.llm_judge import judge_reply
from coach.grading.models import JudgeResult
from coach.llm.fake_server import FakeReply
from ui.cli.app import _load_commands, app

_load_commands()
runner = CliRunner()

GOOD = {"score": 64, "steps": {"acknowledge": True, "clarify": True, "evidence": False, "reframe": False,
                               "validate": False, "advance": False}, "rationale": "ok"}
CASES = {"zh": ("太贵了", "理解。您是跟哪家在比呢？"), "en": ("Too expensive", "I understand. What are you comparing us with?")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_mode_is_asked_for(fake_openai, lang):
    fake_openai.handler = lambda body: json.dumps(GOOD)
    result = judge_reply(*CASES[lang], "price", lang)
    assert result.score == 64 and fake_openai.requests[0]["response_format"] == {"type": "json_object"}
    assert fake_openai.requests[0]["max_tokens"] == 400


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_server_without_json_mode_is_asked_again_without_it(fake_openai, lang):
    fake_openai.json_mode = False
    fake_openai.handler = lambda body: json.dumps(GOOD)
    result = judge_reply(*CASES[lang], "price", lang)
    assert result.score == 64 and result.error is None
    assert "response_format" not in fake_openai.requests[-1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_answer_off_the_schema_gets_one_repair_round(fake_openai, lang):
    answers = iter(["I would give it about 70.", json.dumps(GOOD)])
    fake_openai.handler = lambda body: next(answers)
    result = judge_reply(*CASES[lang], "price", lang)
    assert result.score == 64 and len(fake_openai.requests) == 2
    repair = fake_openai.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and "about 70" in repair[-2]["content"]
    assert "schema" in repair[-1]["content"] and '"score"' in repair[-1]["content"]


def test_two_bad_answers_are_an_error_and_the_offline_score_stands(fake_openai):
    fake_openai.handler = lambda body: json.dumps({**GOOD, "score": 300})
    result = judge_reply(*CASES["en"], "price", "en")
    assert result.score is None and "twice" in result.error and "offline score stands" in result.error


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coach_grade_judge_llm_adds_the_judge_beside_the_offline_score(fake_openai, tmp_path, lang):
    fake_openai.handler = lambda body: json.dumps(GOOD)
    customer, reply = CASES[lang]
    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps({"customer": customer, "reply": reply, "objection": "price", "lang": lang},
                              ensure_ascii=False), encoding="utf-8")
    plain = json.loads(runner.invoke(app, ["grade", str(src), "--json"]).stdout.splitlines()[0])
    result = runner.invoke(app, ["grade", str(src), "--json", "--judge", "llm"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert line["score"] == plain["score"]  # the offline score is never replaced
    assert line["judge"]["score"] == 64 and line["judge"]["model"] == "fake-model" and "judge" not in plain


def test_coach_grade_judge_unsure_asks_the_llm_only_where_the_grade_is_unsure(fake_openai, tmp_path):
    from test_grade_unsure import SURE, UNSURE

    fake_openai.handler = lambda body: json.dumps(GOOD)
    pairs = [UNSURE[0], SURE[0], UNSURE[1], SURE[1]]  # zh and en, each unsure and sure
    src = tmp_path / "r.jsonl"
    src.write_text("\n".join(json.dumps({"customer": c, "reply": r}, ensure_ascii=False) for c, r in pairs),
                   encoding="utf-8")
    result = runner.invoke(app, ["grade", str(src), "--json", "--judge", "unsure"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["unsure"] for x in lines] == [True, False, True, False]
    assert ["judge" in x for x in lines] == [True, False, True, False]
    assert all(x["judge"]["score"] == 64 for x in lines if "judge" in x)
    assert len(fake_openai.requests) == 2  # one call per unsure grade, none for the others


def test_coach_grade_judge_llm_without_an_llm_says_how_to_configure_one(tmp_path):
    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps({"customer": "太贵了", "reply": "您说得对。"}, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["grade", str(src), "--judge", "llm"])
    assert result.exit_code != 0 and "COACH_LLM_MODEL" in str(result.exception)


DETAIL = {"turns": [
    {"turn_id": 1, "speaker": "customer", "text": "太贵了 <b>"},
    {"turn_id": 2, "speaker": "trainee", "text": "理解。您是跟哪家在比呢？", "score": 71.0,
     "grade": {"objection": "price", "lang": "zh"}, "objection": "price"},
]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_second_opinion_sits_beside_the_offline_grade(lang):
    from ui.pages.review_llm import second_opinion_html

    seen = []

    def judge(customer, reply, objection, judge_lang):
        seen.append((customer, reply, objection))
        return JudgeResult(score=55, steps={"acknowledge": True}, rationale="<i>接住了</i>", model="m1")

    html = second_opinion_html(DETAIL, 2, lang, judge)
    assert seen == [("太贵了 <b>", "理解。您是跟哪家在比呢？", "price")]
    assert "71.0" in html and "55" in html and "m1" in html and "<i>" not in html
    assert ("离线评分" in html and "第二意见" in html) if lang == "zh" else ("Offline grade" in html)
    failed = second_opinion_html(DETAIL, 2, lang, lambda *a: JudgeResult(error="HTTP 401: bad key"))
    assert "71.0" in failed and "HTTP 401" in failed
    with pytest.raises(LookupError):
        second_opinion_html(DETAIL, 1, lang, judge)  # a customer line has no grade to second-guess


def test_second_opinion_through_the_fake_server(fake_openai):
    from ui.pages.review_llm import second_opinion_html

    fake_openai.handler = lambda body: FakeReply(json.dumps(GOOD))
    html = second_opinion_html(DETAIL, 2, "zh", judge_reply)
    assert "64" in html and "fake-model" in html and "71.0" in html
