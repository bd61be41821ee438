"""The mood radar over a whole scripted call, through the live service (NDJSON over a real socket): it must
fall with the price objection and the curt push-back, and rise again when the customer warms.

The bug this guards: the radar computed the fall, but the stream's cooldown swallowed every reading that did
not cross the warning line, so a dialer (and the Live page) kept showing the first reading for the whole call.
"""

from __future__ import annotations

import inspect
import json
import threading

import httpx
import pytest
from conftest import free_port, wait_for_port

CALLS = {
    "zh": [("customer", "你好，请讲", 0), ("customer", "你们的价格太贵了", 8), ("rep", "理解，我们先算一下总成本", 12),
           ("customer", "不行", 20), ("customer", "好的，这个方案不错", 40),
           ("customer", "好的，没问题，那就约下周二上午十点", 52)],
    "en": [("customer", "Hello, go ahead", 0), ("customer", "Your price is too expensive for us", 8),
           ("rep", "I understand, let us look at the total cost", 12), ("customer", "No.", 20),
           ("customer", "Sounds good, that works", 40), ("customer", "Sure, sounds great, next Tuesday at 10", 52)],
}
TOKEN = "ct_mood-call-test-token"
MOVE = 0.25  # the fall and the rise each at least this much: clear moves, not noise


class RecordingCall:
    """A LiveAssist that also notes the radar's value after every event (what the gauge should show)."""

    def __init__(self, assist) -> None:
        self.assist, self.radar = assist, []

    def process_raw(self, raw, line=None):
        hints = self.assist.process_raw(raw, line)
        self.radar.append(self.assist.mood.value)
        return hints

    def __getattr__(self, name):
        return getattr(self.assist, name)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The live routes on uvicorn with the shipped cue-list stand-ins (deterministic readings)."""
    import uvicorn
    from fastapi import FastAPI

    from coach.live import LiveKit
    from coach.live.fakes import CueDetector, CueJudge
    from knowledge.playbooks import load_playbooks
    from ui.live_api import register_live_routes

    playbooks = load_playbooks()
    kit = LiveKit(detector=CueDetector(), playbooks=playbooks, judge=CueJudge(playbooks))
    calls = []

    def new_call():
        calls.append(RecordingCall(kit.new_call()))
        return calls[-1]

    api = FastAPI()
    extra = {}
    if "credentials" in inspect.signature(register_live_routes).parameters:  # the live API asks who calls
        from ui.api_auth import ApiCredentials

        known = type("Token", (), {"id": 1, "name": "mood-test-dialer"})
        extra["credentials"] = ApiCredentials(verify_token=lambda token: known if token == TOKEN else None)
    register_live_routes(api, new_call=new_call, **extra)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=30)
    yield f"http://127.0.0.1:{port}", calls
    server.should_exit = True
    thread.join(timeout=10)


def stream_call(url: str, lang: str) -> list[dict]:
    body = "".join(json.dumps({"speaker": s, "text": t, "ts": ts}, ensure_ascii=False) + "\n"
                   for s, t, ts in CALLS[lang]).encode()
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        response = client.post(url + "/api/live/hints", content=body)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_streamed_mood_falls_with_push_back_and_rises_when_the_customer_warms(live_url, lang):
    url, calls = live_url
    hints = stream_call(url, lang)
    moods = [h for h in hints if h["type"] == "mood"]
    values = [m["value"] for m in moods]
    assert values, "no mood reading was streamed"
    low = values.index(min(values))
    assert values[0] - values[low] >= MOVE, values  # the objection and the curt "no" pull it down
    assert values[-1] - values[low] >= MOVE and low < len(values) - 1, values  # the warm close lifts it
    utterances = [m["utterance"] for m in moods]
    assert 2 in utterances  # the price objection itself moved the radar, not only a later warning flip
    # the gauge a dialer shows (the last streamed reading) is never staler than the radar's min_change
    step = calls[-1].assist.config.mood.min_change
    for number, radar in enumerate(calls[-1].radar, start=1):
        shown = [m["value"] for m in moods if m["utterance"] <= number]
        assert shown and abs(shown[-1] - radar) < step, (number, shown, radar)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_negation_frequency_is_a_radar_factor(lang):
    from coach.live.mood import MoodRadar

    said_no = {"zh": "不不不，没有，别了", "en": "No, no, not now, don't"}[lang]
    plain = {"zh": "我们下个月再看看安排", "en": "We will look at the plan next month"}[lang]
    refusing, neutral = MoodRadar(), MoodRadar()
    refusing.add(said_no)
    neutral.add(plain)
    assert refusing.parts["negation"] > 0.5 and neutral.parts["negation"] == 0.0
    assert refusing.value < neutral.value


@pytest.mark.parametrize("text", ["你们的价格太贵了", "Your price is too high"])
def test_typed_lines_on_the_live_page_are_timed_so_reply_gaps_count(text):
    import time

    from coach.live import TranscriptEvent
    from ui.pages.live import page_clock

    state = {"started": time.monotonic() - 12.0, "own_clock": True}
    stamped = page_clock(TranscriptEvent(speaker="customer", text=text), state)
    assert stamped.ts is not None and stamped.ts >= 12.0
    replayed = page_clock(TranscriptEvent(speaker="customer", text=text, ts=3.5), state)
    assert replayed.ts == 3.5 and state["own_clock"] is False  # a file with its own times keeps them
    assert page_clock({"speaker": "customer", "text": text}, state).get("ts") is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_live_page_shows_the_radar_now_and_why(lang):
    from coach.live import LiveKit
    from coach.live.fakes import CueDetector, CueJudge
    from knowledge.playbooks import load_playbooks
    from ui.pages.live import mood_html, radar_reading

    playbooks = load_playbooks()
    assist = LiveKit(detector=CueDetector(), playbooks=playbooks, judge=CueJudge(playbooks)).new_call()
    for speaker, text, ts in CALLS[lang][:4]:
        assist.process({"speaker": speaker, "text": text, "ts": ts})
    shown = radar_reading(assist, None)
    assert shown["value"] == assist.mood.value and shown["warning"] == assist.mood.warning
    page = mood_html(shown, lang)
    assert f"{assist.mood.value:.2f}" in page
    assert ("频繁否定" if lang == "zh" else "frequent no") in page  # the curt "不行" / "No." is named
