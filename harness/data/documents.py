"""Data sets: a folder with a manifest.yaml naming each document, its reference and their declared relation.

Files on disk are never modified: cleaning rules from the manifest are applied in memory and every
dropped line is kept so that the result can show what was removed.
"""
from __future__ import annotations

import codecs
import os
import re
import reprlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml
from yaml.events import AliasEvent

from harness.cache import TranslationCache
from harness.config import read_unquoted
from harness.errors import LINK_LOOP, UserError, in_a_loop, unknown_name, yaml_problem
from harness.data.languages import check_language, language_code
from harness.data.lines import line_count_hint, split_lines, split_paragraphs, unmarked
from harness.data.relations import DECLARABLE

RELATIONS = tuple(relation.value for relation in DECLARABLE)
DOCUMENT_FIELDS = ("id", "lang", "file", "reference", "relation")     # required
# `alignment:` (manifest level, or per document): how source and reference sentences correspond.
# search: split into sentences and align them (harness.align.crosslingual); lines: line i of the source
# translates line i of the reference (FLORES, WMT), each line (as sacrebleu reads it: harness.data.lines) is one
# segment and nothing is split or searched. Only a line-aligned document may name several references
# (`reference: [ref1.txt, ref2.txt]`, as `sacrebleu ref1.txt ref2.txt -i hyp.txt`).
ALIGNMENT_KEY = "alignment"
ALIGNMENTS = ("search", "lines")
# `segmentation:` (manifest level, or per document): how a searched document's text becomes sentences. sentences:
# each line is split at its sentence ends (sentencex); lines: the text comes pre-split (gold alignment corpora,
# subtitles), each non-empty line of the source and of the reference is one sentence and nothing is split.
SEGMENTATION_KEY = "segmentation"
SEGMENTATIONS = ("sentences", "lines")
OPTIONAL_DOCUMENT_FIELDS = ("clean", ALIGNMENT_KEY, SEGMENTATION_KEY)
MANIFEST_FIELDS = ("documents", "target_lang", "reference_dir", "references", ALIGNMENT_KEY, SEGMENTATION_KEY)
REFERENCE_FIELDS = ("clean",)
CLEANING_RULES = ("drop_lines", "drop_repeated_lines")
# ids name files in the run folder (hypotheses/<id>.txt): a plain file name, nothing that could leave the folder
MAX_ID_CHARS = 128
SAFE_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID_CHARS - 1}}}")
INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn"}   # controls, zero-width and other format characters, spaces
# Fields that name things: read as the text written, whatever YAML 1.1 makes of it (010 -> 8, 12:30 -> 750,
# ~ -> None, yes -> True, no -> False: the Norwegian language code)
TEXT_FIELDS = frozenset({"id", "lang", "file", "reference", "relation", ALIGNMENT_KEY, "target_lang", "reference_dir"})
MAX_MANIFEST_DEPTH = 32   # a manifest is 6 levels deep (root, documents, entry, clean, drop_lines, a pattern)


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
    """A cleaned text: its non-empty lines (paragraphs) and what cleaning removed; in a line-aligned document,
    every line, empty ones included, and nothing removed."""

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
    alignment: str = "search"     # one of ALIGNMENTS
    segmentation: str = "sentences"   # one of SEGMENTATIONS
    notes: tuple[str, ...] = ()   # checks that could not be made (a text too short to identify its language)
    extra_references: tuple[Text, ...] = ()   # a line-aligned document's second, third... reference

    @property
    def line_aligned(self) -> bool:
        return self.alignment == "lines"

    @property
    def pre_split(self) -> bool:
        """Each line of source and reference is one sentence: line-aligned, or declared segmentation: lines."""
        return self.line_aligned or self.segmentation == "lines"

    @property
    def references(self) -> tuple[Text, ...]:
        """Every reference, the first one (`reference`) first."""
        return (self.reference, *self.extra_references)

    @property
    def src_lang(self) -> str:
        return self.source.lang


@dataclass(frozen=True)
class Dataset:
    root: Path
    target_lang: str
    documents: tuple[Document, ...] = field(default_factory=tuple)


def has_visible_text(text: str) -> bool:
    return any(unicodedata.category(ch) not in INVISIBLE for ch in text)


def is_control_character(ch: str) -> bool:
    """A control character that is no white space (ESC, BEL, DEL, ...): no text holds one."""
    return unicodedata.category(ch) == "Cc" and not ch.isspace()


REPLACEMENT_CHARACTER = "\ufffd"   # what a decoder puts for bytes it cannot read (errors="replace")


