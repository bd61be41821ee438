"""Importers: every format in Chinese and English, bad rows reported with file:line and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_dataset

from knowledge.importers import (
    ImportFileError,
    ImportIssue,
    detect_format,
    iter_file,
    map_outcome,
    parse_mapping,
    read_text,
)


def split(items):
    items = list(items)
    return [i[1] for i in items if not isinstance(i, ImportIssue)], [i for i in items if isinstance(i, ImportIssue)]


ZH_DEAL = {
    "deal_id": "zh-1", "industry": "saas", "segment": "smb", "outcome": "won",
    "turns": [{"speaker": "rep", "text": "您好，我是小王，想了解一下贵司的CRM需求。"},
              {"speaker": "customer", "text": "你们的价格太贵了，我们预算有限。"}],
}
EN_DEAL = {
    "deal_id": "en-1", "industry": "saas", "outcome": "lost",
    "turns": [{"speaker": "rep", "text": "Thanks for taking the call."},
              {"speaker": "customer", "text": "Honestly it is too expensive for us."}],
}


def test_jsonl_reads_zh_and_en_and_reports_bad_lines(tmp_path):
    zh_no_lang = {k: v for k, v in ZH_DEAL.items()}
    en_no_lang = dict(EN_DEAL)
    lines = [json.dumps(zh_no_lang, ensure_ascii=False), "{not json", "", json.dumps(en_no_lang),
             json.dumps({"deal_id": "x", "turns": []}), "[1, 2]"]
    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert detect_format(path) == "jsonl"
    records, issues = split(iter_file(path))
    assert [(r.deal_id, r.lang) for r in records] == [("zh-1", "zh"), ("en-1", "en")]
    assert [(i.file, i.line) for i in issues] == [("deals.jsonl", 2), ("deals.jsonl", 5), ("deals.jsonl", 6)]
    assert "turns" in issues[1].message


def test_messages_csv_with_outcomes_beside_zh_and_en(tmp_path):
    (tmp_path / "messages.csv").write_text(
        "conversation_id,timestamp,message,author\n"
        "c1,2026-01-15 10:02:00,您好，我是销售小李,销售\n"
        "c1,2026-01-15 10:03:00,\"价格太贵了，\n能便宜点吗？\",客户\n"
        "c2,2026-01-16 09:00:00,Hi there,Agent\n"
        "c2,2026-01-16 09:00:10,,Customer\n"
        "c2,2026-01-16 09:00:20,I need to think about it,Customer\n"
        "c2,2026-01-16 09:00:30,hello,Boss\n",
        encoding="utf-8",
    )
    (tmp_path / "conversations.csv").write_text(
        "conversation_id,outcome\nc1,buy\nc2,process paused - customer needs to consider the offer\n", encoding="utf-8"
    )
    path = tmp_path / "messages.csv"
    assert detect_format(path) == "messages-csv"
    records, issues = split(iter_file(path, options={"industry": "insurance"}))
    c1, c2 = records
    assert (c1.deal_id, c1.lang, c1.outcome, c1.industry) == ("c1", "zh", "won", "insurance")
    assert [t.speaker for t in c1.turns] == ["rep", "customer"] and "能便宜点吗" in c1.turns[1].text
    assert (c2.lang, c2.outcome, len(c2.turns)) == ("en", "open", 2)
    # the quoted message spans lines 3-4, so the rows after it are numbered 5.. by physical line
    assert [(i.line, "empty" in i.message or "role" in i.message) for i in issues] == [(6, True), (8, True)]
    assert "Boss" not in issues[1].message  # issue text never quotes row content


def test_outcome_mapping():
    assert map_outcome("buy") == "won"
    assert map_outcome("customer not interested") == "lost"
    assert map_outcome("no quote - ineligible customer") == "lost"
    assert map_outcome("customer objections not handled") == "lost"
    assert map_outcome("process paused - customer needs to collect more information") == "open"
    assert map_outcome("成交") == "won" and map_outcome("丢单") == "lost"


def test_gbk_and_bom_files_decode(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("conversation_id,message,author\nd1,预算还没批下来,客户\n".encode("gbk"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes("conversation_id,message,author\nd2,We are locked into a contract,Customer\n".encode("utf-8-sig"))
    (zh,), _ = split(iter_file(gbk))
    (en,), _ = split(iter_file(bom))
    assert zh.turns[0].text == "预算还没批下来" and zh.lang == "zh"
    assert en.deal_id == "d2"  # a BOM must not break the first column's name
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x81\x30\xff\xfe\x00\x81")
    with pytest.raises(ImportFileError, match="UTF-8"):
        read_text(bad)


def test_mapped_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("deal,role,text\nA,rep,您好\nA,customer,我们老板还没拍板\nB,client,We use a competitor\n",
                    encoding="utf-8")
    mapping = parse_mapping("conversation_id=deal,author=role,message=text")
    records, issues = split(iter_file(path, "csv", {"mapping": mapping}))
    assert not issues
    assert [(r.deal_id, r.lang, len(r.turns)) for r in records] == [("A", "zh", 2), ("B", "en", 1)]
    guessed, _ = split(iter_file(path, "csv"))  # deal/role/text are guessed from the header (column_guess)
    assert [r.model_dump() for r in guessed] == [r.model_dump() for r in records]
    with pytest.raises(ImportFileError, match="--map"):
        list(iter_file(path, "csv", {"mapping": {"message": "body"}}))  # an explicit mapping still wins
    with pytest.raises(ImportFileError, match="message=text"):
        parse_mapping("message")


def test_xlsx_workbook(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    deals = book.active
    deals.title = "deals"
    deals.append(["deal_id", "industry", "segment", "outcome", "amount", "competitors"])
    deals.append(["x1", "fmcg", "ka", "won", 120000, "竞品A、竞品B"])
    deals.append(["x2", "saas", "smb", "lost", None, "Acme"])
    deals.append(["x3", "saas", "smb", "lost", None, None])  # no turns → reported
    turns = book.create_sheet("turns")
    turns.append(["deal_id", "seq", "speaker", "text"])
    turns.append(["x1", 2, "客户", "这个月渠道预算已经用完了"])
    turns.append(["x1", 1, "销售", "王总您好"])
    turns.append(["x2", 1, "customer", "We already have a vendor"])
    turns.append(["x2", 2, "alien", "???"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    assert detect_format(path) == "xlsx"
    records, issues = split(iter_file(path))
    x1, x2 = records
    assert [t.speaker for t in x1.turns] == ["rep", "customer"]  # ordered by seq, not by row
    assert (x1.lang, x1.segment, x1.amount, x1.competitors) == ("zh", "ka", 120000, ["竞品A", "竞品B"])
    assert (x2.lang, x2.outcome) == ("en", "lost")
    assert sorted((i.file, i.line) for i in issues) == [("deals.xlsx[deals]", 4), ("deals.xlsx[turns]", 5)]


CHAT = """张伟 2026-01-15 10:02
李总您好，我是张伟，上次展会聊过的
李明 2026/1/15 10:05:33
嗯，你们那个系统多少钱？
我们今年预算比较紧
张伟 2026-01-15 10:07
理解，我先给您讲讲能省下多少人力
"""


def test_chat_export_zh_default_rep_is_first_speaker(tmp_path):
    path = tmp_path / "wechat.txt"
    path.write_text("导出前的一行说明\n" + CHAT, encoding="utf-8")
    assert detect_format(path) == "chat"
    (record,), issues = split(iter_file(path))
    assert [t.speaker for t in record.turns] == ["rep", "customer", "rep"]
    assert record.turns[1].text == "嗯，你们那个系统多少钱？\n我们今年预算比较紧"
    assert record.turns[1].ts.isoformat() == "2026-01-15T10:05:33"
    assert record.lang == "zh" and record.deal_id.startswith("chat-") and "wechat" not in record.deal_id
    assert [(i.line, "header" in i.message) for i in issues] == [(1, True)]


def test_chat_export_en_with_rep_option(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("Dana Lee 2026-02-01 09:00\nWho is this?\nSam Park 2026-02-01 09:01\n"
                    "Hi Dana, following up on the demo\n", encoding="utf-8")
    (record,), _ = split(iter_file(path, options={"rep_names": ["Sam Park"]}))
    assert [t.speaker for t in record.turns] == ["customer", "rep"] and record.lang == "en"


def test_unknown_format_and_missing_file(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("just some notes", encoding="utf-8")
    with pytest.raises(ImportFileError, match="--format"):
        detect_format(path)
    with pytest.raises(ImportFileError, match="no such file"):
        iter_file(tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match="unknown format"):
        list(iter_file(path, "pdf"))


def test_agentune_insurance_calls_read():
    folder: Path = shared_dataset("agentune-insurance-calls")
    records, issues = split(iter_file(folder / "messages.csv"))
    assert not issues
    assert len(records) == 101 and sum(len(r.turns) for r in records) == 16823
    assert {r.industry for r in records} == {"insurance"} and {r.lang for r in records} == {"en"}
    outcomes = [r.outcome for r in records]
    assert outcomes.count("won") == 1 and outcomes.count("lost") == 32 + 12 + 11 and outcomes.count("open") == 45
    assert {t.speaker for r in records for t in r.turns} == {"rep", "customer"}
