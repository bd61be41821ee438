"""Coach: the practice session loop, grading, progression, mentoring and live-call hints."""

__all__: list[str] = []
