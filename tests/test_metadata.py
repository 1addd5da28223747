"""private_metadata as typed models: one encode, one decode, Slack's 3000 characters checked
where it is written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from handlers.metadata import METADATA_LIMIT, MetadataTooLong, ViewMetadata


class Form(ViewMetadata):
    request_id: int = Field(gt=0)
    shown: dict[str, str] = Field(default_factory=dict)


def test_encode_then_decode_gives_the_same_model() -> None:
    form = Form(request_id=7, shown={"template": "0123abcd"})
    text = form.encode()
    assert text == '{"request_id":7,"shown":{"template":"0123abcd"}}'
    assert Form.decode({"private_metadata": text}) == form


@given(st.integers(min_value=1, max_value=10**18), st.dictionaries(st.text(), st.text()))
def test_every_form_that_fits_round_trips(request_id: int, shown: dict[str, str]) -> None:
    form = Form(request_id=request_id, shown=shown)
    try:
        text = form.encode()
    except MetadataTooLong:
        assert len(form.model_dump_json()) > METADATA_LIMIT
        return
    assert len(text) <= METADATA_LIMIT
    assert Form.decode({"private_metadata": text}) == form


def test_what_slack_would_not_keep_is_refused_at_encode() -> None:
    with pytest.raises(MetadataTooLong):
        Form(request_id=1, shown={"x": "y" * METADATA_LIMIT}).encode()


@pytest.mark.parametrize(
    "metadata",
    ["", "7", "{}", '{"request_id":0}', '{"request_id":1,"other":2}', "{not json", None],
)
def test_what_this_app_did_not_write_is_out_of_date(metadata: str | None) -> None:
    with pytest.raises(ValidationError):
        Form.decode({"private_metadata": metadata})
