"""Data sets: a folder with a manifest.yaml naming each document, its reference and their declared relation.

Files on disk are never modified: cleaning rules from the manifest are applied in memory and every
dropped line is kept so that the result can show what was removed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.errors import UserError
from harness.languages import language_name

RELATIONS = ("parallel", "comparable", "unrelated")
DOCUMENT_FIELDS = ("id", "lang", "file", "reference", "relation")
# `alignment:` (manifest level, or per document): how source and reference sentences correspond.
# search: split into sentences and align them (harness.crosslingual); lines: line i of the source
# translates line i of the reference (FLORES, WMT), each line is one segment and nothing is searched.
ALIGNMENT_KEY = "alignment"
ALIGNMENTS = ("search", "lines")


@dataclass(frozen=True)
class CleaningRules:
    """Boilerplate rules for one file: regexes of lines to drop, and whether exact repeats go too."""

    drop_lines: tuple[str, ...] = ()
    drop_repeated_lines: bool = False

    def as_dict(self) -> dict:
        return {"drop_lines": list(self.drop_lines), "drop_repeated_lines": self.drop_repeated_lines}


@dataclass(frozen=True)
class DroppedLine:
    line_number: int
    text: str
    rule: str


@dataclass(frozen=True)
class Text:
    """A cleaned text: its non-empty lines (paragraphs) and what cleaning removed."""

    path: Path
    lang: str
    paragraphs: tuple[str, ...]
    rules: CleaningRules
    dropped: tuple[DroppedLine, ...] = ()

    def cleaning_record(self) -> dict:
        return {
            "rules": self.rules.as_dict(),
            "dropped": [{"line": d.line_number, "text": d.text, "rule": d.rule} for d in self.dropped],
        }


@dataclass(frozen=True)
class Document:
    id: str
    relation: str
    source: Text
    reference: Text
    alignment: str = "search"   # one of ALIGNMENTS

    @property
    def line_aligned(self) -> bool:
        return self.alignment == "lines"

    @property
    def src_lang(self) -> str:
        return self.source.lang


@dataclass(frozen=True)
class Dataset:
    root: Path
    target_lang: str
    documents: tuple[Document, ...] = field(default_factory=tuple)


def read_text_file(path: Path) -> str:
    """Read a UTF-8 document, refusing empty, binary and non-UTF-8 files with the fix in the message."""
    if not path.is_file():
        raise UserError(f"{path}: file not found; check the file name in the manifest")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{path}: file is UTF-16; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in raw:
        raise UserError(f"{path}: file looks binary (it contains NUL bytes); give a UTF-8 text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(
            f"{path}: not valid UTF-8 (byte {err.start}); convert it to UTF-8 (iconv -f LATIN1 -t UTF-8)"
        ) from None
    if not text.strip():
        raise UserError(f"{path}: document is empty; give a file with text or remove it from the manifest")
    return text


def clean_lines(lines: list[str], rules: CleaningRules) -> tuple[list[str], list[DroppedLine]]:
    """Keep non-empty lines that no rule drops; return the kept lines and the dropped ones."""
    patterns = [(pattern, re.compile(pattern)) for pattern in rules.drop_lines]
    kept, dropped, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        rule = next((p for p, regex in patterns if regex.search(stripped)), None)
        if rule is None and rules.drop_repeated_lines and stripped in seen:
            rule = "drop_repeated_lines"
        if rule is None:
            kept.append(stripped)
            seen.add(stripped)
        else:
            dropped.append(DroppedLine(number, stripped, rule))
    return kept, dropped


def load_text(path: Path, lang: str, rules: CleaningRules) -> Text:
    language_name(lang)
    kept, dropped = clean_lines(read_text_file(path).splitlines(), rules)
    if not kept:
        raise UserError(f"{path}: cleaning rules removed every line; loosen the rules in the manifest")
    return Text(path, lang, tuple(kept), rules, tuple(dropped))


def parse_rules(spec: dict | None, where: str) -> CleaningRules:
    spec = spec or {}
    unknown = set(spec) - {"drop_lines", "drop_repeated_lines"}
    if unknown:
        raise UserError(f"{where}: unknown cleaning rule {sorted(unknown)}; use drop_lines or drop_repeated_lines")
    for pattern in spec.get("drop_lines", []):
        try:
            re.compile(pattern)
        except re.error as err:
            raise UserError(f"{where}: bad regex {pattern!r} in drop_lines ({err})") from None
    return CleaningRules(tuple(spec.get("drop_lines", [])), bool(spec.get("drop_repeated_lines", False)))


def inside(folder: Path, name: str, where: str) -> Path:
    """Resolve a manifest path and refuse one that escapes its folder."""
    path = (folder / str(name)).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise UserError(f"{where}: path '{name}' escapes the data folder {folder}; keep files inside it")
    return path


def read_manifest(root: Path) -> dict:
    manifest_path = root / "manifest.yaml"
    if not root.is_dir():
        raise UserError(f"data folder '{root}' not found; set data.root to a folder with a manifest.yaml")
    if not manifest_path.is_file():
        raise UserError(f"{manifest_path}: no manifest; write one that lists the documents (see seeds/manifest.yaml)")
    try:
        manifest = yaml.safe_load(read_text_file(manifest_path))
    except yaml.YAMLError as err:
        raise UserError(f"{manifest_path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), list):
        raise UserError(f"{manifest_path}: needs a 'documents' list; see seeds/manifest.yaml")
    return manifest


def check_entry(entry: object, index: int, manifest_path: Path) -> dict:
    where = f"{manifest_path}: document #{index + 1}"
    if not isinstance(entry, dict):
        raise UserError(f"{where}: each document must be a mapping with fields {', '.join(DOCUMENT_FIELDS)}")
    missing = [name for name in DOCUMENT_FIELDS if name not in entry]
    if missing:
        raise UserError(f"{where}: missing field '{missing[0]}'; every document needs {', '.join(DOCUMENT_FIELDS)}")
    if entry["relation"] not in RELATIONS:
        raise UserError(f"{where}: relation '{entry['relation']}' is not one of {', '.join(RELATIONS)}")
    return entry


def alignment_of(entry: dict, manifest: dict, where: str) -> str:
    alignment = str(entry.get(ALIGNMENT_KEY, manifest.get(ALIGNMENT_KEY, "search")))
    if alignment not in ALIGNMENTS:
        raise UserError(f"{where}: {ALIGNMENT_KEY} '{alignment}' is not one of {', '.join(ALIGNMENTS)}")
    return alignment


def check_line_aligned(source: Text, reference: Text, where: str) -> None:
    if len(source.paragraphs) != len(reference.paragraphs):
        raise UserError(f"{where}: declared alignment: lines, but the source has {len(source.paragraphs)} non-empty "
                        f"lines and the reference {len(reference.paragraphs)}; give files with one segment per line "
                        "on both sides, or remove alignment: lines")


def load_dataset(root: str | Path, only: list[str] | None = None) -> Dataset:
    """Load and clean every document of the data set (or only the ids listed) and their references."""
    root = Path(root).resolve()
    manifest = read_manifest(root)
    manifest_path = root / "manifest.yaml"
    target_lang = str(manifest.get("target_lang", "en"))
    reference_dir = (root / str(manifest.get("reference_dir", "."))).resolve()
    reference_rules = manifest.get("references") or {}
    entries = [check_entry(e, i, manifest_path) for i, e in enumerate(manifest["documents"])]
    ids = [str(e["id"]) for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UserError(f"{manifest_path}: duplicate document id '{duplicates[0]}'; ids must be unique")
    if only:
        missing = [i for i in only if i not in ids]
        if missing:
            raise UserError(f"data.documents: no document '{missing[0]}' in {manifest_path}; ids: {', '.join(ids)}")
        entries = [e for e in entries if str(e["id"]) in only]
    references: dict[str, Text] = {}
    documents = []
    for entry in entries:
        where = f"{manifest_path}: document '{entry['id']}'"
        source = load_text(inside(root, entry["file"], where), str(entry["lang"]),
                           parse_rules(entry.get("clean"), where))
        ref_name = str(entry["reference"])
        if ref_name not in references:
            ref_where = f"{manifest_path}: reference '{ref_name}'"
            rules = parse_rules((reference_rules.get(ref_name) or {}).get("clean"), ref_where)
            references[ref_name] = load_text(inside(reference_dir, ref_name, ref_where), target_lang, rules)
        alignment = alignment_of(entry, manifest, where)
        if alignment == "lines":
            check_line_aligned(source, references[ref_name], where)
        documents.append(Document(str(entry["id"]), entry["relation"], source, references[ref_name], alignment))
    return Dataset(root, target_lang, tuple(documents))
