"""Practice page (trainee): pick a scenario, meet the customer (and hear them), reply by typing or speaking,
see each score with its evidence, hints when the mode allows, mentor whispers, the scorecard and gate progress.

A session lives in the database, not in the browser: after signing in again the trainee is offered their
unfinished session to resume or end. Refusals (a locked scenario, an empty reply) are one message in the
page's language in ``#practice-msg``; nothing else on the page changes.
"""

from __future__ import annotations

import json
import logging

import gradio as gr

from coach.practice import needs_second_opinion
from coach.roleplay.realizer import SpokenLine
from ui.messages import (
    bold_label,
    chat_messages,
    error_text,
    esc,
    grade_markdown,
    judge_markdown,
    label,
    nav_options,
    next_gate_markdown,
    persona_card,
    scorecard_markdown,
    step_chart_frame,
    step_chart_titles,
)
from ui.pages import practice_watch
from ui.services import Services
from ui.texts import t

# Runs in the browser at the moment of sending: it hands the typed reply on and empties the box in the same
# step, so nothing the server sends later can wipe a reply the trainee has started typing since.
TAKE_REPLY_JS = "(text) => [text, '']"
JUDGE_SLOTS = 4  # LLM second opinions running at once, for all trainees; they wait on the network, not the CPU
log = logging.getLogger(__name__)


def when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def llm_enabled() -> bool:
    from knowledge.settings import get_settings

    return get_settings().llm_enabled


def chain_second_opinion(event, fn, inputs, output):
    """Run the LLM judge as its own event chained after the reply's (``.then``), not inside ``do_send``.

    Gradio runs each event listener one call at a time unless told otherwise (``default_concurrency_limit`` is 1)
    and ``do_send`` is one listener for every trainee, so a judge call of 5-60 s after its last yield would hold
    every trainee's next reply behind it. Chained, it starts once the offline grade is on the page, in its own
    concurrency group ("llm-judge", ``JUDGE_SLOTS`` at once) that never takes a ``do_send`` slot. Which reply to
    judge travels in the hidden ``ask_judge`` box, read by the browser when the event starts (a ``gr.State`` is
    read when the queue gets to it, by then perhaps a later reply's); ``trigger_mode="multiple"`` lets a quick
    trainee's next unsure reply be judged while the last is still being asked (the default "once" would drop it);
    the progress overlay stays hidden so the offline grade is never covered."""
    return event.then(fn, inputs, [output], concurrency_id="llm-judge", concurrency_limit=JUDGE_SLOTS,
                      trigger_mode="multiple", show_progress="hidden")


