"""The production chat model: Claude through langchain-anthropic, streaming."""

from __future__ import annotations

from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel

from convonet_voice.settings import VoiceSettings

MAX_TOKENS = 1024  # a spoken reply is short; this bounds a runaway answer
MAX_RETRIES = 1  # one quick retry on overload; the turn budget bounds the rest


def claude_model(settings: VoiceSettings) -> BaseChatModel | None:
    """Claude configured from ``CONVONET_ANTHROPIC_*``, or None without an API key."""
    if settings.anthropic_api_key is None:
        return None
    return ChatAnthropic(
        model=settings.anthropic_model,
        api_key=settings.anthropic_api_key,
        base_url=settings.anthropic_base_url,
        max_tokens_to_sample=MAX_TOKENS,
        max_retries=MAX_RETRIES,
        timeout=settings.turn_timeout,
        streaming=True,
        stop=None,
    )
