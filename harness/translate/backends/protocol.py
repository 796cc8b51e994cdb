"""What the harness asks of anything that turns source text into output text: the `Translator` protocol.

A translator is checked structurally (typing.Protocol), not by its class: a model backend, the `files`
backend and a summarizer all satisfy it, and a new backend needs no harness class to inherit from
(though `backends.base.Backend` gives batching, splitting and OOM halving for free, and
`backends.prompted.PromptedLMBackend` gives prompts for a decoder-only LM).

- `fingerprint` names everything that decides an output; the output cache is keyed by it, so a
  setting missing from it serves stale outputs. `backends.base.Backend` gives a safe one (its class, the
  whole model spec and every output-deciding generation setting; for a user's class also its code, the
  settings its config node passes to its constructor and the folders its model's paths name) that a subclass
  extends through `extra_fingerprint` and never replaces; a translator built without that base starts from
  `backends.base.model_fingerprint` (and inherits `backends.base.BuiltWith` for its settings to count).
- `translate` yields (indices, outputs) as segments finish, so the cache saves progress as it goes.
- `describe` is the model record in result.json; `stats` are the counters it reports (loads, splits, ...).
- `supplies_documents` is a capability, not a type: a translator that already holds whole translated
  documents (`files`: hypotheses produced elsewhere) says True and offers `read_document`, the
  `DocumentSource` half below; the harness then reads its documents instead of sending it segments.
  Every other translator says False. A flag on the protocol, rather than a check of the class, means a
  newcomer's own document source (say, outputs fetched from a database) needs no change to the harness.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol


class Translator(Protocol):
    name: str
    supplies_documents: bool   # True: call read_document(doc_id), never translate (see DocumentSource)

    @property
    def stats(self) -> Mapping[str, float]:
        """Counters of what happened while translating; result.json reports them as backend_stats."""

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """Everything that decides the output for a segment of this language pair (the cache key)."""

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        """Yield (indices into texts, outputs) until every text has its output."""

    def describe(self) -> dict:
        """The model record stored in result.json."""


class DocumentSource(Translator, Protocol):
    """A translator with supplies_documents = True: whole translated documents, read by document id."""

    def read_document(self, doc_id: str) -> str:
        """The translated document, paragraphs on separate lines (in a line-aligned data set, one line per source
        line)."""

    def location(self, doc_id: str) -> str:
        """Where read_document reads the document from (a file path), for messages."""
