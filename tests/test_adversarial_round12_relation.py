"""Adversarial round 12 on what a score means: the relation verdict and its notes for document pairs as users hand
them in. New texts (a flood in Thessaloniki, in Greek, Hebrew, Hindi, Vietnamese, Russian and English; a Japanese
news item) and round 10's strike in Rotterdam, in pairs that no round made before: a source in a language the
encoder does not cover (Greek, Hebrew, Hindi, Vietnamese), judged from an output that is a faithful translation, a
summary, or the source itself; a source half covered, half not; a reference that is the source transliterated into
Latin letters; a reference that holds the translation twice, or the translation with the source appended; a
reference in reverse paragraph order; a source with a long English quotation kept in the reference; documents of
only figures, web addresses or program code; an empty reference; a source in Turkish declared French.

Covered before, not repeated here: round 10 (tests/test_adversarial_round10_relation.py: reordered, prefaced, cut,
article appended, summaries, copies and back-translations in the source's language, one and two sentences,
Hungarian and Swahili, Catalan declared Spanish, a source half French half German, tables of results, a reference
partly untranslated), round 8 (language codes as written), round 3 (Finnish: what the table says the relation was
measured from)."""
from __future__ import annotations

import pytest

from tests.test_adversarial_round10_relation import (STRIKE_EN, STRIKE_FR, STRIKE_TR, SUMMARY_EN, note_lines,
                                                     one_document, relation, write_document)
from tests.adversarial import assert_one_line_error, run_cli

