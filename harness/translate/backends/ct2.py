"""Models run by CTranslate2 (int8 on CPU is several times faster than transformers fp32): encoder-decoder MT
models (Ct2Backend) and decoder-only LMs behind a prompt (Ct2LMBackend); `backend=ct2` picks the one that fits
the model config (ct2_backend).

The transformers model is converted on first use into <cache_dir>/ct2/<key>, where the key hashes what names
the model (a hub id and resolved commit, a local folder's content, a GGUF file's sha256) and the quantization,
and reused afterwards. An encoder-decoder model's tokenizer, language codes, forced target token and source
prefix are handled exactly as in hf_seq2seq (encoder_decoder.py); a decoder-only LM's prompts, tokens and
output cleanup exactly as in hf_causal (hf_causal.TransformersLMBackend), so that only the runtime differs. Once
converted, an LM runs without torch or transformers: its tokenizer read by `tokenizers` where that gives the same
ids (lm_tokenizer.py), its stop tokens and attention window kept beside the converted model (model_facts)."""
from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ctranslate2

from harness.translate.backends.encoder_decoder import EncoderDecoderBackend
from harness.translate.backends.hf_causal import TransformersLMBackend
from harness.cache_folders import check_published_name, folder_size, publish_folder, staged_folder
from harness.translate.backends.hf_loading import (decoding_fingerprint, device_and_dtype, load_pretrained, model_id_for,
                                         model_identity, pickle_refused, replace_json)
from harness.translate.backends.lm_tokenizer import plain_tokenizer
from harness.translate.batching import FIRST_BATCH
from harness.config import DEFAULT_CACHE_DIR, GenerationSpec, ModelSpec
from harness.cores import physical_cores
from harness.errors import UserError, first_line, is_disk_full

log = logging.getLogger(__name__)
CONVERTED_MARKER = "model.bin"        # a converted model is published whole: its weights say it is there
FACTS_FILE = "harness_facts.json"   # beside a converted LM: its stop tokens and attention window (model_facts)


def conversion_key(identity: dict, quantization: str) -> str:
    """identity: what names the source model (model_identity, or a GGUF file's sha256)."""
    named = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(f"{named}|{quantization}|ctranslate2-{ctranslate2.__version__}".encode()).hexdigest()[:32]


def convert_once(source: str, target: Path, quantization: str, model: ModelSpec) -> Path:
    """`target`, the converted model's folder, converting `source` (a hub id or a local transformers folder) on a
    miss into a temporary folder renamed at the end, so that an interrupted conversion never leaves a half-written
    model behind."""
    if is_converted(target):
        check_published_name(target, "the CTranslate2 conversion")
        return target
    folder = Path(source).expanduser()
    if folder.is_dir() and not model.allow_pickle and not any(folder.glob("*.safetensors")):
        raise pickle_refused(source)
    converter = ctranslate2.converters.TransformersConverter(
        str(folder) if folder.is_dir() else source, revision=None if folder.is_dir() else model.revision,
        trust_remote_code=model.trust_remote_code)
    log.info("one-time conversion of model '%s' to CTranslate2 %s into %s (about a minute for 270M parameters "
             "on 2 cores); later runs reuse it", model.name, quantization, target)
    started = time.perf_counter()
    with staged_folder(target, f"the CTranslate2 {quantization} conversion of model '{model.name}'") as staging:
        try:
            converter.convert(str(staging), quantization=quantization)
        except (OSError, ValueError) as err:
            if is_disk_full(err):   # staged_folder says so
                raise
            raise UserError(f"cannot convert model '{source}' (revision {model.revision}) for CTranslate2: "
                            f"{str(err).splitlines()[0]} -- check that it is a transformers model CTranslate2 "
                            "supports, available locally or in the Hugging Face cache") from err
        publish_folder(staging, target, CONVERTED_MARKER)
    log.info("converted model '%s' to CTranslate2 %s in %.0f s: %.0f MB on disk", model.name, quantization,
             time.perf_counter() - started, folder_size(target) / 1e6)
    return target


def is_converted(target: Path) -> bool:
    return (target / CONVERTED_MARKER).is_file()   # published whole (publish_folder)


def ct2_device(generation: GenerationSpec) -> tuple[str, int]:
    """generation.device as CTranslate2's (device, index); CUDA is whatever CTranslate2 itself can see.
    The numeric type is backend.compute_type, so the resolved dtype is not used."""
    device, _ = device_and_dtype(generation, cuda_available=ctranslate2.get_cuda_device_count() > 0)
    kind, _, index = device.partition(":")
    return kind, int(index or 0)


