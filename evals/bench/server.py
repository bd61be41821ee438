"""The server the concurrency benchmark drives: the real app (``ui.server.build_asgi``) with the practice
JSON API in front, on 127.0.0.1, with the engine, the index and live hints loaded before it listens.

    python -m evals.bench.server --port 8799     (COACH_HOME names the data folder)
"""

from __future__ import annotations

import argparse


def build_app(services=None):
    """The practice API routes first, then the whole app (Gradio + /healthz) mounted at /."""
    from fastapi import FastAPI

    from ui.edge_limits import BodyLimitMiddleware
    from ui.practice_api import register_practice_routes
    from ui.server import build_asgi
    from ui.services import Services

    services = services or Services()
    outer = FastAPI(title="AI Sales Coach (bench)")
    outer.add_middleware(BodyLimitMiddleware)  # the same edge limits as `coach serve` for the routes added here
    register_practice_routes(outer, services.practice)
    outer.mount("/", build_asgi(services))
    return outer, services


def warm(services) -> None:
    """Load the model, the detector and the index now, so the first trainee's turn is not the slow one."""
    from coach.live.factory import default_kit
    from coach.roleplay.factory import known_competitors

    engine = services.practice.engine
    known_competitors()
    default_kit().warm_up()
    from knowledge.index import get_index

    get_index().search("warm up", k=3, filters={"speaker": "customer", "outcome": "won"})
    return engine


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from coach.database import init_db

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    init_db()
    app, services = build_app()
    warm(services)
    print(f"bench server ready on http://{args.host}:{args.port}", flush=True)
    from ui.server import uvicorn_config

    uvicorn.Server(uvicorn_config(app, args.host, args.port)).run()  # as `coach serve` runs (WebSocket size cap)


if __name__ == "__main__":
    main()
