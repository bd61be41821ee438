"""Live page (rep on a call): type or paste transcript lines, replay a JSONL file, or upload audio; see cards.

The formatting functions at the top turn hint events (plain dicts, as sent on the wire) into HTML and are
tested without a server. Every piece of text goes through ``html.escape``: nothing said on a call can run
as script on this page.
"""

from __future__ import annotations

import html
import time
from typing import Any

LABELS = {
    "zh": {"similar": "赢单中的相似时刻", "rep_said": "当时销售说", "customer_said": "客户", "mood": "客户情绪",
           "mood_warning": "情绪走低，先共情、少推进", "no_cards": "还没有提示。", "signals": "决策信号",
           "objections": "异议及处理", "handled": "已处理", "unhandled": "未处理", "cases": "成功案例片段",
           "none": "无", "why": "主要因素", "next_steps": "约定的下一步",
           "factors": {"negativity": "语气消极", "objection": "异议压力", "curtness": "回复简短", "interval": "回复间隔不稳",
                       "emoji": "负面表情", "negation": "频繁否定"}},
    "en": {"similar": "Similar moments in won deals", "rep_said": "The rep said", "customer_said": "Customer",
           "mood": "Customer mood", "mood_warning": "Mood is dropping: empathise before you push",
           "no_cards": "No hints yet.", "signals": "Decision signals", "objections": "Objections",
           "handled": "handled", "unhandled": "not handled", "cases": "Success cases", "none": "none",
           "why": "Main factors", "next_steps": "Agreed next steps",
           "factors": {"negativity": "negative tone", "objection": "objection pressure", "curtness": "curt replies",
                       "interval": "irregular reply gaps", "emoji": "negative emoji", "negation": "frequent no's"}},
}
STYLE = """<style>
.live-card{border:1px solid #ddd;border-radius:8px;padding:8px 12px;margin:6px 0;background:#fff}
.live-card.objection{border-left:5px solid #d9534f}.live-card.keyword{border-left:5px solid #337ab7}
.live-card.signal{border-left:5px solid #f0ad4e}.live-card.error{border-left:5px solid #999;color:#a00}
.live-card mark{background:#ffe28a}.live-mood{font-weight:600}.live-mood.warning{color:#c9302c}
.live-card ol{margin:4px 0 4px 18px;padding:0}.live-card small{color:#666}
</style>"""


