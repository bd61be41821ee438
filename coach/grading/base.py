"""The Grader interface (one required method) and a registry keyed by name; ``offline`` registers like any other."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from coach.grading.models import Grade, GradeContext


class Grader(ABC):
    """Grades one trainee reply to one customer utterance."""

    name: str = "grader"

    @abstractmethod
    def grade(self, customer: str, reply: str, objection: str | None = None, lang: str | None = None,
              weights: dict[str, float] | None = None, context: GradeContext | None = None) -> Grade:
        """Return a Grade whose score is explained by its evidence."""


_REGISTRY: dict[str, Callable[[], Grader]] = {}


def register_grader(name: str):
    def wrap(factory: Callable[[], Grader]):
        _REGISTRY[name] = factory
        return factory
    return wrap


def grader_names() -> list[str]:
    return sorted(_REGISTRY)


def get_grader(name: str = "offline") -> Grader:
    """The grader registered under ``name``; an unknown name lists the known ones."""
    import coach.grading.offline  # noqa: F401  (registers the built-in grader)

    if name not in _REGISTRY:
        raise ValueError(f"unknown grader {name!r}; known graders: {', '.join(grader_names())}")
    return _REGISTRY[name]()
