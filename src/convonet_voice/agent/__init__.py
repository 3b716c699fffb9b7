"""The conversation brain of the voice app: a LangGraph agent over the Convonet MCP server."""

from convonet_voice.agent.api import ConversationAgent, TransferIntent, TurnResult, open_agent
from convonet_voice.agent.conversation import ConversationOwnershipError, TurnTimings

__all__ = [
    "ConversationAgent",
    "ConversationOwnershipError",
    "TransferIntent",
    "TurnResult",
    "TurnTimings",
    "open_agent",
]
