"""Index: hybrid bilingual retrieval over deal turns (dense vectors in Chroma + BM25 over jieba/word tokens).

``get_index().search("太贵了", k=5, filters={"outcome": "won"})`` returns :class:`Hit` objects.
"""

from knowledge.index.bm25 import BM25Index
from knowledge.index.chroma import ChromaStore
from knowledge.index.docs import METADATA_FIELDS, TurnDoc, turn_docs
from knowledge.index.fakes import HashEmbedder
from knowledge.index.hybrid import Hit, HybridIndex, collection_name, get_index, open_index
from knowledge.index.tokenize import tokenize
from knowledge.index.vector import (
    MemoryVectorStore,
    VectorMatch,
    VectorStore,
    get_vector_store,
    register_vector_store,
)

__all__ = [
    "BM25Index", "ChromaStore", "HashEmbedder", "Hit", "HybridIndex", "METADATA_FIELDS", "MemoryVectorStore", "TurnDoc",
    "VectorMatch", "VectorStore", "collection_name", "get_index", "get_vector_store", "open_index",
    "register_vector_store", "tokenize", "turn_docs",
]
