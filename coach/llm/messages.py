"""What the LLM path tells the user, in the session's language (coach cannot import ui's label tables).

Every message names the server (its base URL) and, where there is one, the server's own words, so a
DeepSeek, Qwen, Ollama or vLLM user can tell a wrong key from a wrong model name from a busy server.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "unavailable": "LLM 服务 {base_url} 出错：{detail}。本轮由离线客户回答。",
        "deadline": "LLM 服务 {base_url} 在 {seconds:g} 秒内没有答完（COACH_LLM_DEADLINE），本轮由离线客户回答。",
        "retrying": "LLM 服务 {base_url} 繁忙（HTTP {status}），{wait:g} 秒后重试。",
        "guard": "模型回复未通过检查：{reason}",
        "regenerating": "；重新生成",
        "failed_twice": "LLM 回复两次未通过检查，本轮由离线客户回答。",
        "config": "LLM 配置有误，本次练习由离线客户回答：{problem}",
        "wrong_key": "{base_url} 拒绝了 API key（HTTP {status}：{detail}）。请检查 OPENAI_API_KEY。",
        "wrong_model": "{base_url} 上没有模型 {model}（可用：{available}）。请把 COACH_LLM_MODEL 设为其中之一。",
        "unreachable": "连不上 {base_url}（{detail}）。请检查 OPENAI_BASE_URL 和服务是否已启动。",
        "no_key": "COACH_LLM_MODEL={model} 需要 OPENAI_API_KEY（本地服务填任意非空值即可）。",
        "bad_status": "{base_url}/models 返回 HTTP {status}：{detail}。",
        "ok": "LLM 服务 {base_url} 可用，模型 {model}。",
        "offline": "未配置 LLM（COACH_LLM_MODEL=offline），使用内置离线客户。",
    },
    "en": {
        "unavailable": "The LLM server at {base_url} failed: {detail}. The offline customer answers this turn.",
        "deadline": "The LLM server at {base_url} did not finish within {seconds:g} s (COACH_LLM_DEADLINE); "
                    "the offline customer answers this turn.",
        "retrying": "The LLM server at {base_url} is busy (HTTP {status}); retrying in {wait:g} s.",
        "guard": "guard: {reason}",
        "regenerating": "; regenerating",
        "failed_twice": "The LLM reply failed the checks twice; the offline customer answers this turn.",
        "config": "The LLM is misconfigured, so the offline customer answers in this session: {problem}",
        "wrong_key": "{base_url} rejected the API key (HTTP {status}: {detail}). Check OPENAI_API_KEY.",
        "wrong_model": "{base_url} has no model {model} (available: {available}). Set COACH_LLM_MODEL to one of them.",
        "unreachable": "Cannot reach {base_url} ({detail}). Check OPENAI_BASE_URL and that the server is running.",
        "no_key": "COACH_LLM_MODEL={model} needs OPENAI_API_KEY (any non-empty value for a local server).",
        "bad_status": "{base_url}/models answered HTTP {status}: {detail}.",
        "ok": "The LLM server at {base_url} is reachable and serves {model}.",
        "offline": "No LLM configured (COACH_LLM_MODEL=offline); the built-in offline customer answers.",
    },
}


def say(key: str, lang: str, **slots) -> str:
    """The message ``key`` in ``lang`` (Chinese unless the session is English), slots filled."""
    return TEXTS["en" if lang == "en" else "zh"][key].format(**slots)
