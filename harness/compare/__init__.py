"""Stage 7 of the flow, comparison and reports. In: the result.json files of finished runs (results). Out:
the comparison, in four parts read in order: discovery (the finished runs behind the arguments), comparability
(which runs may share a column), statistics (bootstrap intervals, paired tests, ranking, from the per-segment
statistics stored in result.json; significance holds the tests) and rows (the typed, rendering-ready records),
assembled by compare; and, in reports/, their renderings: terminal, markdown and csv tables (tables), the HTML page
(page) with charts and error spans (charts, spans, html_text), and the index of stored runs (run_index).
"""
