"""What a masking pass returns: the masked text and every entity it replaced (for audits and evals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

Kind = Literal[
    "person", "company", "phone", "email", "id_card", "bank_card",
    "address", "wechat", "url", "plate", "amount", "qq", "passport",
]
KINDS: tuple[str, ...] = (
    "person", "company", "phone", "email", "id_card", "bank_card",
    "address", "wechat", "url", "plate", "amount", "qq", "passport",
)

# Kinds that get a lettered pseudonym ([客户A], [Company B]); the rest get one fixed label per kind.
# "rep" is not a detected kind: a person found to be the sales rep gets [销售A]/[Rep A] instead of [客户A]/[Person A].
LETTERED = {"person": {"zh": "客户", "en": "Person"}, "company": {"zh": "公司", "en": "Company"},
            "rep": {"zh": "销售", "en": "Rep"}}
LABELS: dict[str, dict[str, str]] = {
    "phone": {"zh": "[电话]", "en": "[PHONE]"},
    "email": {"zh": "[邮箱]", "en": "[EMAIL]"},
    "id_card": {"zh": "[身份证]", "en": "[ID]"},
    "bank_card": {"zh": "[银行卡]", "en": "[BANK_CARD]"},
    "address": {"zh": "[地址]", "en": "[ADDRESS]"},
    "wechat": {"zh": "[微信]", "en": "[WECHAT]"},
    "url": {"zh": "[网址]", "en": "[URL]"},
    "plate": {"zh": "[车牌]", "en": "[PLATE]"},
    "amount": {"zh": "[金额]", "en": "[AMOUNT]"},
    "qq": {"zh": "[QQ]", "en": "[QQ]"},
    "passport": {"zh": "[护照]", "en": "[PASSPORT]"},
}


class Entity(BaseModel):
    """One replaced piece of text: its kind, the original surface, where it was, and what replaced it."""

    kind: Kind
    text: str
    start: int
    end: int
    replacement: str


class MaskResult(BaseModel):
    text: str
    entities: list[Entity]


@dataclass
class Span:
    """A detector's candidate before overlaps are resolved.

    `key` is the identity used for pseudonyms (persons/companies); `alias` marks a partial name
    ("张总" -> ("surname", "张"), "Mr. Smith" -> ("last", "smith")) so it can share a letter with the
    full name; `prefix`/`suffix` are kept around the pseudonym for readability ("Mr. [Person A]", "[客户A]总").
    """

    kind: str
    start: int
    end: int
    priority: int = 0
    key: str | None = None
    alias: tuple[str, str] | None = None
    prefix: str = ""
    suffix: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start
