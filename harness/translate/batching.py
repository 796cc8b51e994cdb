"""Batches by tokens, not by count: sort by length, fill up to a token budget, keep original indices."""
from __future__ import annotations


FIRST_BATCH = 1   # segments in the first batch of a translation (a rate shows after one); a backend whose outputs
#                   depend on its batches keys its cache entries by it (Ct2LMBackend.runtime_fingerprint)


def plan_batches(lengths: list[int], max_segments: int, max_tokens: int, first_batch: int = 0) -> list[list[int]]:
    """Group segment indices, longest first, so that no batch exceeds max_segments or
    max_tokens padded tokens (a single over-long segment still gets a batch of its own).

    first_batch: the shortest few segments go first, in a batch of their own, so that a slow machine shows
    a finished segment and a speed within seconds instead of after a whole batch."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    first = order[len(order) - first_batch:] if 0 < first_batch < len(order) else []
    batches: list[list[int]] = [first] if first else []
    current: list[int] = []
    for index in order[:len(order) - len(first)]:
        longest = lengths[current[0]] if current else lengths[index]
        if current and (len(current) >= max_segments or longest * (len(current) + 1) > max_tokens):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
