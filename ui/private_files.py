"""Private files for the web app: raw uploads, exports and Gradio's own file cache live under
COACH_HOME/private (folders 0700, files 0600), and only a signed-in browser may upload or download.

Why: the app signs people in inside Gradio (a per-tab State), which Gradio's HTTP routes know nothing
about, so ``POST /gradio_api/upload`` and ``GET /gradio_api/file=…`` were open to anyone. After sign-in the
page receives a one-time code, trades it at ``/coach-files/session`` for an HttpOnly cookie, and a small
middleware refuses uploads and file downloads without a live cookie; exports are also tied to the user
who made them. Everything here is in one process' memory: a restart signs every browser out of files too
(the page's sign-in is per tab anyway), and the private folders are emptied on start.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from fastapi import Request  # at module level: FastAPI reads the route's annotations from these globals
from fastapi.responses import JSONResponse

COOKIE = "coach_files"
CODE_SECONDS = 120  # a sign-in code must be traded for the cookie within this time
IDLE_SECONDS = 12 * 3600  # a file cookie unused for this long stops working
KEEP_SECONDS = 3600  # exports and Gradio's cached copies older than this are deleted
REFUSED = {"error": "请先登录再上传或下载文件 / Sign in first to upload or download files"}


def private_root() -> Path:
    from knowledge.settings import get_settings

    return get_settings().coach_home / "private"


def private_dir(name: str) -> Path:
    """COACH_HOME/private/<name>, created 0700 (and the private folder itself 0700)."""
    root = private_root()
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for path in (root, folder):
        path.chmod(0o700)
    return folder


def uploads_dir() -> Path:
    return private_dir("uploads")


def exports_dir() -> Path:
    return private_dir("exports")


def gradio_dir() -> Path:
    return private_dir("gradio")


def new_private_folder(kind: str, prefix: str) -> Path:
    """A fresh 0700 folder under COACH_HOME/private/<kind> (mkdtemp makes it 0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=private_dir(kind)))


def seal(path: Path) -> Path:
    """Make a written file owner-only (0600)."""
    Path(path).chmod(0o600)
    return Path(path)


def remove_tree(path: Path, kind: str) -> None:
    """Delete a folder, but only when it lies inside COACH_HOME/private/<kind> (never anything else)."""
    path = Path(path).resolve()
    if path != private_dir(kind).resolve() and private_dir(kind).resolve() in path.parents:
        shutil.rmtree(path, ignore_errors=True)


def forget_gradio_upload(path: str | Path) -> None:
    """Delete Gradio's own copy of an upload once the page has staged it (the raw file must not linger)."""
    path = Path(path).resolve()
    root = gradio_dir().resolve()
    if root in path.parents and path.is_file():
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()  # Gradio keeps one folder per upload
        except OSError:
            pass


def prune(kind: str, older_than: float = KEEP_SECONDS) -> None:
    """Delete entries of COACH_HOME/private/<kind> older than ``older_than`` seconds (0: everything)."""
    cutoff = time.time() - older_than
    for entry in private_dir(kind).iterdir():
        try:
            if entry.stat().st_mtime <= cutoff:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError:
            continue


