"""Practice page (trainee): pick a scenario, meet the customer (and hear them), reply by typing or speaking,
see each score with its evidence, hints when the mode allows, mentor whispers, the scorecard and gate progress."""

from __future__ import annotations

import gradio as gr

from ui.messages import esc, grade_markdown, nav_options, persona_card, scorecard_markdown
from ui.services import Services
from ui.texts import t


def build(services: Services, user_state: gr.State, i18n) -> dict:
    session_state = gr.State(None)  # {"id", "lang", "nav", "hints", "mode", "whisper_idx"}, per browser session
    with gr.Row():
        scenario = gr.Dropdown(label=i18n("scenario"), choices=[], scale=4, elem_id="scenario-picker")
        start = gr.Button(i18n("start"), variant="primary", scale=1, elem_id="start-btn")
    with gr.Row():
        with gr.Column(scale=3):
            persona = gr.Markdown(elem_id="persona-card")
            chat = gr.Chatbot(label=i18n("customer"), height=420, elem_id="practice-chat",
                              sanitize_html=True, feedback_options=None)
            voice = gr.Audio(label="客户语音 / Customer voice", autoplay=True, interactive=False, type="filepath", elem_id="customer-voice",
                             visible=True)
            with gr.Row(visible=False, elem_id="nav-bar") as nav_row:
                nav_buttons = [gr.Button(size="sm", elem_id=f"nav-{i}") for i in range(3)]
            reply = gr.Textbox(label=i18n("your_reply"), lines=2, elem_id="reply-box")
            with gr.Row():
                send = gr.Button(i18n("send"), variant="primary", elem_id="send-btn")
                end = gr.Button(i18n("end"), elem_id="end-btn")
            with gr.Accordion("语音回复 / Speak your reply", open=False, elem_id="speak-panel"):
                mic = gr.Audio(sources=["microphone", "upload"], type="filepath", elem_id="reply-audio")
                transcribe_btn = gr.Button(elem_id="transcribe-btn", value="语音转文字 / Transcribe")
        with gr.Column(scale=2):
            grade_md = gr.Markdown(elem_id="grade-panel")
            hints_md = gr.Markdown(elem_id="hints-panel")
            background_md = gr.Markdown(elem_id="background-panel")
            scorecard_md = gr.Markdown(elem_id="scorecard-panel")
            steps_plot = gr.BarPlot(x="step", y="score", visible=False, elem_id="steps-plot", y_lim=[0, 100])
    timer = gr.Timer(3.0, active=False)

    def lang_of(user):
        return (user or {}).get("lang", "zh")

    def persona_of(sess):
        """The customer's persona, loaded once at the start of the session and kept in the browser's state."""
        from coach.roleplay.persona_view import PersonaView

        return PersonaView.model_validate(sess["persona"])

    def customer_audio(text, sess):
        """The customer's line as speech; silence (not an error) when no voice engine is installed."""
        try:
            from coach.voice import speak

            return str(speak(text, sess["lang"], persona_of(sess).gender, persona_id=str(sess["id"])))
        except Exception:
            return None

    def hints_for(sess, objection):
        if not sess or not sess.get("hints"):
            return ""
        from coach.hints import hints_markdown, next_reply_hints

        return hints_markdown(next_reply_hints(objection, sess["lang"], persona_of(sess), seed=sess["id"]),
                              sess["lang"])

    def background(sess):
        """Guided mode: what the trainee has learned about this customer so far, beside the chat."""
        if not sess or sess.get("mode") != "guided":
            return ""
        view = persona_of(sess)
        state = services.practice.customer_state(sess["id"])
        zh = sess["lang"] != "en"
        lines = ["**客户背景（引导模式）**" if zh else "**Customer background (guided mode)**",
                 f"{esc(view.title)} · {esc(view.company)}"]
        for key in state.revealed:
            if key in view.facts:
                lines.append(f"- {esc(key)}: {esc(view.facts[key])}")
        if state.raised:
            lines.append(("已提出的异议: " if zh else "Objections so far: ") + ", ".join(
                f"{o}{' ✔' if o in state.resolved else ''}" for o in state.raised))
        return "\n\n".join(lines)

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
        sess = {"id": view.session_id, "lang": view.lang, "nav": [], "hints": view.hints, "mode": view.mode,
                "whisper_idx": -1,
                # kept server-side in gr.State (never sent to the page): hints and voice need it every turn
                "persona": services.practice.persona_view(view.session_id).model_dump()}
        opening_objection = services.practice.customer_state(view.session_id).active
        mode_note = {"guided": "引导模式：提示常开" if view.lang == "zh" else "Guided mode: hints always on"}.get(
            view.mode, "")
        card = persona_card(view.persona_public, view.title, view.lang) + (f"\n\n*{mode_note}*" if mode_note else "")
        return (sess, card, [{"role": "assistant", "content": esc(view.opening)}], "", "",
                gr.update(visible=False), customer_audio(view.opening, sess),
                hints_for(sess, opening_objection), background(sess), gr.update(visible=False),
                gr.Timer(active=view.mode == "guided"))

    start.click(do_start, [scenario, user_state],
                [session_state, persona, chat, grade_md, scorecard_md, nav_row, voice, hints_md, background_md,
                 steps_plot, timer])

    def do_send(text, history, sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        keep = gr.update()
        if not sess:
            raise gr.Error(t("no_session", lang))
        if not (text or "").strip():
            raise gr.Error(t("empty_reply", lang))
        history = list(history or []) + [{"role": "user", "content": esc(text)},
                                         {"role": "assistant", "content": "…"}]
        yield history, "", keep, sess, gr.update(visible=False), *[keep] * 3, keep, keep, keep, keep, keep
        streamed, turn = "", None
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
                    yield history, keep, keep, sess, keep, *[keep] * 3, keep, keep, keep, keep, keep
                else:
                    turn = item
        except Exception as exc:
            raise gr.Error(str(exc)) from exc
        history[-1] = {"role": "assistant", "content": esc(turn.customer_text)}
        options = nav_options(turn.grade) if sess.get("hints") else []
        sess = {**sess, "nav": options}
        labels = [gr.update(value=o.get("label_" + lang) or o.get("label_zh", "")) for o in options[:3]]
        labels += [keep] * (3 - len(labels))
        grade = turn.grade if sess.get("hints") else {**turn.grade, "suggestion": ""}
        card_md, plot = keep, keep
        if turn.ended:
            card_md, plot = finish(sess, user)
        # the reply box was cleared by the first yield; leave it alone now so a new reply is not wiped
        yield (history, keep, grade_markdown(grade, lang), sess, gr.update(visible=bool(options)), *labels, card_md,
               customer_audio(turn.customer_text, sess),
               "" if turn.ended else hints_for(sess, turn.objection), background(sess), plot)

    send_outputs = [chat, reply, grade_md, session_state, nav_row, *nav_buttons, scorecard_md, voice, hints_md,
                    background_md, steps_plot]
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

    def finish(sess, user):
        """Scorecard markdown with gate progress, and the step chart."""
        import pandas as pd

        from coach.progression import after_session
        from coach.scorecard import session_scorecard

        lang = sess["lang"]
        card = session_scorecard(sess["id"])
        md = scorecard_markdown(card, lang)
        try:
            progress = after_session(user["id"])
            gates = progress.get("gates") or []
            pending = [g for g in gates if g.get("status") not in {"passed", "signed_off"}]
            if pending:
                title = pending[0].get("title") or {}
                name = title.get(lang) if isinstance(title, dict) else title
                md += ("\n\n**下一关：**" if lang == "zh" else "\n\n**Next gate:** ") + esc(name or pending[0]["id"])
        except Exception:  # progression is optional for the scorecard itself
            pass
        steps = card.get("step_averages") or {}
        from ui.messages import STEP_LABELS

        labels = STEP_LABELS["en" if lang == "en" else "zh"]
        frame = pd.DataFrame({"step": [labels.get(k, k) for k in steps], "score": [round(v, 1) for v in steps.values()]})
        return md, gr.update(value=frame, visible=bool(steps))

    def do_end(sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        if not sess:
            raise gr.Error(t("no_session", lang))
        services.practice.end(sess["id"], user["id"])
        md, plot = finish(sess, user)
        return md, plot, gr.Timer(active=False)

    end.click(do_end, [session_state, user_state], [scorecard_md, steps_plot, timer])

    def do_transcribe(path, current, sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        if not path:
            raise gr.Error("请先录音或上传音频" if lang == "zh" else "Record or upload audio first")
        try:
            from coach.voice import transcribe

            text = transcribe(path, lang).text
        except Exception as exc:
            raise gr.Error(str(exc)) from exc
        return (current + " " + text).strip() if current else text

    transcribe_btn.click(do_transcribe, [mic, reply, session_state, user_state], [reply])

    def poll_whispers(sess, user, hints):
        """A mentor's whisper appears only to this trainee, above the hints."""
        if not sess or not user:
            return sess, hints
        from coach.progression import whispers_since

        try:
            new = whispers_since(sess["id"], user["id"], sess.get("whisper_idx", -1))
        except Exception:
            return sess, hints
        if not new:
            return sess, hints
        sess = {**sess, "whisper_idx": new[-1]["idx"]}
        head = "**导师提示：**" if sess["lang"] == "zh" else "**Mentor whisper:**"
        note = "\n\n".join(f"{head} {esc(w['text'])}" for w in new)
        return sess, note + "\n\n" + (hints or "")

    timer.tick(poll_whispers, [session_state, user_state, hints_md], [session_state, hints_md])

    def refresh(user):
        return gr.update(choices=services.scenario_choices(user))

    return {"refresh": (refresh, [user_state], [scenario]), "chat": chat}
