"""Language codes the harness accepts, with the English names prompts use."""
from __future__ import annotations

from functools import lru_cache

from harness.errors import UserError, unknown_name

LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian",
    "lv": "Latvian", "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code; an unknown code is a user error."""
    if code not in LANGUAGE_NAMES:
        raise unknown_name("language code", code, LANGUAGE_NAMES)
    return LANGUAGE_NAMES[code]


MIN_WORDS_TO_IDENTIFY = 20     # below it language ID is too noisy to refuse a text on
MOST_LIKELY = 0.5              # the identified language's probability (dialects share the rest) ...
DECLARED_RULED_OUT = 0.001     # ... while the declared one has less than this
# languages (and langid.py's dialect labels) that language ID confuses: a text identified as a close
# relative of its declared language gets a note, never a refusal
CLOSE_LANGUAGES = ({"bs", "hr", "sr"}, {"ms", "id"}, {"no", "nb", "nn", "da", "sv"}, {"es", "gl", "pt", "ast", "ca"},
                   {"fr", "oc", "ca", "wa"}, {"tr", "az", "crh"}, {"cs", "sk"}, {"ru", "uk", "be", "bg", "mk"},
                   {"nl", "af", "fy", "li"}, {"ar", "ary", "arz", "apc", "acm"}, {"fa", "prs", "tg"},
                   {"hi", "mr", "ne", "ur"}, {"de", "lb", "gsw", "nds"}, {"it", "co", "sc", "scn", "vec"})


@lru_cache(maxsize=1)
def language_identifier():
    """py3langid (langid.py's model, shipped in the package) with normalised probabilities."""
    from py3langid import langid
    # py3langid 0.3+ (numpy 2) reads its model file with from_model_file; 0.2 (numpy<2: the comet extra) ships
    # the same model pickled, read with from_pickled_model. Both take the file name relative to the package.
    load = getattr(langid.LanguageIdentifier, "from_model_file", None) or langid.LanguageIdentifier.from_pickled_model
    return load(langid.MODEL_FILE, norm_probs=True)


def check_language(text: str, declared: str, where: str) -> str | None:
    """Refuse a text that is clearly not in its declared language; return a note when it cannot be told."""
    identifier = language_identifier()
    if declared not in identifier.nb_classes:
        return f"{where}: language check skipped ('{declared}' is not among the identifier's languages)"
    words = len(text.split())
    if words < MIN_WORDS_TO_IDENTIFY:
        return f"{where}: too short to check that it is {language_name(declared)} ({words} words)"
    probabilities = dict(identifier.rank(text))
    top = max(probabilities, key=probabilities.get)
    if top == declared or probabilities[top] < MOST_LIKELY or probabilities[declared] >= DECLARED_RULED_OUT:
        return None
    if any({top, declared} <= group for group in CLOSE_LANGUAGES):
        return f"{where}: identified as '{top}', a close relative of the declared '{declared}'; kept as declared"
    raise UserError(f"{where}: declared '{declared}' ({language_name(declared)}) but the text is "
                    f"'{top}' (probability {probabilities[top]:.2f}); fix lang in the manifest")
