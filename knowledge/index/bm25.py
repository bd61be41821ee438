"""BM25 over turn tokens (bm25s), persisted in a folder: an append-only docs log plus the built matrix.

Documents are appended to ``docs.jsonl`` as they are indexed (so an interrupted ingest loses nothing);
the bm25s matrix is rebuilt lazily when the log has moved past it, and saved for the next start.

Rows are held column-wise so a 10^6-turn index fits in a few hundred MB: ids and texts in lists, tokens as
one flat int32 array of vocabulary ids, each metadata field as an int32 code per row into a table of its
distinct values (free-text fields as a plain list). Replaced and deleted rows stay as dead rows until the
matrix is rebuilt, when they are compacted away; between rebuilds the matrix rows equal the live rows.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.index.bm25_rows import RowPostings, restrict
from knowledge.index.docs import TurnDoc, normalise_filters
from knowledge.index.tokenize import tokenize

try:  # orjson (installed with chromadb) parses the log ~3x faster; the standard library reads it the same
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    from json import loads as _loads

MASK_CACHE_SIZE = 256
FREE_TEXT_FIELDS = frozenset({"next_rep"})  # nearly one value per row: a code table would only add a dict entry
_MISSING = object()  # a metadata key the doc does not have (filters treat it like None, as meta.get did)
_RECENT_LIMIT = 256


class BM25Index:
    """Keyword index over TurnDocs with metadata filters; ``folder=None`` keeps it in memory only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self._ids: list[str] = []  # row → doc id (dead rows included until the next compaction)
        self._row: dict[str, int] = {}  # live doc id → row, in insertion order
        self._texts: list[str] = []
        self._tokens = array("i")  # vocabulary ids of every row, concatenated
        self._ends = array("q")  # row → end offset of its tokens in self._tokens
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []  # vocabulary id → token
        self._meta: dict[str, _CodedColumn | _TextColumn] = {}
        self._dead = 0
        self._recent: dict[str, str] = {}  # recent next_rep strings, so the next rep turn's text shares them
        self._model = None
        self._masks: dict[tuple, np.ndarray] = {}
        self.generation = 0  # bumped by every add or delete: what was built from the rows may be out of date
        self._pins: list[dict[str, list]] = []  # filters whose rows keep their own postings (see bm25_rows)
        self._postings: list[RowPostings] | None = None  # built from the current matrix, on first need
        self.use_pins = True  # off: pinned filters read the whole matrix's postings (the A/B bench compares both)
        if self.folder and (self.folder / "docs.jsonl").exists():
            self._load()

    def __len__(self) -> int:
        return len(self._row)

    @property
    def exists(self) -> bool:
        return bool(self.folder and (self.folder / "docs.jsonl").exists())

    def add(self, docs: Sequence[TurnDoc]) -> None:
        """Index docs (appending them to the log); a re-added id replaces the old doc and moves to the end."""
        entries = [{"id": d.doc_id, "text": d.text, "meta": d.metadata, "tokens": tokenize(d.text)} for d in docs]
        self._append(entries)
        for e in entries:
            self._put(e["id"], e["text"], e["meta"], e["tokens"])
        if entries:
            self._model = None
            self.generation += 1

    def delete(self, ids: Sequence[str]) -> None:
        gone = [i for i in dict.fromkeys(ids) if i in self._row]
        self._append([{"id": i, "deleted": True} for i in gone])
        for i in gone:
            self._drop(i)
        if gone:
            self._model = None
            self.generation += 1

    def search(self, tokens_list: Sequence[list[str]], k: int, filters: dict | None = None) -> list[list[tuple[str, float]]]:
        """For each token list, the top-k (doc_id, score) pairs with a positive score that pass the filters."""
        self._ensure_model()
        if not self._ids:
            return [[] for _ in tokens_list]
        allowed = normalise_filters(filters)
        mask = self._mask(allowed)
        pinned = self._pinned_for(allowed) if mask is not None else None
        subset = pinned.subset(allowed, self.mask_of) if pinned is not None else None
        vocab = self._model.vocab_dict
        out = []
        for tokens in tokens_list:
            known = [t for t in tokens if t in vocab]
            if not known:
                out.append([])
                continue
            ids = [vocab[t] for t in known]
            if pinned is not None and self._postings_count(ids) <= len(mask):
                hits, scores = pinned.matches(ids, subset)  # same rows and scores, from far fewer entries
            else:
                hits, scores = self._matches(ids, mask)
            # Rank only the docs that matched a token and pass the filters: at 10^6 docs a partition over the
            # whole score array costs ~10 ms, over the few thousand matches almost nothing. Ties go to the
            # earlier row, so the same query always returns the same docs.
            if len(hits) > k:  # keep the k best and every doc tied with the k-th, then order those
                keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
                hits, scores = hits[keep], scores[keep]
            order = np.lexsort((hits, -scores))[:k]
            out.append([(self._ids[j], float(s)) for j, s in zip(hits[order].tolist(), scores[order].tolist(), strict=True)])
        return out

    def _matches(self, token_ids: list[int], mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Rows that contain a query token and pass ``mask``, with their BM25 scores.

        With a filter, only the query tokens' postings are read and filtered: a practice turn's filters keep
        a few thousand of 10^6 rows, and summing a dense score per row (bm25s's way) cost ~5 ms at that size
        (a 100k-deal role-play's customer-line lookup went from p50 9.5 / p95 16 ms to 4.5 / 10 ms).
        Without a filter, or when the postings outnumber the rows, the dense sum is the cheaper one."""
        matrix = self._model.scores
        indptr = matrix["indptr"]
        spans = [(int(indptr[t]), int(indptr[t + 1])) for t in dict.fromkeys(token_ids)]
        postings = sum(end - start for start, end in spans)
        if mask is None or postings > len(mask):
            scores = self._model.get_scores(token_ids)
            rows = np.flatnonzero(scores > 0)
            if mask is not None:
                rows = rows[mask[rows]]
            return rows, scores[rows]
        rows = np.concatenate([matrix["indices"][start:end] for start, end in spans])
        values = np.concatenate([matrix["data"][start:end] for start, end in spans])
        keep = mask[rows]
        rows, position = np.unique(rows[keep], return_inverse=True)
        scores = np.bincount(position, weights=values[keep], minlength=len(rows)).astype(np.float32)
        positive = scores > 0
        return rows[positive], scores[positive]

    def pin(self, filters_list: Sequence[dict]) -> int:
        """Keep the postings of just the rows passing each of these filters, so a search whose filters fix the
        same fields reads those (the live card's won-deal lines: ~8k of 1.8M rows at 100k deals). They are
        rebuilt with the matrix; returns the rows they cover."""
        for filters in filters_list:
            allowed = normalise_filters(filters)
            if allowed and allowed not in self._pins:
                self._pins.append(allowed)
                self._postings = None
        self._ensure_model()
        return sum(len(p.rows) for p in self._pinned_postings())

    def _pinned_postings(self) -> list[RowPostings]:
        if self._postings is None:
            self._postings = restrict(self._model.scores, [(a, self.rows_passing(a)) for a in self._pins]) \
                if self._pins and self._model is not None else []
        return self._postings

    def _pinned_for(self, allowed: dict[str, list]) -> RowPostings | None:
        if not self._pins or not self.use_pins:
            return None
        return next((p for p in self._pinned_postings() if p.covers(allowed)), None)

    def _postings_count(self, token_ids: list[int]) -> int:
        indptr = self._model.scores["indptr"]
        return sum(int(indptr[t + 1]) - int(indptr[t]) for t in dict.fromkeys(token_ids))

    def warm_filters(self, fields: Sequence[str], max_values: int = 64) -> int:
        """Build the one-field masks of every value of ``fields`` now (those with at most ``max_values``
        distinct values), so no search pays for them: each costs ~10 ms at 10^6 rows, and a role-play's first
        searches met a dozen of them (search p95 13 ms, max 80 ms at 100k deals). Returns how many were built."""
        self._ensure_model()
        built = 0
        for key in fields:
            column = self._meta.get(key)
            if not isinstance(column, _CodedColumn) or len(column.values) > max_values:
                continue
            for value in column.values:
                cache_key = (key, (repr(value),))
                if cache_key not in self._masks and len(self._masks) < MASK_CACHE_SIZE:
                    self._cache(cache_key, column.mask([value]))
                    built += 1
        return built

    def passing(self, doc_ids: Sequence[str], filters: dict | None) -> np.ndarray:
        """For each id, whether that doc is here and passes the filters: one lookup in the cached masks, so a
        vector store can filter hundreds of over-fetched neighbours in well under a millisecond."""
        self._ensure_model()  # masks are over the matrix rows
        rows = np.fromiter((self._row.get(i, -1) for i in doc_ids), dtype=np.int64, count=len(doc_ids))
        known = rows >= 0
        mask = self._mask(normalise_filters(filters))
        if mask is not None:
            known[known] = mask[rows[known]]
        return known

    def ids_passing(self, filters: dict | None, limit: int) -> list[str] | None:
        """Every doc id that passes the filters, or None when more than ``limit`` do (then a vector store
        should rather over-fetch neighbours than send the list)."""
        self._ensure_model()
        mask = self._mask(normalise_filters(filters))
        if mask is None:
            return None if len(self._row) > limit else list(self._row)
        rows = np.flatnonzero(mask)
        if len(rows) > limit:
            return None
        return [self._ids[r] for r in rows]

    def mask_of(self, filters: dict | None) -> np.ndarray:
        """Which matrix rows pass the filters (cached like a search's mask; all rows without filters)."""
        self._ensure_model()
        mask = self._mask(normalise_filters(filters))
        return np.ones(len(self._ids), dtype=bool) if mask is None else mask

    def rows_passing(self, filters: dict | None) -> np.ndarray:
        """The matrix rows that pass the filters, in row order (valid until the next add or delete)."""
        return np.flatnonzero(self.mask_of(filters))

    def ids_at(self, rows: np.ndarray) -> list[str]:
        return [self._ids[r] for r in rows.tolist()]

    def field_values(self, field: str) -> list:
        """The distinct values a coded metadata field takes (empty for free-text or unknown fields)."""
        self._ensure_model()
        column = self._meta.get(field)
        return list(column.values) if isinstance(column, _CodedColumn) else []

    def doc_ids(self) -> set[str]:
        """Every live doc id (health checks compare it with the database and the vector store)."""
        return set(self._row)

    def get(self, doc_id: str) -> dict | None:
        """``{"id", "text", "meta"}`` of a live doc (a fresh dict each call), or None."""
        row = self._row.get(doc_id)
        if row is None:
            return None
        meta = {}
        for key, column in self._meta.items():
            value = column.value(row)
            if value is not _MISSING:
                meta[key] = value
        return {"id": doc_id, "text": self._texts[row], "meta": meta}

    def save(self) -> None:
        """Build (if needed) and save the matrix so the next start loads it instead of re-indexing."""
        self._ensure_model()
        if self.folder and self._model is not None:
            self._model.save(str(self.folder / "model"), show_progress=False)
            (self.folder / "model" / "ids.json").write_text(json.dumps(self._ids))

    # -- rows --------------------------------------------------------------------------------------

    def _put(self, doc_id: str, text: str, meta: dict, tokens: list[str] | None) -> None:
        if doc_id in self._row:
            self._dead += 1  # the old row stays until the next compaction
        row = len(self._ids)
        self._row[doc_id] = row
        self._ids.append(doc_id)
        self._texts.append(self._recent.get(text, text))
        if tokens is None:
            tokens = tokenize(text)
        ids = [self._vocab.get(t) for t in tokens or ("",)]  # bm25s needs a token per doc; "" matches no query
        if None in ids:
            ids = [self._token_id(t) for t in tokens or ("",)]
        self._tokens.extend(ids)
        self._ends.append(len(self._tokens))
        if meta.keys() != self._meta.keys():
            for key in meta:
                if key not in self._meta:
                    self._meta[key] = (_TextColumn if key in FREE_TEXT_FIELDS else _CodedColumn)(row)
        for key, column in self._meta.items():
            column.append(meta.get(key, _MISSING))
        next_rep = meta.get("next_rep")
        if isinstance(next_rep, str) and next_rep:
            if len(self._recent) >= _RECENT_LIMIT:
                self._recent.clear()
            self._recent[next_rep] = next_rep

    def _token_id(self, token: str) -> int:
        tid = self._vocab.get(token)
        if tid is None:
            tid = self._vocab[token] = len(self._words)
            self._words.append(token)
        return tid

    def _drop(self, doc_id: str) -> None:
        if self._row.pop(doc_id, None) is not None:
            self._dead += 1

    def _compact(self) -> None:
        """Drop dead rows from every column so row i is matrix row i again."""
        if not self._dead:
            return
        alive = np.zeros(len(self._ids), dtype=bool)
        alive[np.fromiter(self._row.values(), dtype=np.int64, count=len(self._row))] = True
        keep = np.flatnonzero(alive)
        keep_list = keep.tolist()
        self._ids = [self._ids[i] for i in keep_list]
        self._texts = [self._texts[i] for i in keep_list]
        ends = np.frombuffer(self._ends, dtype=np.int64)
        lengths = np.diff(ends, prepend=0)
        tokens = np.frombuffer(self._tokens, dtype=np.intc)[np.repeat(alive, lengths)]
        new_ends = np.cumsum(lengths[keep], dtype=np.int64)
        del ends  # release the buffer views before the arrays are replaced
        self._tokens = array("i", tokens.tobytes())
        self._ends = array("q", new_ends.tobytes())
        for column in self._meta.values():
            column.keep(keep, keep_list)
        self._row = {doc_id: i for i, doc_id in enumerate(self._ids)}
        self._dead = 0

    # -- log and matrix ----------------------------------------------------------------------------

    def _append(self, entries: list[dict]) -> None:
        if self.folder and entries:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / "docs.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)

    def _load(self) -> None:
        """Replay the log line by line (no parsed entry is kept; repeated values are stored once)."""
        with open(self.folder / "docs.jsonl", "rb") as fh:
            for line in fh:
                try:
                    entry = _loads(line)
                except ValueError:
                    continue  # a line cut short by an interruption; the ingest re-adds that batch
                if entry.get("deleted"):
                    self._drop(entry["id"])
                else:
                    self._put(entry["id"], entry["text"], entry.get("meta") or {}, entry.get("tokens"))
        self._compact()
        ids_file = self.folder / "model" / "ids.json"
        if self._ids and ids_file.exists() and json.loads(ids_file.read_text()) == self._ids:
            import bm25s

            self._model = bm25s.BM25.load(str(self.folder / "model"), show_progress=False)

    def _ensure_model(self) -> None:
        if self._model is not None:
            return
        self._compact()
        self._masks = {}
        self._postings = None
        if self._ids:
            self._model = _build_model(np.frombuffer(self._tokens, dtype=np.intc),
                                       np.frombuffer(self._ends, dtype=np.int64), self._words)

    def _mask(self, allowed: dict[str, list]) -> np.ndarray | None:
        """Boolean mask of the docs passing the filters. One mask per (field, values) is cached until the
        matrix is rebuilt: comparing a column of 10^5+ docs costs ms, a cached AND costs ~0."""
        keys = [(key, tuple(sorted({repr(v) for v in values}))) for key, values in allowed.items()]
        if len(keys) > 1:  # the AND of several fields is cached too: five 10^6-row ANDs cost ~1 ms a search
            combined = self._masks.get(tuple(keys))
            if combined is None:
                combined = self._cache(tuple(keys), np.logical_and.reduce(
                    [self._field_mask(key, allowed[key[0]]) for key in keys]))
            return combined
        return self._field_mask(keys[0], allowed[keys[0][0]]) if keys else None

    def _field_mask(self, cache_key: tuple, values: list) -> np.ndarray:
        hit = self._masks.get(cache_key)
        if hit is None:
            column = self._meta.get(cache_key[0])
            hit = self._cache(cache_key, column.mask(values) if column else np.full(len(self._ids), None in values))
        return hit

    def _cache(self, key: tuple, mask: np.ndarray) -> np.ndarray:
        if len(self._masks) >= MASK_CACHE_SIZE:
            self._masks.pop(next(iter(self._masks)))
        self._masks[key] = mask
        return mask


class _CodedColumn:
    """A metadata field as an int32 code per row (-1: key absent) into a table of its distinct values."""

    def __init__(self, rows: int) -> None:
        self.codes = array("i", [-1]) * rows
        self.values: list = []
        self.index: dict = {}  # value → code; also what interns the repeated values

    def append(self, value) -> None:
        if value is _MISSING:
            self.codes.append(-1)
            return
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def value(self, row: int):
        code = self.codes[row]
        return _MISSING if code < 0 else self.values[code]

    def keep(self, rows: np.ndarray, rows_list: list[int]) -> None:
        self.codes = array("i", np.frombuffer(self.codes, dtype=np.intc)[rows].tobytes())

    def mask(self, wanted: list) -> np.ndarray:
        codes = [self.index[v] for v in wanted if _hashable(v) and v in self.index]
        if None in wanted:
            codes.append(-1)
        return np.isin(np.frombuffer(self.codes, dtype=np.intc), np.array(codes, dtype=np.intc))


class _TextColumn:
    """A metadata field with (nearly) one value per row, kept as a plain list."""

    def __init__(self, rows: int) -> None:
        self.values: list = [_MISSING] * rows

    def append(self, value) -> None:
        self.values.append(value)

    def value(self, row: int):
        return self.values[row]

    def keep(self, rows: np.ndarray, rows_list: list[int]) -> None:
        self.values = [self.values[i] for i in rows_list]

    def mask(self, wanted: list) -> np.ndarray:
        allowed = {v for v in wanted if _hashable(v)}
        return np.fromiter(((None if v is _MISSING else v) in allowed for v in self.values), dtype=bool,
                           count=len(self.values))


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _build_model(tokens: np.ndarray, ends: np.ndarray, words: list[str]):
    """A bm25s model over the rows, built with array operations instead of bm25s's per-document loop.

    Same matrix as ``bm25s.BM25().index(list_of_token_lists)`` (Lucene BM25, float32 scores, CSC by token
    then doc, "" in the vocabulary) without materialising 10^7 Python ints on the way.
    """
    import bm25s

    model = bm25s.BM25()
    n_docs = len(ends)
    lengths = np.diff(ends, prepend=0)
    present = np.zeros(len(words), dtype=bool)
    present[tokens] = True
    used = np.flatnonzero(present)
    column_of = np.cumsum(present, dtype=np.int64) - 1
    keys = column_of[tokens] * n_docs + np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    keys, tf = np.unique(keys, return_counts=True)  # sorted by (token, doc): the CSC order
    cols, rows = np.divmod(keys, n_docs)
    del keys
    indptr = np.zeros(len(used) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=len(used)), out=indptr[1:])
    df = np.diff(indptr).tolist()
    idf = np.array([math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) for d in df], dtype=model.dtype)
    k1, b = model.k1, model.b
    norm = k1 * ((1 - b) + b * lengths.astype(np.float64) / lengths.mean())
    tf = tf.astype(model.dtype).astype(np.float64)
    data = (idf[cols] * (tf / (norm[rows] + tf))).astype(model.dtype)
    vocab = {words[t]: i for i, t in enumerate(used.tolist())}
    vocab.setdefault("", len(vocab))
    model.scores = {"data": data, "indices": rows.astype(model.int_dtype), "indptr": indptr, "num_docs": n_docs}
    model.vocab_dict = vocab
    model.unique_token_ids_set = set(vocab.values())
    model.nonoccurrence_array = None
    return model
