"""A tiny deterministic embedder for tests and dry runs: hashed character n-grams, no model to load."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from knowledge.embeddings import Embedder, register_embedder


@register_embedder("hash")
class HashEmbedder(Embedder):
    """Bag of hashed character 1-3-grams; texts sharing words land near each other, in any script.

    Registered as ``hash`` so ``COACH_EMBEDDER=hash`` runs the whole CLI without a model (crash tests, dry runs)."""

    name = "hash"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            low = text.lower()
            for n in (1, 2, 3):
                for i in range(len(low) - n + 1):
                    gram = low[i:i + n]
                    if gram.strip():
                        out[row, int(hashlib.md5(gram.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
