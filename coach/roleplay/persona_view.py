"""The facts a realizer needs about the customer, flattened from a persona so wording code stays simple."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PersonaView(BaseModel):
    name: str
    title: str = ""
    company: str = ""
    industry: str = ""
    segment: str = ""
    lang: str = "zh"
    gender: str = "female"
    competitor: str = ""
    budget: str = ""
    products: list[str] = Field(default_factory=list)
    pain: str = ""
    decision_maker: str = ""
    timeline: str = ""
    temperament: str = ""
    style: str = ""
    facts: dict[str, str] = Field(default_factory=dict)  # fact key -> wording, revealed when asked well
    hidden: list[str] = Field(default_factory=list)  # hidden texts an LLM customer must never repeat verbatim
    # traits the reactions and the consistency check read (defaults keep older stored views loadable)
    decision_chain: list[str] = Field(default_factory=list)
    role: str = ""
    size: str = ""
    budget_amount: float | None = None
    budget_sensitivity: float = 0.5
    decision_cycle: str = "standard"  # fast | standard | committee
    also_evaluating: list[str] = Field(default_factory=list)
    satisfaction: float | None = None  # with the competitor in use, 0-1

    def slots(self) -> dict[str, str]:
        zh = self.lang == "zh"
        return {
            "name": self.name,
            "company": self.company or ("我们公司" if zh else "our company"),
            "competitor": self.competitor or ("现在的供应商" if zh else "our current vendor"),
            "budget": self.budget or ("不多" if zh else "limited"),
            "product": (self.products[0] if self.products else ("你们的产品" if zh else "your product")),
            "decision_maker": self.decision_maker or ("老板" if zh else "my boss"),
            "timeline": self.timeline or ("下个季度" if zh else "next quarter"),
            "pain": self.pain or ("效率低" if zh else "slow processes"),
            "size": self.size or ("我们这点规模" if zh else "a business our size"),
            "chain": ("、" if zh else ", ").join(self.decision_chain) or self.decision_maker
            or ("老板" if zh else "my boss"),
            "title": self.title or ("负责人" if zh else "the person in charge"),
        }

    def fill(self, template: str) -> str:
        try:
            return template.format(**self.slots())
        except (KeyError, IndexError, ValueError):
            return template
