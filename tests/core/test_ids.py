import re

from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.core.ids import is_valid_id, new_id


def test_shape_is_prefix_and_24_lowercase_hex():
    value = new_id("loc")
    assert re.fullmatch(r"loc_[0-9a-f]{24}", value)


def test_ids_made_in_sequence_sort_in_creation_order():
    ids = [new_id("evt") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5000


def test_is_valid_id_checks_shape_and_prefix():
    value = new_id("cus")
    assert is_valid_id(value)
    assert is_valid_id(value, "cus")
    assert not is_valid_id(value, "loc")
    assert not is_valid_id("cus_0123")
    assert not is_valid_id("cus_" + "G" * 24)
    assert not is_valid_id("CUS_" + "0" * 24)


@given(st.text(max_size=40))
def test_is_valid_id_never_accepts_arbitrary_text_without_the_shape(text):
    assert is_valid_id(text) == bool(re.fullmatch(r"[a-z]+_[0-9a-f]{24}", text))