def e(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def _lab(key: str, lang: str) -> str:
    return LABELS.get(lang, LABELS["en"])[key]


def highlight(text: str, start: int, end: int) -> str:
    """The utterance with the signal span marked; escaped piece by piece so the mark is the only tag."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    return f"{e(text[:start])}<mark>{e(text[start:end])}</mark>{e(text[end:])}"


def card_html(hint: dict, lang: str = "zh") -> str:
    """One hint event (as a dict) as an HTML card."""
    kind = hint.get("type")
    if kind == "objection_card":
        steps = "".join(f"<li><b>{e(s.get('label'))}</b>: {e(s.get('phrase'))}</li>" for s in hint.get("steps", []))
        moments = "".join(
            f"<li>{e(_lab('customer_said', lang))}: {e(m.get('text'))}<br><small>{e(_lab('rep_said', lang))}: "
            f"{e(m.get('next_rep'))}</small></li>" for m in hint.get("moments", []))
        similar = f"<div><small>{e(_lab('similar', lang))}</small><ol>{moments}</ol></div>" if moments else ""
        confidence = f"{float(hint.get('confidence', 0)):.0%}"
        return (f"<div class='live-card objection' data-objection='{e(hint.get('objection'))}' "
                f"data-card='{e(hint.get('card_id'))}'><b>⚠ {e(hint.get('title'))}</b> "
                f"<small>{e(confidence)} · {e(hint.get('latency_ms'))} ms</small>"
                f"<div><small>“{e(hint.get('text'))}”</small></div><ol>{steps}</ol>{similar}</div>")
    if kind == "keyword_card":
        fields = "".join(f"<li>{e(f.get('label'))}: <input value='{e(f.get('value'))}' size='18'></li>"
                         for f in hint.get("fields", []))
        return (f"<div class='live-card keyword'><b>▣ {e(hint.get('title'))}</b> "
                f"<small>«{e(hint.get('keyword'))}»</small><ul>{fields}</ul></div>")
    if kind == "signal":
        return (f"<div class='live-card signal'><b>★ {e(hint.get('label'))}</b><div>"
                f"{highlight(str(hint.get('text', '')), int(hint.get('start', 0)), int(hint.get('end', 0)))}</div></div>")
    if kind == "error":
        return f"<div class='live-card error'>{e(hint.get('message'))}</div>"
    return ""


def mood_html(hint: dict | None, lang: str = "zh") -> str:
    """The mood indicator: a bar from 0 to 1, red with a warning below the threshold."""
    if not hint:
        return f"<div class='live-mood'>{e(_lab('mood', lang))}: —</div>"
    value = max(0.0, min(1.0, float(hint.get("value", 1.0))))
    warning = bool(hint.get("warning"))
    colour = "#d9534f" if warning else ("#f0ad4e" if value < 0.7 else "#5cb85c")
    note = f" ⚠ {e(_lab('mood_warning', lang))}" if warning else ""
    return (f"<div class='live-mood{' warning' if warning else ''}' data-value='{value:.3f}'>"
            f"{e(_lab('mood', lang))}: {value:.2f}{note}"
            f"<div style='background:#eee;height:8px;border-radius:4px'><div style='width:{value * 100:.0f}%;"
            f"height:8px;border-radius:4px;background:{colour}'></div></div>{mood_factors(hint, lang)}</div>")


def mood_factors(hint: dict, lang: str, floor: float = 0.3) -> str:
    """The factors pulling the radar down (negativity counts above its neutral 0.5), strongest first."""
    parts = dict(hint.get("parts") or {})
    if "negativity" in parts:
        parts["negativity"] = 2 * (float(parts["negativity"]) - 0.5)
    names = LABELS.get(lang, LABELS["en"])["factors"]
    strong = sorted((k for k, v in parts.items() if k in names and float(v) >= floor), key=lambda k: -float(parts[k]))
    if not strong:
        return ""
    joined = ("、" if lang == "zh" else ", ").join(names[k] for k in strong)
    return f"<small>{e(_lab('why', lang))}: {e(joined)}</small>"


def cards_html(hints: list[dict], lang: str = "zh", limit: int = 30) -> str:
    """Newest first; mood readings go to the indicator, not the card list."""
    cards = [card_html(h, lang) for h in reversed(hints) if h.get("type") != "mood"][:limit]
    return STYLE + ("".join(cards) or f"<p>{e(_lab('no_cards', lang))}</p>")


def debrief_html(result: dict, lang: str = "zh") -> str:
    """A debrief (as a dict) as HTML: signals, objections with handled marks, success-case snippets."""
    signals = "".join(f"<li><b>{e(s.get('label'))}</b>: {e(s.get('text'))}</li>" for s in result.get("signals", []))
    objections = "".join(
        f"<li class='live-debrief-objection' data-objection='{e(o.get('objection'))}' "
        f"data-cards='{e(' '.join(o.get('card_ids') or []))}'>{'✔' if o.get('handled') else '✘'} "
        f"<b>{e(o.get('title'))}</b> ×{e(o.get('times'))} "
        f"({e(_lab('handled' if o.get('handled') else 'unhandled', lang))}): {e(o.get('text'))}</li>"
        for o in result.get("objections", []))
    cases = "".join(f"<li>{e(m.get('text'))}<br><small>{e(_lab('rep_said', lang))}: {e(m.get('next_rep'))}</small></li>"
                    for m in result.get("success_cases", []))
    steps = "".join(f"<li>{highlight(str(s.get('text', '')), int(s.get('start', 0)), int(s.get('end', 0)))}</li>"
                    for s in result.get("next_steps", []))
    none = f"<li>{e(_lab('none', lang))}</li>"
    return (STYLE + f"<div class='live-card'><b>{e(_lab('signals', lang))}</b><ol>{signals or none}</ol>"
            f"<div class='live-next-steps'><b>{e(_lab('next_steps', lang))}</b><ol>{steps or none}</ol></div>"
            f"<b>{e(_lab('objections', lang))}</b><ul>{objections or none}</ul>"
            f"<b>{e(_lab('cases', lang))}</b><ol>{cases or none}</ol></div>")


def transcript_html(lines: list[dict], lang: str = "zh") -> str:
    who = {"customer": "客户" if lang == "zh" else "Customer", "rep": "销售" if lang == "zh" else "Rep"}
    return "<br>".join(f"<b>{e(who.get(line.get('speaker'), line.get('speaker')))}</b>: {e(line.get('text'))}"
                       for line in lines[-40:])


def radar_reading(assist, last: dict | None) -> dict | None:
    """The radar as it stands now (the page shows the gauge, not the last card the stream chose to send)."""
    radar = getattr(assist, "mood", None)
    if radar is None or not radar.parts:
        return last
    return {"type": "mood", "value": radar.value, "warning": radar.warning, "parts": dict(radar.parts)}


def page_clock(event, state: dict):
    """Typed lines carry no time: stamp them with seconds since the call began on this page, so reply gaps
    (the radar's interval factor) count; a call whose events bring their own times keeps those."""
    ts = event.get("ts") if isinstance(event, dict) else getattr(event, "ts", None)
    if ts is not None:
        state["own_clock"] = False
        return event
    if not state.get("own_clock") or "started" not in state:
        return event
    now = round(time.monotonic() - state["started"], 2)
    if isinstance(event, dict):
        return event | {"ts": now}
    return event.model_copy(update={"ts": now}) if hasattr(event, "model_copy") else event


# -- the page ------------------------------------------------------------------------------------------

def build(services, user_state, i18n) -> dict:
    """Components inside the caller's Tab; per-browser call state lives in a gr.State (a LiveAssist)."""
    import gradio as gr

    call = gr.State(None)  # {"assist": LiveAssist, "hints": [dict], "lines": [dict]}
    with gr.Row():
        with gr.Column(scale=3):
            lang = gr.Radio(["zh", "en"], value="zh", label="语言 / Language", elem_id="live-lang")
            line = gr.Textbox(label="客户: … / 销售: …  (Enter)", lines=3, elem_id="live-line",
                              placeholder="客户: 你们的价格太贵了\n销售: 理解，方便说说您是跟哪家在比吗？")
            with gr.Row():
                send = gr.Button("发送 / Send", variant="primary", elem_id="live-send")
                reset = gr.Button("新通话 / New call", elem_id="live-reset")
                debrief_btn = gr.Button("战报 / Debrief", elem_id="live-debrief")
            replay = gr.File(label="回放 JSONL / Replay JSONL", file_types=[".jsonl", ".txt", ".csv"],
                             elem_id="live-replay")
            audio = gr.Audio(label="录音 / Audio", type="filepath", sources=["upload", "microphone"],
                             elem_id="live-audio")
            transcript = gr.HTML(elem_id="live-transcript")
        with gr.Column(scale=2):
            mood = gr.HTML(mood_html(None), elem_id="live-mood")
            cards = gr.HTML(cards_html([]), elem_id="live-cards")
            debrief_out = gr.HTML(elem_id="live-debrief-out")

    def new_call(lang_value):
        from coach.live import LiveConfig, default_kit

        return {"assist": default_kit().new_call(LiveConfig(lang=lang_value)), "hints": [], "lines": [], "mood": None,
                "started": time.monotonic(), "own_clock": True}

    def feed(state, events, lang_value):
        state = state or new_call(lang_value)
        for event in events:
            event = page_clock(event, state)
            hints = [h.model_dump(mode="json") for h in state["assist"].process_raw(event)]
            if isinstance(event, dict) or hasattr(event, "speaker"):
                data = event if isinstance(event, dict) else event.model_dump()
                state["lines"].append({"speaker": data.get("speaker"), "text": data.get("text")})
            state["hints"].extend(hints)
        state["mood"] = radar_reading(state["assist"], state["mood"])
        return state

    def view(state, lang_value):
        return (state, "", transcript_html(state["lines"], lang_value), mood_html(state["mood"], lang_value),
                cards_html(state["hints"], lang_value))

    def do_send(text, state, lang_value):
        from coach.live import LiveInputError, parse_transcript_text

        if not (text or "").strip():
            return view(state or new_call(lang_value), lang_value)
        try:
            events = parse_transcript_text(text, "input")
        except LiveInputError as exc:
            raise gr.Error(str(exc)) from None
        return view(feed(state, events, lang_value), lang_value)

    def do_replay(path, state, lang_value):
        from coach.live import LiveInputError, read_call

        if not path:
            return view(state or new_call(lang_value), lang_value)
        try:
            events = read_call(path)
        except (LiveInputError, OSError) as exc:
            raise gr.Error(str(exc)) from None
        return view(feed(new_call(lang_value), events, lang_value), lang_value)

    def do_audio(path, state, lang_value):
        """Transcribe in chunks with the bundled Whisper model; each chunk becomes a customer utterance."""
        from coach.voice.stt import transcribe_chunks

        state = state or new_call(lang_value)
        if not path:
            yield view(state, lang_value)
            return
        try:
            for part in transcribe_chunks(path, lang_value, chunk_seconds=8.0):
                if part.text.strip():
                    ts = part.segments[0].start if part.segments else None
                    state = feed(state, [{"speaker": "customer", "text": part.text, "ts": ts}], lang_value)
                    yield view(state, lang_value)
        except Exception as exc:  # a missing model or unreadable audio: a message, not a stack trace
            raise gr.Error(str(exc)) from None

    def do_reset(lang_value):
        return view(new_call(lang_value), lang_value) + ("",)

    def do_debrief(state, user, lang_value):
        from coach.live import debrief, save_debrief

        if not state or not state["lines"]:
            return _lab("no_cards", lang_value)
        result = debrief(state["assist"])
        if user and user.get("id"):
            save_debrief(user["id"], result, source="live page")
        return debrief_html(result.model_dump(mode="json"), lang_value)

    outputs = [call, line, transcript, mood, cards]
    send.click(do_send, [line, call, lang], outputs)
    line.submit(do_send, [line, call, lang], outputs)
    replay.upload(do_replay, [replay, call, lang], outputs)
    audio.stop_recording(do_audio, [audio, call, lang], outputs)
    audio.upload(do_audio, [audio, call, lang], outputs)
    reset.click(do_reset, [lang], [*outputs, debrief_out])
    debrief_btn.click(do_debrief, [call, user_state, lang], [debrief_out])
    return {}