def character_notes(lines: list[str] | tuple[str, ...], what: str) -> list[str]:
    """A text holding control characters (a file captured from a coloured terminal holds its ESC[32m colour codes):
    they are read, translated and scored as the characters they are, as sacrebleu reads them, and a searched output's
    ESC[0m was read as sentences of its own ('a model repeating one sentence'). A text holding U+FFFD, the character
    a conversion from another encoding puts for each one it could not read (a Latin-1 file decoded as UTF-8 with its
    errors replaced; a model's bytes cut inside a character): those characters are lost, and the text was translated
    and scored without them, with no word. Each said, with the fix."""
    notes = []
    marked = [line for line in lines if any(is_control_character(ch) for ch in line)]
    if marked:
        first = next(ch for ch in marked[0] if is_control_character(ch))
        notes.append(f"the {what} holds control characters on {len(marked)} of its {len(lines)} lines (the first "
                     f"U+{ord(first):04X}; ESC, U+001B, starts a coloured terminal's colour codes): they are kept as "
                     "text, handed to a model and scored as sacrebleu scores them; remove them")
    replaced = [line for line in lines if REPLACEMENT_CHARACTER in line]
    if replaced:
        notes.append(f"the {what} holds the replacement character U+FFFD on {len(replaced)} of its {len(lines)} lines, "
                     "which a conversion from another encoding puts for each character it could not read: those "
                     "characters are lost, and the text is handed to a model and scored as it stands; convert the "
                     "original to UTF-8 again (iconv -f ENCODING -t UTF-8)")
    return notes


def resolved_input(path: Path, where: str) -> Path:
    """An input path with its symbolic links followed; a loop of links refused by name (Python before 3.13 raised
    RuntimeError from resolve, later versions return the path unresolved)."""
    if in_a_loop(path):
        raise UserError(f"{where}: {path} {LINK_LOOP}")
    return path.resolve()


STANDARD_INPUT = "-"   # what sacrebleu and other tools read as standard input in place of a file name


def why_not_a_file(path: Path) -> str:
    """Why a path that is neither a folder nor a regular file cannot be read, and the fix."""
    if in_a_loop(path):
        return LINK_LOOP
    if path.is_symlink() and not path.exists():
        return f"is a link to {os.readlink(path)}, which does not exist; point the link at a text file"
    if path.exists():   # reading a pipe or a device could wait for ever or never end
        return "is not a regular file (a pipe, a device or a socket); save the text to a file and name that"
    if str(path) == STANDARD_INPUT:
        return ("standard input is not read (each file is read twice: checked, then copied); save it to a file and "
                "name that")
    return "file not found; check the file name"


# byte-order marks, UTF-32's before UTF-16's (FF FE 00 00 starts with FF FE); iconv's names
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
             (codecs.BOM_UTF16_BE, "UTF-16"))


