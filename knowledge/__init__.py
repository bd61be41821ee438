"""Knowledge: deal records in, anonymized, tagged and indexed for hybrid bilingual retrieval; playbooks.

The lowest layer: it imports nothing from personas, scenarios, coach or ui.
"""

from knowledge.records import DealRecord, Turn
from knowledge.settings import Settings, SetupError, get_settings

__all__ = ["DealRecord", "Turn", "Settings", "SetupError", "get_settings"]
