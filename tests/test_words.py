"""The words every feature's grammar reads: quoted words, options, ids, a form's values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.words import (
    UsageError,
    as_positive_int,
    from_slack,
    positive_int,
    quote,
    split_options,
    too_large,
    view_values,
    words_of,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", []),
        ("  998   1001 ", ["998", "1001"]),
        ('ref="VIP gold" 998', ["ref=VIP gold", "998"]),
        ("ref=“VIP gold”", ["ref=VIP gold"]),
        (r'"a \"quoted\" \\ word"', ['a "quoted" \\ word']),
        ('""', [""]),
    ],
)
def test_words_are_read_with_their_quotes(text: str, words: list[str]) -> None:
    assert words_of(text) == words


def test_an_unclosed_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not closed"):
        words_of('ref="VIP')


@given(st.text())
def test_a_quoted_value_reads_back_as_one_word(value: str) -> None:
    assert words_of(quote(value)) == [value]


def test_slack_s_entities_are_read_as_typed() -> None:
    assert from_slack("a &lt;b&gt; &amp;lt;") == "a <b> &lt;"


def test_options_come_in_any_order_and_once() -> None:
    assert split_options(["998", "PAGE=2", "size=5"]) == (["998"], {"page": "2", "size": "5"})
    assert split_options(["ref=x"]) == (["ref=x"], {})
    with pytest.raises(UsageError, match="given twice"):
        split_options(["page=1", "page=2"])


@pytest.mark.parametrize(
    ("text", "number"),
    [("1", 1), ("007", 7), ("0", None), ("-3", None), ("²", None), ("1_0", None), ("", None)],
)
def test_ids_are_ascii_positive_whole_numbers(text: str, number: int | None) -> None:
    assert as_positive_int(text) == number


def test_an_id_longer_than_the_backends_hold_is_too_large() -> None:
    assert too_large("1" * 19) and not too_large("0" + "1" * 18) and not too_large("x" * 19)
    with pytest.raises(UsageError, match="too large"):
        positive_int("1" * 19, "`page=`")
    with pytest.raises(UsageError, match="positive whole number"):
        positive_int("zero", "`page=`")
    assert positive_int("12", "`page=`") == 12


def test_a_form_s_values_by_block_id() -> None:
    view = {
        "state": {
            "values": {
                "cid": {"value": {"type": "plain_text_input", "value": " 30851821 "}},
                "source": {
                    "value": {"type": "static_select", "selected_option": {"value": "open"}}
                },
                "empty": {"value": {"type": "static_select", "selected_option": None}},
                "blank": {"value": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert view_values(view) == {
        "cid": "30851821",
        "source": "open",
        "empty": None,
        "blank": None,
    }
