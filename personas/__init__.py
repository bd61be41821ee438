"""Personas: simulated customers synthesized from a client pool's anonymized deals, reproducible by seed."""

from personas._data import PersonaDataError
from personas.deals import load_pool_deals
from personas.model import Persona, PersonaConstraints, PublicProfile
from personas.pools import Pool, get_pool, load_pools, pool_deals
from personas.synthesis import PersonaError, eligible_deals, synthesize_persona

__all__ = [
    "Persona", "PersonaConstraints", "PublicProfile", "PersonaError", "PersonaDataError",
    "Pool", "get_pool", "load_pools", "pool_deals", "load_pool_deals",
    "eligible_deals", "synthesize_persona",
]
