"""BM25 over turn tokens (bm25s), persisted in a folder: an append-only docs log plus the built matrix.

Documents are appended to ``docs.jsonl`` as they are indexed (so an interrupted ingest loses nothing);
the bm25s matrix is rebuilt lazily when the log has moved past it, and saved for the next start.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.index.docs import TurnDoc, normalise_filters
from knowledge.index.tokenize import tokenize

MASK_CACHE_SIZE = 256


class BM25Index:
    """Keyword index over TurnDocs with metadata filters; ``folder=None`` keeps it in memory only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self._docs: dict[str, dict] = {}  # doc_id → {"text", "meta", "tokens"}, insertion-ordered
        self._model = None
        self._ids: list[str] = []
        self._columns: dict[str, np.ndarray] = {}
        if self.folder and (self.folder / "docs.jsonl").exists():
            self._load()

    def __len__(self) -> int:
        return len(self._docs)

    @property
    def exists(self) -> bool:
        return bool(self.folder and (self.folder / "docs.jsonl").exists())

    def add(self, docs: Sequence[TurnDoc]) -> None:
        entries = [{"id": d.doc_id, "text": d.text, "meta": d.metadata, "tokens": tokenize(d.text)} for d in docs]
        self._append(entries)
        for e in entries:
            self._docs.pop(e["id"], None)  # re-added docs move to the end, like the log replay does
            self._docs[e["id"]] = e
        self._model = None

    def delete(self, ids: Sequence[str]) -> None:
        gone = [i for i in ids if i in self._docs]
        self._append([{"id": i, "deleted": True} for i in gone])
        for i in gone:
            del self._docs[i]
        if gone:
            self._model = None

    def search(self, tokens_list: Sequence[list[str]], k: int, filters: dict | None = None) -> list[list[tuple[str, float]]]:
        """For each token list, the top-k (doc_id, score) pairs with a positive score that pass the filters."""
        self._ensure_model()
        if not self._ids:
            return [[] for _ in tokens_list]
        mask = self._mask(normalise_filters(filters))
        vocab = self._model.vocab_dict
        out = []
        for tokens in tokens_list:
            known = [t for t in tokens if t in vocab]
            if not known:
                out.append([])
                continue
            scores = self._model.get_scores(known)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) > k else np.arange(len(scores))
            top = top[np.argsort(-scores[top])]
            out.append([(self._ids[j], float(scores[j])) for j in top if scores[j] > 0])
        return out

    def get(self, doc_id: str) -> dict | None:
        return self._docs.get(doc_id)

    def save(self) -> None:
        """Build (if needed) and save the matrix so the next start loads it instead of re-indexing."""
        self._ensure_model()
        if self.folder and self._model is not None:
            self._model.save(str(self.folder / "model"), show_progress=False)
            (self.folder / "model" / "ids.json").write_text(json.dumps(self._ids))

    # -- internals ---------------------------------------------------------------------------------

    def _append(self, entries: list[dict]) -> None:
        if self.folder and entries:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / "docs.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)

    def _load(self) -> None:
        with open(self.folder / "docs.jsonl", encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption; the ingest re-adds that batch
                self._docs.pop(entry["id"], None)
                if not entry.get("deleted"):
                    self._docs[entry["id"]] = entry
        ids_file = self.folder / "model" / "ids.json"
        if ids_file.exists() and json.loads(ids_file.read_text()) == list(self._docs):
            import bm25s

            self._model = bm25s.BM25.load(str(self.folder / "model"), show_progress=False)
            self._ids = list(self._docs)

    def _ensure_model(self) -> None:
        if self._model is not None or not self._docs:
            if not self._docs:
                self._ids = []
            return
        import bm25s

        self._ids = list(self._docs)
        self._model = bm25s.BM25()
        self._model.index([self._docs[i]["tokens"] or [""] for i in self._ids], show_progress=False)
        self._columns = {}
        self._masks = {}

    def _mask(self, allowed: dict[str, list]) -> np.ndarray | None:
        """Boolean mask of the docs passing the filters. One mask per (field, values) is cached until the
        matrix is rebuilt: comparing an object column of 10^5+ docs costs tens of ms, a cached AND costs ~0."""
        mask = None
        masks = getattr(self, "_masks", None)
        if masks is None:
            masks = self._masks = {}
        for key, values in allowed.items():
            cache_key = (key, tuple(sorted(map(str, values))))
            hit = masks.get(cache_key)
            if hit is None:
                column = self._columns.get(key)
                if column is None:
                    column = self._columns[key] = np.array([self._docs[i]["meta"].get(key) for i in self._ids],
                                                           dtype=object)
                hit = np.isin(column, np.array(values, dtype=object))
                if len(masks) >= MASK_CACHE_SIZE:
                    masks.pop(next(iter(masks)))
                masks[cache_key] = hit
            mask = hit if mask is None else mask & hit
        return mask