FLOOD_EN = [
    "Heavy rain flooded the centre of Thessaloniki on Tuesday night and cut power to thousands of homes.",
    "The fire service said it had received more than 600 calls for help by the morning.",
    "Two elderly people were rescued from a car trapped in a flooded underpass.",
    "The mayor asked residents to stay at home and to avoid the coastal road.",
    "Schools in the city will remain closed on Wednesday.",
    "Meteorologists expect the storm to move east towards Turkey by the weekend.",
]
FLOOD_EL = [
    "Ισχυρή βροχή πλημμύρισε το κέντρο της Θεσσαλονίκης το βράδυ της Τρίτης και άφησε χιλιάδες σπίτια χωρίς ρεύμα.",
    "Η πυροσβεστική ανέφερε ότι είχε δεχθεί περισσότερες από 600 κλήσεις για βοήθεια μέχρι το πρωί.",
    "Δύο ηλικιωμένοι διασώθηκαν από ένα αυτοκίνητο που είχε εγκλωβιστεί σε πλημμυρισμένη υπόγεια διάβαση.",
    "Ο δήμαρχος ζήτησε από τους κατοίκους να μείνουν στα σπίτια τους και να αποφύγουν την παραλιακή οδό.",
    "Τα σχολεία της πόλης θα παραμείνουν κλειστά την Τετάρτη.",
    "Οι μετεωρολόγοι αναμένουν ότι η καταιγίδα θα κινηθεί ανατολικά προς την Τουρκία έως το Σαββατοκύριακο.",
]
FLOOD_HE = [
    "גשם כבד הציף את מרכז סלוניקי ביום שלישי בלילה וניתק את החשמל לאלפי בתים.",
    "שירותי הכבאות מסרו כי קיבלו יותר מ-600 קריאות לעזרה עד הבוקר.",
    "שני קשישים חולצו ממכונית שנלכדה במעבר תת-קרקעי מוצף.",
    "ראש העיר ביקש מהתושבים להישאר בבתיהם ולהימנע מהכביש החופי.",
    "בתי הספר בעיר יישארו סגורים ביום רביעי.",
    "החזאים צופים שהסערה תנוע מזרחה לכיוון טורקיה עד סוף השבוע.",
]
FLOOD_HI = [
    "मंगलवार रात भारी बारिश से थेसालोनिकी के केंद्र में बाढ़ आ गई और हज़ारों घरों की बिजली चली गई।",
    "अग्निशमन सेवा ने कहा कि सुबह तक उसे मदद के लिए 600 से अधिक कॉल मिल चुकी थीं।",
    "बाढ़ वाले अंडरपास में फँसी एक कार से दो बुज़ुर्गों को बचाया गया।",
    "महापौर ने निवासियों से घर पर रहने और तटीय सड़क से बचने को कहा।",
    "बुधवार को शहर के स्कूल बंद रहेंगे।",
    "मौसम विज्ञानियों को उम्मीद है कि सप्ताहांत तक तूफ़ान पूर्व की ओर तुर्की की तरफ़ बढ़ेगा।",
]
FLOOD_VI = [
    "Mưa lớn đã làm ngập trung tâm Thessaloniki vào đêm thứ Ba và khiến hàng nghìn ngôi nhà bị mất điện.",
    "Cơ quan cứu hỏa cho biết họ đã nhận được hơn 600 cuộc gọi cầu cứu tính đến sáng.",
    "Hai người cao tuổi đã được cứu khỏi một chiếc ô tô bị mắc kẹt trong một hầm chui bị ngập.",
    "Thị trưởng yêu cầu người dân ở nhà và tránh con đường ven biển.",
    "Các trường học trong thành phố sẽ đóng cửa vào thứ Tư.",
    "Các nhà khí tượng dự báo cơn bão sẽ di chuyển về phía đông, hướng tới Thổ Nhĩ Kỳ, vào cuối tuần.",
]
FLOOD_RU = [
    "Сильный дождь затопил центр Салоников во вторник вечером и оставил без света тысячи домов.",
    "Пожарная служба сообщила, что к утру получила более 600 вызовов о помощи.",
    "Двух пожилых людей спасли из машины, застрявшей в затопленном подземном переходе.",
    "Мэр попросил жителей оставаться дома и избегать прибрежной дороги.",
    "Школы в городе будут закрыты в среду.",
    "Синоптики ожидают, что к выходным шторм сместится на восток, в сторону Турции.",
]
# the Russian in Latin letters, as a user who 'romanised' the reference would hand it in
FLOOD_RU_LATIN = [
    "Silnyj dozhd zatopil centr Salonikov vo vtornik vecherom i ostavil bez sveta tysyachi domov.",
    "Pozharnaya sluzhba soobshchila, chto k utru poluchila bolee 600 vyzovov o pomoshchi.",
    "Dvukh pozhilykh lyudej spasli iz mashiny, zastryavshej v zatoplennom podzemnom perekhode.",
    "Mehr poprosil zhitelej ostavatsya doma i izbegat pribrezhnoj dorogi.",
    "Shkoly v gorode budut zakryty v sredu.",
    "Sinoptiki ozhidayut, chto k vykhodnym shtorm smestitsya na vostok, v storonu Turcii.",
]
# the Greek in Latin letters (Greeklish)
FLOOD_EL_LATIN = [
    "Ischyri vrochi plimmyrise to kentro tis Thessalonikis to vrady tis Tritis kai afise chiliades spitia choris "
    "reyma.",
    "I pyrosvestiki anefere oti eiche dechthei perissoteres apo 600 kliseis gia voitheia mechri to proi.",
    "Dyo ilikiomenoi diasothikan apo ena aftokinito pou eiche egklovistei se plimmyrismeni ypogeia diavasi.",
    "O dimarchos zitise apo tous katoikous na meinoun sta spitia tous kai na apofygoun tin paraliaki odo.",
    "Ta scholeia tis polis tha parameinoun kleista tin Tetarti.",
    "Oi meteorologoi anamenoun oti i kataigida tha kinithei anatolika pros tin Tourkia eos to Savvatokyriako.",
]
FLOOD_SUMMARY_EN = [
    "A storm flooded central Thessaloniki on Tuesday, cutting power and bringing 600 calls for help, and two elderly "
    "people were rescued from a flooded underpass.",
    "Schools stay shut on Wednesday while the mayor urges people to stay home as the storm moves towards Turkey.",
]
QUOTE_EN = [
    "'We have lost everything we built in forty years, and nobody from the government has even called us.",
    "The water came in so fast that we had to climb onto the roof with the children.",
    "We waited there for six hours before a boat finally came to take us away.'",
]
# a French story quoting an English-speaking witness at length, the quotation left in English (as French papers do)
QUOTED_FR = [
    "Les inondations ont ravagé mardi plusieurs villages du sud de l'Angleterre.",
    "Une habitante de Tewkesbury a raconté sa nuit à la BBC :",
    *QUOTE_EN,
    "Les autorités estiment que plus de 2 000 maisons ont été touchées.",
    "Le Premier ministre doit se rendre sur place jeudi.",
]
QUOTED_EN = [
    "Floods devastated several villages in southern England on Tuesday.",
    "A resident of Tewkesbury described her night to the BBC:",
    *QUOTE_EN,
    "The authorities estimate that more than 2,000 homes were affected.",
    "The Prime Minister is due to visit the area on Thursday.",
]
FIGURES = ["2019 | 12.5 | 3,4 %", "2020 | 13.1 | 4,9 %", "2021 | 14.8 | 2,2 %", "2022 | 15.0 | 1,7 %"]
ADDRESSES = ["https://www.example.org/rapport-annuel-2023.pdf", "https://www.example.org/statuts.pdf",
             "https://data.example.org/api/v2/stations?format=csv", "mailto:contact@example.org"]
