"""Language codes the harness accepts, with the English names prompts use."""
from __future__ import annotations

import logging
import re
import reprlib
import shutil
import tempfile
from array import array
from importlib import metadata
from pathlib import Path

import numpy as np

from harness.cache import TranslationCache, content_key, remembered
from harness.cache_folders import publish_folder, staged_folder
from harness.errors import UserError, is_disk_full

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian",
    "lv": "Latvian", "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}


# the same languages' ISO 639-2 (terminology and bibliographic) and ISO 639-3 codes, as NLLB and FLORES write them
# before the script (fra_Latn), and the codes ISO 639-1 withdrew (Java's Locale still writes iw and in)
OTHER_CODES = {other: code for code, others in {
    "ar": "ara arb", "bg": "bul", "cs": "ces cze", "da": "dan", "de": "deu ger", "el": "ell gre", "en": "eng",
    "es": "spa", "et": "est ekk", "fa": "fas per pes", "fi": "fin", "fr": "fra fre", "he": "heb iw", "hi": "hin",
    "hu": "hun", "id": "ind in", "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit", "lv": "lav lvs", "nl": "nld dut",
    "no": "nor nob nb nno nn", "pl": "pol", "pt": "por", "ro": "ron rum", "ru": "rus", "sk": "slk slo", "sv": "swe",
    "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "zho chi cmn",
}.items() for other in others.split()}
NAMED = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
TAG_SEPARATOR = re.compile(r"[-_.@\s]")   # en-US, en_GB, fra_Latn, en_US.UTF-8, sr@latin


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code; an unknown code is a user error."""
    if code not in LANGUAGE_NAMES:
        raise UserError(unknown_language(code))
    return LANGUAGE_NAMES[code]


def language_code(written: object, where: str) -> str:
    """A language code as written in a manifest or on the command line (`where`), if the harness knows it; any other
    spelling is refused with the code to write, so that one language is never stored, cached or compared under two
    codes."""
    if isinstance(written, (list, dict)):   # `lang: [fr, de]`: a text is in one language
        raise UserError(f"{where}: {reprlib.repr(written)} is not one language code; write one (ISO 639-1, as 'en')")
    code = str(written)
    if code not in LANGUAGE_NAMES:
        raise UserError(f"{where}: {unknown_language(code)}")
    return code


def unknown_language(written: str) -> str:
    meant = code_meant(written)
    if meant:
        return (f"unknown language code '{written}'; write '{meant}' ({LANGUAGE_NAMES[meant]}): a language is named "
                "by its ISO 639-1 code, one for all its regions and scripts")
    return f"unknown language code '{written}'; the harness knows {', '.join(sorted(LANGUAGE_NAMES))} (ISO 639-1)"


def code_meant(written: str) -> str | None:
    """The code of the language written another way: in capitals or with spaces, with a region or a script
    (en-US, zh_Hant, fra_Latn), as an ISO 639-2/3 or withdrawn code, or by its English name; None for a language
    the harness does not know (no look-alike code: 'tur' is Turkish, not 'ur')."""
    text = written.strip().lower()
    for candidate in (TAG_SEPARATOR.split(text, maxsplit=1)[0], text):
        meant = candidate if candidate in LANGUAGE_NAMES else OTHER_CODES.get(candidate) or NAMED.get(candidate)
        if meant:
            return meant
    return None


MIN_WORDS_TO_IDENTIFY = 20     # below it language ID is too noisy to refuse a text on
MOST_LIKELY = 0.5              # the identified language's probability (dialects share the rest) ...
DECLARED_RULED_OUT = 0.001     # ... while the declared one has less than this
# languages (and langid.py's dialect labels) that language ID confuses: a text identified as a close
# relative of its declared language gets a note, never a refusal. Only relatives written in the same script: language
# ID never confuses Urdu (Arabic letters) with Hindi (Devanagari), nor Tajik (Cyrillic) with Persian, and an Urdu text
# declared 'hi' was kept as Hindi, with a note, and handed to a model as Hindi (round 31)
CLOSE_LANGUAGES = ({"bs", "hr", "sr"}, {"ms", "id"}, {"no", "nb", "nn", "da", "sv"}, {"es", "gl", "pt", "ast", "ca"},
                   {"fr", "oc", "ca", "wa"}, {"tr", "az", "crh"}, {"cs", "sk"}, {"ru", "uk", "be", "bg", "mk"},
                   {"nl", "af", "fy", "li"}, {"ar", "ary", "arz", "apc", "acm"}, {"fa", "prs"},
                   {"hi", "mr", "ne"}, {"de", "lb", "gsw", "nds"}, {"it", "co", "sc", "scn", "vec"})
# (declared, identified): Japanese written mostly in kanji reads as Chinese; never the reverse, since language ID reads
# Japanese by its kana, which Chinese does not write (a Japanese text declared 'zh' was kept as Chinese, round 31)
READ_AS_RELATIVE = {("ja", "zh")}


UNPACKED_IDENTIFIER = "language_identifier"   # the cache folder's unpacked copy of py3langid's model, per version
IDENTIFIER_ARRAYS = ("nb_ptc", "nb_pc", "nb_classes", "tk_nextmove", "tk_row", "tk_output")   # its constructor's
IDENTIFIER_MARKER = f"{IDENTIFIER_ARRAYS[-1]}.npy"   # the copy is published whole, so its last file says it is there


LOADED: dict[str, object] = {}   # the process's one identifier, from whichever cache first asked for it


def language_identifier(cache: TranslationCache | None = None):
    """py3langid (langid.py's model, shipped in the package) with normalised probabilities, loaded once per
    process (load_identifier): the cache's copy of its unpacked model is read where there is one, and made in a
    cache kept between runs (its file was there before this run), so that a cache used once (a test's, a one-off
    HARNESS_CACHE_DIR) is spared the 69 MB."""
    if "identifier" not in LOADED:
        folder = cache.path.parent if cache is not None and cache.path is not None else None
        LOADED["identifier"] = load_identifier(folder, keep_copy=cache is not None and cache.reused)
    return LOADED["identifier"]


def load_identifier(cache_folder: Path | None, keep_copy: bool = True):
    """py3langid 0.3+ ships its model LZMA-packed (4.5 MB holding 69 MB of arrays): unpacking it took 0.45 s of
    every run that identifies a language, so the unpacked arrays are kept in the cache folder (plain .npy files,
    no pickle) and later runs map them (0.03 s). A damaged copy is unpacked again."""
    unpacked = unpacked_identifier_folder(cache_folder)
    if unpacked is not None and (unpacked / IDENTIFIER_MARKER).is_file():
        try:
            return identifier_from_arrays(unpacked)
        except (OSError, ValueError, EOFError):
            shutil.rmtree(unpacked, ignore_errors=True)
    identifier = packaged_identifier()
    if unpacked is not None and keep_copy:
        keep_arrays(identifier, unpacked)
    return identifier


def packaged_identifier():
    from py3langid import langid
    # py3langid 0.3+ (numpy 2) reads its model file with from_model_file; 0.2 (numpy<2: the comet extra) ships
    # the same model pickled, read with from_pickled_model. Both take the file name relative to the package.
    load = getattr(langid.LanguageIdentifier, "from_model_file", None) or langid.LanguageIdentifier.from_pickled_model
    try:
        return load(langid.MODEL_FILE, norm_probs=True)
    except OSError as err:   # 0.3+ unpacks its model (68 MB) into a temporary file first
        where = f" in the temporary folder {tempfile.gettempdir()}" if is_disk_full(err) else ""
        raise UserError(f"cannot load the language identifier (py3langid): {err.strerror}{where}; free some space "
                        "there, or point TMPDIR at a folder with room") from None


def unpacked_identifier_folder(cache_folder: Path | None) -> Path | None:
    """Where this py3langid's unpacked model is kept; None without a cache folder, or for py3langid 0.2, whose
    pickled model needs no unpacking."""
    from py3langid import langid
    if cache_folder is None or not hasattr(langid.LanguageIdentifier, "from_model_file"):
        return None
    return cache_folder / UNPACKED_IDENTIFIER / f"py3langid-{metadata.version('py3langid')}"


def keep_arrays(identifier, folder: Path) -> None:
    """The identifier's constructor arguments as .npy files in `folder`; a copy that cannot be written (a full or
    read-only disk) only costs the next run the unpacking."""
    try:
        with staged_folder(folder) as staging:
            staging.mkdir(parents=True)
            for name in IDENTIFIER_ARRAYS:
                value = getattr(identifier, name)
                np.save(staging / f"{name}.npy", np.frombuffer(value, dtype=value.typecode)
                        if isinstance(value, array) else np.asarray(value), allow_pickle=False)
            publish_folder(staging, folder, IDENTIFIER_MARKER)
    except (OSError, UserError) as err:
        log.info("the language identifier's unpacked model was not kept in %s (%s)", folder, err)


def identifier_from_arrays(folder: Path):
    """The identifier from the arrays keep_arrays wrote: the table of feature weights mapped, not read (only the
    rows of features a text has are paged in); the automaton's tables as the stdlib arrays py3langid reads."""
    from py3langid import langid
    loaded = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in IDENTIFIER_ARRAYS}
    automaton = {name: array(loaded[name].dtype.char, loaded[name].tobytes()) for name in ("tk_nextmove", "tk_row")}
    return langid.LanguageIdentifier(loaded["nb_ptc"], np.array(loaded["nb_pc"]), loaded["nb_classes"].tolist(),
                                     automaton["tk_nextmove"], loaded["tk_output"].tolist(), norm_probs=True,
                                     tk_row=automaton["tk_row"])


