"""Practice page (trainee): pick a scenario, meet the customer, reply, see each score and its evidence."""

from __future__ import annotations

import gradio as gr

from ui.messages import esc, grade_markdown, nav_options, persona_card, scorecard_markdown
from ui.services import Services
from ui.texts import t


def build(services: Services, user_state: gr.State, i18n) -> dict:
    session_state = gr.State(None)  # {"id": int, "lang": str, "nav": [...]}, per browser session
    with gr.Row():
        scenario = gr.Dropdown(label=i18n("scenario"), choices=[], scale=4, elem_id="scenario-picker")
        start = gr.Button(i18n("start"), variant="primary", scale=1, elem_id="start-btn")
    with gr.Row():
        with gr.Column(scale=3):
            persona = gr.Markdown(elem_id="persona-card")
            chat = gr.Chatbot(label=i18n("customer"), height=420, elem_id="practice-chat",
                              sanitize_html=True, feedback_options=None)
            with gr.Row(visible=False, elem_id="nav-bar") as nav_row:
                nav_title = gr.Markdown()
                nav_buttons = [gr.Button(size="sm", elem_id=f"nav-{i}") for i in range(3)]
            reply = gr.Textbox(label=i18n("your_reply"), lines=2, elem_id="reply-box")
            with gr.Row():
                send = gr.Button(i18n("send"), variant="primary", elem_id="send-btn")
                end = gr.Button(i18n("end"), elem_id="end-btn")
        with gr.Column(scale=2):
            grade_md = gr.Markdown(elem_id="grade-panel")
            scorecard_md = gr.Markdown(elem_id="scorecard-panel")

    def lang_of(user):
        return (user or {}).get("lang", "zh")

    def do_start(scenario_id, user):
        lang = lang_of(user)
        if not user:
            raise gr.Error(t("signin", lang))
        if not scenario_id:
            raise gr.Error(t("no_session", lang))
        try:
            from coach.progression import start_session

            view = start_session(services.practice, user["id"], scenario_id)
        except Exception as exc:  # show a message, never a stack trace
            raise gr.Error(str(exc)) from exc
        sess = {"id": view.session_id, "lang": view.lang, "nav": []}
        return (sess, persona_card(view.persona_public, view.title, view.lang),
                [{"role": "assistant", "content": esc(view.opening)}], "", "", gr.update(visible=False))

    start.click(do_start, [scenario, user_state],
                [session_state, persona, chat, grade_md, scorecard_md, nav_row])

    def do_send(text, history, sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        hidden = gr.update(visible=False)
        if not sess:
            raise gr.Error(t("no_session", lang))
        if not (text or "").strip():
            raise gr.Error(t("empty_reply", lang))
        history = list(history or []) + [{"role": "user", "content": esc(text)},
                                         {"role": "assistant", "content": "…"}]
        yield history, "", gr.update(), sess, hidden, *[gr.update()] * 3, gr.update()
        streamed = ""
        try:
            for item in services.practice.reply_stream(sess["id"], user["id"], text):
                if hasattr(item, "kind"):
                    if item.kind == "delta":
                        streamed += item.text
                    elif item.kind == "reset":
                        streamed = ""
                    elif item.kind == "notice":
                        gr.Info(item.text)
                    history[-1] = {"role": "assistant", "content": esc(streamed) or "…"}
                    yield history, gr.update(), gr.update(), sess, hidden, *[gr.update()] * 3, gr.update()
                else:
                    turn = item
        except Exception as exc:
            raise gr.Error(str(exc)) from exc
        history[-1] = {"role": "assistant", "content": esc(turn.customer_text)}
        options = nav_options(turn.grade)
        sess = {**sess, "nav": options}
        buttons = [gr.update(value=f"{o.get('label_' + lang) or o.get('label_zh', '')}") for o in options[:3]]
        buttons += [gr.update()] * (3 - len(buttons))
        card = gr.update()
        if turn.ended:
            card = scorecard_markdown(services_scorecard(services, sess["id"]), lang)
        # the reply box was cleared by the first yield; leave it alone now so a new reply is not wiped
        yield (history, gr.update(), grade_markdown(turn.grade, lang), sess, gr.update(visible=bool(options)),
               *buttons, card)

    send_outputs = [chat, reply, grade_md, session_state, nav_row, *nav_buttons, scorecard_md]
    send.click(do_send, [reply, chat, session_state, user_state], send_outputs)
    reply.submit(do_send, [reply, chat, session_state, user_state], send_outputs)

    for i, button in enumerate(nav_buttons):
        def insert(current, sess, i=i):
            options = (sess or {}).get("nav") or []
            if i >= len(options):
                return current
            phrase = options[i].get("phrase", "")
            return (current + " " + phrase).strip() if current else phrase
        button.click(insert, [reply, session_state], [reply])

    def do_end(sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        if not sess:
            raise gr.Error(t("no_session", lang))
        services.practice.end(sess["id"], user["id"])
        return scorecard_markdown(services_scorecard(services, sess["id"]), lang)

    end.click(do_end, [session_state, user_state], [scorecard_md])

    def refresh(user):
        return gr.update(choices=services.scenario_choices(user))

    nav_title.value = ""
    return {"refresh": (refresh, [user_state], [scenario]), "chat": chat}


def services_scorecard(services: Services, session_id: int) -> dict:
    """The session scorecard; the grading layer builds it from the stored turns."""
    from coach.scorecard import session_scorecard

    return session_scorecard(session_id)
