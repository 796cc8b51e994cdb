"""Any transformers encoder-decoder MT model by hub id or local folder: OPUS-MT (one model per
language via "{src}"), NLLB and M2M100 (source code on the tokenizer, English forced as first token),
MADLAD-400 (a "<2en> " source prefix). The language handling is shared with the ct2 backend."""
from __future__ import annotations


from harness.errors import UserError
from harness.translate.backends.encoder_decoder import EncoderDecoderBackend
from harness.translate.backends.hf_loading import device_and_dtype, generation_fingerprint, load_pretrained, torch_dtype


class Seq2SeqBackend(EncoderDecoderBackend):
    name = "hf_seq2seq"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device, self.dtype = device_and_dtype(self.generation)

    def runtime_fingerprint(self) -> dict:
        return generation_fingerprint(self.generation, self.device, self.dtype)

    def load_model(self, model_id: str):
        from transformers import AutoModelForSeq2SeqLM   # only when weights are needed
        model = load_pretrained(AutoModelForSeq2SeqLM, model_id, self.model, dtype=torch_dtype(self.dtype))
        self.check_output_length(model_id, getattr(model.config, "max_position_embeddings", None))
        return model.to(self.device).eval()

    def check_output_length(self, model_id: str, positions: int | None) -> None:
        """An output longer than the decoder's positions (Marian's, BART's are a fixed table) ended the run with
        torch's 'IndexError: index out of range in self' once a segment's output grew that long; refused at load,
        before anything is generated."""
        limit = self.generation.max_new_tokens
        if positions is not None and limit >= positions:
            raise UserError(f"generation.max_new_tokens={limit}: model '{model_id}' has {positions} decoder positions "
                            f"(max_position_embeddings), so its outputs end at {positions - 1} tokens; use "
                            f"generation.max_new_tokens={positions - 1} or less")

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch
        model = self.network(src_lang, tgt_lang)
        tokenizer = self.tokenizer(src_lang, tgt_lang)
        inputs = self.encode(texts, src_lang, tgt_lang, return_tensors="pt", padding=True).to(self.device)
        extra = {}
        if self.model.target_token:
            extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(self.model.target_token)
        torch.manual_seed(self.generation.seed)
        with self.timed("generate"), torch.inference_mode():
            generated = model.generate(**inputs, max_new_tokens=self.generation.max_new_tokens,
                                       min_new_tokens=self.generation.min_new_tokens,
                                       num_beams=self.generation.num_beams, do_sample=self.generation.do_sample,
                                       **extra)
        self.stats["generated_tokens"] += int((generated[:, 1:] != tokenizer.pad_token_id).sum())
        # a row at the limit ended if its last token is the end, unless the model forces the end there (OPUS-MT)
        forced_end = getattr(model.generation_config, "forced_eos_token_id", None) is not None
        self.count_cut((int((row != tokenizer.pad_token_id).sum()), bool(row[-1] == tokenizer.eos_token_id)
                        and not forced_end) for row in generated[:, 1:])
        return [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]
