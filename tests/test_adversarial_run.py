"""harness-run as an adversarial user drives it (issue 16): every bad input gets one line and exit code 2,
and nothing outside the run folder changes; nothing of a refused run is left behind.

One table, like sacrebleu's tests: each case builds its input in tmp_path, runs the real CLI in a child
process and checks the exit code, the message, and a checksum of the whole surrounding tree."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

FRENCH = ("Le conseil municipal de Lyon a voté lundi soir un budget de douze millions d'euros pour rénover les écoles "
          "de la ville. Les travaux commenceront au printemps prochain dans six quartiers. La maire a salué un accord "
          "trouvé après trois mois de discussions avec les parents.\n")
ENGLISH = ("Lyon's city council voted on Monday evening for a budget of twelve million euros to renovate the city's "
           "schools. Work will begin next spring in six neighbourhoods. The mayor welcomed an agreement reached after "
           "three months of talks with parents.\n")
ARABIC = ("صوت المجلس البلدي لمدينة ليون مساء الاثنين على ميزانية قدرها اثنا عشر مليون يورو لتجديد مدارس المدينة. "
          "وستبدأ الأعمال في الربيع المقبل في ستة أحياء. ورحبت رئيسة البلدية باتفاق تم التوصل إليه بعد ثلاثة أشهر من "
          "المحادثات مع أولياء الأمور.\n")
DOCUMENT = {"id": "a", "lang": "fr", "file": "a.txt", "reference": "ref.txt", "relation": "parallel"}


@dataclass
class Setup:
    root: Path      # tmp_path: everything the case may touch lies below it
    data: Path      # a valid one-document data set, for the case to break
    run_dir: Path   # hydra.run.dir, not created yet

    def manifest(self, documents: list[dict] | None = None, **fields) -> None:
        record = {"target_lang": "en", **fields, "documents": [DOCUMENT] if documents is None else documents}
        (self.data / "manifest.yaml").write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.data / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path


def make_setup(tmp_path: Path) -> Setup:
    setup = Setup(tmp_path, tmp_path / "data", tmp_path / "runs" / "run")
    setup.data.mkdir()
    setup.write("a.txt", FRENCH)
    setup.write("ref.txt", ENGLISH)
    setup.manifest()
    return setup


def victim_folder(t: Setup) -> list[str]:
    """Issue 16 (1): an input error deleted whatever folder hydra.run.dir named."""
    t.write("a.txt", "   \n")
    victim = t.root / "victimdir"
    victim.mkdir()
    (victim / "thesis.tex").write_text("draft\n")
    return [f"hydra.run.dir={victim}"]


def current_directory(t: Setup) -> list[str]:
    """Issue 16 (1): hydra.run.dir=. with a bad data.root deleted the current directory."""
    return ["hydra.run.dir=.", f"data.root={t.root / 'nowhere'}"]


def new_folder_with_bad_input(t: Setup) -> list[str]:
    """The folders this launch made (runs/new/deeper) go again; nothing else does."""
    t.write("a.txt", "   \n")
    return [f"hydra.run.dir={t.root / 'runs' / 'new' / 'deeper'}"]


def run_in_progress(t: Setup) -> list[str]:
    """Issue 16 (1): a failing second run into a running run's folder deleted its .hydra/, log and marker."""
    busy = t.root / "busy"
    (busy / ".hydra").mkdir(parents=True)
    (busy / ".hydra" / "config.yaml").write_text("model: {name: first}\n")
    (busy / "run.log").write_text("first run working\n")
    (busy / "RUNNING").write_text(f"pid {os.getpid()}\nhost {os.uname().nodename}\nstarted now\n")
    t.write("a.txt", "   \n")
    return [f"hydra.run.dir={busy}"]


def finished_run(t: Setup) -> list[str]:
    """Issue 16 (3): a refused run let Hydra overwrite the finished run's .hydra/ record."""
    done = t.root / "done"
    (done / ".hydra").mkdir(parents=True)
    (done / ".hydra" / "overrides.yaml").write_text("- model=first\n")
    (done / "result.json").write_text("{}\n")
    return [f"hydra.run.dir={done}"]


def document_with(**changes):
    """A case whose one manifest entry has these fields changed (None removes a field)."""
    def case(t: Setup) -> list[str]:
        entry = {**DOCUMENT, **changes}
        t.manifest([{k: v for k, v in entry.items() if v is not None}])
        return []
    return case


def two_documents(first: str, second: str):
    def case(t: Setup) -> list[str]:
        t.manifest([{**DOCUMENT, "id": first}, {**DOCUMENT, "id": second}])
        return []
    return case


def manifest_with(**fields):
    def case(t: Setup) -> list[str]:
        t.manifest(**fields)
        return []
    return case


def manifest_text(text: str):
    def case(t: Setup) -> list[str]:
        t.write("manifest.yaml", text)
        return []
    return case


