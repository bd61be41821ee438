"""The Gradio app: sign-in, then one tab per role. ``create_app()`` returns Blocks without launching."""

from __future__ import annotations

import math

import gradio as gr

from ui.services import Services
from ui.session_guard import SignedInBlocks, signed_in
from ui.texts import i18n as make_i18n
from ui.texts import t

CSS = """
body, .gradio-container { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", sans-serif; }
#grade-panel { min-height: 6em; }
"""


def client_address(request) -> str | None:
    """The client's address as uvicorn sees it (behind a trusted proxy, the forwarded one)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) if client else None


def signin_refusal(refused) -> str:
    """The sign-in form's message for a refused sign-in, in both languages (the user is not known yet)."""
    if refused.reason == "locked":
        minutes = max(1, math.ceil(refused.retry_after / 60))
        return f"❌ {t('signin_locked', 'zh', minutes=minutes)} / {t('signin_locked', 'en', minutes=minutes)}"
    return f"❌ {t('signin_failed', 'zh')} / {t('signin_failed', 'en')}"


def signed_out_message(why: str) -> str:
    from knowledge.settings import get_settings

    key = "signed_out_other" if why == "other_browser" else "signed_out_idle"
    minutes = max(1, round(get_settings().signin_idle_minutes))
    return f"⏏ {t(key, 'zh', minutes=minutes)} / {t(key, 'en', minutes=minutes)}"


def signout_poll_seconds() -> float:
    """How often an open page checks whether it was signed out: often enough to show it soon after."""
    from knowledge.settings import get_settings

    return max(1.0, min(30.0, get_settings().signin_idle_minutes * 60 / 4))


def create_app(services: Services | None = None) -> gr.Blocks:
    services = services or Services()
    i18n = make_i18n()
    with SignedInBlocks(title="AI Sales Coach · AI销售陪练") as app:
        # per browser session: {"id", "username", "name", "roles", "lang", "client", "seen"}; SignedInBlocks
        # empties it when another browser uses the session or the tab is idle too long (ui/session_guard.py)
        user_state = gr.State(None)
        signed_out = gr.State(None)  # why SignedInBlocks signed this tab out: "idle" | "other_browser"
        app.user_state, app.signed_out = user_state, signed_out
        header = gr.Markdown(f"# {t('app_title', 'zh')} · {t('app_title', 'en')}")
        with gr.Column(visible=True, elem_id="signin-panel") as signin_col:
            username = gr.Textbox(label=i18n("username"), elem_id="signin-username")
            password = gr.Textbox(label=i18n("password"), type="password", elem_id="signin-password")
            signin_btn = gr.Button(i18n("signin"), variant="primary", elem_id="signin-btn")
            signin_msg = gr.Markdown(elem_id="signin-msg")
        with gr.Column(visible=False, elem_id="main-panel") as main_col:
            with gr.Row():
                welcome = gr.Markdown(elem_id="welcome")
                lang_switch = gr.Radio(["zh", "en"], value="zh", label=i18n("language"), elem_id="lang-switch",
                                       scale=0)
                signout_btn = gr.Button(i18n("signout"), size="sm", scale=0, elem_id="signout-btn")
            with gr.Tabs():
                with gr.Tab(i18n("practice"), id="practice", elem_id="tab-practice", visible=False) as practice_tab:
                    from ui.pages import practice

                    practice_page = practice.build(services, user_state, i18n)
                with gr.Tab(i18n("review"), id="review", elem_id="tab-review", visible=False) as review_tab:
                    from ui.pages import review

                    review_page = review.build(services, user_state, i18n)
                with gr.Tab(i18n("author"), id="author", elem_id="tab-author", visible=False) as author_tab:
                    from ui.pages import author

                    author_page = author.build(services, user_state, i18n)
                with gr.Tab(i18n("live"), id="live", elem_id="tab-live"):
                    from ui.pages import live

                    live_page = live.build(services, user_state, i18n)

        def do_signin(name, pw, request: gr.Request):
            from coach.users import SignInRefused, sign_in

            try:  # throttled and audited (coach/users.py); the address counts failures per client too
                user = sign_in(name or "", pw or "", client_address(request))
            except SignInRefused as refused:
                return (None, gr.update(), gr.update(), signin_refusal(refused),
                        gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
            info = signed_in({"id": user.id, "username": user.username, "name": user.display_name,
                              "roles": sorted(user.role_set), "lang": user.lang}, request)
            return (info, gr.update(visible=False), gr.update(visible=True), "",
                    t("welcome", user.lang, name=user.display_name, roles=", ".join(info["roles"])),
                    gr.update(value=user.lang), gr.update(visible=bool({"trainee", "admin"} & user.role_set)),
                    gr.update(visible=bool({"mentor", "admin"} & user.role_set)),
                    gr.update(visible=bool({"trainer", "admin"} & user.role_set)))

        outputs = [user_state, signin_col, main_col, signin_msg, welcome, lang_switch, practice_tab, review_tab,
                   author_tab]
        from ui.private_files import cookie_bridge

        # first after sign-in: the browser gets its file cookie (uploads/downloads need it)
        refreshers = [cookie_bridge(user_state), practice_page["refresh"], review_page["refresh"], author_page["refresh"]]
        if live_page.get("refresh"):
            refreshers.append(live_page["refresh"])

        def after_signin(event):
            for fn, inputs, outs in refreshers:
                event = event.then(fn, inputs, outs)
            return event

        after_signin(signin_btn.click(do_signin, [username, password], outputs))
        after_signin(password.submit(do_signin, [username, password], outputs))

        def switch_lang(lang, user):
            if not user:
                return user
            return {**user, "lang": lang}

        after_signin(lang_switch.change(switch_lang, [lang_switch, user_state], [user_state]))

        def do_signout():
            return None, gr.update(visible=True), gr.update(visible=False), "", ""

        signout_btn.click(do_signout, None, [user_state, signin_col, main_col, welcome, password])

        def show_signin_if_signed_out(user, why):
            """Timer: after SignedInBlocks signed the tab out, bring back the sign-in form and say why."""
            if user or not why:
                return gr.update(), gr.update(), gr.update(), gr.update()
            return None, gr.update(visible=True), gr.update(visible=False), signed_out_message(why)

        gr.Timer(signout_poll_seconds()).tick(show_signin_if_signed_out, [user_state, signed_out],
                                              [signed_out, signin_col, main_col, signin_msg])
        header.value = f"# {t('app_title', 'zh')} · {t('app_title', 'en')}"
    app.i18n_config = i18n
    return app
