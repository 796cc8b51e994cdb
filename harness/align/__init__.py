"""Stage 3 of the flow, source-side alignment. In: source and reference sentences (data) and the translations
(translate). Out: the source <-> reference alignment of each document pair (crosslingual: multilingual encoder,
names), measured once and shared by every system, and each output partitioned over the source segments
(partition), so that every reference sentence gets the hypotheses of its source sentences. beads: the bead type,
shape names and cached-search versions that both aligners (this one and harness.score.align) share.
"""
