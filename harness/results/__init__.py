"""Stage 6 of the flow, the result record. In: the scores and summaries of a run. Out: result.json (written and
read through one module, results) in a run folder whose claim, markers and clean-up run_folder owns.
"""
