"""Round 8: language codes, manifests and command-line arguments as people write them.

The harness names a language by its ISO 639-1 code (harness.data.languages). A code written another way (a region or
script tag, capitals, an ISO 639-2/3 code, a withdrawn code, an English name) is refused in one line that names where
it was written (the manifest's document or target_lang, --src-lang or --tgt-lang) and the code to write; the hint must
name the same language, never a look-alike code of another one ('tur' is Turkish, not Urdu 'ur'). A source language
equal to the target leaves no negative share in the output-language diagnostics; a hypothesis file whose name starts
with a dash is named as such, not read as an option."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.data.documents import load_dataset
from harness.errors import UserError
from harness.score.diagnostics import output_language
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

FRENCH = ["Le chat dort sur le canapé depuis ce matin.", "Nous avons mangé une tarte aux pommes délicieuse hier soir."]
ENGLISH = ["The cat has been sleeping on the sofa since this morning.", "The city council voted on the budget last night."]
# (both English to py3langid 0.2 too, the comet extra's: it read "We ate a delicious apple pie last night." Spanish)

# ---------------------------------------------------------------- language codes as people write them

WRITTEN = {   # written -> the code the error must tell the user to write
    "en-US": "en", "en_GB": "en", "EN": "en", "fr-CA": "fr", "pt-BR": "pt", "zh-Hans": "zh", "zh-TW": "zh",
    "zh-CN": "zh", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "zho": "zh", "ara": "ar",
    "fra_Latn": "fr", "eng_Latn": "en", "English": "en", "french": "fr", "iw": "he", "in": "id", "nb": "no",
    "fr ": "fr",
    # difflib's nearest code was another language: Turkish -> Urdu, Czech -> Spanish, Chinese -> Hindi,
    # Ukrainian -> Urdu
    "tur": "tr", "ces": "cs", "chi": "zh", "ukr": "uk",
}
UNKNOWN = ["sr-Latn", "null", "xx"]   # Serbian is not among the harness's languages; 'null' is not Dutch ('nl')


def data_set(folder: Path, lang: str = "fr", target_lang: str = "en", file: str = "src.txt",
             reference: str = "ref.txt") -> Path:
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    for path in ("src.txt", "sub/src.txt"):
        (folder / path).write_text("\n".join(FRENCH) + "\n", encoding="utf-8")
    (folder / "ref.txt").write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    document = {"id": "doc", "lang": lang, "file": file, "reference": reference, "relation": "parallel"}
    manifest = {"target_lang": target_lang, "alignment": "lines", "documents": [document]}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder


def refusal(folder: Path) -> str:
    with pytest.raises(UserError) as raised:
        load_dataset(folder)
    return str(raised.value)


@pytest.mark.parametrize("written, code", WRITTEN.items(), ids=list(WRITTEN))
def test_a_document_language_written_another_way_names_the_document_and_the_code(tmp_path, written, code):
    message = refusal(data_set(tmp_path, lang=written))
    assert "document #1" in message and f"'{written}'" in message, message
    assert f"write '{code}'" in message, message
    assert "Did you mean" not in message, message


@pytest.mark.parametrize("written, code", WRITTEN.items(), ids=list(WRITTEN))
def test_a_target_language_written_another_way_names_target_lang_and_the_code(tmp_path, written, code):
    message = refusal(data_set(tmp_path, target_lang=written))
    assert "target_lang" in message and f"'{written}'" in message and f"write '{code}'" in message, message


@pytest.mark.parametrize("written", UNKNOWN)
def test_a_language_the_harness_does_not_know_suggests_no_other_language(tmp_path, written):
    message = refusal(data_set(tmp_path, lang=written))
    assert "document #1" in message and "write '" not in message and "Did you mean" not in message, message
    assert "ar, bg, cs" in message, message   # the codes it knows


@pytest.mark.parametrize("option, written, code", [
    ("--src-lang", "fra", "fr"), ("--src-lang", "French", "fr"), ("--tgt-lang", "en-US", "en"),
    ("--tgt-lang", "tur", "tr"),
], ids=["src-fra", "src-French", "tgt-en-US", "tgt-tur"])
def test_harness_score_names_the_language_option_and_the_code(tmp_path, option, written, code):
    (tmp_path / "src.txt").write_text("\n".join(FRENCH) + "\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    (tmp_path / "sys.txt").write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    languages = {"--src-lang": "fr", "--tgt-lang": "en", option: written}
    before = tree_checksum(tmp_path)
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", *[part for pair in languages.items() for part in pair],
                                "sys.txt", "--out", str(tmp_path / "out")], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path.parent / f"{tmp_path.name}-cache")})
    assert_one_line_error(outcome, option, f"'{written}'", f"write '{code}'")
    assert tree_checksum(tmp_path) == before


# ---------------------------------------------------------------- file names written for another system

@pytest.mark.parametrize("field, written, fix", [
    ("file", "sub\\src.txt", "forward slashes (sub/src.txt)"),   # a Windows path
    ("file", "~/src.txt", "relative to the data folder"),
    ("file", "https://example.org/src.txt", "URL is not downloaded"),
    ("reference", "https://example.org/ref.txt", "URL is not downloaded"),
], ids=["backslash", "tilde", "url", "reference-url"])
def test_a_path_written_for_another_system_is_refused_with_its_fix(tmp_path, field, written, fix):
    """'file not found; check the file name' named the resolved path (DATA/https:/example.org/src.txt) and no fix."""
    message = refusal(data_set(tmp_path, **{field: written}))
    assert f"'{written}'" in message and fix in message, message


# ---------------------------------------------------------------- source language equal to the target

def test_a_source_in_the_target_language_has_no_negative_share_of_other_languages():
    """harness-score --src-lang en --tgt-lang en (a paraphrase or post-editing set) stored 'other': -1.0 beside
    'english': 1.0 and 'source_language': 1.0: the same sentences subtracted twice."""
    language = output_language(ENGLISH * 3, "en", "en", line_aligned=True)
    assert language["english"] == 1.0 and language["other"] == 0.0, language


# ---------------------------------------------------------------- command-line arguments

def test_a_hypothesis_file_whose_name_starts_with_a_dash_is_named_with_the_fix(tmp_path):
    """argparse read '-sys.txt' as '-s ys.txt' (the source option with its value glued on) and said only that a
    hypothesis file was missing."""
    for name, lines in (("src.txt", FRENCH), ("ref.txt", ENGLISH), ("-sys.txt", ENGLISH)):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree_checksum(tmp_path)
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "-sys.txt", "--out",
                                str(tmp_path / "out")], cwd=tmp_path)
    assert_one_line_error(outcome, "-sys.txt", "./-sys.txt")
    assert tree_checksum(tmp_path) == before
