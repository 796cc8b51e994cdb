"""Labelled document pairs with known gold beads, built deterministically from relation_corpus/stories/.

Each story (stories/{lang}-NN.yaml) has a foreign `source`, its faithful English `translation` (item i
translates source item i), an independent English `retelling` of the same event and an `other_event`
article on the same topic. From one story we build:

  faithful     source vs translation                                   parallel   beads 1-1
  reordered    translation cut in blocks of 2-3 sentences, shuffled    parallel   beads 1-1, out of order
  abridged     a third of the reference sentences dropped              parallel   dropped ones 1-0
  expanded     a third of the source sentences dropped                 parallel   their references 0-1
  merged       two adjacent reference sentences joined (twice)         parallel   2-1 (source:reference)
  split        two adjacent source sentences joined (twice)            parallel   1-2
  noisy        web boilerplate lines (noise/{lang}.yaml) in the source parallel   noise lines 1-0
  comparable   source vs retelling                                     comparable
  other_event  source vs other_event (same topic, another event)      unrelated
  unrelated    source vs another story's translation, other topic      unrelated

Stories 01-04 of each language are the dev split, 05-08 the test split: no story's text is in both.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent / "relation_corpus"
DEV_STORIES = {1, 2, 3, 4}
Bead = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass
class Pair:
    name: str          # story id and construction
    lang: str
    split: str         # dev or test
    kind: str          # construction
    relation: str      # gold relation
    src: list[str]
    ref: list[str]
    beads: list[Bead] | None   # gold beads (1-0 and 0-1 included); None where unknown (non-parallel)


@dataclass
class Story:
    id: str
    lang: str
    topic: str
    source: list[str]
    translation: list[str]
    retelling: list[str]
    other_event: list[str]

    @property
    def split(self) -> str:
        return "dev" if int(self.id.rsplit("-", 1)[1]) in DEV_STORIES else "test"


def load_stories(folder: Path = CORPUS / "stories") -> list[Story]:
    stories = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if len(data["source"]) != len(data["translation"]):
            raise ValueError(f"{path}: source and translation differ in length")
        stories.append(Story(str(data["id"]), str(data["lang"]), str(data["topic"]), list(data["source"]),
                             list(data["translation"]), list(data["retelling"]), list(data["other_event"])))
    return stories


def load_noise(folder: Path = CORPUS / "noise") -> dict[str, list[str]]:
    return {path.stem: list(yaml.safe_load(path.read_text(encoding="utf-8"))["lines"])
            for path in sorted(folder.glob("*.yaml"))}


def one_to_one(n: int) -> list[Bead]:
    return [((i,), (i,)) for i in range(n)]


def reordered(story: Story, rng: random.Random) -> tuple[list[str], list[Bead]]:
    n = len(story.translation)
    blocks, start = [], 0
    while start < n:
        size = rng.choice([2, 3])
        blocks.append(list(range(start, min(n, start + size))))
        start += size
    order = blocks[:]
    while order == blocks and len(blocks) > 1:
        rng.shuffle(order)
    positions = [i for block in order for i in block]
    ref = [story.translation[i] for i in positions]
    return ref, [((i,), (positions.index(i),)) for i in range(n)]


def dropped(count: int, rng: random.Random) -> set[int]:
    return set(rng.sample(range(1, count), max(1, count // 3)))


def abridged(story: Story, rng: random.Random) -> tuple[list[str], list[Bead]]:
    drop = dropped(len(story.translation), rng)
    kept = [i for i in range(len(story.translation)) if i not in drop]
    beads = [((i,), (kept.index(i),)) if i in kept else ((i,), ()) for i in range(len(story.source))]
    return [story.translation[i] for i in kept], beads


def expanded(story: Story, rng: random.Random) -> tuple[list[str], list[Bead]]:
    drop = dropped(len(story.source), rng)
    kept = [i for i in range(len(story.source)) if i not in drop]
    beads = [((kept.index(j),), (j,)) if j in kept else ((), (j,)) for j in range(len(story.translation))]
    return [story.source[i] for i in kept], beads


def join_pairs(count: int, rng: random.Random, joins: int = 2) -> list[list[int]]:
    """Groups of consecutive indices: `joins` non-overlapping pairs, singletons elsewhere."""
    starts: set[int] = set()
    while len(starts) < joins:
        k = rng.randrange(count - 1)
        if not {k - 1, k, k + 1} & starts:
            starts.add(k)
    groups, k = [], 0
    while k < count:
        groups.append([k, k + 1] if k in starts else [k])
        k += len(groups[-1])
    return groups


def merged(story: Story, rng: random.Random) -> tuple[list[str], list[Bead]]:
    groups = join_pairs(len(story.translation), rng)
    ref = [" ".join(story.translation[i] for i in group) for group in groups]
    return ref, [(tuple(group), (k,)) for k, group in enumerate(groups)]


def split(story: Story, rng: random.Random) -> tuple[list[str], list[Bead]]:
    groups = join_pairs(len(story.source), rng)
    src = [" ".join(story.source[i] for i in group) for group in groups]
    return src, [((k,), tuple(group)) for k, group in enumerate(groups)]


def noisy(story: Story, noise: list[str], rng: random.Random) -> tuple[list[str], list[Bead]]:
    lines = rng.sample(noise, min(4, len(noise)))
    slots = sorted(rng.sample(range(len(story.source) + 1), len(lines)))
    src, beads = [], []
    for i in range(len(story.source) + 1):
        while slots and slots[0] == i:
            slots.pop(0)
            beads.append(((len(src),), ()))
            src.append(lines.pop())
        if i < len(story.source):
            beads.append(((len(src),), (i,)))
            src.append(story.source[i])
    return src, beads


def other_topic(story: Story, stories: list[Story], rng: random.Random) -> Story:
    """A story of another topic, from the same split (so no test story's text leaks into dev)."""
    candidates = [s for s in stories if s.topic != story.topic and s.split == story.split and s.id != story.id]
    return rng.choice(candidates)


def story_rng(story: Story, seed: int) -> random.Random:
    return random.Random(seed * 1_000_003 + zlib.crc32(story.id.encode("utf-8")))


def story_pairs(story: Story, stories: list[Story], noise: dict[str, list[str]], seed: int) -> list[Pair]:
    rng = story_rng(story, seed)
    make = lambda kind, relation, src, ref, beads=None: Pair(  # noqa: E731
        f"{story.id}/{kind}", story.lang, story.split, kind, relation, src, ref, beads)
    pairs = [make("faithful", "parallel", story.source, story.translation, one_to_one(len(story.source)))]
    for kind, build in (("reordered", reordered), ("abridged", abridged), ("merged", merged)):
        ref, beads = build(story, rng)
        pairs.append(make(kind, "parallel", story.source, ref, beads))
    for kind, build in (("expanded", expanded), ("split", split)):
        src, beads = build(story, rng)
        pairs.append(make(kind, "parallel", src, story.translation, beads))
    if noise.get(story.lang):
        src, beads = noisy(story, noise[story.lang], rng)
        pairs.append(make("noisy", "parallel", src, story.translation, beads))
    pairs.append(make("comparable", "comparable", story.source, story.retelling))
    pairs.append(make("other_event", "unrelated", story.source, story.other_event))
    pairs.append(make("unrelated", "unrelated", story.source, other_topic(story, stories, rng).translation))
    return pairs


def build_pairs(seed: int = 0) -> list[Pair]:
    stories, noise = load_stories(), load_noise()
    return [pair for story in stories for pair in story_pairs(story, stories, noise, seed)]
