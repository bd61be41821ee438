"""An unsure practice grade gets the LLM judge's second opinion on its own when an LLM is configured: the offline
grade shows first and stays the score of record, the opinion comes under it once the judge answers and is stored
for the mentor. A sure grade, or no LLM, asks nothing; a failing judge leaves the offline grade with one short line.
Driven through the Practice page's own handlers against the fake OpenAI-compatible server. zh and en."""

from __future__ import annotations

import json

import gradio as gr
import pytest
from markdown_it import MarkdownIt
from test_grade_unsure import SURE, UNSURE

from coach.llm.fake_server import FakeReply
from coach.roleplay.engine import RolePlayEngine
from coach.roleplay.realizer import OfflineRealizer, Realizer, RealizerEvent

# the customer's opening and the trainee's reply: an unsure grade (the shipped model's known undecided pair) and a
# sure one to the same objection (checked in test_grade_unsure, and again below on the stored grade)
CASES = {"zh": {"user": "trainee", "scenario": "zh-saas-price", "customer": UNSURE[0][0], "unsure": UNSURE[0][1],
                "sure": SURE[0][1]},
         "en": {"user": "rep", "scenario": "en-shop-price", "customer": UNSURE[1][0], "unsure": UNSURE[1][1],
                "sure": SURE[1][1]}}
JUDGE = {"score": 62, "steps": {"acknowledge": False, "clarify": True}, "rationale": "<b>问清了对比对象</b>，但没给出价值。"}
SAYS = {"zh": "62 分 — ", "en": ": 62 — "}
ASKING = {"zh": "请求中", "en": "asking"}
FAILED = {"zh": "暂时不可用，以上离线评分为准", "en": "unavailable right now; the offline grade above stands"}
LATER = {"zh": "现在用的那家便宜不少。", "en": "The vendor we use now is cheaper."}


class Says(Realizer):
    """The offline stand-in for a customer who opens with the objection of the known unsure pair."""

    def __init__(self, line: str) -> None:
        self.line = line

    def stream(self, request):
        yield RealizerEvent(kind="delta", text=self.line)


def judge_calls(server) -> list[dict]:
    return [r for r in server.requests if r.get("response_format")]


@pytest.fixture
def trainees(db):
    """A migrated store with the progression tables and the demo users."""
    from coach.progression.tables import MIGRATIONS
    from coach.users import ensure_demo_users
    from knowledge.db import apply_migrations, get_engine

    apply_migrations(get_engine(), MIGRATIONS)
    ensure_demo_users()


def serve(fake_openai, lang: str, judge) -> None:
    """The fake server answers the judge (JSON mode) with ``judge`` and the customer with its lines."""
    lines = iter([CASES[lang]["customer"]])
    fake_openai.handler = lambda body: judge() if body.get("response_format") else next(lines, LATER[lang])


def page(engine=None):
    """The Practice page on a practice service with the real grader; its handlers and event wiring by name."""
    from coach.practice import PracticeService
    from coach.roleplay.factory import grade_with_playbooks
    from coach.roleplay.llm_realizer import LLMRealizer
    from ui.pages import practice
    from ui.services import Services
    from ui.texts import i18n

    engine = engine or RolePlayEngine(grade=grade_with_playbooks, realizer=LLMRealizer(), fallback=OfflineRealizer())
    service = PracticeService(engine_factory=lambda: engine)
    with gr.Blocks() as blocks:
        practice.build(Services(practice=service, sweep_on_start=False), gr.State(None), i18n())
    handlers: dict[str, list] = {}
    for fn in blocks.fns.values():
        handlers.setdefault(fn.name, []).append(fn)
    return service, handlers


def user_of(lang: str) -> dict:
    from coach.users import get_user

    user = get_user(CASES[lang]["user"])
    return {"id": user.id, "username": user.username, "lang": lang}


def last(outputs):
    return list(outputs)[-1]


def send(handlers, user, lang, replies):
    """Start the scenario and send each reply as the page does; the session state and each reply's outputs."""
    sess = last(handlers["do_start"][0].fn(CASES[lang]["scenario"], user))[0]
    assert sess and sess["id"], "the session did not start"
    history, sent = [], []
    for text in replies:
        out = last(handlers["do_send"][0].fn(text, history, sess, user))
        history, sess = out[0], out[2]
        sent.append(out)
    return sess, sent


