"""EventBridge: a scheduled rule does not match events put on its bus.

AWS (Amazon EventBridge User Guide, "Rules in Amazon EventBridge",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html):

    "You can create two types of rules: rules that match event data [...] and rules that run
    on a schedule [...]. Rules that match event data: a rule that reacts to events that match
    the rule's event pattern. Rules that run on a schedule: a rule that sends events to
    targets at regular intervals."

and the PutRule API (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html):
"A rule must contain at least an EventPattern or ScheduleExpression." A rule with only a
``ScheduleExpression`` has no event pattern, so no event put with ``PutEvents`` reaches its
targets.

moto 5.2.5 treats a rule without a pattern as matching every event: a ``PutEvents`` on a bus
that holds a scheduled rule sends the event to that rule's targets, and when a target is a
Lambda function (worktime's triggers) raises ``NotImplementedError``, so ``PutEvents``
answers 500 for everyone on the bus.

Modelled: ``Rule.send_to_targets`` does nothing for a rule with a schedule expression and no
event pattern. Not modelled: the schedule firing (the tests deliver each trigger's payload
themselves), rules with both a pattern and a schedule (worktime never makes one).
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if getattr(self, "scheduled_expression", None) and not self.event_pattern._pattern:
            return
        original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
