"""UI wording in Chinese and English. Static labels go through gr.I18n (browser language); text built by
handlers uses the signed-in user's language, which the header switch changes."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "app_title": "AI 销售陪练",
        "signin": "登录", "username": "用户名", "password": "密码", "signin_failed": "用户名或密码错误",
        "signout": "退出", "welcome": "欢迎，{name}（{roles}）",
        "practice": "陪练", "review": "复盘", "author": "编写", "live": "实时辅助",
        "scenario": "选择场景", "start": "开始练习", "send": "发送", "end": "结束并查看成绩单",
        "your_reply": "你的回复", "customer": "客户", "persona": "客户名片",
        "score": "本轮得分", "evidence": "评分依据", "hints": "提示", "scorecard": "成绩单",
        "locked": "未解锁", "no_session": "请先选择场景并点击“开始练习”。",
        "empty_reply": "请输入你要对客户说的话。", "session_over": "本次练习已结束。",
        "nav_title": "请选择下一步：",
        "language": "界面语言",
    },
    "en": {
        "app_title": "AI Sales Coach",
        "signin": "Sign in", "username": "Username", "password": "Password",
        "signin_failed": "Wrong username or password",
        "signout": "Sign out", "welcome": "Welcome, {name} ({roles})",
        "practice": "Practice", "review": "Review", "author": "Author", "live": "Live assist",
        "scenario": "Scenario", "start": "Start practice", "send": "Send", "end": "End and see scorecard",
        "your_reply": "Your reply", "customer": "Customer", "persona": "Customer card",
        "score": "Score for this reply", "evidence": "Why this score", "hints": "Hints", "scorecard": "Scorecard",
        "locked": "locked", "no_session": "Choose a scenario and press “Start practice” first.",
        "empty_reply": "Type what you would say to the customer.", "session_over": "This session has ended.",
        "nav_title": "Choose your next move:",
        "language": "Language",
    },
}


def t(key: str, lang: str = "zh", **kwargs) -> str:
    table = TEXTS.get(lang, TEXTS["zh"])
    text = table.get(key) or TEXTS["en"].get(key, key)
    return text.format(**kwargs) if kwargs else text


def i18n():
    """Static labels for gr.I18n: the browser's language picks the table."""
    import gradio as gr

    return gr.I18n(zh=TEXTS["zh"], en=TEXTS["en"])
