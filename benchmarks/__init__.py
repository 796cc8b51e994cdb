"""The speed benchmarks (issue 6): `python -m benchmarks`. Not part of the test suite; timings live here."""
