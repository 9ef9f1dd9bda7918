def test_sample_corpus_answers_a_query_over_http(client):
    response = client.get("/search", query_string={"q": "parliament"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 3
    assert "<mark>" in body["results"][0]["snippet"] or "<mark>" in body["results"][0]["title_html"]
