"""Anonymization (脱敏): mask personal data in deal text before anything is stored, indexed or sent.

`get_anonymizer().mask(text, scope)` returns the masked text and the entities it replaced;
`anonymize_deal(record)` masks a whole deal under one pseudonym scope ([客户A] stays [客户A]).
"""

from knowledge.anonymize.anonymizer import Anonymizer, get_anonymizer
from knowledge.anonymize.models import KINDS, Entity, MaskResult
from knowledge.anonymize.scope import PseudonymScope

__all__ = ["Anonymizer", "Entity", "KINDS", "MaskResult", "PseudonymScope", "get_anonymizer"]