class FileSessions:
    """One-time sign-in codes, the cookies they buy, and which user may download which file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[int, float]] = {}
        self._tokens: dict[str, tuple[int, float]] = {}
        self._owners: dict[str, int] = {}

    def issue_code(self, user_id: int) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (int(user_id), time.monotonic())
        return code

    def redeem(self, code: str) -> str | None:
        """The cookie token for a fresh, unused code; None for anything else."""
        with self._lock:
            found = self._codes.pop(str(code or ""), None)
            if found is None or time.monotonic() - found[1] > CODE_SECONDS:
                return None
            token = secrets.token_urlsafe(32)
            self._tokens[token] = (found[0], time.monotonic())
            return token

    def user_of(self, token: str | None) -> int | None:
        """The signed-in user behind a cookie (refreshing its idle timer), or None."""
        with self._lock:
            found = self._tokens.get(token or "")
            if found is None:
                return None
            if time.monotonic() - found[1] > IDLE_SECONDS:
                del self._tokens[token]
                return None
            self._tokens[token] = (found[0], time.monotonic())
            return found[0]

    def grant(self, path: str | Path, user_id: int) -> None:
        """Only ``user_id`` may download this file (by its resolved path)."""
        with self._lock:
            self._owners[str(Path(path).resolve())] = int(user_id)

    def owner(self, path: str | Path) -> int | None:
        with self._lock:
            return self._owners.get(str(Path(path).resolve()))


SESSIONS = FileSessions()


def offer_export(path: Path, user_id: int) -> str:
    """Seal an export and let only ``user_id`` download it, including the copy Gradio's File makes in its
    cache (named, as Gradio names it, by the content hash of this process)."""
    from gradio import processing_utils
    from gradio_client.utils import strip_invalid_filename_characters

    seal(path)
    SESSIONS.grant(path, user_id)
    cached = gradio_dir() / processing_utils.hash_file(path) / strip_invalid_filename_characters(path.name)
    SESSIONS.grant(cached, user_id)
    prune("exports")
    return str(path)


def use_private_gradio_dir() -> Path:
    """Point Gradio's upload and cache folder at COACH_HOME/private/gradio, emptied, before Blocks are built.

    Gradio reads GRADIO_TEMP_DIR (its documented setting) when each component is created, so this is the
    one place the app writes the environment; the folders are 0700 whatever the umask."""
    folder = gradio_dir()
    prune("gradio", 0)
    prune("uploads", 0)  # staged uploads of a previous run: nobody can import them any more
    prune("exports", 0)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def serve_privately() -> None:
    """Owner-only files for the server process (umask 077): Gradio writes uploads and cached copies itself.
    Called by `coach serve` only, so tests that build the app in-process keep their own umask."""
    os.umask(0o077)


def _file_path(url_path: str) -> str | None:
    marker = "/gradio_api/file="
    return unquote(url_path.split(marker, 1)[1]) if marker in url_path else None


def guard(api, blocks=None) -> None:
    """Add the cookie exchange route and the middleware that refuses unauthenticated uploads/downloads.

    Call before Gradio is mounted at "/" (which catches every route added after it)."""
    @api.post("/coach-files/session", include_in_schema=False)
    async def trade_code(request: Request) -> JSONResponse:
        try:
            code = (await request.json()).get("code", "")
        except (ValueError, AttributeError):
            code = ""
        token = SESSIONS.redeem(code)
        if token is None:
            return JSONResponse(REFUSED, status_code=401)
        response = JSONResponse({"ok": True})
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/", max_age=IDLE_SECONDS)
        return response

    @api.middleware("http")
    async def files_need_sign_in(request: Request, call_next):
        path = request.url.path
        wanted = _file_path(path)
        is_upload = path.rstrip("/").endswith("/gradio_api/upload")
        if wanted is None and not is_upload:
            return await call_next(request)
        user = SESSIONS.user_of(request.cookies.get(COOKIE))
        if user is None:
            return JSONResponse(REFUSED, status_code=401)
        if wanted is not None:
            owner = SESSIONS.owner(wanted)
            if owner is not None and owner != user:
                return JSONResponse({"error": "这个文件属于另一位用户 / This file belongs to another user"},
                                    status_code=403)
        return await call_next(request)

    if blocks is not None:
        blocks.delete_cache = (KEEP_SECONDS, KEEP_SECONDS)  # Gradio's own clean-up of its cached copies


BRIDGE_JS = """(code) => { if (code) { fetch('/coach-files/session', {method: 'POST', credentials: 'same-origin',
  headers: {'content-type': 'application/json'}, body: JSON.stringify({code: code})}); } return []; }"""


def cookie_bridge(user_state):
    """Inside Blocks: a hidden box that receives a one-time code after sign-in and trades it for the file
    cookie in the browser. Returns a refresher ``(fn, inputs, outputs)`` to run after sign-in."""
    import gradio as gr

    box = gr.Textbox(visible="hidden", elem_id="coach-file-code", interactive=False)
    box.change(None, [box], None, js=BRIDGE_JS)

    def issue(user):
        return SESSIONS.issue_code(int(user["id"])) if user and user.get("id") else ""

    return issue, [user_state], [box]


def offer_result(result: tuple[str | None, str], user: dict | None) -> tuple[str | None, str]:
    """A page's ``(export path, message)`` with the file sealed and tied to the signed-in user."""
    path, message = result
    if path and user and user.get("id"):
        return offer_export(Path(path), int(user["id"])), message
    return path, message