CODE = ["def moyenne(valeurs):", "    total = sum(valeurs)", "    return total / len(valeurs)",
        "print(moyenne([3, 4, 5]))"]
FLOOD_JA = [
    "火曜日の夜、テッサロニキ中心部が大雨で浸水し、数千世帯が停電した。",
    "消防によると、朝までに600件を超える救助要請があった。",
    "冠水した地下道で立ち往生した車から高齢者2人が救出された。",
    "市長は住民に外出を控え、海岸道路を避けるよう呼びかけた。",
    "市内の学校は水曜日も休校となる。",
    "気象当局は、嵐が週末までに東のトルコ方面へ移動するとみている。",
]
# a literal machine translation of the Greek, used as the reference
FLOOD_MT_EN = [
    "Strong rain flooded the center of Thessaloniki the evening of Tuesday and left thousands houses without current.",
    "The fire service reported that it had received more than 600 calls for help until the morning.",
    "Two elderly were rescued from a car which had been trapped in flooded underground passage.",
    "The mayor asked from the residents to stay in their houses and to avoid the coastal road.",
    "The schools of the city will remain closed the Wednesday.",
    "The meteorologists expect that the storm will move east towards Turkey until the weekend.",
]
# one long sentence of the source, translated into three
LONG_FR = ["Les dockers du port de Rotterdam ont entamé mercredi une grève de 48 heures pour leurs salaires, plus de "
           "quarante navires attendaient au mouillage le soir même, et le syndicat FNV a prévenu qu'il prolongerait "
           "le mouvement si les employeurs ne relevaient pas leur offre de 4 %."]
LONG_EN = ["Dockworkers at the port of Rotterdam began a 48-hour strike over pay on Wednesday.",
           "More than forty ships were waiting at anchor by the same evening.",
           "The FNV union warned that it would extend the action if employers did not raise their offer of 4 percent."]


def cannot_judge_because(record: dict) -> str:
    assert relation(record)["measured"] == "cannot_judge", relation(record)["signals"]
    return relation(record)["cannot_judge_because"]


# ---------------------------------------------------------------- languages the encoder does not cover

@pytest.mark.parametrize("src_lang, source", [("el", FLOOD_EL), ("he", FLOOD_HE), ("hi", FLOOD_HI), ("vi", FLOOD_VI)],
                         ids=["greek", "hebrew", "hindi", "vietnamese"])
def test_an_uncovered_source_translated_is_parallel_and_says_from_what(tmp_path, src_lang, source):
    record, table = one_document(tmp_path, src_lang, source, FLOOD_EN, output=FLOOD_MT_EN)
    assert relation(record)["measured"] == "parallel"
    assert relation(record)["measured_from"] == "hypothesis and reference"
    assert "parallel/parallel" in table and note_lines(table, "relation measured from hypothesis and reference")
    assert any("not covered by the multilingual encoder" in note for note in record["alignment"]["notes"])
    # the aligned scores' legend said 'relation measured from source and reference' above the note saying it was not
    [legend] = note_lines(table, "aln: ")
    assert legend.endswith("relation measured from source and reference, except in the documents named below")


@pytest.mark.parametrize("src_lang, source", [("el", FLOOD_EL), ("he", FLOOD_HE)], ids=["greek", "hebrew"])
def test_an_uncovered_source_copied_as_output_cannot_be_judged_and_says_why(tmp_path, src_lang, source):
    """The identity baseline on an uncovered language: its output is the source, so nothing stands for it in English.
    The reason was empty (None) on this path: only the table's list of every possible reason was shown."""
    record, table = one_document(tmp_path, src_lang, source, FLOOD_EN, output=source)
    assert cannot_judge_because(record).startswith("the output is not known to be in the target language (0% of")
    assert note_lines(table, "? doc: the output is not known to be in the target language")


