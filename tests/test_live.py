"""Live assist core: cards for Chinese and English events, cooldown, keywords, signals, mood, bad input, debrief."""

from __future__ import annotations

import json

import pytest

from coach.live import (
    KeywordFileError,
    KeywordMatcher,
    LiveConfig,
    LiveKit,
    debrief,
    list_debriefs,
    load_keywords,
    parse_transcript_text,
    save_debrief,
)
from coach.live.fakes import CueDetector, CueJudge, FakeDetection, tiny_index
from coach.live.keywords import parse_keyword_text
from knowledge.playbooks import load_playbooks


@pytest.fixture(scope="module")
def playbooks():
    return load_playbooks()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return tiny_index(tmp_path_factory.mktemp("live-index"))


@pytest.fixture
def kit(playbooks, index):
    return LiveKit(detector=CueDetector(), playbooks=playbooks, index=index, judge=CueJudge(playbooks))


def types(hints):
    return [h.type for h in hints]


def test_chinese_price_objection_card(kit, playbooks):
    assist = kit.new_call()
    hints = assist.process({"speaker": "customer", "text": "你们的价格太贵了", "ts": 3})
    card = next(h for h in hints if h.type == "objection_card")
    assert card.objection == "price" and card.lang == "zh" and card.title == "价格异议"
    assert [s.step for s in card.steps] == [s.id for s in playbooks["price"].steps]
    assert all(s.phrase and "{" not in s.phrase for s in card.steps)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in card.steps[0].phrase)  # the phrase is in the call's language
    assert [m.deal_id for m in card.moments][:2] == ["won-zh-1", "won-zh-2"]  # won deals only, zh first
    assert all(not m.deal_id.startswith("lost") for m in card.moments)
    assert card.moments[0].next_rep.startswith("理解")
    assert all(h.latency_ms >= 0 for h in hints)
    json.loads(card.model_dump_json())  # serialisable as it goes on the wire


def test_english_objection_card(kit):
    assist = kit.new_call()
    hints = assist.process({"speaker": "customer", "text": "Honestly, this is too expensive for us.", "ts": 1.0})
    card = next(h for h in hints if h.type == "objection_card")
    assert card.lang == "en" and card.title == "Price objection"
    assert card.moments[0].deal_id == "won-en-1"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in s.phrase) for s in card.steps)


def test_rep_lines_and_no_objection_give_no_objection_card(kit):
    assist = kit.new_call()
    assert assist.process({"speaker": "rep", "text": "您好，我是小王"}) == []
    assert "objection_card" not in types(assist.process({"speaker": "customer", "text": "你好，请讲"}))


def test_cooldown_by_utterances_and_call_time(kit):
    assist = kit.new_call(LiveConfig(cooldown_seconds=30, cooldown_utterances=3))
    first = assist.process({"speaker": "customer", "text": "太贵了", "ts": 0})
    again = assist.process({"speaker": "customer", "text": "真的太贵了", "ts": 40})  # 40 s later, but 1 utterance
    assert "objection_card" in types(first) and "objection_card" not in types(again)
    for n in range(2):
        assist.process({"speaker": "rep", "text": f"好的{n}", "ts": 41 + n})
    later = assist.process({"speaker": "customer", "text": "还是太贵了", "ts": 45})  # 4 utterances, 45 s
    assert "objection_card" in types(later)
    soon = kit.new_call(LiveConfig(cooldown_seconds=60, cooldown_utterances=1))
    soon.process({"speaker": "customer", "text": "too expensive", "ts": 0})
    assert "objection_card" not in types(soon.process({"speaker": "customer", "text": "too expensive", "ts": 20}))
    assert "objection_card" in types(soon.process({"speaker": "customer", "text": "too expensive", "ts": 90}))
    assert len(soon.objections) == 3  # every raise is tracked, even when its card is held back


def test_keyword_cards_zh_en_with_prefill(kit):
    assist = kit.new_call()
    hints = assist.process({"speaker": "customer", "text": "我们下个月招标，预算大概50万"})
    cards = {h.keyword_id: h for h in hints if h.type == "keyword_card"}
    assert set(cards) == {"tender", "budget"}
    fields = {f.id: f for f in cards["tender"].fields}
    assert [f.label for f in cards["tender"].fields] == ["招标日期", "预算", "评标标准", "谁拍板"]
    assert fields["tender_date"].value == "下个月" and fields["budget"].value == "50万"
    en = kit.new_call().process({"speaker": "customer", "text": "The tender closes next week, budget is $50k"})
    card = next(h for h in en if h.type == "keyword_card" and h.keyword_id == "tender")
    assert card.title == "Tender" and {f.id: f.value for f in card.fields}["budget"] == "$50k"


