"""A decoder-only LM's tokenizer read by the `tokenizers` library alone, for a runtime that needs neither torch
nor transformers (CTranslate2): importing transformers' tokenizer classes imports torch, and Gemma 3's
262k-entry tokenizer then holds about 0.7 GiB where `tokenizers` alone needs 0.37 GiB.

transformers' fast tokenizer wraps the same tokenizer.json (its post-processor, which adds the BOS token, is
written there by save_pretrained), so the token ids and decoded texts are the same. transformers still loads the
tokenizer where it would change them: a tokenizer_config.json that sets add_bos_token, add_eos_token or
clean_up_tokenization_spaces (applied on top of tokenizer.json), a chat template (rendered by transformers'
jinja environment), or no tokenizer.json in a local folder (plain_tokenizer returns None then)."""
from __future__ import annotations

import ctypes
import json
from pathlib import Path

from harness.errors import UserError, first_line

TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
SETTINGS_THAT_CHANGE_IDS = ("add_bos_token", "add_eos_token", "chat_template")


class PlainTokenizer:
    """The part of a transformers fast tokenizer's interface that the LM runtimes use, over tokenizer.json."""

    chat_template = None   # plain_tokenizer leaves a model with a chat template to transformers

    def __init__(self, tokenizer, eos_token: str | None):
        self.backend = tokenizer
        self.eos_token_id = tokenizer.token_to_id(eos_token) if eos_token else None

    def __call__(self, texts: str | list[str], add_special_tokens: bool = True) -> dict:
        if isinstance(texts, str):
            return {"input_ids": self.backend.encode(texts, add_special_tokens=add_special_tokens).ids}
        encodings = self.backend.encode_batch(texts, add_special_tokens=add_special_tokens)
        return {"input_ids": [encoding.ids for encoding in encodings]}

    def __len__(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self.backend.id_to_token(token_id) for token_id in ids]

    def batch_decode(self, sequences: list[list[int]], skip_special_tokens: bool = False) -> list[str]:
        return self.backend.decode_batch(sequences, skip_special_tokens=skip_special_tokens)


def token_text(token) -> str | None:
    """A special token as tokenizer_config.json writes it: a string, or an AddedToken's fields."""
    return token.get("content") if isinstance(token, dict) else token


def plain_tokenizer(location: str) -> PlainTokenizer | None:
    """The tokenizer of a local model folder by `tokenizers` alone; None where transformers must load it."""
    folder = Path(location).expanduser()
    if not (folder / TOKENIZER_FILE).is_file() or any((folder / name).is_file() for name in CHAT_TEMPLATE_FILES):
        return None
    config_file = folder / CONFIG_FILE
    config = read_json(config_file) if config_file.is_file() else {}
    if any(key in config for key in SETTINGS_THAT_CHANGE_IDS) or config.get("clean_up_tokenization_spaces"):
        return None
    if "eos_token" not in config and (folder / SPECIAL_TOKENS_FILE).is_file():
        return None   # transformers would take the end token from there
    from tokenizers import Tokenizer
    try:
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    except Exception as err:   # tokenizers raises a bare Exception for a file it cannot parse
        raise damaged(folder / TOKENIZER_FILE, err) from None
    return_freed_memory()
    return PlainTokenizer(tokenizer, token_text(config.get("eos_token")))


def return_freed_memory() -> None:
    """Hand the memory the C allocator holds free back to the system (glibc's malloc_trim; elsewhere nothing).
    `tokenizers` parses tokenizer.json into a tree it frees once the tokenizer is built: for Gemma 3's 33 MB file
    the process then held 306 MB where the tokenizer needs 113 MB, and glibc kept the rest for the main thread's
    later allocations, which a model's threads do not make."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):   # not glibc (macOS, musl; Windows has no CDLL(None)): kept
        pass


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise damaged(path, err) from None


def damaged(path: Path, err: Exception) -> UserError:
    """A tokenizer file that cannot be read: a user's model folder is restored by its owner; a folder the harness
    wrote in its cache (a GGUF model dequantized under converted/) is written again once moved away."""
    folder = path.parent
    return UserError(f"{path} cannot be read ({first_line(err)}); restore the model folder, or if it is the "
                     f"harness's own copy (under its cache's converted/), move it away (mv {folder} {folder}.damaged) "
                     "and run again: it is made anew")