def build(services: Services, user_state: gr.State, i18n) -> dict:
    session_state = gr.State(None)  # {"id", "lang", "nav", "hints", "mode", "whisper_idx", "persona"}
    open_state = gr.State(None)  # id of an unfinished session offered for resuming
    with gr.Row(visible=False, elem_id="resume-panel") as resume_row:
        resume_md = gr.Markdown(elem_id="resume-info")
        resume_btn = gr.Button(i18n("resume"), variant="primary", scale=0, elem_id="resume-btn")
        end_open_btn = gr.Button(i18n("end_open"), scale=0, elem_id="end-open-btn")
    with gr.Row():
        scenario = gr.Dropdown(label=i18n("scenario"), choices=[], scale=4, elem_id="scenario-picker")
        start = gr.Button(i18n("start"), variant="primary", scale=1, elem_id="start-btn")
    notice = gr.Markdown(elem_id="practice-msg")
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
            sent = gr.Textbox(visible="hidden", elem_id="reply-sent")  # the reply taken from the box at send
            # the unsure reply to ask the LLM judge about: {"session", "idx", "lang", "hints"} as JSON, or ""
            ask_judge = gr.Textbox(visible="hidden", elem_id="judge-ask")
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
    keep = gr.update()

    def lang_of(user):
        return "en" if (user or {}).get("lang") == "en" else "zh"

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
        lang = sess["lang"]
        lines = [bold_label("客户背景（引导模式）" if lang != "en" else "Customer background (guided mode)", lang),
                 f"{esc(view.title)} · {esc(view.company)}"]
        for key in state.revealed:
            if key in view.facts:
                lines.append(f"- {label('fact', key, lang)}: {esc(view.facts[key])}")
        if state.raised:
            lines.append(("已提出的异议: " if lang != "en" else "Objections so far: ") + ", ".join(
                f"{label('objection', o, lang)}{' ✔' if o in state.resolved else ''}" for o in state.raised))
        return "\n\n".join(lines)

    def new_state(session_id, lang, hints, mode):
        # kept server-side in gr.State (never sent to the page): hints and voice need the persona every turn
        return {"id": session_id, "lang": lang, "nav": [], "hints": hints, "mode": mode, "whisper_idx": -1,
                "persona": services.practice.persona_view(session_id).model_dump()}

    def mode_note(mode, lang):
        return ("引导模式：提示常开" if lang != "en" else "Guided mode: hints always on") if mode == "guided" else ""

    def scenario_title(scenario_id):
        try:
            return services.practice.scenario(scenario_id).title
        except Exception:  # an unpublished or removed scenario still has its id
            return scenario_id

    start_outputs = [session_state, persona, chat, grade_md, scorecard_md, nav_row, voice, hints_md, background_md,
                     steps_plot, timer, resume_row, open_state, notice]

    def do_start(scenario_id, user):
        """Show the opening, then read it ahead while the trainee reads it (the first grade is then quicker)."""
        outputs, session_id = start_page(scenario_id, user)
        yield outputs
        if session_id:
            services.practice.read_ahead(session_id, user["id"])

    def start_page(scenario_id, user):
        """The page's outputs and the new session's id (None when no session started)."""
        lang = lang_of(user)
        unchanged = [keep] * (len(start_outputs) - 1)
        if not user:
            return (*unchanged, t("signin", lang)), None
        if not scenario_id:
            return (*unchanged, t("no_session", lang)), None
        try:
            from coach.progression import start_session

            view = start_session(services.practice, user["id"], scenario_id, lang=lang)
        except Exception as exc:  # one message in the page's language, never a stack trace or red panels
            return (*unchanged, error_text(exc, lang, scenario_title(scenario_id))), None
        sess = new_state(view.session_id, view.lang, view.hints, view.mode)
        opening_objection = services.practice.customer_state(view.session_id).active
        for notice in view.notices:  # e.g. the LLM is misconfigured and the offline customer answers
            gr.Info(notice)
        note = mode_note(view.mode, view.lang)
        card = persona_card(view.persona_public, view.title, view.lang) + (f"\n\n*{note}*" if note else "")
        return (sess, card, [{"role": "assistant", "content": esc(view.opening)}], "", "",
                gr.update(visible=False), customer_audio(view.opening, sess),
                hints_for(sess, opening_objection), background(sess), gr.update(visible=False),
                gr.Timer(active=view.mode == "guided"), gr.update(visible=False), None, ""), view.session_id

    start.click(do_start, [scenario, user_state], start_outputs)

    def do_resume(open_id, user):
        """Put an unfinished session back on the page: persona, conversation so far, last grade, hints."""
        lang = lang_of(user)
        unchanged = [keep] * (len(start_outputs) - 1)
        if not user or not open_id:
            return (*unchanged, t("no_session", lang))
        try:
            from coach.progression import open_sessions

            info = next((s for s in open_sessions(user["id"]) if s["session_id"] == open_id), None)
            if info is None:
                return (*unchanged[:-2], gr.update(visible=False), None, t("session_over", lang))
            scen = services.practice.scenario(info["scenario_id"])
            sess = new_state(open_id, scen.language, info["hints"], info["mode"])
            transcript = services.practice.transcript(open_id, user["id"])
        except Exception as exc:
            return (*unchanged, error_text(exc, lang))
        view = persona_of(sess)
        note = mode_note(sess["mode"], sess["lang"])
        card = persona_card({"name": view.name, "title": view.title, "company": view.company}, scen.title,
                            sess["lang"]) + (f"\n\n*{note}*" if note else "")
        graded = [turn for turn in transcript if "grade" in turn]
        last_grade = ""
        if graded:
            grade = graded[-1]["grade"] if sess["hints"] else {**graded[-1]["grade"], "suggestion": ""}
            last_grade = grade_markdown(grade, sess["lang"])
        objection = services.practice.customer_state(open_id).active
        return (sess, card, chat_messages(transcript), last_grade, "", gr.update(visible=False), None,
                hints_for(sess, objection), background(sess), gr.update(visible=False),
                gr.Timer(active=sess["mode"] == "guided"), gr.update(visible=False), None, t("resumed", lang))

    resume_btn.click(do_resume, [open_state, user_state], start_outputs)

    def do_send(text, history, sess, user):
        """Grade the reply and stream the customer's answer; the last output (``ask_judge``) names an unsure
        reply for the LLM judge chained after this event (``chain_second_opinion``), "" otherwise."""
        lang = (sess or {}).get("lang") or lang_of(user)
        rest = [keep] * 11  # chat .. background: the same outputs as below, unchanged
        if not sess:
            yield (*rest, keep, t("no_session", lang), "")
            return
        if not (text or "").strip():
            yield (*rest, keep, t("empty_reply", lang), "")
            return
        before = list(history or [])
        history = before + [{"role": "user", "content": esc(text)}, {"role": "assistant", "content": "…"}]
        yield history, keep, sess, gr.update(visible=False), *[keep] * 3, keep, keep, keep, keep, keep, "", ""
        streamed, turn = SpokenLine(), None
        try:
            for item in services.practice.reply_stream(sess["id"], user["id"], text):
                if hasattr(item, "kind"):
                    streamed.add(item)
                    if item.kind == "notice":
                        gr.Info(item.text)
                    history[-1] = {"role": "assistant", "content": esc(streamed.text) or "…"}
                    yield history, *[keep] * 13
                else:
                    turn = item
        except Exception as exc:  # the reply was not taken: put the chat back and say why, in the page's language
            yield before, *[keep] * 11, error_text(exc, lang), ""
            return
        history[-1] = {"role": "assistant", "content": esc(turn.customer_text)}
        options = nav_options(turn.grade) if sess.get("hints") else []
        sess = {**sess, "nav": options}
        labels = [gr.update(value=o.get("label_" + lang) or o.get("label_zh", "")) for o in options[:3]]
        labels += [keep] * (3 - len(labels))
        grade = turn.grade if sess.get("hints") else {**turn.grade, "suggestion": ""}
        grade_md_text, ask = grade_markdown(grade, lang), ""
        if needs_second_opinion(turn.grade):  # shown now; the judge's view replaces "asking…" when it comes
            grade_md_text += "\n\n" + judge_markdown(None, lang)
            ask = json.dumps({"session": sess["id"], "idx": turn.idx, "lang": lang, "hints": bool(sess.get("hints"))})
        card_md, plot = keep, keep
        if turn.ended:
            card_md, plot = finish(sess, user)
        yield (history, grade_md_text, sess, gr.update(visible=bool(options)), *labels, card_md,
               customer_audio(turn.customer_text, sess),
               "" if turn.ended else hints_for(sess, turn.objection), background(sess), plot, "", ask)
        if not turn.ended:  # shown: read it while the trainee does, so the next grade embeds the reply alone
            services.practice.read_ahead(sess["id"], user["id"])

    def do_second_opinion(ask, sess, user):
        """The LLM judge's view of an unsure reply, added under its offline grade; the panel is left alone when
        the trainee has since moved on (another reply or session): the opinion is stored for the mentor anyway."""
        if not ask or not user:
            return keep
        try:  # the box comes from the browser: another user's session or a reply that is not one is refused
            want = json.loads(ask)
            grade = services.practice.second_opinion(want["session"], user["id"], want["idx"])
            current = (sess or {}).get("id") == want["session"] and services.practice.is_last_reply(
                want["session"], want["idx"])
        except Exception as exc:  # noqa: BLE001 - the offline grade on the page stands whatever happens here
            log.warning("second opinion for %s failed: %s", ask[:200], exc)
            return keep
        if grade is None or not current:
            return keep
        return grade_markdown(grade if want.get("hints") else {**grade, "suggestion": ""}, want.get("lang", "zh"))

    # the reply box is never an output of do_send: it is emptied in the browser when the reply is taken
    send_outputs = [chat, grade_md, session_state, nav_row, *nav_buttons, scorecard_md, voice, hints_md,
                    background_md, steps_plot, notice, ask_judge]
    for trigger in (send.click, reply.submit):
        sent_event = trigger(None, [reply], [sent, reply], js=TAKE_REPLY_JS, queue=False).then(
            do_send, [sent, chat, session_state, user_state], send_outputs)
        if llm_enabled():  # offline the page is wired exactly as before: no extra event per reply
            chain_second_opinion(sent_event, do_second_opinion, [ask_judge, session_state, user_state], grade_md)

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
                md += "\n\n" + next_gate_markdown(pending[0].get("title"), pending[0]["id"], lang,
                                                   (pending[0].get("note") or {}).get(lang, ""))
        except Exception:  # progression is optional for the scorecard itself
            pass
        steps = card.get("step_averages") or {}
        frame = step_chart_frame(card, lang)
        return md, gr.update(value=frame, visible=bool(steps), sort=list(frame["step"]), **step_chart_titles(lang))

    def do_end(sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        if not sess:
            return keep, keep, keep, t("no_session", lang)
        try:
            services.practice.end(sess["id"], user["id"])
        except Exception as exc:
            return keep, keep, keep, error_text(exc, lang)
        md, plot = finish(sess, user)
        return md, plot, gr.Timer(active=False), ""

    end.click(do_end, [session_state, user_state], [scorecard_md, steps_plot, timer, notice])

    def do_end_open(open_id, user):
        """End the unfinished session offered after sign-in and show its scorecard."""
        lang = lang_of(user)
        if not user or not open_id:
            return keep, keep, keep, t("no_session", lang), keep, keep
        try:
            info = services.practice.transcript(open_id, user["id"])  # checks it is theirs
            services.practice.end(open_id, user["id"])
            sess = {"id": open_id, "lang": services.practice.persona_view(open_id).lang or lang}
        except Exception as exc:
            return keep, keep, keep, error_text(exc, lang), keep, keep
        md, plot = finish(sess, user)
        return (md, plot, chat_messages(info), "", gr.update(visible=False), None)

    end_open_btn.click(do_end_open, [open_state, user_state],
                       [scorecard_md, steps_plot, chat, notice, resume_row, open_state])

    def do_transcribe(path, current, sess, user):
        lang = (sess or {}).get("lang") or lang_of(user)
        if not path:
            return keep, t("voice_first", lang)
        try:
            from coach.voice import transcribe

            text = transcribe(path, lang).text
        except Exception as exc:
            return keep, error_text(exc, lang)
        return ((current + " " + text).strip() if current else text), ""

    transcribe_btn.click(do_transcribe, [mic, reply, session_state, user_state], [reply, notice])

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
        head = bold_label("导师提示" if sess["lang"] != "en" else "Mentor whisper", sess["lang"])
        note = "\n\n".join(f"{head}{esc(w['text'])}" for w in new)
        return sess, note + "\n\n" + (hints or "")

    def poll_mentor(sess, user, hints, history):
        """Whispers, and while a mentor holds the session (takeover) the mentor's turns and the customer's
        answers, with a banner saying who holds it; one handler so the session state is written once."""
        sess, hints = poll_whispers(sess, user, hints)
        sess, history, banner = practice_watch.watch(sess, user, history)
        return sess, hints, history, keep if banner is None else banner

    timer.tick(poll_mentor, [session_state, user_state, hints_md, chat], [session_state, hints_md, chat, notice])

    def refresh(user, sess):
        """After sign-in or a language switch: the picker in the page's language, and the trainee's
        unfinished session (if any, and not the one already on the page) offered to resume or end."""
        choices = gr.update(choices=services.scenario_choices(user))
        if not user:
            return choices, gr.update(visible=False), "", None
        from coach.progression import open_sessions

        lang = lang_of(user)
        current = (sess or {}).get("id")
        waiting = [s for s in open_sessions(user["id"]) if s["session_id"] != current]
        if not waiting:
            return choices, gr.update(visible=False), "", None
        first = waiting[0]
        info = t("open_session", lang, title=esc(scenario_title(first["scenario_id"])), started=when(first["started_at"]),
                 replies=first["replies"], last=when(first["last_at"]))
        return choices, gr.update(visible=True), info, first["session_id"]

    return {"refresh": (refresh, [user_state, session_state], [scenario, resume_row, resume_md, open_state]),
            "chat": chat}