def identify(text: str, declared: str, cache: TranslationCache | None = None) -> dict | None:
    """The identifier's verdict on a text declared to be in `declared`: its most likely language and the
    probabilities of that one and of the declared one; None when the identifier does not know `declared`.
    Remembered in the cache (a fully cached re-run does not load the identifier, about a second)."""
    text = identifier_text(text)
    key = content_key("language_check", metadata.version("py3langid"), declared, text)
    return remembered(cache, "language_checks", key, lambda: verdict_on(text, declared, cache))


def identifier_text(text: str) -> str:
    """What language ID reads of a text: its words joined by plain spaces, and lowered where it is written in
    capitals. py3langid reads bytes, and a word boundary it has not seen (a no-break space, a thin or ideographic
    space, a tab) glues the words into one unknown token: English joined by U+00A0 read 'en' at 0.23, unsure,
    where spaces read 0.98; and py3langid 0.2 (the comet extra's) read a French paragraph in capitals as Amharic
    at 1.00, refusing a source declared French, where lowered it reads French at 1.00."""
    return capitals_lowered(" ".join(text.split()))


def capitals_lowered(text: str) -> str:
    """A text as it is usually written: lowered where it is written in capitals (written_in_capitals), a Turkish or
    Azerbaijani one as those languages lower their capitals (a text with a dotted capital İ: İ to i, I to a dotless ı).
    str.lower read İ as i and a combining dot, and I as i: the seeds' Turkish 002 in capitals read a mean cosine of
    0.48 with its English translation (0.75 as written), half of it `cannot_judge` (round 31); lowered so, 0.69."""
    if not written_in_capitals(text):
        return text
    return (text.translate(TURKISH_CAPITALS) if "İ" in text else text).lower()


