"""The identity backend returns the source unchanged: the usual lower bound."""
from __future__ import annotations

from harness.translate.backends.base import Backend


class IdentityBackend(Backend):
    name = "identity"

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        return list(texts)
