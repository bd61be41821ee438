"""The role-play engine: customer state, an explicit dialogue policy, and realizers that word each act."""

from coach.roleplay.engine import RolePlayEngine, Setup, TurnResult
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import HiddenObjection
from coach.roleplay.realizer import OfflineRealizer, Realizer, RealizerEvent, get_realizer
from coach.roleplay.state import Act, CustomerState

__all__ = ["RolePlayEngine", "Setup", "TurnResult", "PersonaView", "HiddenObjection", "OfflineRealizer",
           "Realizer", "RealizerEvent", "get_realizer", "Act", "CustomerState"]
