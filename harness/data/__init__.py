"""Stage 1 of the flow, the data set. In: a manifest (or line-aligned files) and the text files it names. Out:
`Document`s (source, references, languages, the declared relation of the pair) with their text cleaned, split
into paragraphs, lines and sentences (segment, lines), and the language names and checks every later stage uses.
"""
