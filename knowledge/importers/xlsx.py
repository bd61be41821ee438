"""Excel workbook: a sheet of deals (one row per deal) and a sheet of turns (one row per turn).

Sheets are found by name (``deals``/``商机``, ``turns``/``对话``), else the first two sheets. Column
headers are DealRecord field names; list fields (products, competitors, decision_chain) take
comma- or 、-separated text. Turn rows need ``deal_id``, a speaker (``speaker``/``author``/``role``)
and text (``text``/``message``); ``seq`` orders them when present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from knowledge.importers.base import (
    Importer,
    ImportFileError,
    ImportIssue,
    ImportItem,
    detect_lang,
    map_speaker,
    parse_time,
    register_importer,
    validation_message,
)
from knowledge.records import DealRecord, Turn

LIST_FIELDS = {"products", "competitors", "decision_chain"}
DEAL_NAMES = {"deals", "deal", "商机", "客户", "订单"}
TURN_NAMES = {"turns", "turn", "messages", "对话", "聊天记录"}
_SPLIT = re.compile(r"[,，、;；]")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(sheet) -> Iterator[tuple[int, dict[str, object]]]:
    rows = sheet.iter_rows(values_only=True)
    header = [(_cell(h)).lower() for h in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        if all(v is None or _cell(v) == "" for v in values):
            continue
        yield number, dict(zip(header, values, strict=False))


def _first(row: dict, *names: str) -> object:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


@register_importer("xlsx")
class XlsxImporter(Importer):
    name = "xlsx"
    extensions = (".xlsx", ".xlsm")

    def read(self, path: Path, options: dict | None = None) -> Iterator[ImportItem]:
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a non-workbook
            raise ImportFileError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__})") from exc
        deals_sheet, turns_sheet = self._sheets(book, path)
        where_deals, where_turns = f"{path.name}[{deals_sheet.title}]", f"{path.name}[{turns_sheet.title}]"
        turns: dict[str, list[tuple[float, int, Turn]]] = {}
        for number, row in _rows(turns_sheet):
            deal_id, text = _cell(row.get("deal_id")), _cell(_first(row, "text", "message", "content", "内容"))
            speaker = map_speaker(_cell(_first(row, "speaker", "author", "role", "角色")))
            problem = (
                "column 'deal_id' is empty" if not deal_id else
                "column 'text' is empty" if not text else
                "speaker is not a known role (use rep/销售 or customer/客户)" if speaker is None else None
            )
            if problem:
                yield ImportIssue(file=where_turns, line=number, message=problem)
                continue
            ts = _first(row, "ts", "timestamp", "time", "时间")
            ts = ts if isinstance(ts, datetime) else parse_time(_cell(ts))
            seq = _first(row, "seq", "turn", "turn_idx", "序号")
            try:
                order = float(seq) if seq is not None else float(number)
            except (TypeError, ValueError):
                order = float(number)
            turns.setdefault(deal_id, []).append((order, number, Turn(speaker=speaker, text=text, ts=ts)))
        for number, row in _rows(deals_sheet):
            yield self._record(where_deals, number, row, turns, options or {})

    @staticmethod
    def _sheets(book, path: Path):
        by_name = {ws.title.strip().lower(): ws for ws in book.worksheets}
        deals = next((by_name[n] for n in DEAL_NAMES if n in by_name), None)
        turns = next((by_name[n] for n in TURN_NAMES if n in by_name), None)
        if deals is None or turns is None:
            if len(book.worksheets) < 2:
                raise ImportFileError(f"{path}: needs a 'deals' sheet and a 'turns' sheet")
            deals, turns = book.worksheets[0], book.worksheets[1]
        return deals, turns

    @staticmethod
    def _record(where: str, number: int, row: dict, turns: dict, options: dict) -> ImportItem:
        deal_id = _cell(row.get("deal_id"))
        if not deal_id:
            return ImportIssue(file=where, line=number, message="column 'deal_id' is empty")
        fields: dict[str, object] = {}
        for key, value in row.items():
            if key in DealRecord.model_fields and key != "turns" and _cell(value):
                fields[key] = [p.strip() for p in _SPLIT.split(_cell(value)) if p.strip()] if key in LIST_FIELDS else (
                    value if isinstance(value, int | float) and key in {"amount", "cycle_days"} else _cell(value)
                )
        fields["deal_id"] = deal_id
        fields["turns"] = [t for _, _, t in sorted(turns.get(deal_id, []), key=lambda x: (x[0], x[1]))]
        if not fields["turns"]:
            return ImportIssue(file=where, line=number, message="no rows for this deal_id in the turns sheet")
        fields.setdefault("lang", options.get("lang") or detect_lang(" ".join(t.text for t in fields["turns"])))
        try:
            return number, DealRecord(**fields)
        except ValidationError as exc:
            return ImportIssue(file=where, line=number, message=validation_message(exc))