def source_text(text: str | bytes, lang: str = "fr"):
    def case(t: Setup) -> list[str]:
        t.write("a.txt", text)
        t.manifest([{**DOCUMENT, "lang": lang}])
        return []
    return case


def reference_in_etc(t: Setup) -> list[str]:
    """Issue 16 (5): reference_dir: /etc with reference: hostname was read into result.json."""
    t.manifest([{**DOCUMENT, "reference": "hostname"}], reference_dir="/etc")
    return []


def reference_is_a_folder(t: Setup) -> list[str]:
    (t.data / "refs").mkdir()
    t.manifest([{**DOCUMENT, "reference": "refs"}])
    return []


def files_model(t: Setup, *extra: str) -> list[str]:
    hypotheses = t.root / "hyps"
    hypotheses.mkdir()
    (hypotheses / "a.txt").write_text(ENGLISH)
    return ["model=files", f"model.path={hypotheses}", *extra]


def overrides(*args: str):
    return lambda t: list(args)


def garbage_cache(t: Setup) -> list[str]:
    """Issue 16 (7): a truncated or garbage cache file crashed with sqlite3.DatabaseError."""
    cache = t.root / "cache"
    cache.mkdir()
    (cache / "translations.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x13garbage" * 40)
    return []


def under_a_file(t: Setup) -> list[str]:
    (t.root / "plain_file").write_text("not a folder\n")
    return [f"hydra.run.dir={t.root / 'plain_file' / 'run'}"]


ERRORS = [
    # (1) data loss
    pytest.param(victim_folder, ["victimdir is not empty", "thesis.tex", "not a run folder"], id="1-victim-folder-kept"),
    pytest.param(current_directory, ["is not empty", "not a run folder"], id="1-run-dir-is-cwd"),
    pytest.param(new_folder_with_bad_input, ["a.txt: document is empty"], id="1-new-folder-removed"),
    pytest.param(run_in_progress, ["busy is in use by run pid"], id="1-run-in-progress-untouched"),
    # (3) a finished run
    pytest.param(finished_run, ["already holds a finished run"], id="3-finished-run-untouched"),
    # (4) ids that escape
    pytest.param(document_with(id="/somewhere/victim"), ["id '/somewhere/victim' is not a plain file name"],
                 id="4-absolute-id"),
    pytest.param(document_with(id="../../escaped"), ["id '../../escaped' is not a plain file name"], id="4-dotdot-id"),
    pytest.param(document_with(id="../outside_secret"), ["not a plain file name"], id="4-files-backend-id"),
    pytest.param(two_documents("a", "./a"), ["id './a' is not a plain file name"], id="4-dot-slash-id"),
    pytest.param(two_documents("a", "A"), ["duplicate document id 'A'", "same file name as 'a'"], id="4-case-duplicate"),
    pytest.param(document_with(id=".."), ["not a plain file name"], id="4-dotdot-alone"),
    # (5) paths that escape
    pytest.param(reference_in_etc, ["reference_dir '/etc' is outside the data folder", "data.reference_root="],
                 id="5-reference-dir-etc"),
    pytest.param(document_with(file="../a.txt"), ["path '../a.txt' escapes the data folder"], id="5-source-escapes"),
    pytest.param(document_with(reference="../../ref.txt"), ["escapes the data folder"], id="5-reference-escapes"),
    # (7) a corrupt cache
    pytest.param(garbage_cache, ["is unreadable or corrupt", "mv "], id="7-garbage-cache-file"),
    # (8) files backend and max_segments
    pytest.param(lambda t: files_model(t, "data.max_segments=1"), ["model=files reads whole documents"],
                 id="8-files-max-segments"),
    # (10) silent misreadings
    pytest.param(document_with(clean={"drop_lines": "QMI"}), ["drop_lines must be a list of regexes"],
                 id="10-drop-lines-string"),
    pytest.param(overrides("data.max_segments=-1"), ["data.max_segments=-1: must be a whole number >= 1"],
                 id="10-max-segments-negative"),
    pytest.param(overrides("generation.batch_size=0"), ["generation.batch_size=0: must be"], id="10-batch-size-0"),
    pytest.param(overrides("generation.batch_size=-1"), ["generation.batch_size=-1: must be"], id="10-batch-size-neg"),
    pytest.param(overrides("metrics=[]"), ["metrics=[]: must be a non-empty list"], id="10-no-metrics"),
    pytest.param(overrides("generation.seed=-1"), ["generation.seed=-1: must be a whole number >= 0"],
                 id="10-seed-negative"),
    pytest.param(overrides("summarizer=lead", "summarizer.sentences=-1"), ["summarizer.sentences=-1: must be"],
                 id="10-summary-sentences-negative"),
    pytest.param(manifest_with(documents=[]), ["'documents' list is empty"], id="10-no-documents"),
    pytest.param(document_with(refrence="ref.txt", reference=None), ["unknown document field 'refrence'",
                                                                     "Did you mean 'reference'?"],
                 id="10-misspelled-field"),
    pytest.param(manifest_with(target_language="en"), ["unknown manifest field 'target_language'",
                                                       "Did you mean 'target_lang'?"], id="10-misspelled-top-field"),
    pytest.param(source_text("\u200b\u200c\u200d\ufeff\u2060\n\u200b\n"), ["document is empty (no visible character)"],
                 id="10-zero-width-document"),
    pytest.param(source_text(ARABIC, lang="tr"), ["declared 'tr' (Turkish) but the text is 'ar'"],
                 id="10-arabic-declared-turkish"),
    pytest.param(source_text(ENGLISH, lang="fr"), ["declared 'fr' (French) but the text is 'en'"],
                 id="10-english-declared-french"),
    # tracebacks and unclear messages
    pytest.param(overrides("alignment.beads=[]"), ["alignment.beads=[]: must be a non-empty list"], id="beads-empty"),
    pytest.param(overrides("alignment.beads=[1-0,0-1]"), ["no bead aligns anything"], id="beads-skips-only"),
    pytest.param(overrides("alignment.weights={embedding:0,chrf:0,length:0}"), ["alignment.weights=", "positive sum"],
                 id="weights-all-zero"),
    pytest.param(overrides("alignment.weights={embedding:1,chrf:0,length:0}"), ["the weights in use sum to 0"],
                 id="weights-zero-without-embeddings"),
    pytest.param(manifest_text("documents:\n  - id: a\n    lang: [fr\n"), ["not valid YAML (line 4, column 1"],
                 id="yaml-error-line-number"),
    pytest.param(reference_is_a_folder, ["refs: is a folder, not a file"], id="reference-is-a-folder"),
    pytest.param(manifest_text("\n\n"), ["manifest.yaml: manifest is empty"], id="empty-manifest"),
    pytest.param(overrides("metrics=[bleu,evaluate:rouge]"), ["set allow_metric_code=true if you trust it"],
                 id="evaluate-needs-opt-in"),
    pytest.param(under_a_file, ["plain_file is a file, not a folder"], id="run-dir-under-a-file"),
    pytest.param(overrides("data.max_sentences=2"), ["3 sentences, more than data.max_sentences=2; split the document"],
                 id="document-too-long"),
    pytest.param(overrides("generation.batch_size=abc"), ["generation.batch_size"], id="batch-size-not-a-number"),
    pytest.param(source_text(b"\xff\xfeh\x00i\x00"), ["file is UTF-16"], id="utf16-source"),
    pytest.param(source_text(b"caf\xe9 au lait\n"), ["not valid UTF-8"], id="latin1-source"),
    pytest.param(document_with(relation="paralel"), ["relation 'paralel' is not one of"], id="relation-typo"),
    pytest.param(document_with(lang="xx"), ["unknown language code 'xx'"], id="unknown-language"),
]


