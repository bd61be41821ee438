"""The LLM path: a chat model through any OpenAI-compatible endpoint (langchain-openai), plus a fake
server for tests. The offline path never imports this package's client code."""

from coach.llm.fake_server import FakeOpenAIServer, FakeReply

__all__ = ["FakeOpenAIServer", "FakeReply"]