def test_partial_utterances_get_keywords_only_and_no_repeat_on_final(kit):
    assist = kit.new_call()
    partial = assist.process({"speaker": "customer", "text": "你们的折扣和价格太贵", "final": False})
    assert set(types(partial)) == {"keyword_card"}
    assert kit.detector.calls == 0  # no detection on a partial
    final = assist.process({"speaker": "customer", "text": "你们的折扣和价格太贵了", "final": True})
    assert "objection_card" in types(final) and "keyword_card" not in types(final)


def test_default_keyword_file_has_the_twelve_cards():
    book = load_keywords()
    zh = {w for c in book.cards for w in c.keywords.zh}
    assert {"价格", "招标", "院长", "预算", "竞品", "合同", "付款", "上线", "试用", "采购会", "审批", "折扣"} <= zh
    assert len(book.cards) == 12 and all(c.keywords.en and c.fields for c in book.cards)
    tender = next(c for c in book.cards if c.id == "tender")
    assert [f.label.en for f in tender.fields] == ["Tender date", "Budget", "Evaluation criteria", "Who decides"]


def test_bad_keyword_file_names_line_and_field(tmp_path):
    text = "cards:\n  - id: price\n    title: {zh: 价格, en: Price}\n    keywords: {zh: [价格]}\n    fields: []\n"
    with pytest.raises(KeywordFileError, match=r"line 5: field 'cards.0.fields'"):
        parse_keyword_text(text, "mine.yaml")
    dup = ("cards:\n  - {id: a, title: {zh: 甲, en: A}, keywords: {zh: [价格]}, fields: [{id: x, label: {zh: 乙, en: B}}]}\n"
           "  - {id: b, title: {zh: 丙, en: C}, keywords: {zh: [价格]}, fields: [{id: x, label: {zh: 乙, en: B}}]}\n")
    with pytest.raises(KeywordFileError, match="opens both 'a' and 'b'"):
        parse_keyword_text(dup, "dup.yaml")
    custom = tmp_path / "k.yaml"
    custom.write_text(dup.split("  - {id: b")[0], encoding="utf-8")
    assert KeywordMatcher(load_keywords(custom)).match("价格多少")[0][0].id == "a"


def test_signals_highlight_the_span(kit):
    hints = kit.new_call().process({"speaker": "customer", "text": "我们下周要开采购会，王总拍板"})
    signals = {h.signal: h for h in hints if h.type == "signal"}
    assert signals["procurement_meeting"].span == "采购会"
    assert signals["decision_maker_named"].span == "王总拍板"
    sig = signals["procurement_meeting"]
    assert sig.text[sig.start:sig.end] == sig.span
    en = kit.new_call().process({"speaker": "customer", "text": "Our budget is approved and the CFO has the final say."})
    assert {h.signal for h in en if h.type == "signal"} >= {"budget_confirmed", "decision_maker_named"}



class FixedDetector:
    """Returns a set detection for every line (what the understanding layer would have decided)."""

    def __init__(self, **fields):
        self.fields = fields

    def detect(self, text, lang=None):
        return FakeDetection(text=text, lang=lang or "zh", **({"objection": "none", "confidence": 0.9} | self.fields))


@pytest.mark.parametrize("text, cue, span", [
    ("好的，那就约下周二上午十点，我把采购也叫上", "那就约", "那就约"),
    ("Sure, let's book the demo for next Tuesday at 10.", "LET'S BOOK", "let's book"),  # found case-blind
])
def test_signals_come_from_the_detection_with_its_cue_as_span(playbooks, text, cue, span):
    detector = FixedDetector(signals=["next_step_agreed"], cues={"next_step_agreed": [cue]})
    hints = LiveKit(detector=detector, playbooks=playbooks, judge=CueJudge(playbooks)).new_call().process(
        {"speaker": "customer", "text": text, "ts": 1})
    [hint] = [h for h in hints if h.type == "signal"]
    assert hint.signal == "next_step_agreed" and hint.span == span and text[hint.start:hint.end] == span
    assert hint.label in {"约定下一步", "next step agreed"}


