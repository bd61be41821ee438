"""The LLM's part of the Review page: who wrote each customer line (LLM or offline customer), and a mentor's
"second opinion" from the LLM judge, shown beside the offline grade and never replacing it (nothing stored).

Pure functions render HTML (every text escaped) and are tested without a server; ``build`` adds the button.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

WORDS = {
    "zh": {"source": "来源", "llm": "LLM", "offline": "离线客户", "notices": "提示", "button": "LLM 第二意见",
           "offline_grade": "离线评分", "judge": "LLM 第二意见", "failed": "LLM 第二意见不可用",
           "no_turn": "请先打开会话并填写学员那一轮的 turn_id", "not_graded": "turn {turn_id} 不是学员的已评分回复",
           "steps": "步骤", "never": "（仅供参考，不改变分数）", "no_llm": "未配置 LLM：设置 COACH_LLM_MODEL、"
           "OPENAI_BASE_URL、OPENAI_API_KEY 后可用（见 docs/llm.md）"},
    "en": {"source": "Source", "llm": "LLM", "offline": "offline customer", "notices": "notices",
           "button": "LLM second opinion", "offline_grade": "Offline grade", "judge": "LLM second opinion",
           "failed": "LLM second opinion unavailable", "no_turn": "Open a session and give a trainee turn's turn_id",
           "not_graded": "turn {turn_id} is not a graded trainee reply", "steps": "steps",
           "never": "(for reference only; the score does not change)",
           "no_llm": "No LLM configured: set COACH_LLM_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY (see docs/llm.md)"},
}


def w(key: str, lang: str) -> str:
    return WORDS["en" if lang == "en" else "zh"][key]


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def origin_html(origin: dict[str, Any], lang: str) -> str:
    """A small line under a customer turn: LLM (model) or offline customer, plus the notices shown then."""
    who = f"{w('llm', lang)} ({esc(origin.get('model') or '?')})" if origin.get("source") == "llm" \
        else w("offline", lang)
    notices = " / ".join(esc(n) for n in origin.get("notices") or [])
    extra = f" · {w('notices', lang)}: {notices}" if notices else ""
    return f"<br><small class='rv-origin'>{w('source', lang)}: {who}{extra}</small>"


def graded_turn(detail: dict[str, Any], turn_id: int) -> tuple[str, dict[str, Any]]:
    """The customer line before a graded trainee turn, and that turn; LookupError when it is not one."""
    customer = ""
    for turn in detail["turns"]:
        if turn["turn_id"] == turn_id:
            if "score" not in turn:
                break
            return customer, turn
        if turn["speaker"] == "customer":
            customer = turn["text"]
    raise LookupError(w("not_graded", "en").format(turn_id=turn_id))


def second_opinion_html(detail: dict[str, Any], turn_id: int, lang: str, judge: Callable[..., Any]) -> str:
    """The offline grade and the judge's opinion side by side; an unavailable judge is said, not raised."""
    customer, turn = graded_turn(detail, turn_id)
    grade = turn.get("grade") or {}
    objection = turn.get("objection") or grade.get("objection") or "none"
    opinion = judge(customer, turn["text"], objection, grade.get("lang") or lang)
    offline = f"<div><b>{w('offline_grade', lang)}</b>: {esc(turn['score'])}</div>"
    if opinion.error:
        right = f"<div><b>{w('failed', lang)}</b>: {esc(opinion.error)}</div>"
    else:
        steps = ", ".join(s for s, ok in (opinion.steps or {}).items() if ok) or "-"
        right = (f"<div><b>{w('judge', lang)}</b> ({esc(opinion.model)}): {esc(opinion.score)} · "
                 f"{w('steps', lang)}: {esc(steps)}<br><small>{esc(opinion.rationale)}</small></div>")
    return (f"<div class='rv-second-opinion' style='display:flex;gap:24px'>{offline}{right}</div>"
            f"<small>turn_id {turn_id} {w('never', lang)}</small>")


def build(user_state, session_id, turn_id, viewer: Callable, lang_of: Callable) -> None:
    """The second-opinion button and its output, placed where the caller is laying out the page."""
    import gradio as gr

    from coach import review

    button = gr.Button(f"{WORDS['zh']['button']} / {WORDS['en']['button']}", size="sm", elem_id="rv-second-opinion")
    out = gr.HTML(elem_id="rv-second-opinion-out")

    def run(user, sid, tid):
        lang = lang_of(user)
        if not sid or not tid:
            raise gr.Error(w("no_turn", lang))
        from knowledge.settings import get_settings

        if not get_settings().llm_enabled:
            return f"<p>{w('no_llm', lang)}</p>"
        from coach.grading.llm_judge import judge_reply

        try:
            detail = review.session_detail(viewer(user), int(sid))
            return second_opinion_html(detail, int(tid), lang, judge_reply)
        except (PermissionError, LookupError) as exc:
            raise gr.Error(str(exc)) from exc

    button.click(run, [user_state, session_id, turn_id], [out])
