"""Encoder-decoder MT models run by CTranslate2 (int8 on CPU is several times faster than transformers fp32).

The transformers model is converted on first use into <cache_dir>/ct2/<key>, where the key hashes the
model id and resolved commit (or a local folder's content) and the quantization, and reused afterwards. The
tokenizer, language codes, forced target token and source prefix are handled exactly as in hf_seq2seq
(harness/backends/encoder_decoder.py)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import ctranslate2
import psutil

from harness.backends.encoder_decoder import EncoderDecoderBackend
from harness.backends.hf_loading import decoding_fingerprint, device_and_dtype, model_identity, pickle_refused
from harness.config import DEFAULT_CACHE_DIR, GenerationSpec
from harness.errors import UserError


def conversion_key(model_id: str, revision: str, quantization: str) -> str:
    identity = json.dumps(model_identity(model_id, revision), sort_keys=True)
    return hashlib.sha256(f"{identity}|{quantization}|ctranslate2-{ctranslate2.__version__}".encode()).hexdigest()[:32]


def convert_once(model_id: str, revision: str, quantization: str, root: Path, trust_remote_code: bool,
                 allow_pickle: bool) -> Path:
    """The converted model's folder, converting on a miss into a temporary folder renamed at the end,
    so that an interrupted conversion never leaves a half-written model behind."""
    target = root / conversion_key(model_id, revision, quantization)
    if (target / "model.bin").is_file():
        return target
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    folder = Path(model_id).expanduser()
    if folder.is_dir() and not allow_pickle and not any(folder.glob("*.safetensors")):
        raise pickle_refused(model_id)
    converter = ctranslate2.converters.TransformersConverter(
        str(folder) if folder.is_dir() else model_id, revision=None if folder.is_dir() else revision,
        trust_remote_code=trust_remote_code)
    try:
        converter.convert(str(staging), quantization=quantization)
    except (OSError, ValueError) as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"cannot convert model '{model_id}' (revision {revision}) for CTranslate2: "
                        f"{str(err).splitlines()[0]} -- check that it is a supported transformers seq2seq model, "
                        "available locally or in the Hugging Face cache") from err
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


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


def physical_cores() -> int:
    """Threads per translator: one per physical core (hyper-threads slow matrix products down)."""
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


class Ct2Backend(EncoderDecoderBackend):
    name = "ct2"

    def __init__(self, *args, compute_type: str = "int8", inter_threads: int = 1, intra_threads: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.device, self.device_index = ct2_device(self.generation)
        check_compute_type(compute_type, self.device)
        self.compute_type = compute_type
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads or physical_cores()

    def runtime_fingerprint(self) -> dict:
        return {**decoding_fingerprint(self.generation), "device": self.device, "compute_type": self.compute_type}

    def describe(self) -> dict:
        return {**super().describe(), "compute_type": self.compute_type, "device": self.device,
                "intra_threads": self.intra_threads, "inter_threads": self.inter_threads}

    def load_model(self, model_id: str) -> ctranslate2.Translator:
        root = Path(self.cache_dir or DEFAULT_CACHE_DIR).expanduser() / "ct2"
        folder = convert_once(model_id, self.model.revision, self.compute_type, root, self.model.trust_remote_code,
                              self.model.allow_pickle)
        return ctranslate2.Translator(str(folder), device=self.device, device_index=self.device_index,
                                      compute_type=self.compute_type, inter_threads=self.inter_threads,
                                      intra_threads=self.intra_threads)

    def decoding_options(self) -> dict:
        generation = self.generation
        return {"beam_size": generation.num_beams, "max_decoding_length": generation.max_new_tokens,
                "min_decoding_length": generation.min_new_tokens,
                "sampling_topk": 0 if generation.do_sample else 1, "max_batch_size": generation.batch_size}

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        translator = self.network(src_lang, tgt_lang)
        tokenizer = self.tokenizer(src_lang, tgt_lang)
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in self.encode(texts, src_lang, tgt_lang)["input_ids"]]
        prefix = [[self.model.target_token]] * len(texts) if self.model.target_token else None
        if self.generation.do_sample:
            ctranslate2.set_random_seed(self.generation.seed)
        with self.timed("generate"):
            results = translator.translate_batch(sources, prefix, **self.decoding_options())
        outputs = [tokenizer.convert_tokens_to_ids(result.hypotheses[0]) for result in results]
        self.stats["generated_tokens"] += sum(len(ids) for ids in outputs)
        return [text.strip() for text in tokenizer.batch_decode(outputs, skip_special_tokens=True)]
