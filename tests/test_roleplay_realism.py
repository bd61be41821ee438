"""Realism of the simulated customer: relevance of its line to the rep's, set beside real customers (issue 15).

The fixtures below were written for these tests (no dataset text); the dataset-backed test reads
../shared/datasets and skips where that folder is absent.
"""

from __future__ import annotations

import csv

import pytest

from evals.roleplay.realism import (
    DATASETS,
    Pair,
    Relevance,
    compare,
    consecutive_pairs,
    realism_report,
    session_pairs,
    shuffled,
    text_lines,
)

# (seller line, the customer's actual answer, a line from another conversation) per language
FIXTURES = {
    "zh": [
        ("我们的年费是三万八，包含实施和培训。", "三万八超出我们预算了，实施能不能单独报价？", "快递到哪了？我地址写错了想改一下。"),
        ("这款耳机支持降噪，续航大概三十小时。", "降噪效果怎么样？地铁里能听清吗？", "合同我们法务还要再看一遍条款。"),
        ("您的退货申请已经通过，退款三个工作日内到账。", "好的，那退款是退回原来的银行卡吗？", "你们系统能不能和我们的ERP对接？"),
        ("我们可以先给您开通两周的免费试用。", "试用期间数据能导出吗？到期了会自动扣费吗？", "这件衣服有没有大一号的？"),
        ("下周二下午我带方案过来，您看方便吗？", "周二下午我要开会，周三上午可以吗？", "发票抬头写错了能重开吗？"),
    ],
    "en": [
        ("Your premium would be ninety-two dollars a month with full coverage.",
         "Ninety-two a month is more than I pay now for full coverage.",
         "Can you ship the blue one to my office instead?"),
        ("Do you have any tickets or accidents in the last five years?",
         "No accidents, but I got one speeding ticket two years ago.",
         "We need the contract reviewed by our lawyer first."),
        ("We can start with a two-week free trial of the software.",
         "Can we export our data during the trial, and does it bill automatically after?",
         "My car is a 2015 sedan, it's paid off."),
        ("How many vehicles would you like to put on the policy?",
         "Just the two cars, mine and my wife's.",
         "Does the headset work with my phone's bluetooth?"),
        ("I could come by next Tuesday afternoon to walk you through the proposal.",
         "Tuesday afternoon I'm in meetings; could Wednesday morning work?",
         "The refund still hasn't arrived in my bank account."),
    ],
}


def _real(lang: str) -> list[Pair]:
    return [Pair(seller, answer, f"c{i}") for i, (seller, answer, _) in enumerate(FIXTURES[lang])]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_real_answer_ranks_above_an_unrelated_line(lang):
    measure = Relevance(_real(lang))
    for seller, answer, unrelated in FIXTURES[lang]:
        assert measure(seller, answer) > measure(seller, unrelated), (seller, answer, unrelated)
    scores = measure.score(_real(lang))
    noise = measure.score(shuffled(_real(lang)))
    assert scores.mean() > noise.mean()


def test_consecutive_pairs_merge_turns_and_keep_only_agent_then_customer():
    rows = [("a", "customer", "你好"), ("a", "agent", "您好"), ("a", "agent", "请问有什么可以帮您"),
            ("a", "customer", "我想退货"), ("a", "customer", "可以吗"), ("a", "agent", ""), ("b", "agent", "Hi."),
            ("b", "agent", "How can I help?"), ("b", "customer", "A quote, please.")]
    zh = consecutive_pairs(rows[:6], "zh")
    assert zh == [Pair("您好，请问有什么可以帮您", "我想退货，可以吗", "a")]
    en = consecutive_pairs(rows[6:], "en")
    assert en == [Pair("Hi. How can I help?", "A quote, please.", "b")]


def test_shuffled_pairs_take_a_line_from_another_conversation_and_prompt():
    pairs = [Pair("同一句", f"回答{i}", f"s{i}") for i in range(3)] + [Pair("另一句", "别的回答", "s9")]
    for original, noise in zip(pairs, shuffled(pairs), strict=True):
        assert noise.seller == original.seller
        source = next(p for p in pairs if p.customer == noise.customer)
        assert source.seller != original.seller and source.conversation != original.conversation


def test_gap_counts_both_directions():
    real = {"mean": 0.6}
    assert compare({"mean": 0.63}, real)["within_tolerance"]
    parrot = compare({"mean": 0.9}, real)
    deaf = compare({"mean": 0.5}, real)
    assert not parrot["within_tolerance"] and parrot["direction"] == "higher"
    assert not deaf["within_tolerance"] and deaf["direction"] == "lower"
    assert deaf["relative_gap"] == pytest.approx(0.1667, abs=1e-4)


