"""Serve the Gradio app (and, beside it, the HTTP endpoints) with uvicorn on 127.0.0.1 by default."""

from __future__ import annotations

import gradio as gr


def build_asgi(services=None):
    from fastapi import FastAPI

    from ui.app import CSS, create_app
    from ui.services import Services

    services = services or Services()
    api = FastAPI(title="AI Sales Coach")

    @api.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    from ui.live_api import register_live_routes
    from ui.practice_api import register_practice_routes

    # before the Gradio mount at "/", which catches every route added after it
    register_live_routes(api)
    register_practice_routes(api, services.practice)
    blocks = create_app(services)
    return gr.mount_gradio_app(api, blocks, path="/", css=CSS, i18n=blocks.i18n_config, footer_links=[])


def run_server(host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    from coach.bootstrap import initialise

    initialise(progress=False)
    print(f"AI Sales Coach on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    uvicorn.run(build_asgi(), host=host, port=port, log_level="warning")
