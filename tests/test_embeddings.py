from harness.embeddings import cosine_matrix


def test_paraphrases_are_closer_than_unrelated_sentences():
    similarity = cosine_matrix(["Canada and Japan start talks on sharing intelligence.", "The cat sleeps on the mat."],
                               ["Japan and Canada launched negotiations on an intelligence pact.", ""])
    assert similarity[0, 0] > 0.6 > similarity[1, 0]
    assert similarity[0, 1] == 0.0      # an empty text has no direction


def test_the_multilingual_encoder_memo_is_bounded_and_never_changes_a_vector(monkeypatch):
    from harness import encoder
    texts = ["Le conseil a voté.", "Meclis oy verdi.", "The council voted.", "El consejo votó.", "صوت المجلس."]
    fresh = encoder.embed(texts)
    monkeypatch.setattr(encoder, "EMBEDDED", encoder.BoundedMemo(2))
    again = encoder.embed(texts)          # more texts than the memo holds
    assert len(encoder.EMBEDDED.entries) == 2
    assert abs(again - fresh).max() < 1e-6
    assert abs(encoder.embed(texts[:1]) - fresh[:1]).max() < 1e-6
