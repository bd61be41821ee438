"""The same storage and retrieval tests on every backend: SQLite and PostgreSQL (COACH_TEST_DATABASE_URL),
the embedded Chroma folder and a Chroma server (COACH_TEST_CHROMA_HOST / COACH_TEST_CHROMA_PORT).

`.ci/run` starts Debian's PostgreSQL and `chroma run` on 127.0.0.1 and exports those variables; where they
are not set, the server-backed cases skip and say how to run them.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from urllib.parse import quote

import pytest

# Read once at import: the autouse fixture clears DATABASE_URL/CHROMA_* but not these test-only variables.
PG_URL = os.environ.get("COACH_TEST_DATABASE_URL")
CHROMA_HOST = os.environ.get("COACH_TEST_CHROMA_HOST")
CHROMA_PORT = os.environ.get("COACH_TEST_CHROMA_PORT", "8000")


def _reset() -> None:
    from knowledge import db, settings

    settings.get_settings.cache_clear()
    db.reset_engines()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_db(request, coach_env, monkeypatch):
    """A migrated, empty database on each backend; PostgreSQL gets a throwaway schema per test."""
    from coach.database import init_db

    if request.param == "sqlite":
        yield "sqlite", init_db()
        return
    if not PG_URL:
        pytest.skip("COACH_TEST_DATABASE_URL is not set (e.g. postgresql+psycopg://coach:coach@127.0.0.1/coach_test;"
                    " .ci/run starts Debian's PostgreSQL and sets it)")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in PG_URL else "?"
    monkeypatch.setenv("DATABASE_URL", f"{PG_URL}{joiner}options={quote(f'-csearch_path={schema}')}")
    _reset()
    try:
        yield "postgresql", init_db()
    finally:
        from knowledge.db import get_engine

        get_engine().dispose()
        _reset()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_migrations_apply_once_and_are_recorded(backend_db):
    from sqlalchemy import inspect, text

    from coach.database import all_migrations, init_db
    from knowledge.db import get_engine

    kind, applied = backend_db
    assert applied == [name for name, _ in all_migrations()]
    assert init_db() == []  # a second start applies nothing
    engine = get_engine()
    assert engine.dialect.name == kind
    tables = set(inspect(engine).get_table_names())
    assert {"users", "practice_sessions", "turns", "turn_grades", "deals", "schema_migrations"} <= tables
    with engine.connect() as conn:
        recorded = [row[0] for row in conn.execute(text("SELECT name FROM schema_migrations ORDER BY name"))]
    assert recorded == sorted(applied)


def test_users_crud_and_sign_in_chinese_and_english(backend_db):
    from coach.users import UserError, add_user, authenticate, get_user, list_users

    add_user("mentor-wang", "secret1", "mentor", team="华东", display_name="王导师")
    add_user("rep-sam", "secret2", "trainee", team="east", mentor="mentor-wang", display_name="Sam")
    with pytest.raises(UserError, match="already exists"):
        add_user("rep-sam", "whatever", "trainee")
    user = get_user("rep-sam")
    assert user.mentor_id == get_user("mentor-wang").id
    assert get_user("mentor-wang").display_name == "王导师" and get_user("mentor-wang").team == "华东"
    assert authenticate("rep-sam", "secret2").id == user.id
    assert authenticate("rep-sam", "wrong") is None
    assert [u.username for u in list_users()] == ["mentor-wang", "rep-sam"]
    assert isinstance(user.created_at, datetime)


class _Grade(dict):
    """A grade the engine accepts: score, steps, anti-patterns (the real grader is tested elsewhere)."""

    def __init__(self, reply: str) -> None:
        super().__init__(score=80.0 if len(reply) > 10 else 20.0, steps={"acknowledge": True},
                         anti_patterns=[], objection="price")

    @property
    def score(self):
        return self["score"]

    @property
    def steps(self):
        return self["steps"]

    @property
    def anti_patterns(self):
        return self["anti_patterns"]


def light_service():
    """The real PracticeService and offline realizer, with a trivial grade and no index."""
    from coach.practice import PracticeService
    from coach.roleplay.engine import RolePlayEngine
    from coach.roleplay.realizer import OfflineRealizer

    def grade(customer, reply, objection, lang, weights, persona):
        return _Grade(reply)

    return PracticeService(engine_factory=lambda: RolePlayEngine(grade=grade, realizer=OfflineRealizer(None)))


@pytest.mark.parametrize("scenario_id, replies", [
    ("zh-saas-price", ["理解您的顾虑，我们可以按年付分三期，您看这样预算上是否可行？", "好的。"]),
    ("en-saas-cto", ["I hear you; could we look at the annual plan together and what it saves you?", "ok"]),
])
def test_sessions_turns_and_grades_round_trip(backend_db, scenario_id, replies):
    from coach.users import add_user

    user = add_user("trainee-1", "secret1", "trainee")
    service = light_service()
    view = service.start(user.id, scenario_id, seed=7)
    long_reply = replies[0] + " " + "很长的回复" * 780  # 3,900+ characters (the reply limit is 4,000): no column limit on any backend
    service.reply(view.session_id, user.id, long_reply)
    service.reply(view.session_id, user.id, replies[1])
    # a new service (as after a restart) sees every stored turn and can continue
    again = light_service()
    turns = again.transcript(view.session_id, user.id)
    assert [t["speaker"] for t in turns[:5]] == ["customer", "trainee", "customer", "trainee", "customer"]
    assert turns[1]["text"] == long_reply.strip()
    assert turns[1]["score"] == 80.0 and turns[3]["score"] == 20.0
    assert turns[0]["text"] == view.opening
    again.reply(view.session_id, user.id, replies[0])
    row = again.end(view.session_id, user.id)
    assert row.status == "completed" and row.score == pytest.approx(60.0)
    assert row.ended_at is not None and row.ended_at.year >= 2024


def test_deals_table_through_ingest(backend_db, tmp_path):
    """Ingest writes deal rows and run records on each backend; a second run adds nothing."""
    from knowledge.ingest import ingest_path
    from knowledge.tables import DealRow

    class NullIndex:
        def __init__(self):
            self.records = []

        def add_records(self, records):
            self.records.extend(records)
            return sum(len(r.turns) for r in records)

        def flush(self):
            pass

    data = tmp_path / "deals.jsonl"
    data.write_text(
        '{"deal_id": "d-zh", "lang": "zh", "turns": [{"speaker": "customer", "text": "太贵了"}]}\n'
        '{"deal_id": "d-en", "lang": "en", "turns": [{"speaker": "customer", "text": "Too expensive"}]}\n',
        encoding="utf-8")
    index = NullIndex()
    first = ingest_path(data, fmt="jsonl", anonymize=lambda r: r, tag=None, index=index, progress=False)
    second = ingest_path(data, fmt="jsonl", anonymize=lambda r: r, tag=None, index=index, progress=False)
    assert (first.new, second.new, second.skipped_duplicates) == (2, 0, 2)
    from sqlmodel import select

    from knowledge.db import session

    with session() as s:
        assert sorted(s.exec(select(DealRow.deal_id)).all()) == ["d-en", "d-zh"]


# -- retrieval: the embedded Chroma folder and a Chroma server ---------------------------------------------

@pytest.fixture(params=["embedded", "server"])
def chroma_store(request, tmp_path, monkeypatch):
    from knowledge.index import ChromaStore

    collection = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "embedded":
        yield ChromaStore(collection=collection, path=tmp_path / "chroma")
        return
    if not CHROMA_HOST:
        pytest.skip("COACH_TEST_CHROMA_HOST is not set (e.g. `chroma run --host 127.0.0.1 --port 8765` and "
                    "COACH_TEST_CHROMA_HOST=127.0.0.1 COACH_TEST_CHROMA_PORT=8765; .ci/run does this)")
    monkeypatch.setenv("CHROMA_HOST", CHROMA_HOST)
    monkeypatch.setenv("CHROMA_PORT", CHROMA_PORT)
    _reset()
    store = ChromaStore(collection=collection)
    try:
        yield store
    finally:
        import chromadb

        chromadb.HttpClient(host=CHROMA_HOST, port=int(CHROMA_PORT)).delete_collection(collection)


def test_hybrid_retrieval_on_chroma_backend(chroma_store, tmp_path):
    from test_index import records

    from knowledge.index import BM25Index, HashEmbedder, HybridIndex

    index = HybridIndex(chroma_store, BM25Index(tmp_path / "bm25"), HashEmbedder())
    assert index.add_records(records()) == 15
    assert chroma_store.count() == 15
    zh = index.search("报价太贵了", k=3, filters={"speaker": "customer"})
    assert zh[0].deal_id == "zh-price" and zh[0].metadata["next_rep"].startswith("理解")
    en = index.search("your price is too high", k=3, filters={"lang": "en", "outcome": {"$in": ["won", "open"]}})
    assert en[0].deal_id == "en-price"
    assert all(h.metadata["lang"] == "en" and h.metadata["outcome"] in {"won", "open"} for h in en)
    dense = index.search("做不了主 老板拍板", k=1, mode="dense", filters={"speaker": "customer"})
    assert dense[0].deal_id == "zh-auth"
    chroma_store.delete(["zh-price#1"])
    assert chroma_store.count() == 14
    assert all(h.doc_id != "zh-price#1" for h in index.search("报价太贵了", k=5, mode="dense"))
