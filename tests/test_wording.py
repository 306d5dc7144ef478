from __future__ import annotations

import pytest

from concord_kg.wording import is_negated, normalise, readable


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("We used to have a joint clinic", True),
        ("It used to be every 6 months", True),
        ("used to have a key worker", True),
        ("Letters are used to keep the GP informed", False),  # what letters are for
        ("The means used to share information", False),
        ("I am used to it", False),
        ("No MDT", True),
        ("Video clinic stopped", True),
    ],
)
def test_what_a_writer_used_to_do_is_negated_and_what_a_thing_is_used_to_do_is_not(text, negated):
    assert is_negated(normalise(text)) is negated


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "Multi-disciplinary Team (MDT) Co-ordinators",
            "multidisciplinary team multidisciplinary team coordinator",
        ),
        ("F/U 6/12", "follow up interval of month"),
        ("Review freq: annaul", "review freq annual"),
        ("Jt clinic w/ neurology", "joint clinic with neurology"),
    ],
)
def test_normalise_spells_out_shorthand_and_misspellings(text, key):
    assert normalise(text) == key


def test_the_meaning_stage_reads_shorthand_spelt_out_but_abbreviations_as_written():
    assert readable("F/U 6/12 w/ CNS") == "follow up interval of months with cns"
    assert readable("GPs see the record") == "gps see the record"
