"""benchmarks/RESULTS.md keeps every benchmark's part: `python -m benchmarks` rewrote the whole file before, which
dropped the sections of benchmarks.gold_alignment, benchmarks.compare_ranking and benchmarks.gemma_ct2."""
from benchmarks.results_file import replace_section, replace_suite_part

RESULTS = "# Benchmark results\nsuite, old\n\n## Alignment\nmac figures\n\n## Gemma\nct2 figures\n"


def test_the_suite_rewrites_its_part_and_keeps_every_section():
    assert replace_suite_part(RESULTS, "# Benchmark results\nsuite, new\n") == (
        "# Benchmark results\nsuite, new\n\n## Alignment\nmac figures\n\n## Gemma\nct2 figures\n")
    assert replace_suite_part("", "# Benchmark results\n") == "# Benchmark results\n"


def test_a_benchmark_rewrites_its_own_section_only_or_appends_it():
    assert replace_section(RESULTS, "## Alignment", "## Alignment\nnew\n") == (
        "# Benchmark results\nsuite, old\n\n## Alignment\nnew\n\n## Gemma\nct2 figures\n")
    assert replace_section(RESULTS, "## Gemma", "## Gemma\nnew\n").endswith("## Alignment\nmac figures\n\n## Gemma\nnew\n")
    assert replace_section(RESULTS, "## Speed", "## Speed\nx\n").endswith("## Gemma\nct2 figures\n\n## Speed\nx\n")
