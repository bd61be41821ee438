"""The trainee's side of a mentor takeover: while a mentor holds the conversation, the mentor's replies and
the customer's answers appear in the trainee's chat (marked as the mentor's), with a banner saying who holds
it. ``watch`` is a pure step the page's timer calls; tested without a server."""

from __future__ import annotations

import html

BANNER = {"zh": "🧑‍🏫 导师已接管对话，你正在观摩；导师交还后可继续回复。",
          "en": "🧑‍🏫 Your mentor has taken over; you are watching. You can reply again once it is handed back."}
MENTOR = {"zh": "导师", "en": "Mentor"}


def watch(sess: dict | None, user: dict | None, chat: list | None) -> tuple[dict | None, list | None, str | None]:
    """(session state, chat, banner) after fetching the mentor's new turns; the banner is None when nothing
    changed and "" when the trainee holds the conversation again."""
    if not sess or not user:
        return sess, chat, None
    from coach.progression.takeover import controller, mentor_turns_since

    lang = "en" if sess.get("lang") == "en" else "zh"
    try:
        new = mentor_turns_since(sess["id"], user["id"], sess.get("watch_idx", -1))
        holder = controller(sess["id"])
    except (LookupError, PermissionError):
        return sess, chat, None
    held = holder["by"] == "mentor"
    changed = bool(new) or held != bool(sess.get("watching"))
    if not changed:
        return sess, chat, None
    chat = list(chat or [])
    for turn in new:
        text = html.escape(turn["text"])
        if turn["speaker"] == "mentor":
            chat.append({"role": "user", "content": f"**{MENTOR[lang]}：** {text}"})
        else:
            chat.append({"role": "assistant", "content": text})
    sess = {**sess, "watching": held, "watch_idx": new[-1]["idx"] if new else sess.get("watch_idx", -1)}
    return sess, chat, BANNER[lang] if held else ""
