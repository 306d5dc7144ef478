"""The curator's cue rules (concord_kg/exemplars/concepts.csv, rules.csv) and how the matcher uses them."""

from __future__ import annotations

import pytest

from concord_kg.cues import load_cues, parse_cues
from concord_kg.harmonise import Harmoniser
from concord_kg.semantic import load_exemplars
from concord_kg.wording import normalise


@pytest.fixture(scope="module")
def harmoniser() -> Harmoniser:
    return Harmoniser()


@pytest.fixture(scope="module")
def unseen(harmoniser: Harmoniser) -> Harmoniser:
    """The matcher without the wordings of FROM_TUNING as exemplars: a value's own copy does not answer."""
    keys = {normalise(value) for value, _ in FROM_TUNING}
    return Harmoniser(
        harmoniser.graph, exemplars=[e for e in load_exemplars() if normalise(e[1]) not in keys]
    )


def named(value: str) -> set[str] | None:
    """The notations the rules name for a value as the matcher passes it (None: the value is blocked)."""
    found = load_cues().named(value)
    return None if found is None else set(found)


def test_every_rule_names_a_taxonomy_term_and_every_concept_has_phrases(harmoniser):
    cues = load_cues()
    known = {t.notation for t in harmoniser.all_terms}
    assert {r.notation for r in cues.rules} <= known
    assert all(cues.phrases.values()), [c for c, p in cues.phrases.items() if not p]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("notation,requires,forbids\nD4.1,regular odd,\n", "rules.csv:2: unknown concept(s): odd"),
        (
            "notation,requires,forbids\nD4.1,regular,\nD4.2,,regular\n",
            "rules.csv:3: the rule requires no concept",
        ),
    ],
)
def test_a_broken_rules_table_names_its_line(rules, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_cues("concept,phrases\nregular,regular|routine\n", rules)


@pytest.mark.parametrize(
    ("value", "notation"),
    [
        ("Video and face to face", "D6.2.4"),  # both modes: the combination, not either one
        ("Routine reviews, plus appointments when needed", "D4.3"),
        ("Staff only see the parts of the record relevant to them", "D5.2.2"),
        ("Patients can read everything in their record", "D5.1.1"),
    ],
)
def test_the_more_specific_reading_wins(value, notation):
    assert named(value) == {notation}


def test_a_negated_value_fires_only_rules_that_ask_for_a_negation():
    assert "D5.1.1" not in named("Patients have no access to all of their records")
    assert named("The professionals involved do not work together") == {"D2.3.1"}


def test_a_negation_covers_its_own_clause():
    assert named("The physio and OT liaise with each other, but not with the consultants") == {"D2.2.2"}
    assert named("The physio and OT do not liaise with each other") == {"D2.3.1"}
    # after "rather than" or "instead of" comes what is not done
    assert named("Seen in person rather than by video") == {"D6.2.1"}
    assert named("Seen in person and by video") == {"D6.2.4"}


def test_a_negation_word_inside_a_phrase_negates_nothing():
    assert "negation" not in load_cues().read("Non-clinical coordinator").carried
    assert "negation" in load_cues().read("No coordinator").carried


def test_the_longest_phrase_is_read_first():
    assert "telephone" not in load_cues().read("Video call with the consultant").carried
    assert named("Video call with the consultant") == {"D6.2.2"}


@pytest.mark.parametrize(
    "value",
    [
        "Contact number",
        "Telephone number of the nurse",
        "The charity funds research into new treatments",
        "Don't know who coordinates",  # not knowing names nobody
    ],
)
def test_an_identifier_or_an_off_topic_word_leaves_the_value_unmapped(value, harmoniser):
    assert named(value) is None
    assert harmoniser.match(value).term is None  # by every stage, not only the rules


def test_a_value_near_an_identifier_is_still_read():
    assert named("Contact person") == {"D3.1.2"}
    assert named("Patient charity") == {"D3.3.1"}


def test_clauses_split_where_a_person_would():
    assert named("Our G.P. coordinates my care") == {"D3.2.3"}  # a dotted abbreviation is no full stop
    assert named("No (named) coordinator") == {"D3.4"}  # brackets do not end the negation
    assert named("Care provided without any coordination") == {"D3.4"}
    assert named("Routine reviews rather than on request") == {"D4.1"}  # a denied concept forbids nothing


def test_a_role_inside_a_setting_is_the_role():
    assert named("Shared care coordinator") == {"D3.2.1.2"}


def test_gps_in_capitals_is_not_general_practitioners():
    lexical = Harmoniser(semantic=False)
    assert lexical.match("Coordinates (GPS)").term is None
    assert lexical.match("GPs coordinate care").term.notation == "D3.2.3"


def test_clinical_shorthand_is_spelt_out():
    assert normalise("Annual r/v + SOS") == "annual review and sos"
    assert named("Annual r/v + SOS") == {"D4.3"}
    assert named("f/u 6/12") == {"D4.1"}
    assert named("Pt can view full record") == {"D5.1.1"}


def test_cue_matches_respect_domains_and_reviewed_refusals(harmoniser):
    match = harmoniser.match("Doctors and nurses talk to each other")
    assert (match.term.notation, match.match_type) == ("D2.2.2", "cue")
    scoped = Harmoniser(harmoniser.graph, domains=["D3"]).match("Doctors and nurses talk to each other")
    assert scoped.term is None or scoped.term.notation.startswith("D3.")
    iri = str(harmoniser.match("Doctors and nurses talk to each other").term.iri)
    refused = harmoniser.match("Doctors and nurses talk to each other", exclude=[iri])
    assert refused.term is None or str(refused.term.iri) != iri


def test_a_cue_match_is_sure_but_below_a_label(harmoniser):
    match = harmoniser.match("I can read all of my notes whenever I like")
    assert (match.term.notation, match.match_type) == ("D5.1.1", "cue")
    assert 0.8 <= match.confidence < 0.95
    assert match.matched  # the concepts that named it, shown in SSSOM match_string


@pytest.mark.parametrize(
    "value",
    ["Video or telephone", "GP or specialist nurse", "Regular or when needed", "Regional or national centre"],
)
def test_a_short_value_offering_alternatives_is_left_unmapped(value, harmoniser):
    assert harmoniser.match(value).term is None
    assert Harmoniser(harmoniser.graph, semantic=False).match(value).term is None


@pytest.mark.parametrize(
    ("value", "notation"),
    [
        ("Multiple servces or centres", "D1.3.3"),  # a misspelt label that holds "or"
        ("Key worker or care coordinator", "D3.2.1.2"),  # two names of one term
        ("Once or twice a year", "D4.1"),
        ("My parent or carer", "D3.3.2"),  # two wordings of one option
        ("On Teams or Zoom with the consultant", "D6.2.2"),
    ],
)
def test_or_inside_a_label_or_an_idiom_is_no_choice(value, notation, harmoniser):
    assert harmoniser.match(value).term.notation == notation


def test_neither_of_two_is_not_a_choice_between_them(harmoniser):
    match = harmoniser.match("No named lead or point of contact")
    assert match.term is not None and match.term.notation == "D3.4"


@pytest.mark.parametrize(
    "value", ["Email and letters", "Charity and GP", "Phone call + letter", "Regional & national"]
)
def test_a_short_value_listing_two_options_is_left_unmapped(value, harmoniser):
    # A curator maps a list of two options only where the taxonomy has their combination.
    assert harmoniser.match(value).term is None


@pytest.mark.parametrize(
    ("value", "notation"),
    [("Video + face to face", "D6.2.4"), ("Mixed (video/phone)", "D6.2.4"), ("Regular + PRN", "D4.3")],
)
def test_a_combination_the_taxonomy_has_is_mapped(value, notation, harmoniser):
    assert harmoniser.match(value).term.notation == notation


@pytest.mark.parametrize(
    "value", ["Self", "Parent/carer", "me (patient)", "My husband", "06 - Self / family"]
)
def test_a_picklist_answer_naming_the_patient_or_a_carer_is_self_coordination(value, harmoniser):
    assert harmoniser.match(value).term.notation == "D3.3.2"


@pytest.mark.parametrize(
    "value",
    [
        "Carer's allowance",  # a benefit
        "Patient deceased",  # a vital status
        "Depends on the patient",
        "Patient portal",
        "I think so",  # "I" names nobody's role
        "Self-harm",
        "Partner trust",
        "The patient is seen by a neurologist and a cardiologist",  # longer than a picklist answer
    ],
)
def test_the_patient_named_in_passing_is_not_self_coordination(value, harmoniser):
    match = harmoniser.match(value)
    assert match.term is None or match.term.notation != "D3.3.2"


def test_the_bare_concept_is_carried_by_short_values_only():
    cues = load_cues()
    assert "bare" in cues.read("Parent / carer").carried
    assert "bare" not in cues.read("Parents coordinate the care themselves, with some help").carried


#: Values of the tuning sets whose misses the cue rules were written from.
FROM_TUNING = [
    ("The charity funds a coordinator post for the condition", "D3.3.1"),
    ("No MDT input", "D2.3.1"),
    ("Every specialist looks only at his organ, nobody takes the ownership", "D2.3.1"),
    ("Two specialists in the same appointment", "D2.2.1"),
    ("Adult and paediatric consultants see him together at the same appointment", "D2.2.1"),
    ("Emergency care plan held by patient", "D6.1.2"),
    ("PKB app", "D6.1.1"),
    ("The teams email each other updates", "D6.1.1"),
    ("Remote consultation", "D6.2"),  # neither video nor telephone said
    ("It's one of three nationally commissioned centres, we go to whichever is nearest", "D1.3.3"),
    ("LOCAL CARE ONLY", "D1.1.1"),
    ("Local only", "D1.1"),
    ("Coordinator (type not known)", "D3.2.1"),
    ("Appointments team", "D3.1.1"),
    ("GP coordinates", "D3.2.3"),
    ("Mum does it all - chasing appointments, passing letters between hospitals", "D3.3.2"),
    ("Phoned GP", "D6.1.3"),
    ("Not on a schedule, just when I call", "D4.2"),
    ("Annual review but can get seen quickly if he's unwell", "D4.3"),
    ("Hub-and-spoke: hub provides coordination only; spokes deliver all clinical care", "D1.2.1"),
    ("The audit found no joint working between the health and social care teams", "D2.3.1"),
    ("Summary Care Record only", "D5.2.2"),
    ("Every doctor who treats me can open my full file, also in other hospitals.", "D5.2.1"),
    ("I can see everything the doctors write about me online", "D5.1.1"),  # the patient sees
    ("Patients can view a summary of their record", "D5.1.2"),
    ("Regularly, every 6 months?", "D4.1"),  # hedged, not asked
]


@pytest.mark.parametrize(("value", "notation"), FROM_TUNING)
def test_rules_read_from_the_tuning_sets(value, notation, unseen):
    assert unseen.match(value).term.notation == notation


@pytest.mark.parametrize(
    "value",
    [
        "Large print letters",
        "Severe fatigue and joint pain",
        "Out of area",
        "Commissioned by NHS England Specialised Commissioning",
        "Every 6 months or when needed, not sure which",
        "Can my GP see the hospital records?",  # a question
        "NHS App keeps crashing on my phone",
        "Interpreters can be booked for any appointment.",  # a side topic: no meaning-only match
        "Data submitted to the national registry",
    ],
)
def test_values_the_tuning_sets_leave_unmapped(value, harmoniser):
    assert harmoniser.match(value).term is None


@pytest.mark.parametrize(
    ("value", "notation"),
    [
        ("Face to face (without video)", "D6.2.1"),  # "without" after a bracket still negates
        ("Information is passed between the teams in a number of ways.", "D6.1"),  # no identifier
        ("Telehealth", "D6.2"),  # the ontology's hidden label: video and telephone alike
        ("Every 4-6 months", "D4.1"),
    ],
)
def test_review_cases_keep_their_reading(value, notation, harmoniser):
    assert harmoniser.match(value).term.notation == notation
