"""Author page (trainer): scenario list and YAML editor with line-pointing validation, a preview run with the
scripted trainee, publishing a new version, the version history with a diff between any two versions; the
playbook editor; deal import (ui/pages/author_import.py: column mapping, full anonymization review, progress).

The functions above ``build`` are the page's behaviour and are tested without a server; ``build`` only wires
them to components. Every text from files, deals and users is escaped before it reaches HTML/Markdown.
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from ui.messages import esc
from ui.pages import author_import, author_versions
from ui.pages.author_import import (  # noqa: F401 - the upload helpers' historical home
    UPLOAD_SUFFIXES,
    import_deals,
    report_markdown,
    safe_upload_name,
    stage_upload,
)
from ui.pages.author_review import Choices
from ui.services import Services

AUTHORS = {"trainer", "admin"}
SCENARIO_COLUMNS = ["id", "title", "language", "pool", "version"]

WORDS = {
    "zh": {"line": "第 {line} 行", "field": "字段 {field}", "valid": "✔ 校验通过：{id}（{language}，客户池 {pool}，{n} 个异议）",
           "published": "✔ 已发布 {id} v{version}", "unchanged": "{id} v{version} 内容未变，未生成新版本",
           "no_author": "只有培训师或管理员可以执行此操作", "signin": "请先登录",
           "empty": "编辑器是空的：先加载一个场景或粘贴 YAML", "customer": "客户", "trainee": "学员",
           "outcome": "结果", "avg": "平均分", "resolved": "已化解异议", "saved": "✔ 已保存到 {path}（覆盖内置的 {obj} 手册）",
           "pb_valid": "✔ 手册校验通过：{obj}（{steps} 个步骤）"},
    "en": {"line": "line {line}", "field": "field {field}", "valid": "✔ Valid: {id} ({language}, pool {pool}, {n} objections)",
           "published": "✔ {id} v{version} published", "unchanged": "{id} v{version} unchanged (same content, no new version)",
           "no_author": "Only trainers or admins can do this", "signin": "Please sign in first",
           "empty": "The editor is empty: load a scenario or paste YAML", "customer": "Customer", "trainee": "Trainee",
           "outcome": "Outcome", "avg": "average score", "resolved": "objections resolved",
           "saved": "✔ Saved to {path} (replaces the shipped {obj} playbook)",
           "pb_valid": "✔ Playbook valid: {obj} ({steps} steps)"},
}


def w(key: str, lang: str, **kwargs) -> str:
    text = WORDS.get(lang, WORDS["zh"]).get(key, key)
    return text.format(**kwargs) if kwargs else text


def lang_of(user: dict | None) -> str:
    return (user or {}).get("lang", "zh")


def require_author(user: dict | None) -> None:
    """Trainers and admins only; the roles are read from the users table, not trusted from the browser."""
    if not user:
        raise PermissionError(w("signin", "zh") + " / " + w("signin", "en"))
    from coach.progression import as_user

    if not AUTHORS & as_user(int(user["id"])).role_set:
        raise PermissionError(w("no_author", lang_of(user)))


# --- scenarios ------------------------------------------------------------------------------------------
def scenario_rows() -> list[list[Any]]:
    """Every scenario's newest version (shipped and published) as Dataframe rows. Plain "str" cells: the
    Dataframe shows them as text (escaping here would show ``&quot;`` to the trainer)."""
    from scenarios import list_scenarios

    return [[s.id, s.title, s.language, s.pool, s.version] for s in list_scenarios()]


def scenario_yaml(scenario_id: str) -> str:
    """The YAML of the newest version (last published, else shipped), its ``version:`` line showing the
    stored number (a trainer's text said ``version: 1`` whatever number publishing gave it)."""
    return scenario_version(scenario_id)[1]


def scenario_version(scenario_id: str, version: int | None = None) -> tuple[int, str]:
    """(stored version, YAML) of the newest or the given version."""
    from scenarios import ScenarioNotFound, version_text

    try:
        return version_text(scenario_id, version)
    except ScenarioNotFound as exc:
        raise LookupError(f"no scenario {scenario_id!r}") from exc


def issue_lines(issues: list, lang: str) -> str:
    """``第 7 行 · 字段 pool: …`` / ``line 7 · field pool: …``, one Markdown bullet per problem."""
    out = []
    for issue in issues:
        where = w("line", lang, line=issue.line)
        if issue.field:
            where += " · " + w("field", lang, field=esc(issue.field))
        out.append(f"- ✘ {where}: {esc(issue.message)}")
    return "\n".join(out)


def validate_text(text: str, lang: str) -> tuple[bool, str]:
    """(ok, message) for the editor's YAML; errors point at lines and fields."""
    from scenarios import ScenarioError, parse_scenario

    if not (text or "").strip():
        return False, w("empty", lang)
    try:
        s = parse_scenario(text, "editor")
    except ScenarioError as exc:
        return False, issue_lines(exc.issues, lang)
    return True, w("valid", lang, id=esc(s.id), language=s.language, pool=esc(s.pool), n=len(s.objections.types))


def publish_text(user: dict | None, text: str) -> str:
    """Store a new version (trainers/admins only): ``v3 published`` or ``unchanged``; bad YAML stores nothing."""
    from scenarios import ScenarioError, parse_scenario, publish_scenario, scenario_history

    require_author(user)
    lang = lang_of(user)
    if not (text or "").strip():
        return w("empty", lang)
    try:
        before = len(scenario_history(parse_scenario(text, "editor").id))
        row = publish_scenario(text, published_by=user["username"], source="editor")
    except ScenarioError as exc:
        return issue_lines(exc.issues, lang)
    created = len(scenario_history(row.scenario_id)) > before
    return w("published" if created else "unchanged", lang, id=esc(row.scenario_id), version=row.version)


def preview_html(result, lang: str) -> str:
    """The auto-played run: each reply with its score and steps, each customer line with the act and why."""
    public = result.persona_public
    parts = [f"<h4>{esc(result.title)} · {esc(result.scenario_id)} · {esc(result.script)} · seed {result.seed}</h4>",
             f"<p>{esc(public.get('name', ''))} · {esc(public.get('title', ''))} · {esc(public.get('company', ''))}</p>"]
    for turn in result.turns:
        if turn.speaker == "trainee":
            problems = f" · ⚠ {esc(', '.join(turn.anti_patterns))}" if turn.anti_patterns else ""
            meta = (f"<b>{turn.score:.0f}/100</b> · {esc(turn.objection or '-')} · "
                    f"{esc(', '.join(turn.steps) or '-')}{problems}")
            parts.append(f"<div class='au-turn au-trainee' style='background:#f4f8ff;padding:4px 8px;margin:2px 0'>"
                         f"<b>{w('trainee', lang)}</b>: {esc(turn.text)}<br><small>{meta}</small></div>")
        else:
            act = esc(turn.act) + (f":{esc(turn.objection)}" if turn.objection else "")
            parts.append(f"<div class='au-turn au-customer' style='padding:4px 8px;margin:2px 0'>"
                         f"<b>{w('customer', lang)}</b>: {esc(turn.text)}<br><small>&lt;{act}&gt; "
                         f"{esc(turn.reason)}</small></div>")
    parts.append(f"<p class='au-summary'><b>{w('outcome', lang)}: {esc(result.outcome)}</b> · {w('avg', lang)} "
                 f"<b>{result.average_score:g}</b> · {w('resolved', lang)} {len(result.objections_resolved)}/"
                 f"{len(result.objections_raised)} ({esc(', '.join(result.objections_resolved) or '-')})</p>")
    return "\n".join(parts)


def run_preview(text: str, script: str, seed: int, lang: str) -> tuple[str, str]:
    """(validation message, transcript HTML); a broken file gives its issues and nothing runs."""
    from coach.preview import preview_scenario
    from scenarios import ScenarioError

    if not (text or "").strip():
        return w("empty", lang), ""
    try:
        result = preview_scenario(text, script if script in ("good", "poor") else "good", seed=int(seed or 0),
                                  source="editor")
    except ScenarioError as exc:
        return issue_lines(exc.issues, lang), ""
    return "", preview_html(result, lang)


# --- playbooks ------------------------------------------------------------------------------------------
def trainer_playbook_dir() -> Path:
    """Where trainers' playbooks live (COACH_HOME/playbooks); a file there replaces the shipped one."""
    from knowledge.settings import get_settings

    return get_settings().coach_home / "playbooks"


def playbook_choices() -> list[tuple[str, str]]:
    from knowledge.playbooks import load_playbooks

    return [(f"{p.title.zh} / {p.title.en} ({key})", key) for key, p in sorted(load_playbooks().items())]


def playbook_text(objection: str) -> str:
    """The trainer's version when one was saved, else the shipped file (which is never written)."""
    from knowledge.playbooks import load_playbooks
    from knowledge.taxonomy import OBJECTION_TYPES

    if objection not in OBJECTION_TYPES:
        raise LookupError(f"unknown objection type {objection!r}")
    own = trainer_playbook_dir() / f"{objection}.yaml"
    if own.is_file():
        return own.read_text(encoding="utf-8")
    return Path(load_playbooks()[objection].source).read_text(encoding="utf-8")


_PLAYBOOK_ERROR = re.compile(r"line (\d+): field '([^']*)': (.*)", re.S)
_YAML_ERROR = re.compile(r"line (\d+): (.*)", re.S)


def check_playbook(text: str, lang: str):
    """(playbook or None, message): validated by the same loader the grader uses, errors as line · field."""
    from knowledge.playbooks import PlaybookError, load_playbook_file

    if not (text or "").strip():
        return None, w("empty", lang)
    with tempfile.TemporaryDirectory(prefix="coach-playbook-") as folder:
        path = Path(folder) / "playbook.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            playbook = load_playbook_file(path)
        except PlaybookError as exc:
            message = str(exc).replace(str(path), "").strip()
            found = _PLAYBOOK_ERROR.search(message)
            if found:
                where = f"{w('line', lang, line=found[1])} · {w('field', lang, field=esc(found[2]))}"
                return None, f"- ✘ {where}: {esc(found[3])}"
            found = _YAML_ERROR.search(message)
            if found:
                return None, f"- ✘ {w('line', lang, line=found[1])}: {esc(found[2])}"
            return None, f"- ✘ {esc(message)}"
    return playbook, w("pb_valid", lang, obj=esc(playbook.objection), steps=len(playbook.steps))


def save_playbook(user: dict | None, text: str) -> str:
    """Validate, then write COACH_HOME/playbooks/<objection>.yaml (named by the validated type, so no path
    tricks); shipped files are never touched. The whole folder must still load before the write is kept."""
    from knowledge.playbooks import PlaybookError, clear_cache, load_playbooks

    require_author(user)
    lang = lang_of(user)
    playbook, message = check_playbook(text, lang)
    if playbook is None:
        return message
    folder = trainer_playbook_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{playbook.objection}.yaml"
    backup = target.read_text(encoding="utf-8") if target.exists() else None
    target.write_text(text, encoding="utf-8")
    clear_cache()
    try:
        load_playbooks(extra_dir=folder)
    except PlaybookError as exc:  # keep what was there before: nothing stored is lost
        if backup is None:
            target.unlink()
        else:
            target.write_text(backup, encoding="utf-8")
        clear_cache()
        return f"- ✘ {esc(exc)}"
    return w("saved", lang, path=esc(target), obj=esc(playbook.objection))


# --- deal upload (kept here for callers of the old names) ----------------------------------------------
def anonymization_preview(path: Path, anonymizer=None) -> dict[str, Any]:
    """Every find in the whole file, before and after masking, with counts per kind (see author_review)."""
    return author_import.review(Path(path), None, Choices(), anonymizer)


def anonymization_html(preview: dict[str, Any], lang: str, page: int = 1) -> str:
    return author_import.review_html(preview, lang, page)


# --- the page -------------------------------------------------------------------------------------------
def build(services: Services, user_state: gr.State, i18n) -> dict:
    """Build the trainer page inside the caller's Tab; returns {"refresh": (fn, inputs, outputs)}."""
    def guarded(fn):
        """Refusals and bad input become a message box, never a stack trace (wraps keeps gr.Progress visible)."""
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (PermissionError, LookupError, ValueError, OSError) as exc:
                raise gr.Error(esc(exc)) from exc
        return run

    with gr.Accordion("场景 / Scenarios", open=True):
        table = gr.Dataframe(headers=SCENARIO_COLUMNS, value=[], interactive=False, wrap=True, elem_id="au-scenarios",
                             datatype=["str", "str", "str", "str", "number"], max_height=320)
        with gr.Row():
            picker = gr.Dropdown(label="场景 / Scenario", choices=[], scale=3, elem_id="au-scenario")
            load_btn = gr.Button("加载 / Load", scale=1, elem_id="au-load")
        editor = gr.Code(label="场景 YAML / Scenario YAML", language="yaml", lines=24, interactive=True,
                         elem_id="au-editor")
        with gr.Row():
            validate_btn = gr.Button("校验 / Validate", elem_id="au-validate")
            script = gr.Radio(["good", "poor"], value="good", label="试跑学员 / Scripted trainee", elem_id="au-script")
            seed = gr.Number(label="种子 / Seed", value=0, precision=0, elem_id="au-seed")
            preview_btn = gr.Button("试跑 / Preview", elem_id="au-preview-btn")
            publish_btn = gr.Button("发布 / Publish", variant="primary", elem_id="au-publish")
        message = gr.Markdown(elem_id="au-message")
        transcript = gr.HTML(elem_id="au-preview")
        with gr.Accordion("版本历史 / Version history", open=True):
            version_note = gr.Markdown(elem_id="au-version")
            history = gr.Dataframe(headers=author_versions.HISTORY_COLUMNS, value=[], interactive=False,
                                   elem_id="au-history", datatype=["number", "str", "str", "str"], max_height=220)
            with gr.Row():
                diff_a = gr.Dropdown(label="旧版本 / From", choices=[], scale=1, elem_id="au-diff-a")
                diff_b = gr.Dropdown(label="新版本 / To", choices=[], scale=1, elem_id="au-diff-b")
                diff_btn = gr.Button("比较 / Compare", scale=1, elem_id="au-diff-btn")
            diff_view = gr.HTML(elem_id="au-diff")
    with gr.Accordion("异议手册 / Playbooks", open=False):
        with gr.Row():
            pb_picker = gr.Dropdown(label="手册 / Playbook", choices=[], scale=3, elem_id="au-playbook")
            pb_load = gr.Button("加载 / Load", scale=1, elem_id="au-pb-load")
        pb_editor = gr.Code(label="手册 YAML / Playbook YAML", language="yaml", lines=20, interactive=True,
                            elem_id="au-pb-editor")
        with gr.Row():
            pb_validate = gr.Button("校验 / Validate", elem_id="au-pb-validate")
            pb_save = gr.Button("保存 / Save", variant="primary", elem_id="au-pb-save")
        pb_message = gr.Markdown(elem_id="au-pb-message")
    author_import.build(user_state, require_author, lang_of)

    def versions_view(scenario_id, version, lang):
        """The note, the history table and the two diff pickers (previous → shown version preselected)."""
        rows = author_versions.history_rows(scenario_id, lang)
        numbers = [r[0] for r in rows]
        older = [n for n in numbers if n < version]
        return (author_versions.loaded_note(scenario_id, version, lang), rows,
                gr.update(choices=numbers, value=older[0] if older else version),
                gr.update(choices=numbers, value=version), "")

    version_outputs = [version_note, history, diff_a, diff_b, diff_view]

    def do_load(user, scenario_id):
        require_author(user)
        if not scenario_id:
            return gr.update(), "", "", *[gr.update()] * len(version_outputs)
        version, text = scenario_version(scenario_id)
        return text, "", "", *versions_view(scenario_id, version, lang_of(user))

    load_btn.click(guarded(do_load), [user_state, picker], [editor, message, transcript, *version_outputs])

    def do_diff(user, scenario_id, old, new):
        require_author(user)
        return author_versions.diff_html(scenario_id, old, new, lang_of(user))

    diff_btn.click(guarded(do_diff), [user_state, picker, diff_a, diff_b], [diff_view])

    def pick_row(evt: gr.SelectData, rows):
        try:
            return rows.iloc[evt.index[0], 0] if hasattr(rows, "iloc") else rows[evt.index[0]][0]
        except (TypeError, IndexError):
            return gr.update()

    table.select(pick_row, [table], [picker])

    def do_validate(user, text):
        require_author(user)
        return validate_text(text, lang_of(user))[1]

    validate_btn.click(guarded(do_validate), [user_state, editor], [message])

    def do_preview(user, text, chosen, number):
        require_author(user)
        return run_preview(text, chosen, number, lang_of(user))

    preview_btn.click(guarded(do_preview), [user_state, editor, script, seed], [message, transcript])

    def do_publish(user, text):
        result = publish_text(user, text)
        rows = scenario_rows()
        from scenarios import ScenarioError, parse_scenario, stamp_version

        try:
            scenario_id = parse_scenario(text, "editor").id
            version = scenario_version(scenario_id)[0]
        except (ScenarioError, LookupError):  # nothing was published: the editor keeps what was typed
            return result, rows, gr.update(choices=[r[0] for r in rows]), gr.update(), *[gr.update()] * 5
        # the editor keeps the trainer's text (comments too) with its version line showing the stored number
        return (result, rows, gr.update(choices=[r[0] for r in rows], value=scenario_id), stamp_version(text, version),
                *versions_view(scenario_id, version, lang_of(user)))

    publish_btn.click(guarded(do_publish), [user_state, editor], [message, table, picker, editor, *version_outputs])

    def do_pb_load(user, objection):
        require_author(user)
        return (playbook_text(objection) if objection else gr.update()), ""

    pb_load.click(guarded(do_pb_load), [user_state, pb_picker], [pb_editor, pb_message])

    def do_pb_validate(user, text):
        require_author(user)
        return check_playbook(text, lang_of(user))[1]

    pb_validate.click(guarded(do_pb_validate), [user_state, pb_editor], [pb_message])
    pb_save.click(guarded(save_playbook), [user_state, pb_editor], [pb_message])

    def refresh(user):
        if not user or not (AUTHORS & set(user.get("roles", []))):
            return [], gr.update(choices=[]), gr.update(choices=[])
        rows = scenario_rows()
        return rows, gr.update(choices=[r[0] for r in rows]), gr.update(choices=playbook_choices())

    return {"refresh": (guarded(refresh), [user_state], [table, picker, pb_picker])}
