"""Where and with which key: build a langchain ``ChatOpenAI`` for the configured OpenAI-compatible endpoint."""

from __future__ import annotations

from knowledge.settings import OFFLINE_MODEL, Settings, SetupError, get_settings


def llm_configured(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return settings.llm_model != OFFLINE_MODEL


def get_chat_model(settings: Settings | None = None, *, temperature: float = 0.7, streaming: bool = False,
                   max_tokens: int | None = None, model_kwargs: dict | None = None):
    """A ChatOpenAI for COACH_LLM_MODEL at OPENAI_BASE_URL; a missing key says how to fix it.

    ``max_tokens`` is sent under that name (what llama.cpp, Ollama, vLLM, DeepSeek and Qwen document; langchain
    would rename it ``max_completion_tokens``), so a server without its own cap stops after a customer's line.
    Retries are ours (coach.llm.deadline), inside the turn's deadline, so the client makes none; its timeout
    never exceeds the deadline.
    """
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
        timeout=min(settings.llm_timeout, settings.llm_deadline),
        max_retries=0,
        temperature=temperature,
        streaming=streaming,
        extra_body={"max_tokens": max_tokens or settings.llm_max_tokens},
        model_kwargs=model_kwargs or {},
    )
