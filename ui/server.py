"""Serve the Gradio app (and, beside it, the HTTP endpoints) with uvicorn on 127.0.0.1 by default.

The edge limits (ui/edge_limits.py) sit in front of everything: bodies over their cap get 413, WebSocket
messages over 64 KB are dropped by uvicorn itself, and heavy API work shares one bounded gate, so
/healthz (answered on the event loop, no worker thread) stays quick under any load. docs/security.md.
"""

from __future__ import annotations

import gradio as gr


def build_asgi(services=None, warm_up: bool = False):
    """The whole app. With ``warm_up`` its start-up hook warms the model and the index on a background thread
    (ui/server_warm_up.py); the WarmUp is ``app.state.warm_up`` once the server has started."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from ui.app import CSS, create_app
    from ui.edge_limits import BodyLimitMiddleware, WorkGate
    from ui.services import Services

    services = services or Services()

    @asynccontextmanager
    async def lifespan(app):
        if warm_up:
            from ui.server_warm_up import WarmUp

            app.state.warm_up = WarmUp(services).start()
        yield

    api = FastAPI(title="AI Sales Coach", lifespan=lifespan)
    from ui.session_guard import SessionBinding

    api.add_middleware(SessionBinding)  # a Gradio session hash works only from its own browser (inside the cap)
    api.add_middleware(BodyLimitMiddleware)

    @api.get("/healthz")
    async def healthz() -> dict:  # async: never waits for a worker thread, whatever the load
        return {"ok": True}

    from ui.live_api import register_live_routes
    from ui.practice_api import register_practice_routes

    # before the Gradio mount at "/", which catches every route added after it
    gate = WorkGate.from_settings()  # one bound for the server's heavy API work: live events and practice turns
    register_live_routes(api, gate=gate)
    register_practice_routes(api, services.practice, gate=gate)
    from ui.private_files import guard, use_private_gradio_dir

    use_private_gradio_dir()  # before the Blocks are built: Gradio reads its temp folder per component
    blocks = create_app(services)
    guard(api, blocks)  # uploads and file downloads need a signed-in browser (before the mount at "/")
    return gr.mount_gradio_app(api, blocks, path="/", css=CSS, i18n=blocks.i18n_config, footer_links=[])


def uvicorn_config(app, host: str = "127.0.0.1", port: int = 7860, **extra):
    """The uvicorn settings `coach serve` uses (tests and benchmarks start servers the same way)."""
    import uvicorn

    from ui.edge_limits import WS_PROTOCOL_MAX_BYTES

    return uvicorn.Config(app, host=host, port=port, log_level="warning", ws_max_size=WS_PROTOCOL_MAX_BYTES,
                          **extra)


def run_server(host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    from coach.bootstrap import initialise
    from ui.private_files import serve_privately

    serve_privately()  # umask 077: every file the server writes (uploads, exports, caches) is owner-only
    initialise(progress=False)
    print(f"AI Sales Coach on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    uvicorn.Server(uvicorn_config(build_asgi(warm_up=True), host, port)).run()
