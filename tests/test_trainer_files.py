"""Uploads and exports stay private (issue #16 item 6): Gradio's folder and the staged uploads live under
COACH_HOME/private (0700/0600), an unauthenticated HTTP client can neither upload nor download, an export is
served only to the user who made it, and the raw upload is gone after import or cancel. The HTTP checks run
against the real ASGI app that `coach serve` runs."""

from __future__ import annotations

import os
import stat

import pytest

from ui import private_files
from ui.pages import author, author_import

ROWS = {"zh": "客户,角色,内容\n王女士,销售,王女士您好\n王女士,客户,电话13812345678\n",
        "en": "Customer,Role,Content\nMs Wang,Agent,Hello Ms Wang\nMs Wang,Customer,Call me on (415) 555-0134\n"}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app `coach serve` builds, in this process (module-scoped: building the Blocks takes seconds)."""
    from fastapi.testclient import TestClient

    from knowledge import db, settings

    home = tmp_path_factory.mktemp("files-home")
    saved = {k: os.environ.get(k) for k in ("COACH_HOME", "GRADIO_TEMP_DIR")}
    os.environ["COACH_HOME"] = str(home)
    settings.get_settings.cache_clear()
    db.reset_engines()
    from ui.server import build_asgi

    with TestClient(build_asgi()) as client:
        yield client, home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def home(served, monkeypatch):
    monkeypatch.setenv("COACH_HOME", str(served[1]))
    from knowledge import settings

    settings.get_settings.cache_clear()
    return served[1]


def signed_in(client, user_id: int) -> dict:
    """Cookies of a browser that signed in as ``user_id`` (the page hands it a one-time code)."""
    answer = browser(client).post("/coach-files/session", json={"code": private_files.SESSIONS.issue_code(user_id)})
    assert answer.status_code == 200 and private_files.COOKIE in answer.cookies
    return {private_files.COOKIE: answer.cookies[private_files.COOKIE]}


def browser(client, cookies: dict | None = None):
    """The client as a browser holding exactly ``cookies`` (none: never signed in)."""
    client.cookies.clear()
    for key, value in (cookies or {}).items():
        client.cookies.set(key, value)
    return client


def upload(client, name: str, text: str, cookies: dict | None):
    return browser(client, cookies).post("/gradio_api/upload",
                                         files={"files": (name, text.encode("utf-8"), "text/csv")})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unauthenticated_clients_can_neither_upload_nor_download(served, home, lang):
    client, _ = served
    refused = upload(client, f"deals-{lang}.csv", ROWS[lang], None)
    assert refused.status_code == 401 and "Sign in first" in refused.text and "请先登录" in refused.text
    cookies = signed_in(client, 1)
    accepted = upload(client, f"deals-{lang}.csv", ROWS[lang], cookies)
    assert accepted.status_code == 200, accepted.text
    stored = accepted.json()[0]
    assert private_files.gradio_dir().resolve() in os_parents(stored)  # Gradio's folder is the private one
    assert mode(private_files.private_root()) == 0o700 and mode(private_files.gradio_dir()) == 0o700
    assert browser(client).get(f"/gradio_api/file={stored}").status_code == 401
    assert browser(client, cookies).get(f"/gradio_api/file={stored}").status_code == 200
    assert browser(client).post("/coach-files/session", json={"code": "guessed"}).status_code == 401


def os_parents(path: str):
    from pathlib import Path

    return Path(path).resolve().parents


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_raw_upload_is_gone_after_staging_import_and_cancel(served, home, lang, tmp_path):
    client, _ = served
    cookies = signed_in(client, 1)
    stored = upload(client, f"crm-{lang}.csv", ROWS[lang], cookies).json()[0]
    staged = author.stage_upload(stored, f"crm-{lang}.csv")  # what the page does with the upload
    assert not os.path.exists(stored)  # Gradio's copy is deleted at once
    assert browser(client, cookies).get(f"/gradio_api/file={stored}").status_code in (403, 404)
    assert private_files.uploads_dir().resolve() in staged.resolve().parents
    assert mode(staged) == 0o600 and mode(staged.parent) == 0o700
    report = author_import.import_deals(staged, lambda *_: None, 1, ingest=lambda path, **kw: "imported")
    assert report == "imported" and not staged.parent.exists()  # gone after import
    again = author.stage_upload(tmp_path_file(tmp_path, ROWS[lang]), "again.csv")
    author_import.discard_upload(again)
    assert not again.parent.exists()  # gone on cancel


def tmp_path_file(tmp_path, text: str):
    path = tmp_path / "source.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_export_is_served_only_to_the_user_who_made_it(served, home, lang):
    from gradio import processing_utils

    client, _ = served
    folder = private_files.new_private_folder("exports", "coach-export-")
    path = folder / f"session-{lang}.md"
    path.write_text({"zh": "# 会话 12\n学员：你好", "en": "# Session 12\nTrainee: hello"}[lang], encoding="utf-8")
    offered, _ = private_files.offer_result((str(path), ""), {"id": 7})
    assert mode(offered) == 0o600 and mode(folder) == 0o700
    cached = processing_utils.save_file_to_cache(offered, str(private_files.gradio_dir()))  # what gr.File does
    mentor, other = signed_in(client, 7), signed_in(client, 8)
    assert browser(client).get(f"/gradio_api/file={cached}").status_code == 401
    assert browser(client, other).get(f"/gradio_api/file={cached}").status_code == 403
    mine = browser(client, mentor).get(f"/gradio_api/file={cached}")
    assert mine.status_code == 200 and mine.text == path.read_text(encoding="utf-8")
