from m365bridge.shared.ranking import BM25FParameters, Ranker, query_terms, split_passages, tokenize

DOCS = [
    ("mail", {"title": "Mailbox is full", "body": "Archive old mail to free space."}),
    ("sync", {"title": "Sync stops", "body": "The mailbox is full of files that stop syncing."}),
    ("prompt", {"title": "Password prompts", "body": "Outlook web app keeps prompting."}),
]


def test_title_match_outranks_same_word_in_body():
    hits = Ranker(DOCS).search("mailbox full")
    assert [hit.id for hit in hits][:2] == ["mail", "sync"]


def test_without_title_boost_the_body_match_can_win():
    flat = BM25FParameters(weights={"title": 0.1, "body": 5.0})
    boosted = Ranker(DOCS).search("mailbox full")[0]
    assert Ranker(DOCS, parameters=flat).search("mailbox full")[0].id != boosted.id


def test_stemming_matches_other_word_forms():
    assert tokenize("syncing") == tokenize("synced") == tokenize("sync")
    assert Ranker(DOCS).search("syncing stopped")[0].id == "sync"


def test_abbreviation_is_expanded_to_the_product_name():
    assert "web" in query_terms("OWA")
    hits = Ranker(DOCS).search("OWA")
    assert hits and hits[0].id == "prompt"


def test_stopwords_and_clitics_are_dropped():
    assert tokenize("The user can't open it") == ["user", "open"]


def test_passage_is_the_one_covering_the_query():
    body = "Intro text about nothing.\n\nRestart the sync client to clear the stuck upload.\n\nMore."
    hit = Ranker([("a", {"title": "Problem", "body": body})]).search("stuck upload")[0]
    assert hit.passage == "Restart the sync client to clear the stuck upload."


def test_allowed_filters_results():
    hits = Ranker(DOCS).search("mailbox full", allowed=lambda doc_id: doc_id != "mail")
    assert [hit.id for hit in hits] == ["sync"]


def test_long_paragraphs_are_split_near_the_limit():
    pieces = split_passages("Sentence one is here. " * 50, max_chars=100)
    assert all(len(piece) <= 100 for piece in pieces) and len(pieces) > 5
