"""Scenarios: trainer-authored, validated, versioned practice set-ups (YAML package data)."""

__all__: list[str] = []
