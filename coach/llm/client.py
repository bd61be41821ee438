"""Where and with which key: build a langchain ``ChatOpenAI`` for the configured OpenAI-compatible endpoint."""

from __future__ import annotations

from knowledge.settings import OFFLINE_MODEL, Settings, SetupError, get_settings


def llm_configured(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return settings.llm_model != OFFLINE_MODEL


def get_chat_model(settings: Settings | None = None, *, temperature: float = 0.7, streaming: bool = False):
    """A ChatOpenAI for COACH_LLM_MODEL at OPENAI_BASE_URL; a missing key says how to fix it."""
    settings = settings or get_settings()
    if not llm_configured(settings):
        raise SetupError("no LLM configured; set COACH_LLM_MODEL (and OPENAI_API_KEY, OPENAI_BASE_URL) "
                         "or keep COACH_LLM_MODEL=offline for the built-in offline engine")
    if not settings.openai_api_key:
        raise SetupError(f"COACH_LLM_MODEL={settings.llm_model} needs OPENAI_API_KEY (any non-empty value for "
                         "a local server such as Ollama or vLLM); or set COACH_LLM_MODEL=offline")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=temperature,
        streaming=streaming,
    )
