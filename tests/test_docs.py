"""Every command the README and docs/ show is one that works.

The harness-run and harness-compare lines of their code blocks (and of inline code spans with arguments) are taken
apart as a shell would and checked the way the entry points check them, without running anything: harness-run's
overrides are composed job by job (harness.cli.check_overrides, which exits 2 on a misspelled key or option), its
hydra.* overrides with Hydra's own config; harness-compare's arguments go through its parser. A renamed config key,
config option or command-line option then fails here, naming the page and the line. `python -m MODULE` lines must
name a module that exists, the README's links into docs/ must point at pages that exist, and the example manifest of
docs/datasets.md must load.
"""
from __future__ import annotations

import importlib.util
import re
import shlex
from dataclasses import dataclass

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser

from harness.cli import check_overrides, compare_arguments, expand_sweeps, is_job_override, score_arguments
from harness.config import CONF_DIR, register_schemas
from harness.data.documents import load_dataset
from tests.conftest import REPO
from tests.test_adversarial_run import ENGLISH, FRENCH

TURKISH = ("Lyon belediye meclisi pazartesi akşamı şehrin okullarını yenilemek için on iki milyon avroluk bir bütçeyi "
           "onayladı. Çalışmalar önümüzdeki bahar altı mahallede başlayacak.\n")

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*(```|~~~)")
SHELL_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")"}
SHELL_KEYWORDS = {"do", "then", "else", "time", "!"}
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SHOWN_COMMANDS = ("harness-run", "harness-compare", "harness-score", "python")


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {shlex.join(self.words)}"


def code_block_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) inside fenced code blocks, backslash continuations joined, a "$ " prompt dropped."""
    lines, inside, pending, start = [], False, [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            continue
        if not pending:
            start = number
        pending.append(line.strip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            lines.append((start, re.sub(r"^\$ ", "", " ".join(pending))))
            pending = []
    return lines


def simple_commands(line: str) -> list[list[str]]:
    """The words of each simple command of a shell line (split at ;, &&, |, ...), leading VAR=value and
    shell keywords dropped; $PWD stands for the checkout, as the pages mean it."""
    lexer = shlex.shlex(line.replace("$PWD", str(REPO)), posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    commands, words = [], []
    for token in lexer:
        if token in SHELL_OPERATORS:
            commands.append(words)
            words = []
        elif words or not (ENV_ASSIGNMENT.match(token) or token in SHELL_KEYWORDS):
            words.append(token)
    return [words for words in [*commands, words] if words]


def inline_commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) of inline code spans in the prose that hold a command with arguments, such as
    `python -m benchmarks.compare_bench`; a span may wrap onto the next line."""
    prose = re.sub(r"^\s*(```|~~~).*?^\s*(```|~~~)", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
    return [(prose.count("\n", 0, span.start()) + 1, " ".join(span.group(1).split()))
            for span in re.finditer(r"`((?:harness-run|harness-compare|harness-score|python -m)\s[^`]+)`", prose)]


def shown_commands() -> list[Command]:
    commands = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, line in code_block_lines(text) + inline_commands(text):
            if not re.search(r"\b(harness-run|harness-compare|harness-score|python)\b", line):
                continue
            try:
                words_of_line = simple_commands(line)
            except ValueError:   # unbalanced quotes: output text quoting a command, not a command
                continue
            commands += [Command(page.relative_to(REPO).as_posix(), number, tuple(words))
                         for words in words_of_line if words[0] in SHOWN_COMMANDS]
    return commands


COMMANDS = shown_commands()


def of_kind(program: str) -> list[Command]:
    return [command for command in COMMANDS if command.words[0] == program]


def test_the_pages_show_commands():
    """The extraction finds the commands (the README's quick start and daily use at least), so the checks
    below cannot pass by finding nothing."""
    readme = [c for c in COMMANDS if c.page == "README.md"]
    assert {"harness-run", "harness-compare"} <= {c.words[0] for c in readme}, readme
    assert len(of_kind("harness-run")) >= 20 and of_kind("harness-compare")


def test_shell_lines_are_taken_apart_as_a_shell_would():
    line = ('mkdir -p /tmp/x && HF_HUB_OFFLINE=1 harness-run "hydra.searchpath=[file://$PWD/c]" '
            "'metrics=[bleu,chrf]'  # a comment")
    assert simple_commands(line) == [["mkdir", "-p", "/tmp/x"],
                                     ["harness-run", f"hydra.searchpath=[file://{REPO}/c]", "metrics=[bleu,chrf]"]]
    block = "```bash\n$ harness-run model=identity \\\n    generation.batch_size=2\nBLEU 1.0\n```\n"
    assert code_block_lines(block) == [(2, "harness-run model=identity generation.batch_size=2"), (4, "BLEU 1.0")]


def hydra_overrides(arguments: list[str]) -> list[str]:
    """The hydra.* and hydra/* overrides, which harness.cli.check_overrides leaves to Hydra."""
    return [a for a in arguments if "=" in a and not a.startswith("-") and not is_job_override(a)]


def sweeps(arguments: list[str]) -> list[str]:
    tokens = [a for a in arguments if "=" in a and not a.startswith("-")]
    return [str(o.input_line) for o in OverridesParser.create().parse_overrides(tokens) if o.is_sweep_override()]


@pytest.mark.parametrize("command", of_kind("harness-run"), ids=str)
def test_every_harness_run_shown_composes(command, capsys):
    arguments = list(command.words[1:])
    if "tracking=mlflow" in arguments and importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed here (the tracking extra), and harness-run checks for it first")
    try:
        check_overrides(arguments)
    except SystemExit:
        pytest.fail(f"{command}\n{capsys.readouterr().err}")
    if sweeps(arguments):
        assert {"-m", "--multirun"} & set(arguments), f"{command}: {sweeps(arguments)} sweeps without -m"
    if hydra_overrides(arguments):
        register_schemas()
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            compose(config_name="config", overrides=[*expand_sweeps(arguments)[0], *hydra_overrides(arguments)],
                    return_hydra_config=True)


@pytest.mark.parametrize("command", of_kind("harness-compare"), ids=str)
def test_every_harness_compare_shown_parses(command, capsys):
    try:
        compare_arguments().parse_args(list(command.words[1:]))
    except SystemExit as exit_:
        if exit_.code != 0:   # --help and --version exit 0
            pytest.fail(f"{command}\n{capsys.readouterr().err}")


@pytest.mark.parametrize("command", of_kind("harness-score"), ids=str)
def test_every_harness_score_shown_parses(command, capsys):
    try:
        score_arguments().parse_args(list(command.words[1:]))
    except SystemExit as exit_:
        if exit_.code != 0:
            pytest.fail(f"{command}\n{capsys.readouterr().err}")


@pytest.mark.parametrize("command", [c for c in of_kind("python") if c.words[1:2] == ("-m",)], ids=str)
def test_every_python_module_shown_exists(command):
    assert importlib.util.find_spec(command.words[2]) is not None, f"{command}: no module {command.words[2]}"


def test_readme_links_to_docs_pages_that_exist():
    links = re.findall(r"\]\((docs/[^)#\s]+)", (REPO / "README.md").read_text(encoding="utf-8"))
    assert links, "the README points to the documentation in docs/"
    missing = sorted({link for link in links if not (REPO / link).is_file()})
    assert not missing, f"README links to missing pages: {missing}"


def test_the_manifest_shown_in_datasets_loads(tmp_path):
    """docs/datasets.md's example manifest is one the harness accepts, its cleaning rules included."""
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO / "docs" / "datasets.md").read_text(encoding="utf-8"), re.S)
    manifest = next(block for block in blocks if "documents:" in block)
    (tmp_path / "references").mkdir()
    texts = {"manifest.yaml": manifest,
             "references/story.en.txt": f"Posted at 10:00\n{ENGLISH}",
             "story.fr.txt": f"{FRENCH}Agence QMI\n",
             "story.tr.txt": f"{TURKISH}{TURKISH}"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    dataset = load_dataset(tmp_path)
    assert [(d.id, d.source.lang, d.relation) for d in dataset.documents] == [
        ("001", "fr", "parallel"), ("002", "tr", "comparable")]
    assert "Agence QMI" not in dataset.documents[0].source.paragraphs
    assert dataset.documents[1].source.paragraphs == (TURKISH.strip(),)
    assert not any(p.startswith("Posted at") for p in dataset.documents[0].reference.paragraphs)
