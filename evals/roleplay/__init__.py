"""Role-play eval: reproducibility, persona consistency, role inversion, responsiveness and variety."""

from evals.roleplay.runner import run_roleplay_eval

__all__ = ["run_roleplay_eval"]
