"""Stage 2 of the flow, translation. In: the data stage's documents and their source segments. Out: one hypothesis
per source segment (`Translation`), made by a backend (backends/: the Translator protocol and its runtimes)
through the translation cache, in length-sorted batches (batching).
"""
