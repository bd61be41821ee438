"""Author page, deal import: upload into a private folder, map the columns of a CSV (guessed from header
names in Chinese and English, editable), review every anonymization find with the trainer's corrections,
then import with a progress bar. The raw upload is deleted after the import or on cancel.

Functions above ``build`` are behaviour tested without a server; ``build`` wires them to components.
"""

from __future__ import annotations

import functools
import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ui import private_files
from ui.messages import esc
from ui.pages.author_review import PAGE_SIZE, Choices, ReviewedAnonymizer, pages, scan, surfaces

UPLOAD_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".txt", ".chat")
MAP_FIELDS = ("conversation_id", "timestamp", "message", "author", "outcome", "industry", "segment")
REQUIRED = ("message", "author")

WORDS = {
    "zh": {"before": "原文", "after": "脱敏后", "records": "共 {n} 条成交记录（格式 {fmt}）", "bad_rows": "问题行",
           "none_found": "整个文件未发现个人信息", "import_first": "请先上传文件并查看脱敏预览",
           "new": "新增", "updated": "更新", "skipped": "重复跳过", "turns": "对话轮数", "seconds": "耗时(秒)",
           "report": "导入完成", "counts": "识别到的个人信息（共 {n} 处）", "page": "第 {p}/{n} 页",
           "deal": "记录", "turn": "轮", "kept": "已按培训师要求保留（不脱敏）", "found_list": "全部识别结果",
           "map_title": "列对应关系（根据表头自动猜测，可修改）", "map_missing": "请为 {fields} 选择对应的列，然后点“更新预览”",
           "sample": "导入预览（前 {n} 轮，已脱敏）", "cancelled": "已取消，上传的原始文件已删除",
           "unmask_hint": "取消脱敏的词已保留；补充屏蔽的词显示为 [已屏蔽]", "kept_short": "保留"},
    "en": {"before": "Original", "after": "Anonymized", "records": "{n} deal records (format {fmt})",
           "bad_rows": "Bad rows", "none_found": "No personal data found in the whole file",
           "import_first": "Upload a file and check the anonymization preview first", "new": "new",
           "updated": "updated", "skipped": "skipped duplicates", "turns": "turns", "seconds": "seconds",
           "report": "Import finished", "counts": "Personal data found ({n} in all)", "page": "page {p}/{n}",
           "deal": "deal", "turn": "turn", "kept": "Kept un-masked at the trainer's request",
           "found_list": "Every find", "map_title": "Column mapping (guessed from the header; change it if wrong)",
           "map_missing": "Choose the column for {fields}, then press \"Update preview\"",
           "sample": "Import preview (first {n} turns, anonymized)",
           "cancelled": "Cancelled; the uploaded raw file was deleted",
           "unmask_hint": "Un-masked words are kept; added terms show as [REDACTED]", "kept_short": "kept"},
}
KIND_NAMES = {
    "zh": {"person": "人名", "company": "公司", "phone": "电话", "email": "邮箱", "id_card": "身份证",
           "bank_card": "银行卡", "address": "地址", "wechat": "微信", "url": "网址", "plate": "车牌",
           "amount": "金额", "term": "补充屏蔽词"},
    "en": {"person": "person", "company": "company", "phone": "phone", "email": "email", "id_card": "ID number",
           "bank_card": "bank card", "address": "address", "wechat": "WeChat", "url": "URL", "plate": "plate",
           "amount": "amount", "term": "added term"},
}
FIELD_NAMES = {
    "zh": {"conversation_id": "会话/客户", "timestamp": "时间", "message": "内容", "author": "角色",
           "outcome": "结果", "industry": "行业", "segment": "客户类型"},
    "en": {"conversation_id": "conversation", "timestamp": "time", "message": "message", "author": "role",
           "outcome": "outcome", "industry": "industry", "segment": "segment"},
}


def w(key: str, lang: str, **kwargs) -> str:
    text = WORDS.get(lang, WORDS["zh"]).get(key, key)
    return text.format(**kwargs) if kwargs else text


# --- staging ---------------------------------------------------------------------------------------------
def safe_upload_name(name: str) -> str:
    """The file's own name only: no folders (``../``, ``C:\\``), no control characters, no hidden files,
    a supported extension. Raises ValueError naming the supported types otherwise."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_SUFFIXES:
        raise ValueError(f"unsupported file type {esc(suffix or name)!s}; upload one of {', '.join(UPLOAD_SUFFIXES)}")
    stem = re.sub(r"\.+", ".", stem).strip(" .") or "upload"
    return stem[:80] + suffix


def stage_upload(uploaded: str | Path, original_name: str | None = None) -> Path:
    """Copy an upload into its own 0700 folder under COACH_HOME/private/uploads (0600), under its sanitised
    name, and delete Gradio's copy: from here on the only raw copy is the private one, removed after import."""
    source = Path(uploaded)
    name = safe_upload_name(original_name or source.name)
    private_files.prune("uploads")  # uploads abandoned an hour ago or more (tab closed before import)
    target = private_files.new_private_folder("uploads", "coach-upload-") / name
    shutil.copyfile(source, target)
    private_files.seal(target)
    private_files.forget_gradio_upload(source)
    return target