def opinion(handlers, ask, sess, user):
    return handlers["do_second_opinion"][0].fn(ask, sess, user)


def offline_part(grade_md: str) -> str:
    """The grade panel as shown when the reply came back, without the "asking…" line under it."""
    head, _, tail = grade_md.rpartition("\n\n")
    assert "LLM" in tail, grade_md
    return head


def stored_grade(service, sess, user, idx):
    turn = next(t for t in service.transcript(sess["id"], user["id"]) if t["idx"] == idx)
    return turn["grade"], turn["score"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unsure_grade_gets_one_judge_call_shown_under_the_offline_grade_and_stored(trainees, fake_openai, lang):
    serve(fake_openai, lang, lambda: FakeReply(json.dumps(JUDGE, ensure_ascii=False)))
    service, handlers = page()
    user = user_of(lang)
    sess, [out] = send(handlers, user, lang, [CASES[lang]["unsure"]])
    shown, ask = out[1], out[-1]
    assert ASKING[lang] in shown and ask  # the offline grade is on the page and the judge is still to be asked
    assert judge_calls(fake_openai) == []  # the trainee did not wait for it
    offline = offline_part(shown)
    someone_else = user_of("en" if lang == "zh" else "zh")
    assert opinion(handlers, ask, None, someone_else) == gr.update()  # the box names another trainee's reply
    assert judge_calls(fake_openai) == []

    panel = opinion(handlers, ask, sess, user)
    assert len(judge_calls(fake_openai)) == 1
    assert panel.startswith(offline + "\n\n")  # the offline grade and its score stay as they were
    tail = panel[len(offline):]
    assert SAYS[lang] in tail and "问清了对比对象" in tail and "<b>" not in tail and ASKING[lang] not in tail
    grade, score = stored_grade(service, sess, user, json.loads(ask)["idx"])
    assert grade["unsure"] and grade["judge"]["score"] == 62 and grade["judge"]["model"] == "fake-model"
    assert score == grade["score"]  # the score of record is the offline one

    assert opinion(handlers, ask, sess, user) == panel  # asked again (a resumed page): the stored view, no call
    assert len(judge_calls(fake_openai)) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_mentor_sees_the_stored_second_opinion_in_review(trainees, fake_openai, lang):
    from coach.review import session_detail, session_markdown
    from ui.pages.review import transcript_html

    serve(fake_openai, lang, lambda: FakeReply(json.dumps(JUDGE, ensure_ascii=False)))
    _, handlers = page()
    user = user_of(lang)
    sess, [out] = send(handlers, user, lang, [CASES[lang]["unsure"]])
    opinion(handlers, out[-1], sess, user)
    html = transcript_html(session_detail("mentor", sess["id"]), lang)
    assert "rv-judge" in html and "fake-model" in html and "62" in html and "<b>问清" not in html
    assert ("LLM 第二意见" in html) if lang == "zh" else ("LLM second opinion" in html)
    assert "second opinion (fake-model): 62" in session_markdown("mentor", sess["id"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sure_grade_asks_nothing(trainees, fake_openai, lang):
    serve(fake_openai, lang, lambda: FakeReply(json.dumps(JUDGE)))
    service, handlers = page()
    user = user_of(lang)
    sess, [out] = send(handlers, user, lang, [CASES[lang]["sure"]])
    assert out[-1] == "" and "LLM" not in out[1]
    assert opinion(handlers, out[-1], sess, user) == gr.update()
    grade, _ = stored_grade(service, sess, user, 1)
    assert not grade["unsure"] and not grade.get("judge")
    assert service.second_opinion(sess["id"], user["id"], 1) is None
    assert judge_calls(fake_openai) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_offline_an_unsure_grade_asks_nothing_and_the_page_is_wired_as_before(trainees, monkeypatch, lang):
    from coach.grading import llm_judge
    from coach.roleplay.factory import grade_with_playbooks

    asked = []
    monkeypatch.setattr(llm_judge, "judge_reply", lambda *a, **k: asked.append(a))
    engine = RolePlayEngine(grade=grade_with_playbooks, realizer=Says(CASES[lang]["customer"]))
    service, handlers = page(engine)
    assert "do_second_opinion" not in handlers  # no extra event after each reply
    user = user_of(lang)
    sess, [out] = send(handlers, user, lang, [CASES[lang]["unsure"]])
    grade, _ = stored_grade(service, sess, user, 1)
    assert grade["unsure"]  # the same pair as above: only the missing LLM keeps the judge out
    assert out[-1] == "" and "LLM" not in out[1]
    assert service.second_opinion(sess["id"], user["id"], 1) is None and asked == []


FAILURES = {"429": lambda: FakeReply(status=429, headers={"Retry-After": "30"}, message="Rate limit reached"),
            "junk": lambda: FakeReply("I would give it about seventy, honestly.")}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failing_judge_leaves_the_offline_grade_with_one_short_line(trainees, fake_openai, lang, failure):
    from coach.review import session_detail
    from ui.pages.review import transcript_html

    serve(fake_openai, lang, FAILURES[failure])
    service, handlers = page()
    user = user_of(lang)
    sess, [out] = send(handlers, user, lang, [CASES[lang]["unsure"]])
    offline = offline_part(out[1])
    panel = opinion(handlers, out[-1], sess, user)
    assert panel.startswith(offline + "\n\n") and FAILED[lang] in panel[len(offline):]
    assert "429" not in panel and "seventy" not in panel  # the trainee gets no server detail
    grade, score = stored_grade(service, sess, user, 1)
    assert grade["judge"]["error"] and grade["judge"]["score"] is None and score == grade["score"]
    assert 1 <= len(judge_calls(fake_openai)) <= 2  # junk gets its one repair round, a 429 nothing more
    html = transcript_html(session_detail("mentor", sess["id"]), lang)
    assert ("429" if failure == "429" else "invalid JSON") in html  # the mentor sees why


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_late_opinion_never_covers_a_newer_grade_but_is_stored(trainees, fake_openai, lang):
    serve(fake_openai, lang, lambda: FakeReply(json.dumps(JUDGE)))
    service, handlers = page()
    user = user_of(lang)
    sess, (first, second) = send(handlers, user, lang, [CASES[lang]["unsure"], CASES[lang]["sure"]])
    assert first[-1]
    assert opinion(handlers, first[-1], sess, user) == gr.update()  # the panel now shows the second grade
    assert stored_grade(service, sess, user, 1)[0]["judge"]["score"] == 62


def test_the_judge_runs_as_its_own_chained_event_outside_the_reply_queue(trainees, fake_openai):
    from ui.pages.practice import JUDGE_SLOTS

    _, handlers = page()
    sends, judges = handlers["do_send"], handlers["do_second_opinion"]
    assert len(judges) == len(sends) == 2  # the send button and Enter in the reply box
    for judge in judges:
        assert judge.concurrency_id == "llm-judge" and judge.concurrency_limit == JUDGE_SLOTS
        assert judge.trigger_mode == "multiple" and judge.show_progress == "hidden"
        assert judge.trigger_after in {s._id for s in sends}  # chained after the reply, not inside it
    assert {s.concurrency_id for s in sends}.isdisjoint({"llm-judge"})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_judge_line_reads_as_words_in_the_page_language(lang):
    from ui.messages import judge_markdown

    md = MarkdownIt()
    ok = md.render(judge_markdown({"score": 62, "rationale": "<script>x</script> " + "长" * 400}, lang))
    assert "**" not in ok and "<strong>" in ok and "<script>" not in ok and "…" in ok
    assert ("LLM 第二意见</strong>：62 分" in ok) if lang == "zh" else ("LLM second opinion</strong>: 62 —" in ok)
    assert FAILED[lang] in judge_markdown({"score": None, "error": "HTTP 429: slow down"}, lang)
    assert "429" not in judge_markdown({"score": None, "error": "HTTP 429: slow down"}, lang)
    assert ASKING[lang] in judge_markdown(None, lang)
