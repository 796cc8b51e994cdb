"""Stage 6 of the flow, the result record. In: the scores and summaries of a run. Out: result.json, written and
read as one set of frozen records (records: RunRecord, DocumentRecord, Segment, SummaryRecord; built, written,
checked and read by results), in a run folder whose claim, markers and clean-up run_folder owns.
"""