def discard_upload(staged: str | Path | None) -> None:
    """Delete a staged upload's folder (after import, on cancel, or when another file replaces it)."""
    if staged:
        private_files.remove_tree(Path(staged).parent, "uploads")


def _drop_staged(staged: dict | None) -> None:
    discard_upload((staged or {}).get("path"))


# --- column mapping --------------------------------------------------------------------------------------
def file_format(path: Path) -> str:
    from knowledge.importers import detect_format

    return detect_format(path)


def is_table(path: Path, fmt: str) -> bool:
    """Turn-per-row CSVs get the mapping step; JSONL, Excel and chat exports name their own fields."""
    return fmt in ("csv", "messages-csv") or path.suffix.lower() == ".csv"


def guess_columns(path: Path) -> tuple[list[str], dict[str, str]]:
    """(header, field → column guessed from the header names in both languages)."""
    from knowledge.importers.column_guess import csv_header, guess_mapping

    header = csv_header(path)
    return header, guess_mapping(header)


def missing_fields(mapping: dict[str, str], lang: str) -> list[str]:
    return [FIELD_NAMES[lang][f] for f in REQUIRED if not mapping.get(f)]


# --- review ----------------------------------------------------------------------------------------------
def review(path: Path, mapping: dict[str, str] | None, choices: Choices, anonymizer=None) -> dict[str, Any]:
    """The full anonymization review of a staged file under a mapping and the trainer's choices."""
    fmt = file_format(path)
    options = None
    if is_table(path, fmt):
        fmt, options = "csv", {"mapping": {k: v for k, v in (mapping or {}).items() if v}}
    preview = scan(path, fmt, options, choices, anonymizer)
    preview["options"] = options
    return preview


def review_html(preview: dict[str, Any], lang: str, page: int = 1, size: int = PAGE_SIZE) -> str:
    """File summary, counts per kind, the trainer's kept words, one page of before/after turns, every find
    on that page, a sample of mapped turns, and the bad rows. Every text from the file is escaped."""
    names = KIND_NAMES.get(lang, KIND_NAMES["zh"])
    parts = [f"<p><b>{esc(preview['name'])}</b> · "
             f"{w('records', lang, n=preview['records'], fmt=esc(preview['format']))}</p>"]
    if preview["counts"]:
        counts = " · ".join(f"<span class='au-count' data-kind='{esc(k)}'>{esc(names.get(k, k))}: <b>{n}</b></span>"
                            for k, n in preview["counts"].items())
        parts.append(f"<p class='au-counts'>{w('counts', lang, n=len(preview['finds']))}: {counts}</p>")
    else:
        parts.append(f"<p>{w('none_found', lang)}</p>")
    if preview["choices"].keep or preview["choices"].extra:
        parts.append(f"<p class='au-choices'>{w('unmask_hint', lang)}</p>")
    if preview.get("kept"):
        kept = ", ".join(f"{esc(k)} ×{n}" for k, n in preview["kept"].items())
        parts.append(f"<p class='au-kept'>✔ {w('kept', lang)}: {kept}</p>")
    total = pages(preview, size)
    page = min(max(1, int(page or 1)), total)
    rows = preview["turn_rows"][(page - 1) * size: page * size]
    if rows:
        parts.append(f"<p class='au-page'>{w('found_list', lang)} · {w('page', lang, p=page, n=total)}</p>")
        parts.append(f"<table class='au-anon'><tr><th>{w('deal', lang)}</th><th></th><th>{w('before', lang)}</th>"
                     f"<th>{w('after', lang)}</th><th></th></tr>")
        for row in rows:
            found = [f for f in preview["finds"] if (f["deal"], f["turn"]) == (row["deal"], row["turn"])]
            items = "<br>".join([f"{esc(names.get(f['kind'], f['kind']))}: {esc(f['text'])} → {esc(f['replacement'])}"
                                 for f in found] + [f"✔ {esc(k)} ({w('kept_short', lang)})" for k in row["kept"]])
            parts.append(f"<tr><td>#{row['deal']}·{row['turn']}</td><td>{esc(row['speaker'])}</td>"
                         f"<td>{esc(row['before'])}</td><td>{esc(row['after'])}</td>"
                         f"<td class='au-finds'>{items}</td></tr>")
        parts.append("</table>")
    if preview["samples"]:
        sample = "".join(f"<tr><td>#{s['deal']}</td><td>{esc(s['speaker'])}</td><td>{esc(s['ts'] or '')}</td>"
                         f"<td>{esc(s['text'])}</td></tr>" for s in preview["samples"])
        parts.append(f"<p>{w('sample', lang, n=len(preview['samples']))}:</p><table class='au-sample'>{sample}</table>")
    if preview["bad_rows"]:
        bad = "".join(f"<li>{esc(r)}</li>" for r in preview["bad_rows"][:20])
        parts.append(f"<p>{w('bad_rows', lang)} ({len(preview['bad_rows'])}):</p><ul>{bad}</ul>")
    return "\n".join(parts)


