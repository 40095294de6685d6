from m365bridge.connector.health.wording import terms


def test_product_names_and_abbreviations_become_the_same_terms() -> None:
    assert terms("OWA") == terms("Outlook on the web") == ["outlook", "web"]
    assert terms("can't log in to O365") == terms("Sign-in to Microsoft 365") == ["signin", "m365"]
    assert terms("one drive") == terms("OneDrive") == terms("odb")
    assert terms("e-mails") == terms("email") == ["mail"]


def test_words_that_name_no_problem_are_left_out() -> None:
    assert terms("Users may be unable to") == []
    assert terms("teams calls dropping for the users") == ["team", "call", "drop"]
