"""Mentor takeover on the Review page (渐进式放权): take a live guided session over, answer the customer as
the rep (the mentor's turns are marked and never graded against the trainee), hand it back, and watch the
conversation as it happens. ``live_html`` is a pure function tested without a server; ``build`` adds the
controls inside the live-sessions panel."""

from __future__ import annotations

import html
from collections.abc import Callable

import gradio as gr

WORDS = {
    "zh": {"take": "接管对话", "back": "交还学员", "say": "以导师身份回复客户", "send": "发送给客户",
           "customer": "客户", "trainee": "学员", "mentor": "导师（接管）", "held_mentor": "导师正在接管，学员观摩中",
           "held_trainee": "学员正在对话", "no_id": "请先填写会话编号", "empty": "还没有对话"},
    "en": {"take": "Take over", "back": "Hand back", "say": "Reply to the customer as the mentor",
           "send": "Send to customer", "customer": "Customer", "trainee": "Trainee", "mentor": "Mentor (takeover)",
           "held_mentor": "You hold the conversation; the trainee is watching",
           "held_trainee": "The trainee holds the conversation", "no_id": "Enter a session id first",
           "empty": "No turns yet"},
}


def w(key: str, lang: str) -> str:
    return WORDS["en" if lang == "en" else "zh"][key]


def live_html(turns: list[dict], holder: dict, lang: str) -> str:
    """The live conversation with who holds it; every text escaped, the mentor's turns highlighted."""
    state = w("held_mentor" if holder.get("by") == "mentor" else "held_trainee", lang)
    rows = [f"<p class='tk-holder'><b>{html.escape(state)}</b></p>"]
    for turn in turns:
        style = " style='background:#eef6ff'" if turn["speaker"] == "mentor" else ""
        who = w(turn["speaker"] if turn["speaker"] in ("customer", "trainee", "mentor") else "customer", lang)
        rows.append(f"<p class='tk-turn tk-{turn['speaker']}'{style}><b>{html.escape(who)}：</b>"
                    f"{html.escape(turn['text'])}</p>")
    if not turns:
        rows.append(f"<p>{html.escape(w('empty', lang))}</p>")
    return "\n".join(rows)


def build(practice, user_state: gr.State, live_id: gr.Number, viewer: Callable, lang_of: Callable,
          guarded: Callable) -> None:
    """Take-over / hand-back buttons, the mentor's reply box and the live view (refreshed every 3 s)."""
    from coach.progression.takeover import controller, hand_back, mentor_reply, take_over, turns_since

    with gr.Row():
        take_btn = gr.Button("接管对话 / Take over", elem_id="rv-take-over")
        back_btn = gr.Button("交还学员 / Hand back", elem_id="rv-hand-back")
    with gr.Row():
        say = gr.Textbox(label="以导师身份回复客户 / Reply to the customer as the mentor", elem_id="rv-mentor-say")
        say_btn = gr.Button("发送给客户 / Send to customer", variant="primary", elem_id="rv-mentor-send")
    view = gr.HTML(elem_id="rv-live-view")
    ticker = gr.Timer(3.0, active=False)  # runs only while a live session is chosen: idle pages send nothing

    def session_of(sid):
        if not sid:
            raise ValueError(w("no_id", "zh") + " / " + w("no_id", "en"))
        return int(sid)

    def show(user, sid):
        if not user or not sid:
            return gr.update()
        sid = int(sid)
        who = viewer(user)
        return live_html(turns_since(sid, who), controller(sid), lang_of(user))

    def do_take(user, sid):
        take_over(session_of(sid), viewer(user))
        return show(user, sid)

    def do_back(user, sid):
        hand_back(session_of(sid), viewer(user))
        return show(user, sid)

    def do_say(user, sid, text):
        mentor_reply(practice, session_of(sid), viewer(user), text)
        return "", show(user, sid)

    take_btn.click(guarded(do_take), [user_state, live_id], [view])
    back_btn.click(guarded(do_back), [user_state, live_id], [view])
    say_btn.click(guarded(do_say), [user_state, live_id, say], [say, view])
    ticker.tick(guarded(show), [user_state, live_id], [view])
    live_id.change(lambda sid: gr.Timer(active=bool(sid)), [live_id], [ticker])
