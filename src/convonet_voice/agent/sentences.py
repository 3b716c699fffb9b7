"""Cut streamed model text into speakable sentences, as soon as each one is complete."""

from __future__ import annotations

import re

_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "etc.", "e.g.", "i.e.", "a.m.", "p.m.")
_MARKUP = re.compile(r"[*_`#>|]+|^\s*[-•]\s+|^\s*\d+\.\s+(?=\D)", re.MULTILINE)


def clean(text: str) -> str:
    """Strip markdown a model may slip in, so speech never reads asterisks or bullets."""
    return re.sub(r"\s+", " ", _MARKUP.sub("", text)).strip()


class SentenceSplitter:
    """Feed text deltas; get back the sentences completed so far."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        """Add ``delta`` and return every sentence it completed (cleaned, non-empty)."""
        if not delta:
            return []
        self._buffer += delta
        done: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            candidate = self._buffer[start : match.start()]
            if candidate.rstrip().lower().endswith(_ABBREVIATIONS):
                continue
            sentence = clean(candidate)
            if sentence:
                done.append(sentence)
            start = match.end()
        self._buffer = self._buffer[start:]
        return done

    def flush(self) -> str | None:
        """Return whatever is left once the model has finished."""
        rest, self._buffer = clean(self._buffer), ""
        return rest or None
