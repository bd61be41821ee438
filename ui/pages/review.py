"""Review page (mentor): filter and open trainees' sessions, read each turn's grade and evidence, override
a score with a required comment, sign off gates, watch live guided sessions and whisper, team dashboard.

The pure functions (tables, transcript HTML, dashboard figure) are tested without a server; every text
from trainees, customers or mentors is escaped before it reaches HTML.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from ui import private_files
from ui.messages import refusal_text
from ui.pages import review_llm, review_takeover
from ui.pages.review_llm import origin_html
from ui.services import Services

WORDS = {
    "zh": {"filters": "筛选", "trainee": "学员", "scenario": "场景", "min": "最低分", "max": "最高分",
           "since": "开始日期 (YYYY-MM-DD)", "until": "结束日期", "objection": "异议类型", "search": "查询",
           "session": "会话编号", "open": "打开", "turn": "轮次编号 (turn_id)", "new_score": "新分数",
           "comment": "理由（必填）", "override_turn": "修改该轮分数", "override_session": "修改整场分数",
           "gate": "关卡", "signoff": "签字通过", "live": "实时观摩（引导模式）", "refresh": "刷新",
           "whisper": "悄悄话提示（仅学员可见）", "send": "发送", "dashboard": "团队看板", "export_md": "导出 Markdown",
           "export_pdf": "导出 PDF", "export_csv": "导出团队 CSV", "weakest": "团队最薄弱的异议类型（平均分）",
           "trend": "学员得分趋势", "customer": "客户", "trainee_turn": "学员", "whisper_turn": "导师悄悄话",
           "mentor_turn": "导师（接管）", "control_mentor": "导师接管了对话", "control_trainee": "导师把对话交还学员",
           "score": "得分", "original": "原始分", "steps": "步骤", "anti": "反模式", "evidence": "依据",
           "reviews": "导师点评", "gates_passed": "已通过关卡", "awaiting": "待签字", "sessions": "练习次数",
           "no_data": "暂无数据", "saved": "已保存", "unsure": "评分把握不大，请复核",
           "unsure_waiting": "待复核的评分", "review_could_open": "复核评分后可能通过"},
    "en": {"filters": "Filters", "trainee": "Trainee", "scenario": "Scenario", "min": "Min score", "max": "Max score",
           "since": "From (YYYY-MM-DD)", "until": "To", "objection": "Objection type", "search": "Search",
           "session": "Session id", "open": "Open", "turn": "Turn id (turn_id)", "new_score": "New score",
           "comment": "Reason (required)", "override_turn": "Override turn score",
           "override_session": "Override session score", "gate": "Gate", "signoff": "Sign off",
           "live": "Live guided sessions", "refresh": "Refresh", "whisper": "Whisper hint (trainee only)",
           "send": "Send", "dashboard": "Team dashboard", "export_md": "Export Markdown", "export_pdf": "Export PDF",
           "export_csv": "Export team CSV", "weakest": "Team's weakest objection types (mean score)",
           "trend": "Score trend per trainee", "customer": "Customer", "trainee_turn": "Trainee",
           "whisper_turn": "Mentor whisper", "mentor_turn": "Mentor (takeover)",
           "control_mentor": "The mentor took the conversation over", "control_trainee": "The mentor handed it back",
           "score": "Score", "original": "original", "steps": "steps",
           "anti": "anti-patterns", "evidence": "evidence", "reviews": "Mentor reviews",
           "gates_passed": "Gates passed", "awaiting": "Awaiting sign-off", "sessions": "Sessions",
           "no_data": "No data yet", "saved": "Saved", "unsure": "unsure grade, please review",
           "unsure_waiting": "Unsure grades to review", "review_could_open": "a review may open it"},
}
SESSION_COLUMNS = ["session_id", "trainee", "scenario_id", "score", "unsure", "status", "mode", "objections",
                   "started_at"]


def w(key: str, lang: str) -> str:
    return WORDS.get(lang, WORDS["zh"]).get(key, key)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def sessions_table(rows: list[dict[str, Any]], lang: str = "zh") -> list[list[Any]]:
    """list_sessions rows -> Dataframe rows (text escaped: the Dataframe may render Markdown; ids as words)."""
    from ui.messages import label

    out = []
    for row in rows:
        out.append([row["session_id"], esc(row["trainee"]), esc(row["scenario_id"]),
                    row["score"] if row["score"] is not None else "", row.get("unsure") or "",
                    label("status", row["status"], lang),
                    label("mode", row["mode"], lang), esc(", ".join(label("objection", o, lang) for o in row["objections"])),
                    row["started_at"]])
    return out


def when(value: str | None) -> str:
    """ISO time from the store -> ``2026-11-29 14:35 UTC``."""
    if not value:
        return "-"
    return value.replace("T", " ")[:16] + " UTC"


def review_line(review: dict[str, Any], lang: str) -> str:
    """One audit-trail entry: which reply (by its number), score before -> after, who, when, why."""
    zh = lang != "en"
    if review.get("turn_id") is None:
        what = "整场" if zh else "whole session"
    elif review.get("turn_no"):
        what = f"第 {review['turn_no']} 轮回复" if zh else f"reply {review['turn_no']}"
    else:
        what = "某轮回复" if zh else "a reply"
    before = review.get("before")
    scores = f"{_num(before)} → {_num(review['override_score'])}" if before is not None else \
        f"→ {_num(review['override_score'])}"
    who = esc(review.get("reviewer_name") or review["reviewer"])
    if review.get("reviewer_name") and review.get("reviewer_name") != review["reviewer"]:
        who += f" ({esc(review['reviewer'])})"
    return (f"<b>{what}</b> · {w('score', lang)} {scores} · {who} · {esc(when(review['at']))} · "
            f"{'理由' if zh else 'reason'}: {esc(review['comment'])}")


def _num(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return esc(value)


def stored_opinion_html(judge: dict[str, Any], lang: str) -> str:
    """The LLM judge's second opinion stored with an unsure grade, under it: score, model and reason, or why it
    failed (the mentor sees the server's words; the trainee was only told it was unavailable)."""
    if judge.get("error") or judge.get("score") is None:
        said = f"<b>{review_llm.w('failed', lang)}</b>: {esc(judge.get('error') or '-')}"
    else:
        said = (f"<b>{review_llm.w('judge', lang)}</b> ({esc(judge.get('model') or '?')}): {esc(judge['score'])}"
                f" · {esc(judge.get('rationale') or '')} {review_llm.w('never', lang)}")
    return f"<br><small class='rv-judge'>{said}</small>"


def transcript_html(detail: dict[str, Any], lang: str) -> str:
    """A session's turns with per-turn score, steps, anti-patterns and the same readable evidence the trainee
    saw; every text escaped and every id shown as words."""
    from ui.messages import evidence_lines, label

    zh = lang != "en"
    parts = [f"<h3>#{detail['session_id']} · {esc(detail['scenario_id'])} · {esc(detail['name'])}</h3>",
             f"<p>{w('score', lang)}: <b>{esc(detail['score'])}</b> · {label('outcome', detail['outcome'], lang)} · "
             f"{label('mode', detail['mode'], lang)} · {label('status', detail.get('status'), lang)}</p>"]
    for turn in detail["turns"]:
        if turn["speaker"] == "control":  # takeover events: who held the conversation from here
            event = w("control_mentor" if turn["text"] == "mentor" else "control_trainee", lang)
            parts.append(f"<div class='rv-control' style='padding:2px 8px;color:#666'><small>— {event} —</small></div>")
            continue
        who = {"customer": w("customer", lang), "trainee": w("trainee_turn", lang),
               "whisper": w("whisper_turn", lang), "mentor": w("mentor_turn", lang)}.get(
            turn["speaker"], esc(turn["speaker"]))
        if turn.get("no"):
            who = f"{who} {'第' + str(turn['no']) + '轮' if zh else '#' + str(turn['no'])}"
        style = "background:#f4f8ff" if turn["speaker"] == "trainee" else (
            "background:#fff8e6" if turn["speaker"] == "whisper" else
            "background:#eef6ff" if turn["speaker"] == "mentor" else "")
        body = f"<b>{who}</b>: {esc(turn['text'])}"
        if turn.get("origin"):  # LLM (model) or offline customer, and the notices shown then
            body += origin_html(turn["origin"], lang)
        if "score" in turn:
            grade = turn.get("grade") or {}
            original = (f" ({w('original', lang)} {esc(turn['original_score'])})"
                        if turn.get("override_score") is not None else "")
            anti = ", ".join(label("anti", a, lang) for a in grade.get("anti_patterns") or []) or "-"
            body += (f"<br><small>{w('score', lang)} <b>{esc(turn['score'])}</b>{original}"
                     f" · {w('objection', lang)}: {label('objection', turn.get('objection'), lang)}"
                     f" · {w('anti', lang)}: {anti} · turn_id {turn['turn_id']}"
                     + (f" · <b>⚠ {w('unsure', lang)}</b>" if turn.get("unsure") else "") + "</small>")
            rows = evidence_lines(grade, lang)
            if rows:
                body += (f"<br><small>{w('evidence', lang)}:</small><ul style='margin:0'>"
                         + "".join(f"<li><small>{row}</small></li>" for row in rows) + "</ul>")
            if isinstance(grade.get("judge"), dict):  # asked on its own during practice (unsure grades)
                body += stored_opinion_html(grade["judge"], lang)
        parts.append(f"<div style='padding:4px 8px;margin:2px 0;{style}'>{body}</div>")
    if detail["reviews"]:
        parts.append(f"<h4>{w('reviews', lang)}</h4><ul class='rv-audit'>")
        parts.extend(f"<li>{review_line(review, lang)}</li>" for review in detail["reviews"])
        parts.append("</ul>")
    return "\n".join(parts)


def _cjk_matplotlib() -> None:
    from matplotlib import font_manager, rcParams

    from coach.review import cjk_font

    font = cjk_font()
    if font:
        try:
            font_manager.fontManager.addfont(font)
            name = font_manager.FontProperties(fname=font).get_name()
            rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
        except Exception:  # a broken font only costs the Chinese labels, not the page
            pass


def dashboard_figure(overview: dict[str, Any], lang: str):
    """Two panels: the team's weakest objection types (bars, worst first) and each trainee's score trend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _cjk_matplotlib()
    fig, (bars, trend) = plt.subplots(1, 2, figsize=(11, 4))
    weakest = overview["weakest_objections"][:8]
    if weakest:
        from ui.messages import label

        names = [html.unescape(label("objection", d["objection"], lang)) for d in weakest][::-1]
        means = [d["mean"] for d in weakest][::-1]
        colors = ["#d9534f" if m < 60 else "#f0ad4e" if m < 80 else "#5cb85c" for m in means]
        bars.barh(names, means, color=colors)
        bars.set_xlim(0, 100)
        for y, m in enumerate(means):
            bars.text(m + 1, y, f"{m:g}", va="center")
    else:
        bars.text(0.5, 0.5, w("no_data", lang), ha="center", transform=bars.transAxes)
    bars.set_title(w("weakest", lang))
    _trend_panel(trend, overview, lang)
    if any(t["trend"] for t in overview["trainees"]):
        trend.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _trend_panel(trend, overview: dict[str, Any], lang: str) -> None:
    """Each trainee's session scores against the day they practised: a date axis (time is what is meant),
    whole-number score ticks."""
    from datetime import datetime

    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator

    for trainee in overview["trainees"]:
        points = [(datetime.fromisoformat(p["date"]), p["score"]) for p in trainee["trend"] if p.get("date")]
        if points:
            trend.plot([d for d, _ in points], [s for _, s in points], marker="o", label=trainee["name"])
    locator = mdates.AutoDateLocator(minticks=2, maxticks=6)
    trend.xaxis.set_major_locator(locator)
    trend.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    trend.yaxis.set_major_locator(MaxNLocator(integer=True))
    trend.set_ylim(0, 100)
    trend.set_xlabel("练习日期" if lang != "en" else "session date")
    trend.set_title(w("trend", lang))


def team_markdown(overview: dict[str, Any], lang: str) -> str:
    from ui.messages import label

    def gate_names(ids: list[str]) -> str:
        from coach.progression import load_gates

        titles = {g.id: (g.title.en if lang == "en" else g.title.zh) for g in load_gates()}
        return esc(", ".join(titles.get(i, i) for i in ids) or "-")

    def awaiting(trainee: dict[str, Any]) -> str:
        """Gates awaiting sign-off, then those a review of unsure grades may open (marked so)."""
        held = gate_names(trainee["awaiting_signoff"])
        could = trainee.get("review_could_open") or []
        if not could:
            return held
        mark = w("review_could_open", lang)
        return (held + "; " if trainee["awaiting_signoff"] else "") + f"{gate_names(could)} ({mark})"

    lines = [f"| {w('trainee', lang)} | {w('sessions', lang)} | {w('gates_passed', lang)} | {w('awaiting', lang)} "
             f"| {w('objection', lang)} | {w('unsure_waiting', lang)} |", "|---|---|---|---|---|---|"]
    for t in overview["trainees"]:
        weak = ", ".join(f"{label('objection', d['objection'], lang)} {d['mean']:g}" for d in t["weakest"]) or "-"
        lines.append(f"| {esc(t['name'])} ({esc(t['trainee'])}) | {t['sessions']} | "
                     f"{gate_names(t['gates_passed'])} | {awaiting(t)} | {weak} | "
                     f"{t.get('unsure', 0)} |")
    return "\n".join(lines)


def build(services: Services, user_state: gr.State, i18n) -> dict:
    """Build the mentor page inside the caller's Tab; returns {"refresh": (fn, inputs, outputs)}."""
    from coach import review
    from coach.progression import active_guided_sessions, as_user, load_gates, send_whisper
    from knowledge.taxonomy import OBJECTION_TYPES

    def lang_of(user):
        return (user or {}).get("lang", "zh")

    def viewer(user):
        if not user:
            raise gr.Error("请先登录 / Please sign in")
        return as_user(int(user["id"]))

    def guarded(fn):
        """Turn refusals and bad input into a message box, never a stack trace."""
        def run(*args):
            try:
                return fn(*args)
            except (PermissionError, LookupError, ValueError, review.ExportError) as exc:
                user = next((a for a in args if isinstance(a, dict) and "id" in a), None)
                raise gr.Error(refusal_text(exc, lang_of(user))) from exc
        return run

    with gr.Accordion("筛选 / Filters", open=True):
        with gr.Row():
            f_trainee = gr.Dropdown(label="学员 / Trainee", choices=[], allow_custom_value=False, elem_id="rv-trainee")
            f_scenario = gr.Textbox(label="场景 / Scenario id", elem_id="rv-scenario")
            f_objection = gr.Dropdown(label="异议 / Objection", choices=["", *OBJECTION_TYPES], value="",
                                      elem_id="rv-objection")
        with gr.Row():
            # an empty gr.Number shows and sends 0, so the defaults are the full range
            f_min = gr.Number(label="最低分 / Min", value=0, minimum=0, maximum=100, elem_id="rv-min")
            f_max = gr.Number(label="最高分 / Max", value=100, minimum=0, maximum=100, elem_id="rv-max")
            f_since = gr.Textbox(label="开始 / From (YYYY-MM-DD)", elem_id="rv-since")
            f_until = gr.Textbox(label="结束 / To (YYYY-MM-DD)", elem_id="rv-until")
            f_unsure = gr.Checkbox(label="只看把握不大的评分 / Only unsure grades", value=False, elem_id="rv-unsure")
            search = gr.Button("查询 / Search", variant="primary", elem_id="rv-search")
    table = gr.Dataframe(headers=SESSION_COLUMNS, value=[], interactive=False, wrap=True, elem_id="rv-sessions")
    with gr.Row():
        session_id = gr.Number(label="会话编号 / Session id", precision=0, elem_id="rv-session-id")
        open_btn = gr.Button("打开 / Open", elem_id="rv-open")
        export_md = gr.Button("导出 Markdown / Export Markdown", size="sm", elem_id="rv-export-md")
        export_pdf = gr.Button("导出 PDF / Export PDF", size="sm", elem_id="rv-export-pdf")
        export_csv = gr.Button("团队 CSV / Team CSV", size="sm", elem_id="rv-export-csv")
    export_file = gr.File(label="导出文件 / Export", interactive=False, elem_id="rv-export-file")
    transcript = gr.HTML(elem_id="rv-transcript")
    with gr.Row():
        turn_id = gr.Number(label="轮次 turn_id", precision=0, elem_id="rv-turn-id")
        new_score = gr.Number(label="新分数 / New score", minimum=0, maximum=100, elem_id="rv-new-score")
        comment = gr.Textbox(label="理由（必填）/ Reason (required)", elem_id="rv-comment")
    with gr.Row():
        override_turn_btn = gr.Button("修改该轮分数 / Override turn", elem_id="rv-override-turn")
        override_session_btn = gr.Button("修改整场分数 / Override session", elem_id="rv-override-session")
    review_msg = gr.Markdown(elem_id="rv-message")
    review_llm.build(user_state, session_id, turn_id, viewer, lang_of)  # LLM second opinion beside the grade
    with gr.Row():
        s_trainee = gr.Dropdown(label="学员 / Trainee", choices=[], elem_id="rv-signoff-trainee")
        s_gate = gr.Dropdown(label="关卡 / Gate", choices=[(f"{g.title.zh} / {g.title.en}", g.id)
                                                         for g in load_gates() if g.signoff or g.review_unsure],
                             elem_id="rv-gate")  # a gate held for unsure grades can be signed off too
        signoff_btn = gr.Button("签字通过 / Sign off", elem_id="rv-signoff")
    with gr.Accordion("实时观摩 / Live guided sessions", open=False):
        live_table = gr.Dataframe(headers=["session_id", "trainee", "scenario_id", "started_at"], value=[],
                                  interactive=False, elem_id="rv-live")
        with gr.Row():
            live_id = gr.Number(label="会话编号 / Session id", precision=0, elem_id="rv-live-id")
            whisper_text = gr.Textbox(label="悄悄话提示（仅学员可见）/ Whisper (trainee only)", elem_id="rv-whisper")
            whisper_btn = gr.Button("发送 / Send", elem_id="rv-whisper-send")
            live_refresh = gr.Button("刷新 / Refresh", size="sm", elem_id="rv-live-refresh")
        review_takeover.build(services.practice, user_state, live_id, viewer, lang_of, guarded)
    with gr.Accordion("团队看板 / Team dashboard", open=True):
        plot = gr.Plot(elem_id="rv-plot")
        team_md = gr.Markdown(elem_id="rv-team")
        dash_refresh = gr.Button("刷新看板 / Refresh dashboard", size="sm", elem_id="rv-dash-refresh")

    def do_search(user, trainee, scenario, objection, low, high, since, until, unsure_only):
        rows = review.list_sessions(viewer(user), trainee=trainee or None, scenario=(scenario or "").strip() or None,
                                    min_score=low if low else None,
                                    max_score=high if high is not None and high < 100 else None, since=(since or "").strip() or None,
                                    until=(until or "").strip() or None, objection=objection or None,
                                    unsure_only=bool(unsure_only))
        return sessions_table(rows, lang_of(user))

    filters = [user_state, f_trainee, f_scenario, f_objection, f_min, f_max, f_since, f_until, f_unsure]
    search.click(guarded(do_search), filters, [table])

    def do_open(user, sid):
        if not sid:
            raise ValueError("请输入会话编号 / enter a session id")
        return transcript_html(review.session_detail(viewer(user), int(sid)), lang_of(user))

    open_btn.click(guarded(do_open), [user_state, session_id], [transcript])

    def pick_row(evt: gr.SelectData, rows):
        try:
            return int(rows.iloc[evt.index[0], 0]) if hasattr(rows, "iloc") else int(rows[evt.index[0]][0])
        except (TypeError, ValueError, IndexError):
            return gr.update()

    table.select(pick_row, [table], [session_id])

    def do_override_turn(user, sid, tid, score, text):
        if tid is None or score is None:
            raise ValueError("请填写 turn_id 和新分数 / give a turn id and a score")
        result = review.override_turn(viewer(user), int(tid), score, text)
        return (f"✔ turn {result['turn_id']} → {result['score']:g} · {w('score', lang_of(user))} "
                f"{result['session_score']}", do_open(user, sid) if sid else gr.update(), "")

    def refresh_dashboard(user):
        """The team dashboard redrawn from what is stored now (after an override or a sign-off)."""
        who, lang = viewer(user), lang_of(user)
        overview = review.team_overview(who)
        return dashboard_figure(overview, lang), team_markdown(overview, lang)

    override_turn_btn.click(guarded(do_override_turn), [user_state, session_id, turn_id, new_score, comment],
                            [review_msg, transcript, comment]).success(
        guarded(refresh_dashboard), [user_state], [plot, team_md])

    def do_override_session(user, sid, score, text):
        if not sid or score is None:
            raise ValueError("请填写会话编号和新分数 / give a session id and a score")
        result = review.override_session(viewer(user), int(sid), score, text)
        return f"✔ session {result['session_id']} → {result['session_score']}", do_open(user, sid), ""

    override_session_btn.click(guarded(do_override_session), [user_state, session_id, new_score, comment],
                               [review_msg, transcript, comment]).success(
        guarded(refresh_dashboard), [user_state], [plot, team_md])

    def do_signoff(user, trainee, gate_id):
        if not trainee or not gate_id:
            raise ValueError("请选择学员和关卡 / choose a trainee and a gate")
        from coach.progression import get_gate
        from coach.progression.progress import status_word

        result = review.sign_off_gate(viewer(user), trainee, gate_id)
        lang = lang_of(user)
        title = get_gate(result["gate"]).title
        return (f"✔ {esc(result['trainee'])}: {esc(title.en if lang == 'en' else title.zh)} → "
                f"{esc(status_word(result['status'], lang != 'en'))}")

    signoff_btn.click(guarded(do_signoff), [user_state, s_trainee, s_gate], [review_msg]).success(
        guarded(refresh_dashboard), [user_state], [plot, team_md])
    dash_refresh.click(guarded(refresh_dashboard), [user_state], [plot, team_md])

    def export(user, sid, kind):
        who = viewer(user)
        folder = private_files.new_private_folder("exports", "coach-export-")  # 0700 under COACH_HOME/private
        if kind == "csv":
            path = folder / "team-results.csv"
            path.write_text(review.team_csv(who), encoding="utf-8-sig")  # BOM: Excel opens Chinese correctly
            return str(path), ""
        if not sid:
            raise ValueError("请输入会话编号 / enter a session id")
        if kind == "pdf":
            try:
                return str(review.session_pdf(who, int(sid), folder / f"session-{int(sid)}.pdf")), ""
            except review.ExportError as exc:
                path = folder / f"session-{int(sid)}.md"
                path.write_text(review.session_markdown(who, int(sid)), encoding="utf-8")
                return str(path), f"⚠ {esc(exc)}"
        path = folder / f"session-{int(sid)}.md"
        path.write_text(review.session_markdown(who, int(sid)), encoding="utf-8")
        return str(path), ""

    for button, kind in ((export_md, "md"), (export_pdf, "pdf"), (export_csv, "csv")):
        button.click(guarded(lambda user, sid, _k=kind: private_files.offer_result(export(user, sid, _k), user)),
                     [user_state, session_id],
                     [export_file, review_msg])

    def live_rows(user):
        return [[s["session_id"], esc(s["name"]), esc(s["scenario_id"]), s["started_at"]]
                for s in active_guided_sessions(viewer(user))]

    live_refresh.click(guarded(live_rows), [user_state], [live_table])

    def do_whisper(user, sid, text):
        if not sid:
            raise ValueError("请输入会话编号 / enter a session id")
        send_whisper(int(sid), viewer(user), text)
        return "", f"✔ {w('saved', lang_of(user))}"

    whisper_btn.click(guarded(do_whisper), [user_state, live_id, whisper_text], [whisper_text, review_msg])

    def refresh(user):
        if not user or not ({"mentor", "admin"} & set(user.get("roles", []))):
            empty = gr.update(choices=[])
            return empty, [], empty, None, "", []
        who = viewer(user)
        lang = lang_of(user)
        overview = review.team_overview(who)
        names = [(f"{t['name']} ({t['trainee']})", t["trainee"]) for t in overview["trainees"]]
        rows = sessions_table(review.list_sessions(who), lang)
        return (gr.update(choices=[("", ""), *names], value=""), rows, gr.update(choices=names),
                dashboard_figure(overview, lang), team_markdown(overview, lang), live_rows(user))

    return {"refresh": (guarded(refresh), [user_state], [f_trainee, table, s_trainee, plot, team_md, live_table])}
