import random

import pytest

from harness.batching import plan_batches


@pytest.mark.parametrize("lengths, max_segments, max_tokens, expected", [
    ([1, 5, 3], 2, 100, [[1, 2], [0]]),
    ([10, 10, 10], 8, 20, [[0, 1], [2]]),
    ([50, 1], 8, 20, [[0], [1]]),      # an over-long segment gets a batch of its own
    ([], 4, 10, []),
])
def test_plan_batches(lengths, max_segments, max_tokens, expected):
    assert plan_batches(lengths, max_segments, max_tokens) == expected


def test_batches_cover_every_index_once_and_respect_budgets():
    rng = random.Random(1)
    lengths = [rng.randint(1, 60) for _ in range(300)]
    batches = plan_batches(lengths, max_segments=16, max_tokens=256)
    assert sorted(i for batch in batches for i in batch) == list(range(300))
    for batch in batches:
        assert len(batch) <= 16
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 256
