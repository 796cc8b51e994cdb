"""Beads: the one type, the one shape parser and namer, and the one counting helper of both aligners, and the
versions of the cached searches.

A bead pairs a run of consecutive sentences of one side with a run of reference sentences; its shape ("2-1":
two sentences against one reference sentence) names it in settings, result records and alignment tables.
Both aligners make beads: the source <-> reference aligner (harness.align.crosslingual), whose first side is
the source, and the hypothesis-side fallback (harness.score.align), whose first side is the hypothesis, as it
stands in for the source when the encoder does not cover the source language.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import UserError

# The versions of the searches whose results the cache keeps (table "alignments"), each part of its key: bump
# one when its search or scoring changes, and its cached results are recomputed. Different searches, so one
# number each; a value is never reused for a different search.
HYPOTHESIS_ALIGNER_VERSION = 2   # hypothesis <-> reference (harness.score.align)
# source <-> reference, and pair cosines (harness.align.crosslingual); 6: dropped sentences trimmed; 7: 1-5 beads;
# 8: HTML tags are no letters; 9: merges searched again from their joined text, names not compared for a source
# written without spaces between words; 10: the null's spread kept (the relation weighs a null of few pairs)
# 11: a block of edge sentences may leave a merged bead (a reference that stops halfway)
CROSSLINGUAL_VERSION = 11
PARTITION_VERSION = 3            # a document-level output over the source sentences (harness.align.partition); 2:
                                 # its lines followed only where they read as their paragraphs'; 3: a sentence
                                 # written twice in a row pooled once in a run (TokenSums.repeats_once)
TOGETHER_VERSION = 2             # source sentences one output translates together (harness.align.partition);
                                 # 2: a longer run needs less gain

SHAPE = re.compile(r"(\d+)-(\d+)")


@dataclass(frozen=True)
class Bead:
    """A run of the first side's sentences against a run of reference sentences; the hypothesis-side aligner sets
    the first three fields, the source <-> reference aligner all of them."""

    src: tuple[int, ...]       # the first side's sentences: the source's (or the hypothesis's, harness.score.align)
    ref: tuple[int, ...]       # reference sentence indices
    similarity: float | None   # how alike the two sides are; None: a line-aligned pair outside the measured sample
    margin: float | None = None  # mining margin (crosslingual.MiningMargin): how far the pair stands out
    recovered: bool = False     # added by the reordering pass, out of the monotonic order
    sure: bool = True           # its margin reaches crosslingual.sure_margin (relation coverage counts these)

    @property
    def kind(self) -> str:
        return shape_name(len(self.src), len(self.ref))


def shape_name(first: int, reference: int) -> str:
    """(2, 1) -> "2-1"."""
    return f"{first}-{reference}"


def bead_shape(name: str, setting: str, sides: str, most: int, least: int = 0) -> tuple[int, int]:
    """"2-1" -> (2, 1): sentences of the first side, then of the reference (`sides` names them for the user),
    each from least to most, never 0-0; another name is a UserError that names the setting."""
    match = SHAPE.fullmatch(str(name).strip())
    shape = (int(match[1]), int(match[2])) if match else None
    if shape is None or shape == (0, 0) or not all(least <= side <= most for side in shape):
        raise UserError(f"{setting}: '{name}' is not a bead; use {sides} counts from {least} to {most} a side "
                        f"(never 0-0) such as {shape_name(1, 1)} or {shape_name(1, most)}")
    return shape


def shape_counts(shapes: Iterable[str]) -> dict[str, int]:
    """How many beads of each shape, in the order the shapes first come."""
    return dict(Counter(shapes))