@pytest.mark.parametrize("text", ["我们下周要开采购会", "We have a procurement meeting next week"])
def test_signal_without_cue_evidence_spans_the_whole_line_and_no_signal_without_a_decision(playbooks, text):
    kit = LiveKit(detector=FixedDetector(signals=["procurement_meeting"]), playbooks=playbooks,
                  judge=CueJudge(playbooks))
    [hint] = [h for h in kit.new_call().process({"speaker": "customer", "text": text}) if h.type == "signal"]
    assert (hint.span, hint.start, hint.end) == (text, 0, len(text))
    # cue evidence alone is not a decision: no signal card when the layer did not decide the signal
    quiet = LiveKit(detector=FixedDetector(cues={"procurement_meeting": ["采购会"]}), playbooks=playbooks,
                    judge=CueJudge(playbooks))
    assert not [h for h in quiet.new_call().process({"speaker": "customer", "text": text}) if h.type == "signal"]


def test_detections_without_signal_fields_still_work(playbooks):
    class Bare:
        def detect(self, text, lang=None):
            return type("D", (), {"objection": "none", "confidence": 0.9})()

    assist = LiveKit(detector=Bare(), playbooks=playbooks, judge=CueJudge(playbooks)).new_call()
    hints = assist.process({"speaker": "customer", "text": "我们下周要开采购会"})
    assert "signal" not in types(hints) and assist.mood.parts["negativity"] == 0.5

@pytest.mark.parametrize("lines", [
    ["好的，听起来不错", "不行，太贵了，我们不需要", "可能吧，再说吧，我再考虑考虑", "不不不，算了😒"],
    ["Sounds good.", "No, we don't need it.", "Maybe, I'm not sure, I guess we'll see.", "No. Not interested. 🙄"],
])
def test_mood_drops_into_a_warning(kit, lines):
    assist = kit.new_call()
    moods = []
    for n, text in enumerate(lines):
        moods += [h for h in assist.process({"speaker": "customer", "text": text, "ts": n * 10}) if h.type == "mood"]
    assert moods[0].value > 0.8 and not moods[0].warning
    assert moods[-1].warning and moods[-1].value < assist.config.mood.threshold
    assert moods[-1].parts["negativity"] > 0.5 and moods[-1].parts["objection"] > 0.5
    assert set(moods[-1].parts) == {"negativity", "objection", "curtness", "interval", "emoji", "negation"}


def test_steady_mood_is_not_resent(kit):
    assist = kit.new_call()
    moods = [h for n in range(6) for h in assist.process({"speaker": "customer", "text": f"Sure, that works {n}"})
             if h.type == "mood"]
    assert len(moods) == 1 and moods[0].value == 1.0


def test_malformed_input_gives_error_events_and_the_stream_goes_on(kit):
    assist = kit.new_call()
    bad = ["{not json", "[1, 2]", json.dumps({"speaker": "boss", "text": "hi"}), json.dumps({"speaker": "customer"}),
           json.dumps({"speaker": "customer", "text": "   "}), json.dumps({"speaker": "rep", "text": "x", "ts": "soon"})]
    for number, line in enumerate(bad, start=1):
        out = assist.process_raw(line, line=number)
        assert types(out) == ["error"] and out[0].message.startswith(f"line {number}:")
    assert "'speaker'" in assist.process_raw(bad[2])[0].message
    assert "'text'" in assist.process_raw(bad[3])[0].message
    assert "'ts'" in assist.process_raw(bad[5])[0].message
    ok = assist.process_raw(json.dumps({"speaker": "customer", "text": "太贵了"}, ensure_ascii=False))
    assert "objection_card" in types(ok)


def test_failing_collaborator_is_an_error_event_not_a_crash(playbooks):
    class Broken:
        def detect(self, text, lang=None):
            raise RuntimeError("model file missing")

    assist = LiveKit(detector=Broken(), playbooks=playbooks).new_call()
    out = assist.process_raw({"speaker": "customer", "text": "太贵了"})
    assert types(out) == ["error"] and "model file missing" in out[0].message


