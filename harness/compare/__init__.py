"""Stage 7 of the flow, comparison and reports. In: the result.json files of finished runs (results). Out:
comparability checks, paired significance tests, typed rows (compare, significance), and their renderings:
markdown and csv tables (report), the HTML page with charts and error spans (report_html, charts,
report_spans, html_text), and the index of stored runs (run_index).
"""
