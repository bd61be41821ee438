"""Personas: simulated customers synthesized from a client pool's anonymized deals, reproducible by seed."""

__all__: list[str] = []