def base_args(t: Setup) -> list[str]:
    return ["model=identity", f"data.root={t.data}", f"hydra.run.dir={t.run_dir}", "alignment.embeddings=false"]


@pytest.mark.parametrize("case, fragments", ERRORS)
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(tmp_path, case, fragments):
    setup = make_setup(tmp_path)
    extra = case(setup)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), *extra], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    if case is garbage_cache:   # the corrupt cache is the user's evidence: left as it was
        assert (tmp_path / "cache" / "translations.sqlite").read_bytes().startswith(b"SQLite format 3\x00\x13garbage")


def short_source(t: Setup) -> list[str]:
    t.write("a.txt", "Bonjour à tous.\n")
    t.write("ref.txt", "Hello everyone.\n")
    return []


def stale_claim(t: Setup) -> list[str]:
    """A RUNNING marker left by a killed run (a pid that no longer exists) is taken over, with a note."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    t.run_dir.mkdir(parents=True)
    (t.run_dir / "RUNNING").write_text(f"pid {dead.stdout.strip()}\nhost {os.uname().nodename}\nstarted earlier\n")
    (t.run_dir / "hypotheses").mkdir()
    (t.run_dir / "hypotheses" / "a.txt").write_text("half-written by the killed run\n")
    (t.run_dir / ".result.json.tmp-999999").write_text('{"half": ')   # killed while writing its result
    return []


RECORDED = [
    pytest.param(short_source, "too short to check that it is French (3 words)", id="10-short-text-noted"),
    pytest.param(stale_claim, "took over the folder from a run that died", id="2-stale-claim-taken-over"),
]


@pytest.mark.parametrize("case, note", RECORDED)
def test_degradations_are_recorded_and_shown(tmp_path, case, note):
    setup = make_setup(tmp_path)
    case(setup)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache", setup.run_dir.parent))
    outcome = run_cli("run", base_args(setup), cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert note in outcome.stdout
    assert note in (setup.run_dir / "result.json").read_text(encoding="utf-8")
    assert not (setup.run_dir / "RUNNING").exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache", setup.run_dir.parent)) == before
