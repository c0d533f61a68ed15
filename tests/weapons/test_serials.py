"""The serial key (docs/data-model.md) and serials typed as words."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.weapons.serials import (
    SCORE_LOOK_ALIKE,
    SerialState,
    detect_serial_state,
    near_keys,
    serial_key,
)

SEPARATORS = " -./\\_,:;'\"#*()[]\t"
serial_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
plain_serials = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=20)


@given(serial_text)
def test_the_key_of_a_key_is_itself(raw):
    key = serial_key(raw)
    assert key is None or serial_key(key) == key


@given(plain_serials, st.lists(st.tuples(st.integers(0, 20), st.sampled_from(SEPARATORS)), max_size=6))
def test_separators_anywhere_do_not_change_the_key(serial, insertions):
    typed = serial
    for position, separator in insertions:
        typed = typed[:position] + separator + typed[position:]
    assert serial_key(typed) == serial_key(serial)


@given(plain_serials)
def test_case_does_not_change_the_key(serial):
    assert serial_key(serial.lower()) == serial_key(serial)


@given(plain_serials)
def test_letters_o_i_l_are_read_as_digits(serial):
    key = serial_key(serial)
    assert not set("OIL") & set(key)
    assert serial_key(serial.replace("0", "O")) == key
    assert serial_key(serial.replace("1", "I")) == serial_key(serial.replace("1", "L")) == key


@given(plain_serials)
def test_cyrillic_look_alikes_fold_to_latin(serial):
    cyrillic = str.maketrans({"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О",
                              "P": "Р", "C": "С", "T": "Т", "X": "Х"})
    assert serial_key(serial.translate(cyrillic)) == serial_key(serial)


@given(st.text(alphabet=SEPARATORS, max_size=10))
def test_only_separators_give_no_key(raw):
    assert serial_key(raw) is None


@given(serial_text)
def test_the_key_has_no_separator(raw):
    key = serial_key(raw)
    assert key is None or all(char.isalnum() for char in key)


def test_examples_typed_by_officers():
    assert serial_key("ab 12-3o.4/5") == "AB123045"
    assert serial_key("Kл-1234") != serial_key("K1234")  # a Cyrillic л is no Latin letter
    assert serial_key("  №  56 ") == "N056"  # № is N and o, the o read as a zero
    assert serial_key("ÉCOLE 1") == "EC01E1"
    assert serial_key(None) is None
    assert serial_key("") is None


@pytest.mark.parametrize("typed, state", [
    ("limé", SerialState.OBLITERATED),
    ("Numéro limé", SerialState.OBLITERATED),
    ("EFFACÉ", SerialState.OBLITERATED),
    ("ground off", SerialState.OBLITERATED),
    ("obliterated", SerialState.OBLITERATED),
    ("n° de série effacé", SerialState.OBLITERATED),
    ("illisible", SerialState.UNREADABLE),
    ("non lisible", SerialState.UNREADABLE),
    ("unreadable", SerialState.UNREADABLE),
    ("?", SerialState.UNREADABLE),
    ("???", SerialState.UNREADABLE),
    ("néant", SerialState.ABSENT),
    ("Sans numéro", SerialState.ABSENT),
    ("-", SerialState.ABSENT),
    ("", SerialState.ABSENT),
    ("   ", SerialState.ABSENT),
    ("S/N", SerialState.ABSENT),
    ("none", SerialState.ABSENT),
    ("AK 47-1234", SerialState.READABLE),
    ("NO 12345", SerialState.READABLE),
    ("ABCDEF", SerialState.READABLE),
    ("lime 1234", SerialState.READABLE),
])
def test_serials_typed_as_words_are_recognised(typed, state):
    assert detect_serial_state(typed) is state


def test_near_keys_are_one_edit_or_look_alike_away_and_ranked():
    near = near_keys("AB1234")
    assert near["AB1X34"] < near["AB1Z34"]  # Z looks like the 2 it replaces
    assert near["A81234"] == SCORE_LOOK_ALIKE  # 8 for B
    assert near["BA1234"] > near["AB12345"]  # a swap ranks above an extra character
    assert "AB123" in near and "AB12340" in near and "XB1234" in near
    assert "AB1234" not in near
    assert "XY1234" not in near  # two edits away


@given(plain_serials)
def test_every_near_key_is_a_key(serial):
    key = serial_key(serial)
    for candidate in near_keys(key):
        assert serial_key(candidate) == candidate
