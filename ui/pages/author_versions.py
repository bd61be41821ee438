"""Author page, scenario versions: which version the editor holds, every stored version (who, when), and a
line diff between any two, so a trainer sees what v3 changed before trainees meet it."""

from __future__ import annotations

from typing import Any

from ui.messages import esc

HISTORY_COLUMNS = ["version", "title", "published_by", "published_at"]

WORDS = {
    "zh": {"loaded": "编辑器中：{id} v{version}（共 {n} 个版本）", "shipped": "内置版本", "same": "v{a} 与 v{b} 内容相同",
           "diff": "v{a} → v{b} 的差异", "pick": "请选择两个版本"},
    "en": {"loaded": "In the editor: {id} v{version} ({n} version(s) stored)", "shipped": "shipped version",
           "same": "v{a} and v{b} are identical", "diff": "Changes from v{a} to v{b}", "pick": "Choose two versions"},
}


def w(key: str, lang: str, **kwargs) -> str:
    text = WORDS.get(lang, WORDS["zh"]).get(key, key)
    return text.format(**kwargs) if kwargs else text


def history_rows(scenario_id: str, lang: str) -> list[list[Any]]:
    """Every stored version, newest first; a scenario never published shows its shipped version."""
    from scenarios import load_library, scenario_history

    rows = [[r.version, r.title, r.published_by, r.published_at.strftime("%Y-%m-%d %H:%M")]
            for r in reversed(scenario_history(scenario_id))]
    shipped = load_library().get(scenario_id)
    if not rows and shipped is not None:
        rows = [[shipped.version, shipped.title, w("shipped", lang), ""]]
    return rows


def loaded_note(scenario_id: str, version: int, lang: str) -> str:
    return w("loaded", lang, id=esc(scenario_id), version=version, n=len(history_rows(scenario_id, lang)))


def diff_html(scenario_id: str, old: int | None, new: int | None, lang: str) -> str:
    """A unified diff of two versions' YAML, added lines green and removed lines red, all text escaped."""
    from scenarios import version_diff

    if not scenario_id or not old or not new:
        return f"<p>{w('pick', lang)}</p>"
    lines = version_diff(scenario_id, int(old), int(new))
    if not lines:
        return f"<p class='au-diff-same'>{w('same', lang, a=int(old), b=int(new))}</p>"
    body = []
    for line in lines:
        style = ""
        if line.startswith("+") and not line.startswith("+++"):
            style = " style='background:#e6ffed'"
        elif line.startswith("-") and not line.startswith("---"):
            style = " style='background:#ffeef0'"
        body.append(f"<span{style}>{esc(line)}</span>")
    return (f"<p><b>{w('diff', lang, a=int(old), b=int(new))}</b></p>"
            f"<pre class='au-diff' style='white-space:pre-wrap'>{chr(10).join(body)}</pre>")