def _tiny_datasets(root):
    """Two tiny exports in the datasets' formats, with lines written for this test."""
    zh = root / DATASETS["zh"]
    zh.mkdir(parents=True)
    rows = []
    for i, (seller, answer, _) in enumerate(FIXTURES["zh"]):
        rows += [f"s{i}\tu{i}\t0\t0\t0\tnan\t你好", f"s{i}\tu{i}\t1\t0\t0\tnan\t{seller}",
                 f"s{i}\tu{i}\t0\t0\t0\tnan\t{answer}"]
    (zh / "chat.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    en = root / DATASETS["en"]
    en.mkdir(parents=True)
    with (en / "messages.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["conversation_id", "timestamp", "message", "author"])
        for i, (seller, answer, _) in enumerate(FIXTURES["en"]):
            out.writerows([[f"c{i}", "", "Hello.", "Agent"], [f"c{i}", "", seller, "Agent"],
                           [f"c{i}", "", answer, "Customer"]])


def test_report_structure_on_a_tiny_run(tmp_path):
    _tiny_datasets(tmp_path)
    runs = {lang: [{"pairs": [(s, a) for s, a, _ in FIXTURES[lang][:3]],
                    "acts": ["opening", "reveal_fact", "reveal_fact", "ask_question"]},
                   {"pairs": [(s, u) for s, _, u in FIXTURES[lang][3:]], "acts": ["opening", "press_objection"]}]
            for lang in ("zh", "en")}
    simulated = {lang: session_pairs(r, lang) for lang, r in runs.items()}
    assert len(simulated["zh"]) == 5 and simulated["zh"][0].conversation != simulated["zh"][4].conversation
    assert [p.act for p in simulated["zh"]] == ["reveal_fact", "reveal_fact", "ask_question", "press_objection", ""]
    report = realism_report(simulated, root=tmp_path)
    assert report["tolerance"] == 0.10 and "skipped" not in report
    for lang in ("zh", "en"):
        entry = report[lang]
        assert entry["dataset"] == DATASETS[lang]
        assert entry["real"]["n"] == 5 and entry["simulated"]["n"] == 5
        for side in ("real", "simulated"):
            assert 0.0 <= entry[side]["median"] <= 1.0 and 0.0 <= entry[side]["shuffled"]["mean"] <= 1.0
            assert entry[side]["auc_next_vs_shuffled"] is not None
        assert entry["relative_gap"] == pytest.approx(
            abs(entry["simulated"]["mean"] - entry["real"]["mean"]) / entry["real"]["mean"], abs=1e-3)
        # two of the five simulated lines ignore the rep: the simulated side fits worse than the real one
        assert entry["direction"] == "lower" and entry["least_relevant"]
        low, high = entry["signed_gap_ci95"]
        assert low <= (entry["simulated"]["mean"] - entry["real"]["mean"]) / entry["real"]["mean"] <= high
        assert set(entry["by_customer_act"]) == {"reveal_fact", "ask_question", "press_objection"}
        assert sum(g["n"] for g in entry["by_rep_line"].values()) == 5
    lines = text_lines(report)
    assert len(lines) == 2 and lines[0].startswith("[zh]") and "jddc-sample-zh" in lines[0]


def test_report_says_why_when_the_datasets_are_absent(tmp_path):
    report = realism_report({"zh": [Pair("您好", "你好")], "en": [Pair("Hi", "Hello")]}, root=tmp_path / "none")
    assert "jddc-sample-zh" in report["skipped"] and "../shared/datasets" in report["skipped"]
    assert "zh" not in report and text_lines(report)[0].startswith("realism: skipped")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_measure_separates_real_next_lines_from_shuffled_ones(lang):
    """On real chats (JDDC zh, agentune en): a real next customer line fits better than a shuffled one."""
    from conftest import shared_dataset

    from evals.roleplay.realism import measure_set, real_pairs

    root = shared_dataset(DATASETS[lang]).parent
    pairs = real_pairs(lang, root, cap=300)
    assert len(pairs) == 300
    figures = measure_set(pairs)
    assert figures["mean"] > figures["shuffled"]["mean"] + 0.03
    assert figures["auc_next_vs_shuffled"] > 0.55


@pytest.mark.slow
def test_played_sessions_keep_the_reply_line_pairs(seeded_home):
    from coach.roleplay.factory import default_engine
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    engine = default_engine()
    for scenario_id in ("zh-saas-price", "en-shop-price"):
        scenario = get_scenario(scenario_id)
        replies = scripts()["strong"][scenario.language]
        run = play(engine, scenario, load_pool_deals(scenario.pool), 2, replies, 4)
        assert run["pairs"] == [(replies[i % len(replies)], line) for i, line in enumerate(run["lines"][1:])]
