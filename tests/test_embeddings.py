from harness.embeddings import cosine_matrix


def test_paraphrases_are_closer_than_unrelated_sentences():
    similarity = cosine_matrix(["Canada and Japan start talks on sharing intelligence.", "The cat sleeps on the mat."],
                               ["Japan and Canada launched negotiations on an intelligence pact.", ""])
    assert similarity[0, 0] > 0.6 > similarity[1, 0]
    assert similarity[0, 1] == 0.0      # an empty text has no direction
