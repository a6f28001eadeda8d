"""The OpenAI-compatible text backend: M2M-Gen's LLM steps on OpenAI, Ollama,
llama.cpp, vLLM or any server speaking the chat-completions API (see docs/llm.md)."""

from .backend import OpenAIText
from .config import LLMConfig
from .cost import Usage, estimate_tokens

__all__ = ["LLMConfig", "OpenAIText", "Usage", "estimate_tokens"]