TURKISH_CAPITALS = str.maketrans({"İ": "i", "I": "ı"})


def written_in_capitals(text: str) -> bool:
    """Every cased letter a capital, and most letters cased: 'LE MUSÉE ROUVRE', not 'l'AFP' in a sentence nor
    '一名CIA官员说' (Latin capitals in a Chinese sentence, as MAC-Dev and MAC-Test have: left as they are)."""
    letters = [c for c in text if c.isalpha()]
    return text.isupper() and 2 * sum(c.isupper() for c in letters) >= len(letters)


def verdict_on(text: str, declared: str, cache: TranslationCache | None = None) -> dict | None:
    identifier = language_identifier(cache)
    if declared not in identifier.nb_classes:
        return None
    probabilities = dict(identifier.rank(text))
    top = max(probabilities, key=probabilities.get)
    return {"top": top, "top_probability": probabilities[top], "declared_probability": probabilities[declared]}


def language_labels(texts: list[str], cache: TranslationCache | None = None) -> list[str]:
    """The identified language of each text: the identifier's first choice where it is MOST_LIKELY at least, ""
    where it is less sure (most often a text of a few words: 'Cancel' reads Galician at 0.03) and for an empty
    text. Labels given unsure were right about half the time, sure ones 99.9% (English of MAC-Dev: 1,824 of 1,825
    sure, 69 of 126 unsure right; French of Text+Berg dev: 439 of 446 and 34 of 108). Remembered in the cache:
    the output-language check of a fully cached re-run does not load the identifier."""
    version = metadata.version("py3langid")
    read = {text: identifier_text(text) for text in set(texts) if text.strip()}   # what language ID reads of each
    keys = {text: content_key("language_label", version, MOST_LIKELY, seen) for text, seen in read.items()}
    found = cache.get_many(keys.values(), "language_checks") if cache else {}
    missing = {key: read[text] for text, key in keys.items() if key not in found}
    if missing:
        identifier = language_identifier(cache)
        labels = {key: sure_label(*identifier.classify(seen)) for key, seen in missing.items()}
        if cache:
            cache.put_many(labels, "language_checks")
        found.update(labels)
    return [LABEL_CODES.get(found[keys[text]], found[keys[text]]) if text.strip() else "" for text in texts]


