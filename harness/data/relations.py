"""The names of a document pair's relation: one owner for the strings that manifests, diagnostics, tables
and comparisons use."""
from __future__ import annotations

from enum import Enum


class Relation(str, Enum):
    """How the reference relates to the source. A str, so it compares with and is stored as its name."""

    PARALLEL = "parallel"          # the reference translates the source
    COMPARABLE = "comparable"      # an independent text on the same event
    UNRELATED = "unrelated"        # another event, or another topic
    CANNOT_JUDGE = "cannot_judge"  # measured only: too little text, or a language the encoder does not cover

    def __str__(self) -> str:
        return self.value


class MeasuredFrom(str, Enum):
    """What a relation was measured from (diagnostics' `measured_from`): the pair itself, or, in a language the
    encoder does not cover, one system's output (a search) or nothing (line-aligned)."""

    PAIR = "source and reference"
    HYPOTHESIS = "hypothesis and reference"
    NOTHING = "nothing: the encoder does not cover the language"

    def __str__(self) -> str:
        return self.value


DECLARABLE = (Relation.PARALLEL, Relation.COMPARABLE, Relation.UNRELATED)   # what a manifest may declare


def counts_as_parallel(declared: str, measured: str | None) -> bool:
    """Scores read as translation quality only for a pair declared parallel and not measured otherwise
    (cannot_judge keeps the declared relation)."""
    return declared == Relation.PARALLEL and measured in (None, Relation.PARALLEL, Relation.CANNOT_JUDGE)
