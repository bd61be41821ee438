"""The understanding layer: one learned reading of customer lines and rep replies that every consumer uses
(detection, grading, live cards and mood, the debrief and the role-play policy). See ``model.py``."""

from knowledge.understanding.loader import artefact_path, get_understanding, read_customers, read_replies
from knowledge.understanding.model import (
    CLASSES,
    SIGNALS,
    CustomerReading,
    Example,
    ReplyReading,
    UnderstandingModel,
)

__all__ = [
    "CLASSES", "SIGNALS", "CustomerReading", "Example", "ReplyReading", "UnderstandingModel", "artefact_path",
    "get_understanding", "read_customers", "read_replies",
]
