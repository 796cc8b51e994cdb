"""harness-score: score hypothesis files against reference files of a line-aligned test set, no manifest written
by the user.

    harness-score -r ref.txt [-r ref2.txt] -s src.txt --src-lang fr sysA.txt sysB.txt

The test set is written as a data set of the harness into the command's own output folder (OUT/data: a manifest
declaring `alignment: lines`, and copies of the source in source/ and of the references in references/, so that no
file name of the user's meets the manifest's), each hypothesis file is copied to
OUT/inputs/<system>/, and each system is then one ordinary run of the pipeline with model=files into
OUT/<system>/ (OUT/<system>-system/ for a system named data, inputs or comparison); cli.score_main compares them
as harness-compare does (OUT/comparison/). Nothing is written next
to the user's files, and every input is checked (readable UTF-8, the same number of lines everywhere) before
anything is written; a user error leaves nothing behind.
"""
from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from harness import writer_lock
from harness.config import compose_config, literal_override
from harness.data.documents import (MAX_ID_CHARS, CleaningRules, Text, check_distinct, check_line_aligned,
                                    language_notes, load_text, read_text_file)
from harness.errors import UserError
from harness.data.languages import language_code
from harness.pipeline import open_cache, refuse_cache_inside, run
from harness.results.results import write_json_atomically
from harness.results.run_folder import (check_creatable, refuse_inside_a_run, remove_created_folders, resolved,
                                        storage_error, topmost_missing)
from harness.translate.translate import hypothesis_lines

UNSAFE_NAME = re.compile(r"[^\w.-]+")   # a letter or digit of any script is safe in a name (\w), composed (NFC)
NOT_IN_AN_ID = re.compile(r"[^A-Za-z0-9._-]+")   # what a manifest's id may not hold (documents.SAFE_ID)
SOURCE_DIR, REFERENCE_DIR = "source", "references"   # in OUT/data, beside manifest.yaml
DATA_DIR, INPUTS_DIR, COMPARISON_DIR = "data", "inputs", "comparison"   # harness-score's own folders in OUT
RECORD_FILE = ".harness-score.json"   # in OUT: what the command scores (request_record), once OUT/data is whole
LOCK_FILE = ".harness-score.lock"     # in OUT: held by the command while it works (harness.writer_lock)


@dataclass
class ScoreRequest:
    """What the command line names: the test set, its languages, the systems' files and config overrides."""

    source: Path
    references: list[Path]
    hypotheses: list[Path]
    src_lang: str
    tgt_lang: str = "en"
    overrides: list[str] = field(default_factory=list)


def safe_name(path: Path) -> str:
    """A file's name without its extension, as a system or document name (also a folder name)."""
    return UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", path.stem)).strip("._-") or "system"


def document_id(source: Path) -> str:
    """The source file's name without its extension as the test set's document id, which a manifest takes as a plain
    file name of at most 128 characters (documents.is_plain_id): a letter outside ASCII becomes '_' (源文本.txt,
    whose name a manifest refuses, is the document 'document'). The id names the document in the tables and the
    copy of each hypothesis file; the files keep their names."""
    return NOT_IN_AN_ID.sub("_", source.stem).strip("._-")[:MAX_ID_CHARS].rstrip("._-") or "document"


def system_names(hypotheses: list[Path]) -> list[str]:
    """Each file's system name, which names its folders in --out (OUT/<system>, OUT/inputs/<system>). Two names that
    differ only in case (A.txt, a.txt) are refused as the same name is: on a file system that ignores case (macOS,
    Windows) their folders are one, and the second system was taken for the first's finished run, with its scores."""
    names = [safe_name(path) for path in hypotheses]
    folders = [run_folder_name(name) for name in names]
    for folder in folders:
        alike = [(str(path), other) for path, other in zip(hypotheses, folders) if other.casefold() == folder.casefold()]
        if len(alike) > 1:
            cased = "" if len({other for _, other in alike}) == 1 else " (case ignored, as by the file systems of " \
                "macOS and Windows)"
            raise UserError(f"{' and '.join(path for path, _ in alike)} would both be the system '{folder}'{cased}; "
                            "give the files different names")
    return names


