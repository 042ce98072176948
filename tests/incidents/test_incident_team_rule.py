"""The response team's seat rule (SP-IRT-MEMBERS): who may sit where, the default picks, and
a seat left empty only when no choice of distinct people could fill it."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.incidents.team import (
    SEATS,
    Seat,
    StaffMember,
    check_team,
    eligible,
    preference,
    propose,
)

ROLES = ["iso", "engineer", "technical_operations", "director", "support_agent", "marketing", "dpo"]
TITLES = [
    None,
    "Senior Engineer",
    "Development Manager",
    "Software Developer",
    "Account Manager",
    "Key Account Manager",
    "Engineer",
    "Director",
]


@st.composite
def staff(draw: st.DrawFn) -> list[StaffMember]:
    names = draw(st.lists(st.sampled_from("abcdefghij"), min_size=0, max_size=7, unique=True))
    return [
        StaffMember(
            username=name,
            full_name=name.upper(),
            roles=frozenset(draw(st.sets(st.sampled_from(ROLES), max_size=2))),
            job_title=draw(st.sampled_from(TITLES)),
            seniority=draw(st.one_of(st.none(), st.integers(0, 9))),
        )
        for name in names
    ]


def _most_filled(people: list[StaffMember]) -> int:
    """Brute force: the most seats distinct people can fill."""
    best = 0
    options = [[p for p in people if eligible(seat, p)] + [None] for seat in SEATS]
    for chosen in product(*options):
        names = [p.username for p in chosen if p is not None]
        if len(names) == len(set(names)):
            best = max(best, len(names))
    return best


@pytest.mark.policy("SP-IRT-MEMBERS")
@given(people=staff())
def test_picks_are_eligible_distinct_and_as_many_as_possible(people):
    proposal = propose(people)
    picked = [p for p in proposal.picks.values() if p is not None]
    assert all(eligible(seat, p) for seat, p in proposal.picks.items() if p is not None)
    assert len({p.username for p in picked}) == len(picked)
    assert len(picked) == _most_filled(people)
    assert set(proposal.empty) == {seat for seat, p in proposal.picks.items() if p is None}
    complete = {seat: p.username for seat, p in proposal.picks.items() if p is not None}
    assert (check_team(complete, people) == []) == (not proposal.empty)


@pytest.mark.policy("SP-IRT-MEMBERS")
@given(people=staff())
def test_without_competition_each_seat_gets_its_most_preferred(people):
    proposal = propose(people)
    for seat in SEATS:
        pick = proposal.picks[seat]
        others = {p.username for s, p in proposal.picks.items() if s is not seat and p is not None}
        free = [p for p in proposal.options[seat] if p.username not in others]
        if pick is None:  # an empty seat: everyone who could sit there sits elsewhere
            assert free == []
            continue
        contested = any(eligible(other, pick) for other in SEATS if other is not seat) or any(
            p.username in others for p in proposal.options[seat]
        )
        if not contested:
            assert pick == proposal.options[seat][0]


@pytest.mark.policy("SP-IRT-MEMBERS")
def test_the_titled_holder_comes_before_anyone_more_senior():
    senior = StaffMember("sam", "Sam", frozenset({"engineer"}), "Senior Engineer", 1)
    veteran = StaffMember("val", "Val", frozenset({"technical_operations"}), "Engineer", 9)
    assert preference(Seat.SENIOR_ENGINEER, senior) < preference(Seat.SENIOR_ENGINEER, veteran)
    assert propose([senior, veteran]).picks[Seat.SENIOR_ENGINEER] == senior
    # in the titled holder's absence, the most senior engineer available
    assert (
        propose([veteran, StaffMember("ned", "Ned", frozenset({"engineer"}))]).picks[
            Seat.SENIOR_ENGINEER
        ]
        == veteran
    )


@pytest.mark.policy("SP-IRT-MEMBERS")
def test_a_scarce_person_goes_where_only_they_fit():
    # Dee is both the only developer and an engineer; Eve is an engineer: Dee must develop.
    dee = StaffMember("dee", "Dee", frozenset({"engineer"}), "Software Developer", 9)
    eve = StaffMember("eve", "Eve", frozenset({"engineer"}), None, 1)
    picks = propose([dee, eve]).picks
    assert picks[Seat.DEVELOPMENT_MANAGER] == dee
    assert picks[Seat.SENIOR_ENGINEER] == eve


@pytest.mark.policy("SP-IRT-MEMBERS")
def test_check_team_names_each_problem():
    iso = StaffMember("ivy", "Ivy", frozenset({"iso"}))
    eng = StaffMember("ted", "Ted", frozenset({"engineer"}))
    problems = check_team(
        {
            Seat.ISO: "ivy",
            Seat.SENIOR_ENGINEER: "ivy",
            Seat.DEVELOPMENT_MANAGER: "ted",
            Seat.DIRECTOR: "zed",
        },
        [iso, eng],
    )
    assert problems == [
        (Seat.SENIOR_ENGINEER, "ivy is not an engineer"),
        (Seat.SENIOR_ENGINEER, "ivy already sits as information security officer"),
        (Seat.DEVELOPMENT_MANAGER, "ted is not a developer"),
        (Seat.DIRECTOR, "zed is not an active member of staff"),
        (Seat.ACCOUNT_MANAGER, "nobody appointed"),
    ]