# --- import ----------------------------------------------------------------------------------------------
def import_deals(path: Path, progress: Callable[[int, int], None], total: int, ingest=None, anonymizer=None,
                 choices: Choices | None = None, fmt: str | None = None, options: dict | None = None):
    """Run the real ingest on a staged file with the reviewed anonymizer, reporting each anonymized deal to
    ``progress(done, total)``; the staged raw file is deleted afterwards, whatever happens."""
    from knowledge.anonymize import get_anonymizer

    if ingest is None:
        from knowledge.ingest import ingest_path as ingest
    mask = ReviewedAnonymizer(anonymizer or get_anonymizer(), choices or Choices()).anonymize_deal
    done = 0

    def counted(record):
        nonlocal done
        clean = mask(record)
        done += 1
        progress(done, max(total, done))
        return clean

    progress(0, max(total, 1))
    try:
        extra = {"fmt": fmt} if fmt else {}
        if options:
            extra["options"] = options
        return ingest(path, anonymize=counted, progress=False, **extra)
    finally:
        discard_upload(path)  # the raw upload does not outlive the import


def report_markdown(report, lang: str) -> str:
    lines = [f"**{w('report', lang)}** · {esc(report.source)} ({esc(', '.join(report.formats))})",
             f"- {w('new', lang)}: **{report.new}** · {w('updated', lang)}: {report.updated} · "
             f"{w('skipped', lang)}: {report.skipped_duplicates} · {w('bad_rows', lang)}: {len(report.bad_rows)} · "
             f"{w('turns', lang)}: {report.turns} · {w('seconds', lang)}: {report.seconds:g}"]
    lines += [f"  - {esc(row)}" for row in report.bad_rows[:50]]
    lines += [f"- ⚠ {esc(msg)}" for msg in report.warnings]
    return "\n".join(lines)


