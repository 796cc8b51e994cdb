"""Stage 5 of the flow, summaries (optional). In: documents, their translations, a summarizer backend and the
summary metrics of the score stage. Out: a summary per document and its scores.
"""
