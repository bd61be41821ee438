"""The LLM path: a chat model through any OpenAI-compatible endpoint (langchain-openai), a per-turn deadline
with retries (deadline), the server's own error words (errors, messages), a once-per-start endpoint check
(check), and a fake server for tests. The offline path never imports this package's client code."""

from coach.llm.check import EndpointCheck, check_llm_endpoint
from coach.llm.fake_server import FakeOpenAIServer, FakeReply

__all__ = ["EndpointCheck", "FakeOpenAIServer", "FakeReply", "check_llm_endpoint"]