def test_iso_timestamps_count_from_call_start(kit):
    assist = kit.new_call()
    assist.process({"speaker": "rep", "text": "hello", "ts": "2025-03-21T16:26:04"})
    hints = assist.process({"speaker": "customer", "text": "too expensive", "ts": "2025-03-21 16:26:34"})
    assert hints[0].ts == 30.0


def test_objection_handling_is_tracked(kit):
    assist = kit.new_call()
    assist.process({"speaker": "customer", "text": "太贵了"})
    assist.process({"speaker": "rep", "text": "理解，这确实是一笔投入。"})  # one reply, split over two lines
    assist.process({"speaker": "rep", "text": "方便说一下您是跟哪家在比吗？"})
    assist.process({"speaker": "customer", "text": "我再考虑一下吧"})
    assist.process({"speaker": "rep", "text": "好的"})
    assist.process({"speaker": "customer", "text": "I need to check with my boss"})
    assist.finish()
    assert [(o.objection, o.handled) for o in assist.objections] == [
        ("price", True), ("stall", False), ("authority", False)]
    assert assist.objections[0].steps == ["acknowledge", "clarify"]


def test_debrief_zh_signals_objections_cases_and_save(kit, db):
    text = ("客户: 你们的价格太贵了\n销售: 好的\n客户: 我们下周要开采购会，王总拍板\n"
            "客户: 预算已经批下来了\n客户: 下个月上线前要定下来\n销售: 理解，我们先约个时间演示一下？")
    result = debrief(parse_transcript_text(text), kit=kit)
    assert [s.signal for s in result.signals] == ["procurement_meeting", "decision_maker_named", "budget_confirmed"]
    assert [(o.objection, o.handled) for o in result.objections] == [("price", False)]
    assert [m.deal_id for m in result.success_cases][:2] == ["won-zh-1", "won-zh-2"]
    from coach.users import add_user

    user = add_user("live-rep", "pw-123456")
    saved = save_debrief(user.id, result, source="call.txt")
    stored = list_debriefs(user.id)
    assert stored[0]["id"] == saved and stored[0]["debrief"]["objections"][0]["objection"] == "price"


def test_debrief_en_handled_objection(kit):
    events = [{"speaker": "customer", "text": "It's too expensive."},
              {"speaker": "rep", "text": "I understand. What are you comparing it with? A similar client saved 20%."}]
    result = debrief(events, kit=kit)
    assert result.lang == "en" and [(o.objection, o.handled) for o in result.objections] == [("price", True)]
    assert result.success_cases[0].deal_id == "won-en-1"


def test_transcript_lines_need_a_speaker():
    events = parse_transcript_text("[00:05] 客户：太贵了\nRep: I hear you\nCustomer: ok")
    assert [(e.speaker, e.ts) for e in events] == [("customer", 5.0), ("rep", None), ("customer", None)]
    with pytest.raises(ValueError, match="line 2"):
        parse_transcript_text("客户: 你好\n就是贵")


@pytest.mark.parametrize("objection_line, reply_lines, next_line", [
    ("太贵了", ["理解，这确实是一笔投入。", "方便说一下您是跟哪家在比吗？"], "嗯，我想想"),
    ("That's too expensive.", ["I hear you.", "What are you comparing us with?"], "Let me think."),
])
def test_reply_is_judged_while_the_rep_talks_not_when_the_customer_speaks(playbooks, objection_line, reply_lines,
                                                                          next_line):
    """Grading a reply costs an embedding; a customer line's hints must not wait for it."""
    calls = []
    judge = CueJudge(playbooks)

    def counting(*args):
        calls.append(args[1])
        return judge(*args)

    assist = LiveKit(detector=CueDetector(), playbooks=playbooks, judge=counting).new_call()
    assist.process({"speaker": "customer", "text": objection_line})
    for line in reply_lines:
        assist.process({"speaker": "rep", "text": line})
    judged_before_customer = list(calls)
    assist.process({"speaker": "customer", "text": next_line})
    assert judged_before_customer[-1] == " ".join(reply_lines)  # the whole split reply, judged on the rep's line
    assert calls == judged_before_customer  # the customer's line ran no judging
    assert assist.objections[0].handled is True and assist.objections[0].reply == " ".join(reply_lines)
