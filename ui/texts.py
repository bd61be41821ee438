"""UI wording in Chinese and English. Static labels go through gr.I18n (browser language); text built by
handlers uses the signed-in user's language, which the header switch changes."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "app_title": "AI 销售陪练",
        "signin": "登录", "username": "用户名", "password": "密码", "signin_failed": "用户名或密码错误",
        "signin_locked": "登录失败次数过多，请 {minutes} 分钟后再试",
        "signed_out_idle": "超过 {minutes} 分钟没有操作，已自动退出，请重新登录",
        "signed_out_other": "这个会话被另一个浏览器使用，已退出，请重新登录",
        "signout": "退出", "welcome": "欢迎，{name}（{roles}）",
        "practice": "陪练", "review": "复盘", "author": "编写", "live": "实时辅助",
        "scenario": "选择场景", "start": "开始练习", "send": "发送", "end": "结束并查看成绩单",
        "your_reply": "你的回复", "customer": "客户", "persona": "客户名片",
        "score": "本轮得分", "evidence": "评分依据", "hints": "提示", "scorecard": "成绩单",
        "locked": "未解锁", "no_session": "请先选择场景并点击“开始练习”。",
        "empty_reply": "请输入你要对客户说的话。", "session_over": "本次练习已结束。",
        "nav_title": "请选择下一步：",
        "language": "界面语言",
        "locked_msg": "「{title}」尚未解锁：{reason}。其他内容保持不变，可以先练习已解锁的场景。",
        "open_session": "你有一场未结束的练习：「{title}」，开始于 {started}，已回复 {replies} 次，最后活动 {last}。",
        "resume": "继续这场练习", "end_open": "结束这场并查看成绩单",
        "resumed": "已恢复练习，接着回复客户即可。",
        "error_generic": "操作没有完成：{detail}。请重试；如果仍然不行，请刷新页面后重新登录。",
        "voice_first": "请先录音或上传音频",
    },
    "en": {
        "app_title": "AI Sales Coach",
        "signin": "Sign in", "username": "Username", "password": "Password",
        "signin_failed": "Wrong username or password",
        "signin_locked": "Too many failed sign-ins; try again in {minutes} minute(s)",
        "signed_out_idle": "You were signed out after {minutes} minutes without activity; please sign in again",
        "signed_out_other": "This session was used from another browser and has been signed out; please sign in again",
        "signout": "Sign out", "welcome": "Welcome, {name} ({roles})",
        "practice": "Practice", "review": "Review", "author": "Author", "live": "Live assist",
        "scenario": "Scenario", "start": "Start practice", "send": "Send", "end": "End and see scorecard",
        "your_reply": "Your reply", "customer": "Customer", "persona": "Customer card",
        "score": "Score for this reply", "evidence": "Why this score", "hints": "Hints", "scorecard": "Scorecard",
        "locked": "locked", "no_session": "Choose a scenario and press “Start practice” first.",
        "empty_reply": "Type what you would say to the customer.", "session_over": "This session has ended.",
        "nav_title": "Choose your next move:",
        "language": "Language",
        "locked_msg": "“{title}” is locked: {reason}. Nothing else changed; practise an unlocked scenario meanwhile.",
        "open_session": "You have an unfinished session: “{title}”, started {started}, {replies} replies so far, "
                        "last active {last}.",
        "resume": "Resume this session", "end_open": "End it and see the scorecard",
        "resumed": "Session resumed: reply to the customer to carry on.",
        "error_generic": "That did not work: {detail}. Try again; if it keeps failing, reload the page and sign in again.",
        "voice_first": "Record or upload audio first",
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
