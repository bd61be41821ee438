"""The shipped sample corpus and the generator that makes it (and scale corpora for benchmarks)."""

from __future__ import annotations

import json
from itertools import islice

import pytest

from evals.corpus import generate as gen
from evals.corpus.curate import sample_deals
from evals.corpus.stats import MIN_DISTINCT, corpus_stats, sample_problems
from evals.corpus.templates import CORPUS_INDUSTRIES, TemplateError, check_slots, load_pack
from knowledge.sample import SampleDataError, iter_deal_lines, load_sample_deals
from knowledge.taxonomy import ACTS, DECISION_SIGNALS, OBJECTION_TYPES, SEGMENTS


@pytest.fixture(scope="module")
def shipped():
    return load_sample_deals()


@pytest.fixture(scope="module")
def stats(shipped):
    return corpus_stats(shipped)


def test_shipped_file_loads_and_meets_every_requirement(shipped, stats):
    assert len(shipped) >= 320
    assert sample_problems(stats) == []
    assert set(stats["industries"]) == set(CORPUS_INDUSTRIES)
    assert "insurance" not in stats["industries"]
    assert all(count >= 30 for count in stats["industries"].values())
    for industry in CORPUS_INDUSTRIES:
        assert all(stats["industry_segments"][industry][s] >= 8 for s in SEGMENTS)
    assert all(stats["outcomes"][o] >= 0.2 * len(shipped) for o in ("won", "lost", "open"))
    assert stats["en_share"] >= 0.22
    assert stats["customer_lines"]["distinct_ratio"] >= 0.85


def test_shipped_file_is_the_curated_generator_output(shipped):
    regenerated = list(sample_deals())
    assert [d.model_dump() for d in regenerated] == [d.model_dump() for d in shipped]


def test_every_objection_type_has_many_wordings_in_both_languages(stats):
    for objection in OBJECTION_TYPES:
        for lang, minimum in MIN_DISTINCT.items():
            assert stats["distinct_objection_lines"][objection][lang] >= minimum, (objection, lang)


def test_every_customer_turn_is_labelled_consistently(shipped):
    for deal in shipped:
        assert 8 <= len(deal.turns) <= 30, deal.deal_id
        assert deal.amount and deal.amount > 0 and deal.cycle_days and deal.decision_chain and deal.competitors
        for turn in deal.turns:
            if turn.speaker == "rep":
                assert turn.act is None and not turn.objections
                continue
            assert turn.act in ACTS, (deal.deal_id, turn.text)
            assert set(turn.objections) <= set(OBJECTION_TYPES)
            assert set(turn.signals) <= set(DECISION_SIGNALS)
            if turn.act in ("raise_objection", "press_objection"):
                assert turn.objections, (deal.deal_id, turn.text)
            elif turn.act == "stall":
                assert turn.objections == ["stall"]
            else:
                assert not turn.objections, (deal.deal_id, turn.text)
            if turn.act == "agree_next_step":
                assert "next_step_agreed" in turn.signals


def test_outcomes_shape_the_conversation(shipped):
    for deal in shipped:
        acts = [t.act for t in deal.turns if t.act]
        if deal.outcome == "won":
            assert "agree_next_step" in acts
        elif deal.outcome == "lost":
            assert acts[-1] == "end_call" and "agree_next_step" not in acts
        else:
            assert acts[-1] == "stall"


def test_corpus_has_two_objections_in_one_line_other_speakers_and_consecutive_customer_lines(shipped):
    assert any(len(t.objections) == 2 for d in shipped for t in d.turns)
    assert any(t.speaker == "other" for d in shipped if d.segment == "ka" for t in d.turns)
    assert any(a.speaker == b.speaker == "customer" for d in shipped for a, b in zip(d.turns, d.turns[1:], strict=False))


def test_text_is_anonymized(shipped):
    import re

    phone = re.compile(r"1[3-9]\d{9}|\d{3,4}-\d{7,8}")
    email = re.compile(r"[\w.]+@[\w.]+")
    for deal in shipped:
        for turn in deal.turns:
            assert not phone.search(turn.text) and not email.search(turn.text), turn.text


def test_chinese_sample_line(shipped):
    zh = [d for d in shipped if d.lang == "zh"]
    assert zh and all(d.currency == "CNY" for d in zh)
    first = zh[0]
    assert first.turns[0].speaker == "rep" and "[客户A]" in first.turns[0].text
    price_lines = [t.text for d in zh for t in d.turns if t.objections == ["price"]]
    assert any("贵" in text for text in price_lines)
    assert any("我们再看看吧" in t.text for d in zh for t in d.turns if "stall" in t.objections)


def test_english_sample_line(shipped):
    en = [d for d in shipped if d.lang == "en"]
    assert any(d.currency == "USD" for d in en)
    assert any("[Person A]" in d.turns[0].text for d in en)
    assert any("Let me think about it" in t.text for d in en for t in d.turns if "stall" in t.objections)
    budget_lines = [t.text for d in en for t in d.turns if t.objections == ["budget"]]
    assert any("budget" in text.lower() for text in budget_lines)


def test_generator_is_deterministic_by_seed():
    first = [d.model_dump_json() for d in gen.generate_deals(30, seed=11)]
    again = [d.model_dump_json() for d in gen.generate_deals(30, seed=11)]
    other = [d.model_dump_json() for d in gen.generate_deals(30, seed=12)]
    assert first == again
    assert first != other


def test_generator_streams_and_respects_lang_mix():
    deals = list(islice(gen.generate_deals(10**9, seed=5, lang_mix=1.0), 20))
    assert len(deals) == 20 and all(d.lang == "en" for d in deals)
    assert all(d.lang == "zh" for d in gen.generate_deals(20, seed=5, lang_mix=0.0))
    with pytest.raises(ValueError, match="lang_mix"):
        next(gen.generate_deals(1, seed=5, lang_mix=2))


def test_cli_writes_jsonl_and_refuses_the_sample_location(tmp_path, capsys):
    out = tmp_path / "deals.jsonl"
    assert gen.main(["--deals", "12", "--out", str(out), "--seed", "3", "--no-progress"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12
    deals = list(iter_deal_lines(lines, source=str(out)))
    assert deals[0].deal_id == "gen-3-000000"
    with pytest.raises(SystemExit):
        gen.main(["--deals", "5", "--out", str(tmp_path / "x.jsonl"), "--seed", str(gen.SAMPLE_SEED)])
    assert "curate" in capsys.readouterr().err


def test_bad_lines_are_reported_with_their_number():
    good = next(gen.generate_deals(1, seed=2)).model_dump_json()
    broken = json.loads(good)
    broken["turns"] = []
    with pytest.raises(SampleDataError, match=r"deals.jsonl line 3: field 'turns'"):
        list(iter_deal_lines([good, "", json.dumps(broken)], source="deals.jsonl"))
    with pytest.raises(SampleDataError, match="line 1: not valid JSON"):
        list(iter_deal_lines(["{oops"], source="deals.jsonl"))


def test_templates_load_and_unknown_slots_are_named():
    for lang in ("zh", "en"):
        pack = load_pack(lang)
        assert set(pack.industries) == set(CORPUS_INDUSTRIES)
    with pytest.raises(TemplateError, match=r"objections.zh.yaml raise.price\[0\]: unknown slot"):
        check_slots({"raise": {"price": ["太贵了，{prise}"]}}, "objections.zh.yaml")
