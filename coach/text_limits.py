"""The length limits every entry point shares (Practice page, practice HTTP API, ``coach grade``, live hints).

Why one module: a limit that only the HTTP API knew let the Gradio page store a 13,600-character reply that
the API refused. The service layer calls ``check_reply``; the edges (HTTP, WebSocket) refuse earlier with the
same numbers, so a client gets the same answer wherever it comes in.
"""

from __future__ import annotations

MAX_REPLY_CHARS = 4000  # a trainee reply longer than this is a pasted file, not a turn
MAX_UTTERANCE_CHARS = 1000  # one live-call utterance: minutes of speech; speech-to-text finals are far shorter


class TextLimitError(ValueError):
    """A reply or utterance that is empty or too long; ``status`` is the HTTP answer (400 or 413)."""

    status = 400


class EmptyText(TextLimitError):
    status = 400


class TextTooLong(TextLimitError):
    status = 413


_MESSAGES = {
    "empty": {"zh": "回复为空：请输入你要对客户说的话。",
              "en": "the reply is empty; type what you would say to the customer"},
    "long": {"zh": "回复太长（{n} 个字符，上限 {limit}）：请缩短成一次真正会说出口的回复。",
             "en": "the reply is too long ({n} characters, the limit is {limit}); "
                   "shorten it to what you would actually say in one turn"},
}


def check_reply(text: str | None, lang: str = "en", limit: int = MAX_REPLY_CHARS) -> str:
    """The reply stripped, or ``EmptyText`` / ``TextTooLong`` with a message in ``lang`` (zh or en)."""
    key = "zh" if (lang or "").lower().startswith("zh") else "en"
    text = (text or "").strip()
    if not text:
        raise EmptyText(_MESSAGES["empty"][key])
    if len(text) > limit:
        raise TextTooLong(_MESSAGES["long"][key].format(n=len(text), limit=limit))
    return text


def utterance_problem(text: object, limit: int = MAX_UTTERANCE_CHARS) -> str | None:
    """Why a live utterance is refused (too long), or None; emptiness is the event parser's job."""
    if isinstance(text, str) and len(text) > limit:
        return (f"field 'text': {len(text)} characters, the limit is {limit}; "
                "send one utterance per event (split long speech into sentences)")
    return None