def run_folder_name(system: str) -> str:
    """A system's run folder in OUT: its name, or NAME-system where one of harness-score's own folders has the name
    (a file data.txt, inputs.txt or comparison.txt), case ignored: Data/ is data/ on macOS and Windows."""
    return f"{system}-system" if system.casefold() in (DATA_DIR, INPUTS_DIR, COMPARISON_DIR) else system


def check_inputs(request: ScoreRequest) -> list[str]:
    """Every file readable, and the test set line-aligned on every side, before anything is written; the text of each
    hypothesis file as checked, which its copy in --out is made of (copied_hypothesis)."""
    language_code(request.src_lang, "--src-lang")
    language_code(request.tgt_lang, "--tgt-lang")
    if not request.hypotheses:
        raise UserError("no hypothesis file given; name one or more after the options (harness-score ... sys.txt)")
    check_distinct(request.references, "--reference")
    names = [path.name for path in request.references]
    if len(set(names)) < len(names):
        raise UserError(f"two references share the file name {next(n for n in names if names.count(n) > 1)}; "
                        "give them different names")
    source = load_text(request.source, request.src_lang, CleaningRules(), line_aligned=True, what="source")
    references = [load_text(path, request.tgt_lang, CleaningRules(), line_aligned=True, keep_byte_order_mark=True,
                            what="reference") for path in request.references]
    check_line_aligned(source, references, "harness-score", fix="give files with one segment per line: line i of "
                       "each reference translates line i of the source")
    check_languages(source, references, request.overrides)
    check_distinct(request.hypotheses, "hypothesis file", "hypothesis file")
    hypotheses = []
    for path in request.hypotheses:
        hypotheses.append(read_text_file(path, "hypothesis file", require_text=False, keep_byte_order_mark=True))
        hypothesis_lines(hypotheses[-1], len(source.paragraphs), str(path))
    system_names(request.hypotheses)
    return hypotheses


def check_languages(source: Text, references: list[Text], overrides: list[str]) -> None:
    """The source in --src-lang and the references in --tgt-lang, checked as the runs check them (and remembered
    in the same cache) before anything is written, so that a mistake names the option to fix, not the manifest
    this command writes."""
    cache = open_cache(compose_config(overrides))
    try:
        language_notes(source, "--src-lang", cache, fix="fix --src-lang")
        for reference in references:
            language_notes(reference, "--tgt-lang", cache, fix="fix --tgt-lang")
    finally:
        cache.close()


def manifest(request: ScoreRequest) -> dict:
    references = [path.name for path in request.references]
    return {"target_lang": request.tgt_lang, "alignment": "lines", "reference_dir": REFERENCE_DIR, "documents": [
        {"id": document_id(request.source), "lang": request.src_lang,
         "file": f"{SOURCE_DIR}/{request.source.name}",
         "reference": references if len(references) > 1 else references[0], "relation": "parallel"}]}


def data_set_copies(data: Path, request: ScoreRequest) -> list[tuple[Path, Path]]:
    """Each file of the test set and where OUT/data holds its copy."""
    return [(request.source, data / SOURCE_DIR / request.source.name),
            *[(path, data / REFERENCE_DIR / path.name) for path in request.references]]


def write_data_set(folder: Path, request: ScoreRequest) -> Path:
    for path, copy in data_set_copies(folder, request):
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest(request), allow_unicode=True), encoding="utf-8")
    return folder


# what harness-score sets itself in every run (system_config), and Hydra's settings, which it does not read
COMMAND_LINE_KEYS = ("model", "backend", "data.root", "data.documents", "data.reference_root", "hydra")


