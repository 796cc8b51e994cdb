"""Backends for tests about the pipeline, not about a model (importable by child processes via config)."""
import json
import time
from pathlib import Path

from harness.translate.backends.base import Backend

GEMMA_SEED_OUTPUTS = Path(__file__).parent / "fixtures" / "gemma3_270m_seed_outputs.json"


class SlowUpperBackend(Backend):
    """Upper-cases each segment after a pause, so a test can kill a run in the middle of translating."""

    name = "slow_upper"

    def translate_batch(self, texts, src_lang, tgt_lang):
        time.sleep(0.25)
        return [text.upper() for text in texts]


class StallingBackend(Backend):
    """Says it is translating (a file TRANSLATING in the working folder), then stalls: a run caught mid-batch."""

    name = "stalling"
    marker = Path("TRANSLATING")

    def translate_batch(self, texts, src_lang, tgt_lang):
        self.marker.touch()
        time.sleep(120)
        return texts


def stall_reading_files() -> None:
    """model=files says it is reading (TRANSLATING, as StallingBackend) and stalls: a harness-score caught mid-run
    (harness-score refuses a backend override, so a test's child process installs this before score_main)."""
    from harness.translate.backends.files import FilesBackend

    def stalled(self, doc_id):
        StallingBackend.marker.touch()
        time.sleep(120)
    FilesBackend.read_document = stalled


def stall_writing_report() -> None:
    """harness-compare writes its charts, says so (TRANSLATING, as StallingBackend) and stalls: a comparison caught
    while its report is half-written (a test's child process installs this before compare_main)."""
    from harness.compare.reports import page

    def stalled(comparison, folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "half.png").write_bytes(b"\x89PNG")
        StallingBackend.marker.touch()
        time.sleep(120)
    page.write_charts = stalled


class SometimesEmptyBackend(Backend):
    """Returns an empty string for every segment that contains a digit: a degraded system."""

    name = "sometimes_empty"

    def translate_batch(self, texts, src_lang, tgt_lang):
        return ["" if any(c.isdigit() for c in text) else text for text in texts]


class LibraryBarBackend(Backend):
    """Draws a plain tqdm bar inside each batch, as a model library does (transformers' GGUF conversion)."""

    name = "library_bar"

    def translate_batch(self, texts, src_lang, tgt_lang):
        from tqdm import tqdm
        return [text.upper() for text in tqdm(texts, desc="library bar", mininterval=0)]


class GemmaReplayBackend(Backend):
    """Embedded Gemma 3 270M's outputs for the seeds' source sentences, read from a fixture (recorded from
    `harness-run` with the default config): a real model's outputs, one per source sentence, without the model."""

    name = "gemma_replay"

    def translate_batch(self, texts, src_lang, tgt_lang):
        outputs = json.loads(GEMMA_SEED_OUTPUTS.read_text(encoding="utf-8"))["outputs"]
        return [outputs[text] for text in texts]


class FixedTextBackend(Backend):
    """A model whose output for each source segment is written in a JSON file (model.path: {source: output}); a
    segment the file does not name is copied. The same text can then reach the harness from a model and from files."""

    name = "fixed_text"

    def translate_batch(self, texts, src_lang, tgt_lang):
        outputs = json.loads(Path(self.model.path).read_text(encoding="utf-8"))
        return [outputs.get(text, text) for text in texts]


class CrashesAtBatchSizeTwoBackend(Backend):
    """Upper-cases each segment, except with generation.batch_size=2 while a file CRASH is in the working folder, where
    it crashes as a GPU driver does: a bug, not a user error, in one job of a sweep over batch sizes, which removing
    the file fixes (run with cache.enabled=false, or the cache answers)."""

    name = "crashes_at_two"
    cause = Path("CRASH")

    def translate_batch(self, texts, src_lang, tgt_lang):
        if self.generation.batch_size == 2 and self.cause.exists():
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return [text.upper() for text in texts]


def empty_summarizer(name: str = "lead", sentences: int = 3):
    """A summarizer whose model returns nothing (summarizer=lead summarizer._target_=tests.backends_for_tests.
    empty_summarizer): every summary, the reference's included, is empty."""
    from harness.summarize.summarize import LeadSummarizer, SummaryOutput

    class EmptySummarizer(LeadSummarizer):
        def summarize(self, text, lang):
            return SummaryOutput([])
    return EmptySummarizer(name, sentences)
