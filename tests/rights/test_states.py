"""The request state machine: only listed transitions happen, and nothing is fulfilled
before the identity is confirmed (PP-R-ACCESS, DP-PROMPT)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from klaremont.rights.states import (
    ALLOWED,
    OPEN,
    TERMINAL,
    RequestState,
    TransitionRefused,
    can_transition,
    check_transition,
)

S = RequestState


class RequestMachine(RuleBasedStateMachine):
    """Random walks through the table, trying every target at every step."""

    def __init__(self) -> None:
        super().__init__()
        self.state = S.RECEIVED
        self.history = [S.RECEIVED]

    @rule(goal=st.sampled_from(list(RequestState)))
    def attempt(self, goal: RequestState) -> None:
        """A listed change happens; any other change is refused and changes nothing."""
        if goal in ALLOWED[self.state]:
            check_transition(self.state, goal)
            self.state = goal
            self.history.append(goal)
        else:
            with pytest.raises(TransitionRefused):
                check_transition(self.state, goal)

    @invariant()
    def fulfilled_only_after_verification(self) -> None:
        """Fulfilled or extended never comes before the identity is verified."""
        if S.FULFILLED in self.history or S.EXTENDED in self.history:
            assert S.VERIFIED in self.history
            assert self.history.index(S.VERIFIED) < self.history.index(
                S.FULFILLED if S.FULFILLED in self.history else S.EXTENDED
            )

    @invariant()
    def closed_is_final(self) -> None:
        """Once closed, the walk stays where it closed."""
        if self.history[-1] in TERMINAL:
            assert self.state == self.history[-1]


TestRequestMachine = RequestMachine.TestCase
TestRequestMachine.settings = settings(max_examples=200, stateful_step_count=30)
TestRequestMachine = pytest.mark.policy("DP-PROMPT")(TestRequestMachine)


@pytest.mark.policy("DP-PROMPT")
def test_terminal_states_have_no_exit_and_every_state_is_reachable():
    """Fulfilled and refused are final; every state can be reached from received."""
    assert frozenset({S.FULFILLED, S.REFUSED}) == TERMINAL
    assert frozenset(RequestState) - TERMINAL == OPEN
    seen, frontier = {S.RECEIVED}, [S.RECEIVED]
    while frontier:
        for nxt in ALLOWED[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(RequestState)


@pytest.mark.policy("DP-PROMPT")
@given(st.sampled_from(list(RequestState)), st.sampled_from(list(RequestState)))
def test_refusal_names_both_states(current, target):
    """A refused change says where the request is and what it may become."""
    if can_transition(current, target):
        return
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, target)
    assert current.value in refused.value.detail
    assert target.value in refused.value.detail
