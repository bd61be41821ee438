"""The Gradio app: sign-in, then one tab per role. ``create_app()`` returns Blocks without launching."""

from __future__ import annotations

import gradio as gr

from ui.services import Services
from ui.texts import i18n as make_i18n
from ui.texts import t

CSS = """
body, .gradio-container { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", sans-serif; }
#grade-panel { min-height: 6em; }
"""


def create_app(services: Services | None = None) -> gr.Blocks:
    services = services or Services()
    i18n = make_i18n()
    with gr.Blocks(title="AI Sales Coach · AI销售陪练") as app:
        user_state = gr.State(None)  # per browser session: {"id", "username", "name", "roles", "lang"}
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

        def do_signin(name, pw):
            from coach.users import authenticate

            user = authenticate(name or "", pw or "")
            if user is None:
                return (None, gr.update(), gr.update(), f"❌ {t('signin_failed', 'zh')} / {t('signin_failed', 'en')}",
                        gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
            info = {"id": user.id, "username": user.username, "name": user.display_name,
                    "roles": sorted(user.role_set), "lang": user.lang}
            return (info, gr.update(visible=False), gr.update(visible=True), "",
                    t("welcome", user.lang, name=user.display_name, roles=", ".join(info["roles"])),
                    gr.update(value=user.lang), gr.update(visible=bool({"trainee", "admin"} & user.role_set)),
                    gr.update(visible=bool({"mentor", "admin"} & user.role_set)),
                    gr.update(visible=bool({"trainer", "admin"} & user.role_set)))

        outputs = [user_state, signin_col, main_col, signin_msg, welcome, lang_switch, practice_tab, review_tab,
                   author_tab]
        refreshers = [practice_page["refresh"], review_page["refresh"], author_page["refresh"]]
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
        header.value = f"# {t('app_title', 'zh')} · {t('app_title', 'en')}"
    app.i18n_config = i18n
    return app
