"""Every write to complaints. Each function is atomic, records what it did on the complaint's timeline, and
queues letters in the same transaction (the outbox), to be sent by a worker after commit.

``core`` holds the staff's actions and the shared machinery; ``customer`` what customers do.
"""

from complaints.services.core import (
    DEFAULT_SLA_MINUTES,
    complaint_assign,
    complaint_note_add,
    complaint_reply,
    complaint_transition,
    reference_next,
    sla_due_times,
)
from complaints.services.customer import (
    REOPEN_WINDOW,
    complaint_can_reopen,
    complaint_customer_reply,
    complaint_rate,
    complaint_reopen_by_customer,
    complaint_submit,
    customer_send_tracking_links,
)

__all__ = [
    "DEFAULT_SLA_MINUTES",
    "REOPEN_WINDOW",
    "complaint_assign",
    "complaint_can_reopen",
    "complaint_customer_reply",
    "complaint_note_add",
    "complaint_rate",
    "complaint_reopen_by_customer",
    "complaint_reply",
    "complaint_submit",
    "complaint_transition",
    "customer_send_tracking_links",
    "reference_next",
    "sla_due_times",
]
