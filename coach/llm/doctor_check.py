"""`coach doctor`'s LLM check: the configured endpoint knows our key and model (or no LLM is configured)."""

from __future__ import annotations

from knowledge.health import CheckResult, register_check


@register_check("LLM endpoint")
def llm_endpoint(repair: bool = False) -> CheckResult:
    """Nothing to repair here: a wrong key or model name is the user's to fix, and the hint says how."""
    from coach.llm.check import check_llm_endpoint

    result = check_llm_endpoint()
    hint = "" if result.ok else ("fix the setting named above, or set COACH_LLM_MODEL=offline for the built-in "
                                 "offline customer (see docs/llm.md)")
    return CheckResult("LLM endpoint", result.ok, result.message("en"), hint=hint)
