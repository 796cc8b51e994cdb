"""The renderings of a comparison (harness.compare.comparison.Comparison, read by attribute) and of the stored runs:
terminal, Markdown and CSV tables (tables), the self-contained HTML page (page) with its charts (charts), error
spans (spans) and escaping (html_text), and the index of stored runs, harness-compare --list (run_index). The
comparison's own modules never import these: data first, rendering after.
"""
