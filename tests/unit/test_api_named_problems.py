"""FastAPI's validation errors named as the domain names its refusals (``field``, ``reason``)."""

from __future__ import annotations

from sibook.api.problems import named_problems


def test_the_source_is_no_part_of_the_field_and_a_nested_key_is_dotted() -> None:
    assert named_problems([
        {"loc": ["body", "voluntary", "income"], "msg": "Input should be a valid integer"},
        {"loc": ["query", "limit"], "msg": "Input should be greater than or equal to 1"},
        {"loc": ["body", "lines", 2, "salary"], "msg": "Field required"},
    ]) == [{"field": "voluntary.income", "reason": "Input should be a valid integer"},
           {"field": "limit", "reason": "Input should be greater than or equal to 1"},
           {"field": "lines.2.salary", "reason": "Field required"}]


def test_a_body_missing_whole_is_named_body() -> None:
    assert named_problems([{"loc": ["body"], "msg": "Field required"}]) == [
        {"field": "body", "reason": "Field required"}]
    assert named_problems([{"loc": [], "msg": "x"}]) == [{"field": None, "reason": "x"}]


def test_a_file_sent_as_text_is_said_so_never_in_pythons_words() -> None:
    """``curl -F file=book.pdf`` (no @) sends the name as a text part: FastAPI's 422 said
    "Value error, Expected UploadFile, received: <class 'str'>" (POST /api/v1/verify, the
    declaration, claim-file and HI card routes)."""
    [problem] = named_problems([{
        "type": "value_error", "loc": ["body", "file"], "input": "book.pdf",
        "msg": "Value error, Expected UploadFile, received: <class 'str'>"}])
    assert problem["field"] == "file"
    assert problem["reason"].startswith("must be a file: a part with a file name")
    assert "class" not in problem["reason"] and "UploadFile" not in problem["reason"]