# --- the accordion ---------------------------------------------------------------------------------------
def build(user_state: gr.State, require_author: Callable, lang_of: Callable) -> None:
    """The "Import deals" accordion (inside the caller's page)."""
    # {"path", "records", "header", "mapping", "choices"} per browser session; a closed tab or an hour without
    # use deletes the state, and with it the staged raw file
    state = gr.State(None, time_to_live=private_files.KEEP_SECONDS, delete_callback=_drop_staged)

    def guarded(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (PermissionError, LookupError, ValueError, OSError) as exc:
                raise gr.Error(esc(exc)) from exc
        return run

    with gr.Accordion("导入成交记录 / Import deals", open=False):
        upload = gr.File(label="CSV / JSONL / XLSX / TXT", file_types=list(UPLOAD_SUFFIXES), type="filepath",
                         elem_id="au-upload")
        with gr.Group(visible=False, elem_id="au-mapping") as mapping_box:
            map_title = gr.Markdown(elem_id="au-map-title")
            with gr.Row():
                pickers = {f: gr.Dropdown(label=f"{FIELD_NAMES['zh'][f]} / {FIELD_NAMES['en'][f]}", choices=[""],
                                          value="", allow_custom_value=False, elem_id=f"au-map-{f}")
                           for f in MAP_FIELDS}
        with gr.Row():
            unmask = gr.Dropdown(label="取消脱敏（误判）/ Un-mask (false positives)", choices=[], multiselect=True,
                                 scale=2, elem_id="au-unmask")
            extra = gr.Textbox(label="补充屏蔽词（逗号分隔）/ Also mask these terms (comma-separated)", scale=2,
                               elem_id="au-extra")
            page = gr.Number(label="页 / Page", value=1, precision=0, minimum=1, scale=0, elem_id="au-page")
            refresh_btn = gr.Button("更新预览 / Update preview", scale=1, elem_id="au-refresh")
        anon_html = gr.HTML(elem_id="au-anon-preview")
        with gr.Row():
            import_btn = gr.Button("导入 / Import", variant="primary", interactive=False, elem_id="au-import")
            cancel_btn = gr.Button("取消 / Cancel", interactive=False, elem_id="au-cancel")
        import_md = gr.Markdown(elem_id="au-import-report")

    picker_list = [pickers[f] for f in MAP_FIELDS]

    def render(user, staged, mapping, choices, number):
        lang = lang_of(user)
        header = staged.get("header")
        if header is not None and missing_fields(mapping, lang):
            return None, f"<p class='au-map-missing'>⚠ {esc(w('map_missing', lang, fields=' / '.join(missing_fields(mapping, lang))))}</p>"
        preview = review(Path(staged["path"]), mapping, choices)
        return preview, review_html(preview, lang, number)

    def outputs_for(user, staged, preview, html):
        ok = preview is not None and preview["records"] > 0
        kept = list(staged["choices"].keep) if staged else []
        found = surfaces(preview) if preview else kept
        return (staged, html, gr.update(interactive=ok), gr.update(interactive=staged is not None),
                gr.update(choices=found, value=kept))

    def do_upload(user, file, previous):
        try:
            require_author(user)
        except PermissionError:
            if file:
                private_files.forget_gradio_upload(str(file))  # a refused upload leaves no copy behind
            raise
        lang = lang_of(user)
        if previous:
            discard_upload(previous["path"])  # a re-upload drops the last copy
        blank = (None, "", gr.update(interactive=False), gr.update(interactive=False), gr.update(choices=[], value=[]),
                 gr.update(visible=False), "", *[gr.update(choices=[""], value="") for _ in MAP_FIELDS], 1, "")
        if not file:
            return blank
        original = getattr(file, "orig_name", None) or Path(str(file)).name
        staged_path = stage_upload(str(file), original)
        staged = {"path": str(staged_path), "choices": Choices(), "mapping": {}, "header": None}
        map_updates = [gr.update(choices=[""], value="") for _ in MAP_FIELDS]
        visible = False
        if is_table(staged_path, file_format(staged_path)):
            header, guessed = guess_columns(staged_path)
            staged |= {"header": header, "mapping": guessed}
            map_updates = [gr.update(choices=["", *header], value=guessed.get(f, "")) for f in MAP_FIELDS]
            visible = True
        preview, html = render(user, staged, staged["mapping"], staged["choices"], 1)
        staged["records"] = preview["records"] if preview else 0
        return (*outputs_for(user, staged, preview, html), gr.update(visible=visible), w("map_title", lang),
                *map_updates, 1, "")

    upload.upload(guarded(do_upload), [user_state, upload, state],
                  [state, anon_html, import_btn, cancel_btn, unmask, mapping_box, map_title, *picker_list, page,
                   import_md])

    def do_refresh(user, staged, keep, terms, number, *mapped):
        require_author(user)
        if not staged or not Path(staged["path"]).is_file():
            raise ValueError(w("import_first", lang_of(user)))
        mapping = dict(zip(MAP_FIELDS, mapped, strict=True)) if staged.get("header") is not None else {}
        staged = {**staged, "mapping": {k: v for k, v in mapping.items() if v}, "choices": Choices.parse(keep, terms)}
        preview, html = render(user, staged, staged["mapping"], staged["choices"], number)
        staged["records"] = preview["records"] if preview else 0
        return outputs_for(user, staged, preview, html)

    review_outputs = [state, anon_html, import_btn, cancel_btn, unmask]
    refresh_btn.click(guarded(do_refresh), [user_state, state, unmask, extra, page, *picker_list], review_outputs)
    page.submit(guarded(do_refresh), [user_state, state, unmask, extra, page, *picker_list], review_outputs)

    def do_import(user, staged, progress=gr.Progress()):
        require_author(user)
        lang = lang_of(user)
        if not staged or not Path(staged["path"]).is_file():
            raise ValueError(w("import_first", lang))
        table = staged.get("header") is not None
        report = import_deals(Path(staged["path"]), lambda done, total: progress((done, total), unit="deals"),
                              int(staged.get("records") or 0), choices=staged["choices"],
                              fmt="csv" if table else None, options={"mapping": staged["mapping"]} if table else None)
        return report_markdown(report, lang), None, gr.update(interactive=False), gr.update(interactive=False)

    import_btn.click(guarded(do_import), [user_state, state], [import_md, state, import_btn, cancel_btn])

    def do_cancel(user, staged):
        require_author(user)
        discard_upload(staged["path"] if staged else None)
        return (None, "", gr.update(interactive=False), gr.update(interactive=False), gr.update(choices=[], value=[]),
                w("cancelled", lang_of(user)), None)

    cancel_btn.click(guarded(do_cancel), [user_state, state],
                     [state, anon_html, import_btn, cancel_btn, unmask, import_md, upload])

    def do_clear(user, staged):  # the file box's ✕ is a cancel too
        return do_cancel(user, staged)[:-1]

    upload.clear(guarded(do_clear), [user_state, state], [state, anon_html, import_btn, cancel_btn, unmask, import_md])
