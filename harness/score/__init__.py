"""Stage 4 of the flow, scoring. In: documents, translations and the source-side alignment. Out: scores: the
metrics registry (metrics/), document and corpus scores (scoring), scores on the aligned segments
(aligned_scoring, with the hypothesis <-> reference fallback aligner, align), the diagnostics of each pair
(relation, output language) and the English sentence embeddings text similarity uses.
"""
