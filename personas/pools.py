"""Client pools (客户池): named, difficulty-ordered slices of the deal corpus, defined in data/pools.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.records import DealRecord
from knowledge.taxonomy import INDUSTRIES, SEGMENTS
from personas._data import PersonaDataError, load_data_file


class Localized(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class PoolFilter(BaseModel):
    """Keep a deal when every non-empty list contains the deal's value."""

    model_config = ConfigDict(extra="forbid")
    segment: list[str] = Field(default_factory=list)
    industry: list[str] = Field(default_factory=list)
    lang: list[str] = Field(default_factory=list)

    @field_validator("segment")
    @classmethod
    def _segments(cls, value: list[str]) -> list[str]:
        return _known(value, SEGMENTS, "segment")

    @field_validator("industry")
    @classmethod
    def _industries(cls, value: list[str]) -> list[str]:
        return _known(value, INDUSTRIES, "industry")

    @field_validator("lang")
    @classmethod
    def _langs(cls, value: list[str]) -> list[str]:
        return _known(value, ("zh", "en"), "lang")

    def matches(self, deal: DealRecord) -> bool:
        return (
            (not self.segment or deal.segment in self.segment)
            and (not self.industry or deal.industry in self.industry)
            and (not self.lang or deal.lang in self.lang)
        )


def _known(values: list[str], allowed: Sequence[str], what: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r}; use one of {', '.join(allowed)}")
    return values


class Pool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Localized
    level: int = Field(ge=1, description="difficulty: 1 = easiest; gates unlock higher levels")
    description: Localized
    filter: PoolFilter

    def matches(self, deal: DealRecord) -> bool:
        return self.filter.matches(deal)


class PoolFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pools: list[Pool]

    @field_validator("pools")
    @classmethod
    def _unique(cls, pools: list[Pool]) -> list[Pool]:
        seen: set[str] = set()
        for pool in pools:
            if pool.id in seen:
                raise ValueError(f"duplicate pool id {pool.id!r}")
            seen.add(pool.id)
        return pools


@lru_cache(maxsize=1)
def _pool_file() -> PoolFile:
    return load_data_file("pools.yaml", PoolFile)


def load_pools() -> list[Pool]:
    """All pools, easiest first (by level, then file order)."""
    pools = _pool_file().pools
    return sorted(pools, key=lambda p: (p.level, pools.index(p)))


def get_pool(pool: str | Pool) -> Pool:
    """The pool with this id; an unknown id fails with the list of known ones."""
    if isinstance(pool, Pool):
        return pool
    for candidate in _pool_file().pools:
        if candidate.id == pool:
            return candidate
    known = ", ".join(p.id for p in load_pools())
    raise PersonaDataError(f"unknown pool {pool!r}; known pools: {known} (personas/data/pools.yaml)")


def pool_deals(pool: str | Pool, deals: Sequence[DealRecord]) -> list[DealRecord]:
    """The deals that belong to ``pool``, in the order given."""
    chosen = get_pool(pool)
    return [deal for deal in deals if chosen.matches(deal)]