def wide_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32 by its byte-order mark, or UTF-16 without one (a NUL byte beside every character of a
    mostly Latin text, which iconv must be told the byte order of); None for anything else."""
    bom = next((name for mark, name in WIDE_BOMS if raw.startswith(mark)), None)
    if bom:
        return bom
    even, odd = raw[0::2], raw[1::2]
    for order, high, low in (("UTF-16LE", odd, even), ("UTF-16BE", even, odd)):
        if high and high.count(0) > len(high) // 2 and low.count(0) <= len(low) // 10:
            return order
    return None


TELLING_BYTES = 1 << 16   # a file's start, which tells UTF-16, UTF-32 and binary files from text


def refuse_binary(path: Path, raw: bytes) -> None:
    """A file that is UTF-16 or UTF-32 (told by its start), or binary, refused with the fix. read_text_file asks it of
    the file's start before it reads the rest: a model's weights named by mistake (2 GB) took 37 s and 4 GB of memory
    to be called binary."""
    wide = wide_encoding(raw[:TELLING_BYTES])
    if wide:
        raise UserError(f"{path}: file is {wide}; convert it to UTF-8 (iconv -f {wide} -t UTF-8)")
    if b"\x00" in raw:
        raise UserError(f"{path}: file looks binary (it contains NUL bytes); give a UTF-8 text file")


def read_text_file(path: Path, what: str = "document", require_text: bool = True,
                   keep_byte_order_mark: bool = False) -> str:
    """Read a UTF-8 file, refusing binary and non-UTF-8 files, and empty ones unless require_text is false, with the
    fix in the message. A line-aligned hypothesis file is read with require_text=False: each of its lines is an
    output, an empty one included, and its number of lines is what is checked (translate.hypothesis_lines).
    A UTF-8 byte-order mark is dropped, unless keep_byte_order_mark: a line-aligned reference or hypothesis file is
    scored as sacrebleu reads it, the mark a character of its first line (byte_order_mark_notes says so)."""
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file; name a text file")
    if not path.is_file():
        raise UserError(f"{path}: {why_not_a_file(path)}")
    try:
        with path.open("rb") as handle:
            refuse_binary(path, handle.read(TELLING_BYTES))
            handle.seek(0)
            raw = handle.read()
    except OSError as err:   # no permission to read it (chmod 000, another user's file), or a failing disk
        raise UserError(f"{path}: cannot be read ({err.strerror or err}); make it readable (chmod u+r) or give a "
                        "readable copy") from None
    refuse_binary(path, raw)
    try:
        text = raw.decode("utf-8" if keep_byte_order_mark else "utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not valid UTF-8 (byte {err.start}); {conversion_hint(raw)}") from None
    if require_text and not has_visible_text(text):
        raise empty_file(str(path), what)
    return text


def empty_file(location: str, what: str) -> UserError:
    return UserError(f"{location}: {what} is empty (no visible character); give a file with text"
                     + (" or remove it from the manifest" if what == "document" else ""))


MIN_ENCODING_CONFIDENCE = 0.2   # chardet's guesses below it were wrong on our samples (a 3-word Latin-1 line: Greek)


def conversion_hint(raw: bytes) -> str:
    """How to convert a file that is not UTF-8, in the encoding chardet finds: the Windows code page rather than its
    ISO subset (LATIN1 would turn Windows-1252's quotes, dashes and euro sign into control characters)."""
    import chardet   # here: only a file that is not UTF-8 needs it (30 ms of every run's start)
    guess = chardet.detect(raw, prefer_superset=True, compat_names=False)
    if guess["encoding"] is None or guess["confidence"] < MIN_ENCODING_CONFIDENCE:
        return "its encoding cannot be told from its bytes; convert it to UTF-8 (iconv -f ENCODING -t UTF-8)"
    name = codecs.lookup(guess["encoding"]).name.upper()   # CP1252, KOI8-R, CP932: names iconv knows
    return f"it looks like {name}; convert it to UTF-8 (iconv -f {name} -t UTF-8)"


def as_seen(line: str) -> str:
    """A line as a reader sees it: without the spaces and format characters (direction marks, zero-width spaces)
    at its ends, which a drop_lines regex anchored with ^ or $ would miss: '\u200eAgence QMI' was kept and
    translated against the rule ^Agence QMI$, with no note."""
    shown = [k for k, ch in enumerate(line) if not ch.isspace() and unicodedata.category(ch) != "Cf"]
    return line[shown[0]:shown[-1] + 1] if shown else ""


DROP_LINE_SECONDS = 1.0   # a drop_lines regex's time on one line: microseconds, unless it backtracks without end


def clean_lines(lines: list[str], rules: CleaningRules, where: str = "text") -> tuple[list[str], list[DroppedLine]]:
    """Keep the lines with visible text that no rule drops (each rule reads the line as_seen); return the kept lines
    and the dropped ones. `where` names the text in the error for a rule that does not finish on a line."""
    patterns = [(pattern, regex.compile(pattern)) for pattern in rules.drop_lines]
    kept, dropped, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not has_visible_text(stripped):   # empty, or only zero-width and format characters: no sentence
            continue
        shown = as_seen(stripped)
        rule = next((p for p, compiled in patterns if rule_matches(p, compiled, shown, f"{where}, line {number}")),
                    None)
        if rule is None and rules.drop_repeated_lines and shown in seen:
            rule = "drop_repeated_lines"
        if rule is None:
            kept.append(stripped)
            seen.add(shown)
        else:
            dropped.append(DroppedLine(number, stripped, rule))
    return kept, dropped


def rule_matches(pattern: str, compiled: regex.Pattern, line: str, where: str) -> bool:
    """Whether a drop_lines rule matches the line; a rule that backtracks without end (^(a+)+$ on a long line of a's
    and one b: Python's re has no time limit, and the run hung) is refused by name after DROP_LINE_SECONDS."""
    try:
        return compiled.search(line, timeout=DROP_LINE_SECONDS) is not None
    except TimeoutError:
        raise UserError(f"{where}: the drop_lines regex {reprlib.repr(pattern)} did not finish in "
                        f"{DROP_LINE_SECONDS:g} s on this line (nested repetition such as (a+)+ backtracks without "
                        "end); rewrite the regex") from None


def aligned_lines(text: str, keep_byte_order_mark: bool) -> list[str]:
    """A line-aligned text's lines as sacrebleu reads them; a source's (which sacrebleu never reads) without a
    byte-order mark at the start of a line, as its file's own mark is dropped: files joined with cat keep each one's,
    and the model was handed the mark with line 3, so the same source text was translated as other text."""
    lines = split_lines(text)
    return lines if keep_byte_order_mark else unmarked(lines)


def load_text(path: Path, lang: str, rules: CleaningRules, line_aligned: bool = False,
              keep_byte_order_mark: bool = False, what: str = "document") -> Text:
    """A text's paragraphs after cleaning; in a line-aligned document every line as sacrebleu reads it (a
    reference's byte-order mark too: keep_byte_order_mark). `what` the text is (document, reference, source) names
    it in the error for an empty file."""
    text = read_text_file(path, what, keep_byte_order_mark=keep_byte_order_mark)
    if line_aligned:
        return Text(path, lang, tuple(aligned_lines(text, keep_byte_order_mark)), rules)
    kept, dropped = clean_lines(split_paragraphs(text), rules, str(path))
    if not any(has_visible_text(line) for line in kept):
        raise UserError(f"{path}: cleaning rules removed every line; loosen the rules in the manifest")
    return Text(path, lang, tuple(kept), rules, tuple(dropped))


def check_fields(record: dict, known: tuple[str, ...], kind: str, where: str) -> None:
    """A misspelled field must not be ignored silently."""
    for name in record:
        if name not in known:
            raise UserError(f"{where}: {unknown_name(kind, str(name), known)}")


def parse_rules(spec: object, where: str) -> CleaningRules:
    spec = {} if spec is None else spec
    if not isinstance(spec, dict):
        raise UserError(f"{where}: 'clean' must be a mapping with {' or '.join(CLEANING_RULES)}")
    check_fields(spec, CLEANING_RULES, "cleaning rule", where)
    patterns = spec.get("drop_lines", [])
    usage = f"{where}: drop_lines must be a list of regexes (drop_lines: [\"^QMI$\"])"
    if not isinstance(patterns, list):
        raise UserError(f"{usage}, not {reprlib.repr(patterns)}")
    wrong = next((k for k, pattern in enumerate(patterns) if not isinstance(pattern, str)), None)
    if wrong is not None:
        raise UserError(f"{usage}; entry {wrong + 1} is {reprlib.repr(patterns[wrong])}, not a string")
    for pattern in patterns:
        try:
            regex.compile(pattern)
        except regex.error as err:
            raise UserError(f"{where}: bad regex {reprlib.repr(pattern)} in drop_lines ({err})") from None
    repeated = spec.get("drop_repeated_lines", False)
    if not isinstance(repeated, bool):
        raise UserError(f"{where}: drop_repeated_lines must be true or false, not {reprlib.repr(repeated)}")
    return CleaningRules(tuple(patterns), repeated)


WINDOWS_ABSOLUTE = re.compile(r"[A-Za-z]:[\\/]|\\\\")   # C:\Users\..., C:/Users/..., \\server\share\...
INTO_THE_DATA_FOLDER = "save the file into the data folder and name it by its path there"


def written_elsewhere(name: str) -> str | None:
    """The fix for a manifest path written as another system or tool would read it, which names no file here."""
    if "://" in name:
        return f"a URL is not downloaded; {INTO_THE_DATA_FOLDER}"
    if WINDOWS_ABSOLUTE.match(name):   # its forward-slash form (C:/Users/...) names no file either
        return ("a Windows drive or network path names no file here (paths are relative to the data folder); "
                + INTO_THE_DATA_FOLDER)
    if "\\" in name:
        forward = name.replace("\\", "/")
        return f"write the path with forward slashes ({forward}), as on every system"
    if name.startswith("~"):
        return "paths are relative to the data folder (~ is not your home folder there); name the file by its path in it"
    return None


def named_otherwise(path: Path) -> str | None:
    """The fix for a name that matches a file there only in another Unicode form: café.txt typed with é, the file
    written by macOS with e and a combining accent. Both look alike, and 'file not found; check the file name' left
    nothing to check."""
    wanted = unicodedata.normalize("NFC", path.name)
    there = [p.name for p in path.parent.iterdir() if unicodedata.normalize("NFC", p.name) == wanted] \
        if path.parent.is_dir() else []
    return (f"the file there is named {ascii(there[0])}, the same letters in another Unicode form (macOS writes "
            "names decomposed); write its name as on disk, or rename it (convmv -f utf8 -t utf8 --nfc --notest)"
            ) if there else None


def names_a_file(name: object) -> bool:
    """A manifest value that can be a file's name: text, or a number YAML read from one ('2024'); not a list, a
    mapping, true/false or blank."""
    return isinstance(name, (str, int, float)) and not isinstance(name, bool) and bool(str(name).strip())


def inside(folders: tuple[Path, ...], name: object, where: str) -> Path:
    """Resolve a manifest path and refuse one outside the folders handed to the run."""
    if not names_a_file(name):
        raise UserError(f"{where}: a file name is expected, not {reprlib.repr(name)}; name one file, by its path in "
                        f"{folders[0]}")
    path = resolved_input(folders[0] / str(name), where)
    fix = None if path.exists() or path.is_symlink() else written_elsewhere(str(name)) or named_otherwise(path)
    if fix:
        raise UserError(f"{where}: no file '{name}' in {folders[0]}; {fix}")
    if not any(path.is_relative_to(folder.resolve()) for folder in folders):
        raise UserError(f"{where}: path '{name}' escapes the data folder {folders[0]}; keep files inside it")
    return path


def reference_folder(root: Path, manifest: dict, reference_root: str | Path | None, manifest_path: Path) -> Path:
    """reference_dir must lie inside the data folder or inside data.reference_root, the folder the user
    hands to the run for references kept elsewhere."""
    named = manifest.get("reference_dir", ".")
    if not names_a_file(named):   # [references] was looked for as the folder "['references']"
        raise UserError(f"{manifest_path}: reference_dir: a folder name is expected, not {reprlib.repr(named)}; name "
                        f"one folder, by its path in {root}")
    reference_dir = resolved_input(root / str(named), f"{manifest_path}: reference_dir")
    allowed = [root] + ([handed_reference_root(reference_root)] if reference_root else [])
    if not any(reference_dir.is_relative_to(folder) for folder in allowed):
        raise UserError(f"{manifest_path}: reference_dir '{manifest.get('reference_dir')}' is outside the data folder "
                        f"{root}; move the references into it, or hand their folder to the run with "
                        f"data.reference_root={reference_dir}")
    return reference_dir


def handed_reference_root(reference_root: str | Path) -> Path:
    """data.reference_root, a folder that exists (one that did not was accepted wherever the manifest's reference_dir
    lay in the data folder, and named as its own fix where it did not)."""
    folder = resolved_input(Path(reference_root).expanduser(), "data.reference_root")
    if not folder.is_dir():
        raise UserError(f"data.reference_root={reference_root}: {'not a folder' if folder.exists() else 'no such folder'};"
                        " give the folder that holds the references, or leave data.reference_root out")
    return folder


def is_plain_id(doc_id: str) -> bool:
    """Whether an id is a plain file name (SAFE_ID), which hypotheses/<id>.txt keeps inside the run folder."""
    return bool(SAFE_ID.fullmatch(doc_id)) and doc_id not in (".", "..")


def check_id(value: object, where: str) -> str:
    doc_id = str(value)
    if not is_plain_id(doc_id):
        raise UserError(f"{where}: id {reprlib.repr(doc_id)} is not a plain file name; use letters, digits, '.', "
                        f"'_' and '-' (at most {MAX_ID_CHARS}, starting with a letter or digit)")
    return doc_id


class RefusedYAML(yaml.MarkedYAMLError):
    """Valid YAML that a manifest may not use."""

    def __init__(self, problem: str, mark):
        super().__init__(problem=problem, problem_mark=mark)


class ManifestLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the bounds a data set's manifest needs: no anchors or aliases (1 KB of nested
    aliases expands to billions of entries), a bounded nesting depth (PyYAML recurses per level), no key given
    twice (PyYAML keeps the last one silently), and the TEXT_FIELDS read as written."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise RefusedYAML("YAML anchors and aliases are not allowed in a manifest (&name, *name); write each "
                              "value out", event.start_mark)
        if self.depth >= MAX_MANIFEST_DEPTH:
            raise RefusedYAML(f"nested deeper than {MAX_MANIFEST_DEPTH} levels; a manifest needs 6", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, value_node in node.value if isinstance(node, yaml.MappingNode) else []:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                raise RefusedYAML(f"key '{reprlib.repr(key)[1:-1]}' is given twice; keep one", key_node.start_mark)
            seen.add(key)
            if key in TEXT_FIELDS and isinstance(value_node, yaml.ScalarNode):
                value_node.tag = "tag:yaml.org,2002:str"   # the plain scalar's text, not YAML 1.1's reading
        return super().construct_mapping(node, deep=deep)


def read_manifest(root: Path) -> dict:
    manifest_path = root / "manifest.yaml"
    if not root.is_dir():
        found = "is not a folder" if root.exists() else "not found"
        raise UserError(f"data folder '{root}' {found}; set data.root to a folder with a manifest.yaml")
    if not manifest_path.exists() and not manifest_path.is_symlink():   # a broken link, too: read_text_file says why
        raise UserError(f"{manifest_path}: no manifest; write one that lists the documents (see seeds/manifest.yaml)")
    try:
        manifest = yaml.load(read_text_file(manifest_path, "manifest"), Loader=ManifestLoader)
    except RefusedYAML as err:
        raise UserError(f"{manifest_path}: {yaml_problem(err)}") from None
    except yaml.YAMLError as err:
        raise UserError(f"{manifest_path}: not valid YAML ({yaml_problem(err)})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), list):
        raise UserError(f"{manifest_path}: needs a 'documents' list; see seeds/manifest.yaml")
    check_fields(manifest, MANIFEST_FIELDS, "manifest field", str(manifest_path))
    if not manifest["documents"]:
        raise UserError(f"{manifest_path}: the 'documents' list is empty; list at least one document")
    if not isinstance(manifest.get("references") or {}, dict):
        raise UserError(f"{manifest_path}: 'references' must map reference file names to their cleaning rules")
    return manifest


def check_entry(entry: object, index: int, manifest_path: Path) -> dict:
    where = f"{manifest_path}: document #{index + 1}"
    if not isinstance(entry, dict):
        raise UserError(f"{where}: each document must be a mapping with fields {', '.join(DOCUMENT_FIELDS)}")
    check_fields(entry, DOCUMENT_FIELDS + OPTIONAL_DOCUMENT_FIELDS, "document field", where)
    missing = [name for name in DOCUMENT_FIELDS if name not in entry]
    if missing:
        raise UserError(f"{where}: missing field '{missing[0]}'; every document needs {', '.join(DOCUMENT_FIELDS)}")
    if entry["relation"] not in RELATIONS:
        raise UserError(f"{where}: relation {reprlib.repr(entry['relation'])} is not one of {', '.join(RELATIONS)}")
    check_id(entry["id"], where)
    language_code(entry["lang"], f"{where}: lang")
    return entry


def check_unique_ids(ids: list[str], manifest_path: Path) -> None:
    """Unique also after case folding: on a case-insensitive disk 'A' and 'a' would share hypotheses/a.txt."""
    seen: dict[str, str] = {}
    for doc_id in ids:
        if doc_id.casefold() in seen:
            raise UserError(f"{manifest_path}: duplicate document id '{doc_id}' (same file name as "
                            f"'{seen[doc_id.casefold()]}'); ids must be unique")
        seen[doc_id.casefold()] = doc_id


def choice_of(entry: dict, manifest: dict, key: str, choices: tuple[str, ...], where: str) -> str:
    """A document's `alignment:` or `segmentation:`, its own or the manifest's (the first choice by default)."""
    choice = str(entry.get(key, manifest.get(key, choices[0])))
    if choice not in choices:
        raise UserError(f"{where}: {key} '{choice}' is not one of {', '.join(choices)}")
    return choice


MANIFEST_LINES_FIX = "give files with one segment per line (or, in a manifest, remove alignment: lines)"


def check_line_aligned(source: Text, references: list[Text], where: str, fix: str = MANIFEST_LINES_FIX) -> None:
    """Every reference as many lines as the source; the fix is the manifest's unless `fix` says another."""
    for reference in references:
        lines, source_lines = list(reference.paragraphs), list(source.paragraphs)
        if len(source_lines) != len(lines):
            hints = [f"{text.path.name}: {hint}" for text, hint in
                     ((reference, line_count_hint(lines, len(source_lines))),
                      (source, line_count_hint(source_lines, len(lines)))) if hint]
            raise UserError(f"{where}: declared alignment: lines, but the reference {reference.path.name} has "
                            f"{len(lines)} line{'' if len(lines) == 1 else 's'} and the source {source.path.name} "
                            f"{len(source_lines)}; "
                            f"{''.join(hint + '; ' for hint in hints)}{fix}")


def check_distinct(paths: list[Path], what: str, kind: str = "reference file") -> None:
    """One file named twice as a reference would be scored as two references (nrefs:2) that are one; as a
    hypothesis file, as two systems of one name."""
    resolved = [resolved_input(path, what) for path in paths]
    twice = next((k for k, path in enumerate(paths) if resolved[k] in resolved[:k]), None)
    if twice is not None:
        first = paths[resolved.index(resolved[twice])]
        raise UserError(f"{what} {same_file(paths[twice], first)}; name each {kind} once")


def same_file(twice: Path, first: Path) -> str:
    """How a path reaches a file named before it: written again (hyp.txt, ./hyp.txt), or through a symbolic link
    (sysLink.txt -> sysA.txt, or a linked folder), which was said as 'sysLink.txt is named twice' though the user
    had named it once, and hid the file it is."""
    if os.path.abspath(twice) == os.path.abspath(first):
        return f"{twice.name} is named twice"
    return f"{twice} is the file {first} under another name (reached through a symbolic link)"


def listed(reference: object) -> list:
    """A document's `reference:` as a list: one file name, or the list of them."""
    return reference if isinstance(reference, list) else [reference]


def check_reference_rules(rules: dict, entries: list[dict], manifest_path: Path) -> None:
    """Rules under `references:` for a file that no document names as its reference would never be applied (a
    misspelt 'ref.text' for ref.txt left the reference uncleaned, with no word)."""
    named = sorted({str(name) for entry in entries for name in listed(entry["reference"])})
    for name in rules:
        if str(name) not in named:
            raise UserError(f"{manifest_path}: references: {unknown_name('reference file', str(name), named)}; "
                            "rules for it would never apply")


def reference_names(entry: dict, alignment: str, where: str) -> list[str]:
    """The document's reference file names: one, or a list of them for a line-aligned document."""
    names = listed(entry["reference"])
    if not names or not all(names_a_file(name) for name in names):
        raise UserError(f"{where}: reference must be a file name or a list of file names, not {entry['reference']!r}")
    if len(names) > 1 and alignment != "lines":
        raise UserError(f"{where}: several references are read only for a line-aligned document (alignment: lines); "
                        "name one reference, or declare alignment: lines if the files correspond line by line")
    return [str(name) for name in names]


def refuse_cleaning_of_lines(rules: CleaningRules, where: str) -> None:
    """Dropping a line from one file of a line-aligned document would pair every later line with the wrong one."""
    if rules != CleaningRules():
        raise UserError(f"{where}: alignment: lines takes every line as a segment, so cleaning rules (clean:) cannot "
                        "drop lines; remove them, or remove the lines from the source, the references and the "
                        "outputs alike")


# a reference's language is the manifest's target_lang, not a document's lang (which is its source's)
REFERENCE_LANGUAGE_FIX = "name a reference in the target language, or fix target_lang in the manifest"
LANGUAGE_CHECK_LINES = 200   # a longer text is checked on this many evenly spaced lines (a 2,000-line test set)


def language_notes(text: Text, where: str, cache: TranslationCache | None = None,
                   fix: str = "fix lang in the manifest") -> list[str]:
    """Refuses a text clearly not in its declared language; a note when that cannot be told."""
    step = max(1, -(-len(text.paragraphs) // LANGUAGE_CHECK_LINES))
    note = check_language(" ".join(text.paragraphs[::step]), text.lang, f"{where}: {text.path.name}", cache, fix)
    return [note] if note else []


WRAPPED_SHARE = 0.5    # of a text's line breaks inside a sentence: hard-wrapped, not headings, a list or a byline
WRAPPED_MIN_BREAKS = 3
SENTENCE_ENDS = ".!?…:;。！？"


def breaks_inside_a_sentence(lines: tuple[str, ...]) -> int:
    """Line breaks that fall inside a sentence: the line ends with no sentence end and the next goes on in lower
    case."""
    return sum(line[-1:] not in SENTENCE_ENDS and following[:1].islower() for line, following in zip(lines, lines[1:]))


def wrapped_lines_notes(text: Text, what: str) -> list[str]:
    """A text hard-wrapped at a fixed width (e-mail, PDF or Project Gutenberg text): a searched document's lines are
    never joined, so each piece of a sentence cut by a line break was read as a sentence of its own, with no word of
    why: a translation's relation read cannot_judge ('every sentence aligned is a merge') and a model=files output
    that translates every sentence '7/14 empty'."""
    breaks, inside = len(text.paragraphs) - 1, breaks_inside_a_sentence(text.paragraphs)
    if breaks < WRAPPED_MIN_BREAKS or inside < WRAPPED_SHARE * breaks:
        return []
    return [f"the {what} {text.path.name}: {inside} of its {breaks} line breaks fall inside a sentence (the next line "
            "goes on in lower case): hard-wrapped text? Each line is read as sentences of its own, so a sentence cut "
            "by a line break is translated and aligned in pieces; join the lines of each paragraph"]


@dataclass
class ReferenceFiles:
    """The manifest's reference files, each read once (per way of reading it: cleaned, or line by line) and its
    language checked once, however many documents use it."""

    manifest_path: Path
    folder: Path                 # reference_dir
    rules: dict                  # the manifest's `references:` (cleaning rules by file name)
    lang: str                    # the target language
    texts: dict[tuple[str, bool], Text] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    cache: TranslationCache | None = None   # where language checks are remembered

    def read(self, name: str, line_aligned: bool, where: str) -> Text:
        if (name, line_aligned) not in self.texts:
            ref_where = f"{self.manifest_path}: reference '{name}'"
            rule_spec = self.rules.get(name) or {}
            check_fields(rule_spec, REFERENCE_FIELDS, "reference field", ref_where)
            rules = parse_rules(rule_spec.get("clean"), ref_where)
            if line_aligned:
                refuse_cleaning_of_lines(rules, where)
            text = load_text(inside((self.folder,), name, ref_where), self.lang, rules, line_aligned,
                             keep_byte_order_mark=line_aligned, what="reference")
            self.texts[name, line_aligned] = text
            self.notes.setdefault(name, language_notes(text, ref_where, self.cache, REFERENCE_LANGUAGE_FIX))
        return self.texts[name, line_aligned]


def load_document(entry: dict, manifest: dict, root: Path, references: ReferenceFiles) -> Document:
    where = f"{references.manifest_path}: document '{entry['id']}'"
    alignment = choice_of(entry, manifest, ALIGNMENT_KEY, ALIGNMENTS, where)
    segmentation = choice_of(entry, manifest, SEGMENTATION_KEY, SEGMENTATIONS, where)
    line_aligned = alignment == "lines"
    rules = parse_rules(entry.get("clean"), where)
    if line_aligned:
        refuse_cleaning_of_lines(rules, where)
    source = load_text(inside((root,), entry["file"], where), entry["lang"], rules, line_aligned)
    names = reference_names(entry, alignment, where)
    texts = [references.read(name, line_aligned, where) for name in names]
    check_distinct([text.path for text in texts], f"{where}: reference")
    if line_aligned:
        check_line_aligned(source, texts, where)
    notes = language_notes(source, where, references.cache) + [note for name in dict.fromkeys(names)
                                                                for note in references.notes[name]]
    notes += [note for what, text in (("source", source), *(("reference", text) for text in texts))
              for note in character_notes(text.paragraphs, f"{what} {text.path.name}")]
    if segmentation == "sentences" and not line_aligned:
        notes += wrapped_lines_notes(source, "source") + wrapped_lines_notes(texts[0], "reference")
    return Document(str(entry["id"]), entry["relation"], source, texts[0], alignment, segmentation, tuple(notes),
                    tuple(texts[1:]))


def manifest_target_lang(manifest: dict, manifest_path: Path) -> str:
    """The language of the data set's references, checked: the manifest's target_lang, English by default."""
    target_lang = manifest.get("target_lang", "en")
    if isinstance(target_lang, list):   # the references, the BLEU tokenizer and the output check follow one language
        raise UserError(f"{manifest_path}: target_lang {reprlib.repr(target_lang)} names several languages; a data set "
                        "has one target language: give each target language a data set (a folder and manifest) of "
                        "its own")
    return language_code(target_lang, f"{manifest_path}: target_lang")


def data_set_target_lang(root: str | Path) -> str:
    """The data set's target language, read from its manifest alone (before anything is opened or written)."""
    root = resolved_input(Path(root), "data.root")
    return manifest_target_lang(read_manifest(root), root / "manifest.yaml")


def quoting_hint(missing: str, ids: list[str]) -> str:
    """The fix for an id that Hydra read as a number or true/false on the command line (1.10 -> 1.1)."""
    written = next((doc_id for doc_id in ids if doc_id != missing and read_unquoted(doc_id) == missing), None)
    return "" if written is None else (f" (Hydra reads an unquoted {written} as {missing}: quote it, "
                                       f"'data.documents=[\"{written}\"]')")


def load_dataset(root: str | Path, only: list[str] | None = None, reference_root: str | Path | None = None,
                 cache: TranslationCache | None = None) -> Dataset:
    """Load and clean every document of the data set (or only the ids listed) and their references.

    reference_root: a second folder, handed over by the user, that the manifest's reference_dir may point into;
    cache: where the language checks of the files are remembered."""
    root = resolved_input(Path(root), "data.root")
    manifest = read_manifest(root)
    manifest_path = root / "manifest.yaml"
    target_lang = manifest_target_lang(manifest, manifest_path)
    reference_dir = reference_folder(root, manifest, reference_root, manifest_path)
    entries = [check_entry(e, i, manifest_path) for i, e in enumerate(manifest["documents"])]
    ids = [str(e["id"]) for e in entries]
    check_unique_ids(ids, manifest_path)
    check_reference_rules(manifest.get("references") or {}, entries, manifest_path)
    if only:
        twice = next((i for k, i in enumerate(only) if i in list(only)[:k]), None)
        if twice is not None:   # run once, it would have looked like a list of documents the run did not score
            raise UserError(f"data.documents: '{twice}' is named twice; name each document once")
        missing = [i for i in only if i not in ids]
        if missing:
            raise UserError(f"data.documents: no document '{missing[0]}' in {manifest_path}; ids: {', '.join(ids)}"
                            + quoting_hint(missing[0], ids))
        entries = [e for e in entries if str(e["id"]) in only]
    references = ReferenceFiles(manifest_path, reference_dir, manifest.get("references") or {}, target_lang,
                                cache=cache)
    documents = [load_document(entry, manifest, root, references) for entry in entries]
    return Dataset(root, target_lang, tuple(documents))
