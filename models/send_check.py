"""A coordinator's test message to one contact (the desk's 测试发送): one message per Apprise URL, planned like
every message and sent through the outbox, so that it is in the delivery log.

Pure. Each press is its own message: the key's period is the moment it was asked for (to the
microsecond), so pressing again sends again rather than finding the first one recorded. It is due at
once, also outside working hours: the coordinator presses the button to watch the channel work now.
"""

from __future__ import annotations

from models.clock import Clock
from models.enums import MessageKind
from models.notifications import PlannedMessage, Recipient, message_key


def plan_test_message(recipient: Recipient, clock: Clock, *, asked_by: str) -> list[PlannedMessage]:
    """One test message to each of the recipient's URLs, due now."""
    moment = clock.now.isoformat(timespec="microseconds")
    return [
        PlannedMessage(
            key=message_key("contact-test", MessageKind.TEST, recipient, index, moment),
            kind=MessageKind.TEST,
            template="test_message",
            context={
                "recipient": recipient.person,
                "role": recipient.role,
                "asked_by": asked_by,
                "asked_at": clock.now,
                "timezone": clock.timezone,
            },
            recipient=recipient,
            url_index=index,
            due_at=clock.now,
            unit_id=recipient.unit_id,
        )
        for index, _url in enumerate(recipient.urls)
    ]
