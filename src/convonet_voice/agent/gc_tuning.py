"""Garbage-collector settings for a process that holds many live conversations.

Each open conversation keeps an MCP server, client session and tool set alive, and each turn
allocates messages that live across the model's latency. With CPython's default thresholds
those survive into the oldest generation and full collections pause the event loop for
hundreds of milliseconds at 50 conversations (measured by ``bench/agent_overhead.py``).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger("convonet.agent.gc")

YOUNG_THRESHOLD = 50_000  # allocations between young collections (CPython default: 700)
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 100


def tune_for_conversations() -> None:
    """Freeze what start-up allocated and collect the young generation less often.

    Call once, after the app has started (imports, settings, the agent); it affects the whole
    process. Objects alive at this point are never scanned again by the collector.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    logger.info("Froze %d start-up objects; GC thresholds raised", gc.get_freeze_count())