@pytest.mark.parametrize("src_lang, source", [("hi", FLOOD_HI), ("vi", FLOOD_VI)], ids=["hindi", "vietnamese"])
def test_an_uncovered_source_with_a_summary_for_reference_is_not_called_a_translation(tmp_path, src_lang, source):
    """A faithful translation as output, a two-sentence summary as reference: measured from the output, the summary
    read parallel (coverage 1.00, similarity 0.68, beads 2-1 and 2-1), BLEU unstarred. Round 10 closed this on the
    source side (no sure 1-1 bead); the hypothesis side had no such check."""
    record, table = one_document(tmp_path, src_lang, source, FLOOD_SUMMARY_EN, output=FLOOD_MT_EN)
    assert "a summary or a retelling" in cannot_judge_because(record)
    assert relation(record)["signals"]["one_to_one"] == 0
    assert note_lines(table, "? doc: every sentence aligned is a merge")


def test_an_output_that_is_the_reference_says_nothing_of_an_uncovered_source(tmp_path):
    """A user checking the harness hands in the reference as the output: on the hypothesis side the pair then read
    parallel, 100 BLEU unstarred, even with a reference on another story (the Rotterdam strike for a Greek flood)."""
    record, table = one_document(tmp_path, "el", FLOOD_EL, STRIKE_EN[:6], output=STRIKE_EN[:6])
    assert cannot_judge_because(record).startswith("the output is the reference word for word (6 of 6 sentences)")
    assert "parallel/parallel" not in table


def test_an_uncovered_source_with_a_transliterated_reference_is_not_parallel(tmp_path):
    """Greek romanised (Greeklish) handed in as the English reference: language ID cannot tell it, so it is taken;
    measured from an English output, it is no translation."""
    record, table = one_document(tmp_path, "el", FLOOD_EL, FLOOD_EL_LATIN, output=FLOOD_MT_EN)
    assert relation(record)["measured"] in ("unrelated", "comparable", "cannot_judge")
    assert "parallel/parallel" not in table


# ---------------------------------------------------------------- scripts without spaces, machine translations

def test_a_japanese_translation_is_parallel_and_its_names_left_uncompared_are_noted(tmp_path):
    record, _ = one_document(tmp_path, "ja", FLOOD_JA, FLOOD_EN)
    assert relation(record)["measured"] == "parallel" and relation(record)["signals"]["name_share"] is None
    assert any("written without spaces between words: names not compared" in note
               for note in record["alignment"]["notes"])


def test_a_japanese_source_with_another_story_for_reference_is_unrelated_and_starred(tmp_path):
    record, table = one_document(tmp_path, "ja", FLOOD_JA, STRIKE_EN[:6])
    assert relation(record)["measured"] == "unrelated" and note_lines(table, "* the reference is not a translation")


def test_a_literal_machine_translation_for_reference_is_parallel(tmp_path):
    record, table = one_document(tmp_path, "ru", FLOOD_RU, FLOOD_MT_EN)
    assert relation(record)["measured"] == "parallel" and not note_lines(table, "?")


# ---------------------------------------------------------------- references handed in oddly

def test_a_reference_in_reverse_order_is_parallel_and_an_output_in_source_order_scores_full(tmp_path):
    record, table = one_document(tmp_path, "fr", STRIKE_FR, STRIKE_EN[::-1], output=STRIKE_EN)
    assert relation(record)["measured"] == "parallel"
    assert relation(record)["signals"]["sure_one_to_one"] == 10 and record["aligned"]["chrf"]["score"] == 100.0


def test_a_long_english_quotation_left_in_the_source_is_named(tmp_path):
    record, table = one_document(tmp_path, "fr", QUOTED_FR, QUOTED_EN)
    assert relation(record)["measured"] == "parallel"
    [line] = note_lines(table, "= doc: ")
    assert line.startswith("= doc: 3 of 7 reference sentences are source sentences word for word")