def check_compute_type(compute_type: str, device: str) -> None:
    """Refuse a type the device cannot run, instead of CTranslate2's silent switch to another one."""
    supported = sorted(ctranslate2.get_supported_compute_types(device))
    if compute_type not in supported:
        raise UserError(f"backend.compute_type={compute_type} is not supported on {device}; "
                        f"use one of {', '.join(supported)}")


LM_PART_ON_CPU = 4   # prompts one replica decodes at once (Ct2LMBackend.part_size)
POLL_SECONDS = 0.005  # how often a waiting batch is looked at (Ct2Runtime.decode): Ctrl-C is seen between looks


def thread_split(device: str, inter_threads: int, intra_threads: int, sampling: bool = False) -> tuple[int, int]:
    """(replicas, threads per replica), 0 resolved: on CPU one replica per physical core, with one thread each.
    A batch's parts then decode in parallel; the matrix products of a decoding step are too small to gain from
    a second thread (2 cores, the seed batches: Gemma 3 270M int8 decoded them in 24.0 s with one replica of 2
    threads, 23.2 s with one of 1 thread, 12.2 s with 2 replicas of 1 thread; benchmarks' Marian 2.5, 1.7, 1.3 s).
    On CUDA, and when sampling, one replica: each replica's thread draws from a random generator of its own, and
    which replica decodes which part depends on timing, so a seed would not give the same outputs twice."""
    if device == "cuda" or (sampling and not inter_threads):
        return inter_threads or 1, intra_threads or physical_cores()
    inter_threads = inter_threads or physical_cores()
    return inter_threads, intra_threads or max(1, physical_cores() // inter_threads)


class TokenCallback:
    """CTranslate2's per-token callback (decoding with beam size 1), called by its replicas' threads for every
    generated token: each is added to the backend's count as it comes, so that the progress bar's rate is live
    inside a batch, as hf_causal's streamer makes it (a batch of 16 Gemma prompts takes about 4 s on 2 idle
    cores). Measured on the seed batches: the same outputs, and 12.54 s against 12.46 s without it."""

    def __init__(self, backend: Ct2Runtime):
        # Only a weak reference to the backend: CTranslate2 lets go of the callback on a worker thread, after the
        # batch's results are handed over. Were that the last reference to the backend, its Generator would be
        # freed on its own worker thread, which cannot join itself ("terminate called after throwing an instance
        # of 'std::system_error': Resource deadlock avoided", and the process aborts).
        self.backend, self.counted, self.lock = weakref.ref(backend), 0, threading.Lock()
        self.stopped = False

    def __call__(self, step) -> bool:
        with self.lock:   # two replicas' threads call it at once
            self.counted += 1
            backend = self.backend()
            if backend is not None:
                backend.count_generated(1)
        return self.stopped   # True after Ctrl-C: every prompt's decoding ends at its next token


class Ct2Runtime:
    """The CTranslate2 settings both kinds of model share: device, compute type, threads, the conversion cache."""

    def setup_runtime(self, compute_type: str, inter_threads: int, intra_threads: int, max_batch_size: int) -> None:
        self.device, self.device_index = ct2_device(self.generation)
        check_compute_type(compute_type, self.device)
        self.compute_type = compute_type
        self.inter_threads, self.intra_threads = thread_split(self.device, inter_threads, intra_threads,
                                                              self.generation.do_sample)
        self.max_batch_size = max_batch_size

    def part_size(self) -> int:
        """Most segments one replica decodes at once (CTranslate2's max_batch_size): backend.max_batch_size, or a
        batch split evenly over the replicas, which decode its parts in parallel."""
        return self.max_batch_size or math.ceil(self.generation.batch_size / self.inter_threads)

    def token_counter(self) -> TokenCallback | None:
        """The callback that counts tokens as they are generated; CTranslate2 calls one only at beam size 1."""
        return TokenCallback(self) if self.generation.num_beams == 1 else None

    def decode(self, submit) -> tuple[list, TokenCallback | None]:
        """A batch submitted to CTranslate2 asynchronously (submit(callback) -> its async results), waited for in
        Python: Ctrl-C then reaches the run within a fraction of a second, where a blocking call would hold it
        until the batch ends (a batch of 16 Gemma prompts takes 4 s on 2 idle cores, far longer on a loaded
        machine). On Ctrl-C the callback ends every prompt at its next token, and the batch is let finish (about
        half a second) before the interrupt goes on, so that no worker calls back into a stopping interpreter."""
        counter = self.token_counter()
        pending = submit(counter)
        try:
            while not all(result.done() for result in pending):
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            if counter is not None:
                counter.stopped = True
            for result in pending:
                result.result()
            raise
        return [result.result() for result in pending], counter

    def count_results(self, counter: TokenCallback | None, tokens: int) -> None:
        """The batch's generated tokens, exactly: what the callback counted is topped up (or taken back: a
        translator's callback also sees the end token its hypotheses leave out)."""
        self.count_generated(tokens - (counter.counted if counter else 0))

    def runtime_record(self) -> dict:
        """What result.json records about the runtime."""
        return {"compute_type": self.compute_type, "device": self.device, "intra_threads": self.intra_threads,
                "inter_threads": self.inter_threads, "max_batch_size": self.part_size()}

    def runtime_options(self) -> dict:
        """The keyword arguments of ctranslate2.Translator and ctranslate2.Generator."""
        return {"device": self.device, "device_index": self.device_index, "compute_type": self.compute_type,
                "inter_threads": self.inter_threads, "intra_threads": self.intra_threads}

    def conversion_folder(self, identity: dict) -> Path:
        """Where the model with this identity is (or will be) converted at this compute type."""
        root = Path(self.cache_dir or DEFAULT_CACHE_DIR).expanduser() / "ct2"
        return root / conversion_key(identity, self.compute_type)

    def converted(self, source: str, identity: dict) -> str:
        return str(convert_once(source, self.conversion_folder(identity), self.compute_type, self.model))

    def open_converted(self, runtime, folder: str):
        """ctranslate2.Translator or Generator on a converted model; one that cannot be read (its file damaged
        after the conversion, by a full disk or a partial copy) is a one-line error that says how to convert it
        again, never a traceback. The folder is the cache's, and left as it is."""
        try:
            return runtime(folder, **self.runtime_options())
        except RuntimeError as err:
            raise UserError(f"cannot load the converted model in {folder} ({first_line(err)}); if its files were "
                            f"damaged (a full disk, a partial copy), move it away (mv {folder} {folder}.damaged) and "
                            "run again: it is converted anew") from None


class Ct2Backend(Ct2Runtime, EncoderDecoderBackend):
    name = "ct2"

    def __init__(self, *args, compute_type: str = "int8", inter_threads: int = 0, intra_threads: int = 0,
                 max_batch_size: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_runtime(compute_type, inter_threads, intra_threads, max_batch_size)

    def runtime_fingerprint(self) -> dict:
        return {**decoding_fingerprint(self.generation), "device": self.device, "compute_type": self.compute_type}

    def describe(self) -> dict:
        return {**super().describe(), **self.runtime_record()}

    def load_model(self, model_id: str) -> ctranslate2.Translator:
        """The conversion of the model as it is now (its content hashed again, through the cache's memo of file
        hashes: without it every file of the model was read once more on every run)."""
        identity = model_identity(model_id, self.model.revision, memo_dir=self.cache_dir)
        return self.open_converted(ctranslate2.Translator, self.converted(model_id, identity))

    def decoding_options(self) -> dict:
        generation = self.generation
        return {"beam_size": generation.num_beams, "max_decoding_length": generation.max_new_tokens,
                "min_decoding_length": generation.min_new_tokens,
                "sampling_topk": 0 if generation.do_sample else 1, "max_batch_size": self.part_size()}

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        translator = self.network(src_lang, tgt_lang)
        tokenizer = self.tokenizer(src_lang, tgt_lang)
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in self.encode(texts, src_lang, tgt_lang)["input_ids"]]
        prefix = [[self.model.target_token]] * len(texts) if self.model.target_token else None
        if self.generation.do_sample:
            ctranslate2.set_random_seed(self.generation.seed)
        with self.timed("generate"):
            results, counter = self.decode(lambda callback: translator.translate_batch(
                sources, prefix, asynchronous=True, callback=callback, **self.decoding_options()))
        outputs = [tokenizer.convert_tokens_to_ids(result.hypotheses[0]) for result in results]
        self.count_results(counter, sum(len(ids) for ids in outputs))
        self.count_cut((len(ids), False) for ids in outputs)   # the end token would have taken one step more
        return [text.strip() for text in tokenizer.batch_decode(outputs, skip_special_tokens=True)]


def line_break_tokens(tokenizer) -> list[int]:
    """The ids of every token whose text holds a line break, and the end of text: a decoder-only LM's output
    ends at its first line (prompted.first_line), so decoding stops there, as hf_causal's stop string does."""
    texts = tokenizer.batch_decode([[token_id] for token_id in range(len(tokenizer))])
    ends = {token_id for token_id, text in enumerate(texts) if "\n" in text}
    return sorted(ends if tokenizer.eos_token_id is None else ends | {tokenizer.eos_token_id})


def attention_window(config) -> int | None:
    """The attention window of a transformers LM config, None when every layer sees the whole sequence."""
    config = getattr(config, "text_config", config)
    if not getattr(config, "use_sliding_window", True):
        return None
    return getattr(config, "sliding_window", None)


def model_facts(converted: Path, find) -> dict:
    """What a run needs to know about a converted LM beyond its weights (find(): the stop tokens, and the attention
    window, which only transformers' config classes can tell), found once and kept beside the converted model,
    whose key names the model's content: later runs read it instead of importing transformers. A cache folder
    that cannot be written only costs finding them again."""
    facts_file = converted / FACTS_FILE
    kept = kept_facts(facts_file)
    if kept is not None:
        return kept
    facts = find()
    try:
        replace_json(facts_file, facts)
    except OSError as err:
        log.info("facts of the converted model not kept in %s (%s); they are found again next time", facts_file, err)
    return facts


def kept_facts(facts_file: Path) -> dict | None:
    """The facts kept in facts_file; None when it is missing, unreadable or not such a record (a hand edit, another
    version's file: '[]' was a TypeError on every run of the model), so that they are found again."""
    try:
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stops, window = (facts.get("stop_tokens"), facts.get("sliding_window", "")) if isinstance(facts, dict) else ([], "")
    well_formed = isinstance(stops, list) and all(type(token) is int for token in stops)
    return facts if well_formed and (window is None or type(window) is int) else None


def shared_prefix_length(prompts: list[list[str]]) -> int:
    """How many leading tokens every prompt of a batch shares (the instruction and the few-shot examples), leaving
    each prompt at least one token of its own."""
    shortest = min(len(tokens) for tokens in prompts)
    for position in range(shortest - 1):
        if len({tokens[position] for tokens in prompts}) > 1:
            return position
    return shortest - 1


class Ct2LMBackend(Ct2Runtime, TransformersLMBackend):
    """A decoder-only LM (the embedded Gemma 3 270M, any LM CTranslate2's transformers converter takes) run by
    ctranslate2.Generator: the same prompt token ids as hf_causal, greedy (or sampled) decoding of at most
    generation.max_new_tokens, stopped at the first token that holds a line break."""

    name = "ct2"

    def __init__(self, *args, compute_type: str = "int8", inter_threads: int = 0, intra_threads: int = 0,
                 max_batch_size: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_runtime(compute_type, inter_threads, intra_threads, max_batch_size)
        self.generator = None
        self.stop_tokens: list[int] = []
        self.sliding_window: int | None = None

    def runtime_fingerprint(self) -> dict:
        """The batch settings too: the prompts of a batch longer than its shortest are fed through the decoding
        loop token by token, which at int8 gives other outputs than one prompt alone (8 of 17 Turkish seed
        outputs agree), so batches (the first batch's size included) change what is cached. "static_prompt": a
        batch's shared prefix is computed once (generate), another path through the model than before, so
        outputs cached without it are not reused (on the seeds all 54 int8 outputs are the same either way)."""
        generation = self.generation
        return {**super().runtime_fingerprint(), "device": self.device, "compute_type": self.compute_type,
                "batch_size": generation.batch_size, "max_batch_tokens": generation.max_batch_tokens,
                "first_batch": FIRST_BATCH, "static_prompt": True, "part_size": self.part_size()}

    def part_size(self) -> int:
        """On CPU LM_PART_ON_CPU prompts a part, whatever the number of replicas: a part's prompts longer than its
        shortest are fed through the decoding loop one token a step, and each step costs about as much for 1
        prompt as for 4 (23 and 35 ms for Gemma 3 270M int8 on one thread), so small parts of similar lengths
        waste fewer steps (the seed batches on 2 cores: parts of 2, 3, 4, 5, 8 decoded in 15.2, 14.1, 12.2, 11.4,
        15.0 s). A fixed size keeps int8 outputs the same on machines with more cores (CTranslate2 sorts a batch
        by length and cuts it into parts). Unless backend.max_batch_size says otherwise."""
        if self.max_batch_size or self.device != "cpu":
            return super().part_size()
        return min(LM_PART_ON_CPU, self.generation.batch_size)

    def describe(self) -> dict:
        return {**super().describe(), **self.runtime_record()}

    def load_model(self) -> None:
        """The tokenizer and the converted model. Before a conversion (minutes, once) the tokenizer is loaded first,
        so that a damaged one is refused before it; a converted model is read by CTranslate2 while `tokenizers`
        parses tokenizer.json (about 1 s each for Gemma 3 on 2 cores; CTranslate2 reads without the GIL, the
        tokenizer holds it), so the load takes the longer of the two instead of their sum."""
        location = self.weights_location()
        identity = self.identity()
        tokenizer_first = not is_converted(self.conversion_folder(identity))
        if tokenizer_first:
            self.load_tokenizer(location)
        converted = self.converted(location, identity)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ct2-load") as reader:
            opening = reader.submit(self.open_converted, ctranslate2.Generator, converted)
            if not tokenizer_first:
                self.load_tokenizer(location)
            self.generator = opening.result()
        facts = model_facts(Path(converted), lambda: self.find_facts(location))
        self.stop_tokens, self.sliding_window = facts["stop_tokens"], facts["sliding_window"]

    def unload_model(self) -> None:
        self.generator, self.tokenizer = None, None

    def load_tokenizer(self, location: str) -> None:
        """By the `tokenizers` library alone where that gives the same ids (lm_tokenizer), else by transformers."""
        plain = None if self.model.prompt.use_chat_template == "always" else plain_tokenizer(location)
        if plain is None:
            super().load_tokenizer(location)
        else:
            self.tokenizer = plain

    def find_facts(self, location: str) -> dict:
        from transformers import AutoConfig   # reads config.json, with the defaults of the model's config class
        return {"stop_tokens": line_break_tokens(self.tokenizer),
                "sliding_window": attention_window(load_pretrained(AutoConfig, location, self.model))}

    def input_limit(self, src_lang: str, tgt_lang: str) -> int | None:
        """CTranslate2 4.8's sliding-window attention departs from transformers' once the prompt outgrows the
        window (tests/test_ct2_lm.py), so the prompt and its output are kept inside the window: a longer input is
        split like any over-long one (and counted). Gemma 3 270M's window is 512 tokens."""
        self.load()
        if not self.sliding_window:
            return None
        template = self.prompts([""], src_lang, tgt_lang)
        overhead = len(self.prompt_ids(template, self.uses_chat_template())[0]) + self.generation.max_new_tokens
        return max(1, self.sliding_window - overhead)

    def decoding_options(self) -> dict:
        generation = self.generation
        return {"beam_size": generation.num_beams, "max_length": generation.max_new_tokens,
                "min_length": generation.min_new_tokens, "sampling_topk": 0 if generation.do_sample else 1,
                "max_batch_size": self.part_size(), "end_token": self.stop_tokens, "return_end_token": True,
                "include_prompt_in_result": False}

    def generate(self, prompts: list[str], chat: bool) -> list[str]:
        """The prefix every prompt of the batch shares (instruction, few-shot examples) is CTranslate2's static
        prompt: computed once for the batch instead of once per prompt."""
        tokens = [self.tokenizer.convert_ids_to_tokens(ids) for ids in self.prompt_ids(prompts, chat)]
        if self.generation.do_sample:
            ctranslate2.set_random_seed(self.generation.seed)
        shared = shared_prefix_length(tokens)
        results, counter = self.decode(lambda callback: self.generator.generate_batch(
            [prompt[shared:] for prompt in tokens], static_prompt=tokens[0][:shared], cache_static_prompt=False,
            asynchronous=True, callback=callback, **self.decoding_options()))
        outputs = [result.sequences_ids[0] for result in results]
        self.count_results(counter, sum(len(ids) for ids in outputs))
        stops = set(self.stop_tokens)
        self.count_cut((len(ids), bool(ids) and ids[-1] in stops) for ids in outputs)
        return self.tokenizer.batch_decode(outputs, skip_special_tokens=True)


def is_decoder_only(model: ModelSpec) -> bool:
    """Whether a model config names a decoder-only LM: a GGUF file, or a transformers config that is not
    encoder-decoder. A model id with {src}/{tgt} is one MT model per language pair (OPUS-MT): encoder-decoder."""
    if model.gguf_package or model.gguf_file:
        return True
    model_id = model.model_id or ""
    if "{src}" in model_id or "{tgt}" in model_id:
        return False
    from transformers import AutoConfig   # reads config.json only
    return not load_pretrained(AutoConfig, model_id_for(model, "xx", "en"), model).is_encoder_decoder


def ct2_backend(model: ModelSpec, generation: GenerationSpec, cache_dir: str | None = None, **settings):
    """backend=ct2 for any model config: a decoder-only LM is prompted (Ct2LMBackend), any other model
    translates (Ct2Backend); settings: compute_type, inter_threads, intra_threads (Ct2BackendSpec)."""
    backend = Ct2LMBackend if is_decoder_only(model) else Ct2Backend
    return backend(model, generation, cache_dir=cache_dir, **settings)
