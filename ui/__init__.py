"""UI: thin adapters over the coach services: the Gradio app (one page per role) and the `coach` CLI."""

__all__: list[str] = []