def sure_label(language: str, probability: float) -> str:
    return language if probability >= MOST_LIKELY else ""


# the identifier's labels of a written standard of a language the harness names by one code: py3langid's 'no' is
# Bokmål, and a Nynorsk translation (its 'nn') of a target_lang 'no' read 'Norwegian 0%!', off-target (round 31)
LABEL_CODES = {"nn": "no"}


# languages written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese)
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
# a character of a script written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar): one word
UNSPACED_CHARACTER = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                                r"\uf900-\ufaff]")


def written_without_spaces(sentences: list[str]) -> bool:
    """Most of the letters are of a script written without spaces between words (languages.UNSPACED_CHARACTER)."""
    text = "".join(sentences)
    letters = sum(char.isalpha() for char in text)
    return letters > 0 and len(UNSPACED_CHARACTER.findall(text)) > letters / 2


def word_count(text: str) -> int:
    """Words as language ID sees evidence: spaced words, and each character of a script written without spaces
    (a Chinese paragraph of 200 characters is 4 'words' to str.split)."""
    spaced, unspaced = UNSPACED_CHARACTER.subn(" ", text)
    return len(spaced.split()) + unspaced


def check_language(text: str, declared: str, where: str, cache: TranslationCache | None = None,
                   fix: str = "fix lang in the manifest") -> str | None:
    """Refuse a text that is clearly not in its declared language (the error ends with `fix`); return a note
    when it cannot be told."""
    words = word_count(text)
    verdict = identify(text, declared, cache)
    if verdict is None:
        return f"{where}: language check skipped ('{declared}' is not among the identifier's languages)"
    if words < MIN_WORDS_TO_IDENTIFY:
        return f"{where}: too short to check that it is {language_name(declared)} ({words} words)"
    if not clearly_other(verdict, declared):
        return None
    top = verdict["top"]
    if any({top, declared} <= group for group in CLOSE_LANGUAGES) or (declared, top) in READ_AS_RELATIVE:
        return f"{where}: identified as '{top}', a close relative of the declared '{declared}'; kept as declared"
    rest = words_besides_names(text)
    if word_count(rest) < MIN_WORDS_TO_IDENTIFY:
        return (f"{where}: too short to check that it is {language_name(declared)} ({word_count(rest)} words besides "
                f"names and figures, which read '{top}')")
    if not clearly_other(identify(rest, declared, cache), declared):
        return None
    raise UserError(f"{where}: declared '{declared}' ({language_name(declared)}) but the text is "
                    f"'{top}' (probability {verdict['top_probability']:.2f}); {fix}")


def clearly_other(verdict: dict, declared: str) -> bool:
    """The identifier is sure of another language and all but rules the declared one out."""
    return (verdict["top"] != declared and verdict["top_probability"] >= MOST_LIKELY
            and verdict["declared_probability"] < DECLARED_RULED_OUT)


def words_besides_names(text: str) -> str:
    """A text less its names and figures (a word with a capital or a digit): what says its language. An English
    table of football results is mostly German club names, which py3langid 0.2 reads as German at 1.00."""
    return " ".join(word for word in text.split() if not name_or_figure(word))


def name_or_figure(word: str) -> bool:
    letters = [c for c in word if c.isalnum()]
    return bool(letters) and (letters[0].isupper() or any(c.isdigit() for c in letters))
