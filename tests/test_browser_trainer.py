"""The trainer page in a real browser, in Chinese and English (issue #17 items 10-12, issue #16 item 6):
publish a new version and see its number, the history and a diff; upload a CRM export whose column names
are guessed; un-mask a false positive and add a missed term; import; the raw upload is gone afterwards and
an unauthenticated client can neither upload nor download. Screenshots go to test-output/<test name>/."""

from __future__ import annotations

import re

import httpx
import pytest
from test_browser_author import editor_text, set_editor, sign_in, wait_text

pytestmark = [pytest.mark.browser]

CASES = {
    "zh": {"scenario": "zh-saas-price", "file": "客户沟通记录.csv", "published": "已发布", "note": "编辑器中",
           "diff": "的差异", "csv": "客户,时间,角色,内容\n"
                                   "王女士,2026-01-15 10:02,销售,张伟您好，我是顾问小陈。\n"
                                   "王女士,2026-01-15 10:03,客户,太贵了，打我电话13812345678，内部代号青鸟计划。\n",
           "guess": {"message": "内容", "author": "角色", "timestamp": "时间"}, "person": "张伟",
           "term": "青鸟计划", "label": "[已屏蔽]", "counts": "识别到的个人信息", "kept": "已按培训师要求保留",
           "report": "新增: \\*\\*1\\*\\*|新增: 1"},
    "en": {"scenario": "en-shop-price", "file": "crm-export.csv", "published": "published", "note": "In the editor",
           "diff": "Changes from", "csv": "Customer,Time,Role,Content\n"
                                          "Ms Wang,2026-01-15 10:02,Agent,\"Hi John Smith, this is Chen from sales.\"\n"
                                          "Ms Wang,2026-01-15 10:03,Customer,\"Too pricey. Call (415) 555-0134, Bluebird.\"\n",
           "guess": {"message": "Content", "author": "Role", "timestamp": "Time"}, "person": "John Smith",
           "term": "Bluebird", "label": "[REDACTED]", "counts": "Personal data found", "kept": "Kept un-masked",
           "report": "new: \\*\\*1\\*\\*|new: 1"},
}


def pick(page, elem_id: str, text: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option").filter(has_text=text).first.click()


def open_author(browser, base_url: str, lang: str):
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    sign_in(page, base_url, "trainer", "trainer123")
    if lang == "en":
        page.locator("#lang-switch").get_by_text("en", exact=True).click()
        page.wait_for_timeout(1500)  # the switch re-runs the sign-in refreshers
    page.locator("#tab-author-button").click()
    wait_text(page, "#au-scenarios", "drill-authority")
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trainer_versions_mapping_review_and_private_upload(app_server, browser, shots, tmp_path, lang):
    case = CASES[lang]
    context, page = open_author(browser, app_server, lang)
    try:
        # item 10: the stored version, the history and a diff
        pick(page, "au-scenario", case["scenario"])
        page.locator("#au-load").click()
        page.wait_for_function(
            "(id) => (document.querySelector('#au-editor .cm-content') || {}).innerText?.includes('id: ' + id)",
            arg=case["scenario"], timeout=30_000)
        before = int(re.search(r"v(\d+)", wait_text(page, "#au-version", case["note"] + ".*v\\d+"))[1])
        text = editor_text(page)
        if "version:" not in text:  # the English file has no version line: type one, as a trainer may
            text = text.rstrip("\n") + "\nversion: 1\n"
        turns = int(re.search(r"max_turns: (\d+)", text)[1])
        set_editor(page, re.sub(r"max_turns: \d+", f"max_turns: {11 if turns != 11 else 12}", text))
        page.locator("#au-publish").click()
        wait_text(page, "#au-message", f"{case['scenario']} v{before + 1}")
        page.wait_for_function(
            "(v) => (document.querySelector('#au-editor .cm-content') || {}).innerText?.includes('version: ' + v)",
            arg=before + 1, timeout=30_000)
        assert "version: 1\n" not in editor_text(page) or before + 1 == 1
        wait_text(page, "#au-version", f"v{before + 1}")
        wait_text(page, "#au-history", f"{before + 1}")
        page.locator("#au-diff-btn").click()
        diff = wait_text(page, "#au-diff", case["diff"])
        assert f"v{before} → v{before + 1}" in diff or f"v{before} to v{before + 1}" in diff
        assert re.search(r"\+max_turns: 1[12]", diff) and re.search(r"-max_turns: \d+", diff)
        page.screenshot(path=str(shots / f"author-versions-{lang}.png"), full_page=True)

        # item 11: the column names are guessed, the preview comes before the import
        upload = tmp_path / case["file"]
        upload.write_text(case["csv"], encoding="utf-8")
        uploads = app_server.home / "private" / "uploads"
        earlier = set(uploads.glob("coach-upload-*/*"))  # another test's tab may still hold its upload
        page.get_by_text("导入成交记录 / Import deals").click()
        page.locator("#au-upload input[type=file]").set_input_files(str(upload))
        wait_text(page, "#au-anon-preview", case["counts"])
        for field, column in case["guess"].items():
            assert page.locator(f"#au-map-{field} input").input_value() == column
        staged = sorted(set(uploads.glob("coach-upload-*/*")) - earlier)
        assert [p.name for p in staged] == [upload.name]
        assert not list((app_server.home / "private" / "gradio").rglob(upload.name))  # Gradio's copy is gone

        # item 12: un-mask a false positive, add a missed term, see it before the import
        pick(page, "au-unmask", case["person"])
        page.keyboard.press("Escape")
        page.locator("#au-extra textarea, #au-extra input").first.fill(case["term"])
        page.locator("#au-refresh").click()
        preview = wait_text(page, "#au-anon-preview", case["kept"])
        assert case["label"] in preview and case["person"] in preview
        page.screenshot(path=str(shots / f"author-import-review-{lang}.png"), full_page=True)

        # #16-6: nobody without the sign-in cookie can upload or fetch a file
        refused = httpx.post(f"{app_server}/gradio_api/upload", files={"files": ("x.csv", b"a,b\n1,2\n")})
        assert refused.status_code == 401
        assert httpx.get(f"{app_server}/gradio_api/file={staged[0]}").status_code == 401

        page.locator("#au-import").click()
        wait_text(page, "#au-import-report", case["report"])
        assert not staged[0].exists() and not staged[0].parent.exists()  # the raw upload is gone after import
        page.screenshot(path=str(shots / f"author-imported-{lang}.png"), full_page=True)
        assert page.locator(".toast-body.error").count() == 0, "an error was shown on the page"
    except Exception:
        page.screenshot(path=str(shots / f"failed-{lang}.png"), full_page=True)  # what the page showed
        raise
    finally:
        context.close()