def check_override_keys(overrides: list[str]) -> None:
    """An --override tunes the scoring; it may not replace what the command line names: model=identity would score
    the source under the hypothesis file's name, data.root another data set; hydra.run.dir would be ignored."""
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        owned = next((own for own in COMMAND_LINE_KEYS if key == own or key.startswith(f"{own}.")), None)
        if owned:
            raise UserError(f"--override {override.input_line}: harness-score sets {owned} itself from the files it "
                            "is given (-r, -s, --src-lang, the hypothesis files, --out); leave it out, or run "
                            "harness-run with a manifest to translate with a model (docs/datasets.md)")
        if key == "tracking" or key.startswith("tracking."):   # its runs were scored and logged nowhere, in silence
            raise UserError(f"--override {override.input_line}: harness-score logs to no tracking store; leave it "
                            "out, or score the files with harness-run model=files on a manifest and tracking=mlflow "
                            "(docs/tracking.md)")


def system_config(data: Path, inputs: Path, name: str, overrides: list[str]):
    check_override_keys(overrides)
    return compose_config([literal_override("data.root", str(data)), "model=files",
                           literal_override("model.path", str(inputs)), literal_override("model.name", name),
                           *overrides])


def claim_out(out: Path) -> Path | None:
    """Make --out, new or empty, and take it by making its data folder, which only one command can: two started in
    the same second share the default --out, and both found it empty. The topmost folder this made, if any."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"--out {out} already exists and is not an empty folder; name a new folder")
    check_creatable(out, "--out")
    refuse_inside_a_run(out, "--out")
    created = topmost_missing(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / DATA_DIR).mkdir()
    except FileExistsError:   # its folders are the other command's: none is removed
        raise UserError(f"--out {out} was taken by another harness-score at this moment (two started in the same "
                        "second share the default --out); name a new folder") from None
    except OSError as err:   # /proc/x, a name too long: what it made is taken back
        remove_created_folders(out, created)
        raise storage_error(out, err, "--out") from None
    return created


def refuse_interpolation_marks(out: Path) -> None:
    """The run's folders are settings of its config (system_config): composed as written (literal_override), but the
    backend's settings go through Hydra's instantiate, which reads a '${' in them as an interpolation again (an --out
    of 'o${x}' ended in a traceback, its folder half made)."""
    if "${" in str(out):
        raise UserError(f"--out {out}: a folder name holding '${{' is read by the run's config as an interpolation; "
                        "choose a folder whose path has no '${'")


def score_systems(request: ScoreRequest, out: Path) -> list[Path]:
    """One run folder per hypothesis file (OUT/<system>), through the pipeline with model=files. An --out holding
    an earlier harness-score of the same files and settings whose command has ended (killed, stopped) is taken
    over: its finished systems are kept, the others scored (resumed from the cache)."""
    out = resolved(out, "--out")
    refuse_interpolation_marks(out)
    refuse_cache_inside(compose_config(request.overrides), out)   # before check_inputs opens the cache
    hypotheses = check_inputs(request)
    lock = earlier_score_to_finish(out, request)
    if lock is not None:
        try:
            return scored_systems(request, out, hypotheses)
        finally:
            writer_lock.release(lock)
    created = claim_out(out)
    lock = None
    written = [out / DATA_DIR, out / INPUTS_DIR, out / RECORD_FILE, out / LOCK_FILE]
    try:
        with storage_errors_named(out):
            lock = writer_lock.hold(out / LOCK_FILE)
            write_data_set(out / DATA_DIR, request)
            write_json_atomically(out / RECORD_FILE, request_record(request))
        return scored_systems(request, out, hypotheses, written)
    except UserError:   # a bad input or a full disk: nothing of this command is left behind, its finished runs included
        for path in written:
            remove_written(path)
        remove_created_folders(out, created)
        raise
    finally:
        writer_lock.release(lock)


@contextmanager
def storage_errors_named(out: Path) -> Iterator[None]:
    """A write of the command's own into --out (its lock, copies and record, written with os, shutil and open) that the
    disk refuses (full, over a quota, a file size limit), as one line naming --out; the runs say their own."""
    try:
        yield
    except OSError as err:
        raise storage_error(out, err, "--out") from None


def remove_written(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def scored_systems(request: ScoreRequest, out: Path, hypotheses: list[str],
                   written: list[Path] | None = None) -> list[Path]:
    """Each system's run folder, scored where it is not finished, from its hypothesis file's checked text;
    `written` gets each folder made."""
    folders = []
    for text, name in zip(hypotheses, system_names(request.hypotheses)):
        folder = out / run_folder_name(name)
        folders.append(folder)
        if (folder / "result.json").is_file():   # finished by the command this one takes over
            continue
        if written is not None and not folder.exists():
            written.append(folder)
        with storage_errors_named(out):
            inputs = copied_hypothesis(text, out / INPUTS_DIR / name, request.source)
        cfg = system_config(out / DATA_DIR, inputs, name, request.overrides)
        run(cfg, folder, {".hydra/config.yaml": OmegaConf.to_yaml(cfg)}, knob="--out")
    return folders


def copied_hypothesis(text: str, inputs: Path, source: Path) -> Path:
    """The system's folder for model=files: the hypothesis file's text, byte for byte as check_inputs read and checked
    it, under the source's name (through a temporary name: a command killed while copying leaves no part of it there).
    The file is not read again: one edited while earlier systems were scored was copied unchecked and refused under
    the name of its copy in --out, which the clean-up then removed with every finished system."""
    copy = hypothesis_copy(inputs, source)
    if not copy.is_file():
        inputs.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(f".{copy.name}.tmp-{os.getpid()}")
        try:
            partial.write_bytes(text.encode("utf-8"))
            os.replace(partial, copy)
        finally:
            partial.unlink(missing_ok=True)
    return inputs


def hypothesis_copy(inputs: Path, source: Path) -> Path:
    """Where a system's folder for model=files holds its hypothesis file: under the document's id."""
    return inputs / f"{document_id(source)}.txt"


def request_record(request: ScoreRequest) -> dict:
    """What an --out was made for: the files by name, the languages and the overrides (their contents are checked
    against the copies in --out: copies_differ)."""
    return {"source": request.source.name, "references": [path.name for path in request.references],
            "hypotheses": [path.name for path in request.hypotheses], "src_lang": request.src_lang,
            "tgt_lang": request.tgt_lang, "overrides": list(request.overrides)}


def earlier_score_to_finish(out: Path, request: ScoreRequest) -> int | None:
    """The lock of an --out that an earlier harness-score of this very request made and left unfinished (killed
    outright, stopped by Ctrl-C or SIGTERM), held for this command; None for an --out of no such command (new,
    empty, or the user's: claim_out decides). Refused in one line: an --out another harness-score is writing now,
    or one made for other files or settings."""
    record = read_record_file(out / RECORD_FILE)
    if record is None:
        return None
    lock = writer_lock.take_if_abandoned(out / LOCK_FILE)
    if lock is None and (out / LOCK_FILE).exists():
        raise UserError(f"--out {out} is being written by another harness-score now; wait for it to finish, or name a "
                        "new folder")
    if lock is None:
        raise UserError(f"--out {out} holds an earlier harness-score whose end cannot be told here (its file system "
                        "has no file locks: that command may still be working); name a new folder")
    differs = None if record == request_record(request) else "the command line"
    differs = differs or copies_differ(out, request)
    if differs:
        writer_lock.release(lock)
        raise UserError(f"--out {out} holds an earlier harness-score of other files or settings ({differs} differs); "
                        "name a new folder, or give the same files and options to finish that one")
    return lock


def read_record_file(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def copies_differ(out: Path, request: ScoreRequest) -> str | None:
    """The first of the user's files whose copy in --out differs (edited since the earlier command), or None. A
    hypothesis file not copied yet (the earlier command stopped before its system) has nothing to differ from."""
    copies = data_set_copies(out / DATA_DIR, request)
    hypotheses = [(path, hypothesis_copy(out / INPUTS_DIR / name, request.source))
                  for path, name in zip(request.hypotheses, system_names(request.hypotheses))]
    copies += [(path, copy) for path, copy in hypotheses if copy.is_file()]
    return next((str(path) for path, copy in copies if not (copy.is_file() and filecmp.cmp(path, copy, shallow=False))),
                None)
