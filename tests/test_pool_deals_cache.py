"""Stored deals are parsed once per change of the deals table, and a re-ingested deal is seen at once."""

from __future__ import annotations

import json


class _NoIndex:
    def add_records(self, records):
        return 0

    def flush(self):
        pass


def _ingest(tmp_path, deals):
    from knowledge.ingest import ingest_path

    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in deals) + "\n", encoding="utf-8")
    return ingest_path(path, fmt="jsonl", anonymize=lambda r: r, tag=None, index=_NoIndex(), progress=False)


def test_table_deals_are_cached_until_the_table_changes(db, tmp_path):
    from personas.deals import _table_deals

    deals = [{"deal_id": "c-zh", "lang": "zh", "turns": [{"speaker": "customer", "text": "太贵了"}]},
             {"deal_id": "c-en", "lang": "en", "turns": [{"speaker": "customer", "text": "Too pricey"}]}]
    _ingest(tmp_path, deals)
    first = _table_deals()
    assert sorted(d.deal_id for d in first) == ["c-en", "c-zh"]
    assert _table_deals() is first  # unchanged table: parsed once

    deals[0]["turns"][0]["text"] = "预算不够，再便宜点"
    deals[1]["turns"][0]["text"] = "We have no budget left this year"
    assert _ingest(tmp_path, deals).updated == 2
    texts = {d.deal_id: d.turns[0].text for d in _table_deals()}
    assert texts == {"c-zh": "预算不够，再便宜点", "c-en": "We have no budget left this year"}


def test_a_large_table_gives_personas_its_most_recent_deals(db, tmp_path, monkeypatch):
    from personas import deals as source

    monkeypatch.setattr(source, "SOURCE_DEALS_LIMIT", 2)
    _ingest(tmp_path, [{"deal_id": "old-zh", "lang": "zh", "turns": [{"speaker": "customer", "text": "太贵了"}]}])
    _ingest(tmp_path, [{"deal_id": "new-zh", "lang": "zh", "turns": [{"speaker": "customer", "text": "再便宜点"}]},
                       {"deal_id": "new-en", "lang": "en", "turns": [{"speaker": "customer", "text": "Too pricey"}]}])
    assert sorted(d.deal_id for d in source._table_deals()) == ["new-en", "new-zh"]
