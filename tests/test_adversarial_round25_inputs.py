"""Round 25 on harness-score's command line: several references.

`harness-score -s src.txt --src-lang fr -r ref.txt ref2.txt sysA.txt`, written as the help's '(as sacrebleu ref1.txt
ref2.txt)' suggests, scored ref2.txt as a system, ranked first, against ref.txt alone (and `-r ref.txt ref2.txt -s ...
sysA.txt` was refused as 'unrecognized arguments: sysA.txt'). The command line cannot tell that first form from
`-r ref.txt sysA.txt sysB.txt`, so the help now says how to write several references and what a second file after
-r is read as.
"""
from __future__ import annotations

from tests.adversarial import run_cli


def test_the_help_says_how_to_give_several_references(tmp_path):
    done = run_cli("score", ["--help"], cwd=tmp_path)
    assert done.code == 0
    text = " ".join(done.stdout.split())
    assert "-r ref1.txt -r ref2.txt" in text and "a file after -r's one file is read as a hypothesis file" in text