@pytest.mark.parametrize("lines", [ADDRESSES, CODE], ids=["web-addresses", "program-code"])
def test_a_reference_that_is_the_source_itself_is_no_translation(tmp_path, lines):
    """Web addresses or a program listing, the same on both sides (too short for language ID to refuse): every
    reference sentence is a source sentence, and the pair was measured parallel (gap 0.63 and 0.70)."""
    record, table = one_document(tmp_path, "fr", lines, lines)
    because = cannot_judge_because(record)
    assert because.startswith("every reference sentence is a source sentence word for word (4 of 4)")
    assert "parallel/cannot_judge" in table and note_lines(table, "? doc: every reference sentence is a source")


def test_a_table_of_figures_cannot_be_judged_and_says_why(tmp_path):
    record, table = one_document(tmp_path, "fr", FIGURES, FIGURES)
    assert cannot_judge_because(record) == "too few sentences: 0 in the reference, 0 in the source (at least 2 needed)"
    assert "4 source pieces without letters set aside" in record["alignment"]["notes"]


def test_one_source_sentence_translated_into_three_says_why_it_cannot_be_judged(tmp_path):
    """Every sentence pair is in the one 1-3 bead, so no pair is left for the null: it fell back to the bead's own
    cosines (0.52) and the reason read 'its sentences are so alike that chance pairs match as well as translations'.
    Since round 21 a one-sentence source is too few sentences on its own, whatever the reference holds."""
    record, table = one_document(tmp_path, "fr", LONG_FR, LONG_EN)
    assert cannot_judge_because(record) == "too few sentences: 3 in the reference, 1 in the source (at least 2 needed)"
    [why] = note_lines(table, "? doc: ")
    assert relation(record)["signals"]["chance_pairs"] == 0 and "so alike" not in why


@pytest.mark.xfail(strict=True, reason="the reference holding the translation twice is parallel (right for its first "
                   "half) and the aligner pairs 6 duplicates into 1-2 beads, so a perfect output scores aligned chrF "
                   "69.9 with no note; naming repeated reference text would need a rule for how much repetition is "
                   "odd (subtitles repeat 'Yes.'), a new setting not calibrated on the dev sets")
def test_a_reference_that_holds_the_translation_twice_is_named(tmp_path):
    record, table = one_document(tmp_path, "fr", STRIKE_FR, STRIKE_EN + STRIKE_EN, output=STRIKE_EN)
    assert relation(record)["measured"] == "parallel"
    assert any("twice" in line or "repeat" in line for line in table.splitlines())


# ---------------------------------------------------------------- refused in one line

@pytest.mark.parametrize("src_lang, source, reference, fragments", [
    ("fr", STRIKE_TR, STRIKE_EN, ("document 'doc'", "src.txt", "declared 'fr'", "'tr'", "fix lang")),
    ("fr", STRIKE_FR, STRIKE_EN + STRIKE_FR, ("reference 'ref.txt'", "declared 'en'", "'fr'", "fix target_lang")),
    ("ru", FLOOD_RU, FLOOD_RU_LATIN, ("reference 'ref.txt'", "declared 'en'", "fix target_lang")),
    ("he", FLOOD_HE, FLOOD_EN + FLOOD_HE, ("reference 'ref.txt'", "declared 'en'", "'he'", "fix target_lang")),
    ("fr", STRIKE_FR, [" "], ("ref.txt", "reference is empty", "give a file with text")),
], ids=["turkish-declared-french", "source-appended-to-reference", "russian-transliterated-reference",
        "hebrew-source-appended", "empty-reference"])
def test_a_pair_that_is_no_translation_in_the_declared_languages_is_refused_in_one_line(tmp_path, src_lang, source,
                                                                                        reference, fragments):
    overrides = write_document(tmp_path, src_lang, source, reference)
    run_folder = tmp_path / "run"
    outcome = run_cli("run", [*overrides, f"hydra.run.dir={run_folder}"], tmp_path)
    assert_one_line_error(outcome, *fragments)
    assert not (run_folder / "result.json").exists()


def test_harness_score_refuses_a_turkish_source_declared_french(tmp_path):
    (tmp_path / "src.txt").write_text("\n".join(STRIKE_TR) + "\n", encoding="utf-8")
    for name in ("ref.txt", "sys.txt"):
        (tmp_path / name).write_text("\n".join(STRIKE_EN) + "\n", encoding="utf-8")
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sys.txt", "--out",
                                str(tmp_path / "out")], tmp_path)
    assert_one_line_error(outcome, "src.txt", "declared 'fr'", "'tr'")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("result.json"))
