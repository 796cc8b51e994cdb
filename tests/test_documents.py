import pytest

from harness.data.documents import CleaningRules, clean_lines, load_dataset, read_text_file
from harness.errors import UserError
from tests.conftest import REFERENCES, SEEDS


def write_dataset(root, manifest: str, files: dict[str, bytes]):
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.yaml").write_text(manifest, encoding="utf-8")
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


MANIFEST = """
documents:
  - {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel}
"""
REF = "The cat sleeps.\n".encode()


def test_seed_manifest_loads_with_cleaning_recorded():
    dataset = load_dataset(SEEDS, None, REFERENCES)
    assert [d.id for d in dataset.documents] == ["000", "002", "003", "004"]
    assert [d.relation for d in dataset.documents] == ["comparable", "parallel", "unrelated", "parallel"]
    turkish = dataset.documents[1]
    dropped = [d.text for d in turkish.source.dropped]
    assert "Devamını oku:" in dropped and "© 2022 Kanada Basını" in dropped
    assert not any("Devamını oku" in p for p in turkish.source.paragraphs)
    reference = turkish.reference
    assert [d.text for d in reference.dropped] == ["Posted at 7:05 p.m.", "With information from The Associated Press"]


def test_seed_files_are_not_modified():
    before = {p.name: p.read_bytes() for p in SEEDS.glob("*.txt")}
    load_dataset(SEEDS, None, REFERENCES)
    assert before == {p.name: p.read_bytes() for p in SEEDS.glob("*.txt")}


@pytest.mark.parametrize("lines, rules, kept, dropped", [
    (["a", "b", "a"], CleaningRules((), True), ["a", "b"], ["a"]),
    (["Read more:", "x", "", "  "], CleaningRules(("^Read more",)), ["x"], ["Read more:"]),
    (["  spaced  "], CleaningRules(), ["spaced"], []),
])
def test_clean_lines(lines, rules, kept, dropped):
    kept_lines, dropped_lines = clean_lines(lines, rules)
    assert kept_lines == kept
    assert [d.text for d in dropped_lines] == dropped


def test_crlf_and_bom_are_read_as_plain_lines(tmp_path):
    root = write_dataset(tmp_path / "d", MANIFEST, {"a.txt": b"\xef\xbb\xbfUn chat.\r\nDeux chats.\r\n", "ref.txt": REF})
    document = load_dataset(root).documents[0]
    assert document.source.paragraphs == ("Un chat.", "Deux chats.")


@pytest.mark.parametrize("content, message", [
    (b"", "document is empty"),
    (b"  \n\t\n", "document is empty"),
    (b"caf\xe9 cr\xe8me\n", "not valid UTF-8"),
    ("un chat".encode("utf-16"), "UTF-16"),
    (b"\x00\x01\x02binary", "binary"),
])
def test_bad_document_files_are_refused_with_the_file_named(tmp_path, content, message):
    root = write_dataset(tmp_path / "d", MANIFEST, {"a.txt": content, "ref.txt": REF})
    with pytest.raises(UserError, match=message) as err:
        load_dataset(root)
    assert "a.txt" in str(err.value)


@pytest.mark.parametrize("manifest, message", [
    ("documents:\n  - {id: a, lang: fr, file: a.txt, relation: parallel}\n", "missing field 'reference'"),
    ("documents:\n  - {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel}\n"
     "  - {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel}\n", "duplicate document id 'a'"),
    ("documents:\n  - {id: a, lang: fr, file: ../a.txt, reference: ref.txt, relation: parallel}\n", "escapes"),
    ("documents:\n  - {id: a, lang: xx, file: a.txt, reference: ref.txt, relation: parallel}\n", "language code 'xx'"),
    ("documents:\n  - {id: a, lang: fr, file: a.txt, reference: nope.txt, relation: parallel}\n", "nope.txt"),
    ("documents:\n  - {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: similar}\n", "relation 'similar'"),
    ("docs: []\n", "needs a 'documents' list"),
])
def test_manifest_errors_name_the_problem(tmp_path, manifest, message):
    root = write_dataset(tmp_path / "d", manifest, {"a.txt": "Un chat.\n".encode(), "ref.txt": REF})
    with pytest.raises(UserError, match=message):
        load_dataset(root)


def test_missing_data_folder(tmp_path):
    with pytest.raises(UserError, match="data folder"):
        load_dataset(tmp_path / "nowhere")


def test_read_text_file_missing(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        read_text_file(tmp_path / "none.txt")
