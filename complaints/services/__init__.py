"""Every write to complaints. Each function is atomic, records what it did on the complaint's timeline, and
queues letters in the same transaction (the outbox), to be sent by a worker after commit.

``core`` holds the staff's actions and the shared machinery; ``customer`` what customers do; ``bulk`` one staff
action over many complaints, through the single-complaint services.
"""

from complaints.services.bulk import (
    BULK_MAX_COMPLAINTS,
    BulkOperation,
    BulkOutcome,
    BulkResult,
    complaint_bulk_apply,
)
from complaints.services.core import (
    DEFAULT_SLA_MINUTES,
    complaint_assign,
    complaint_change_field,
    complaint_change_priority,
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
    "BULK_MAX_COMPLAINTS",
    "DEFAULT_SLA_MINUTES",
    "REOPEN_WINDOW",
    "BulkOperation",
    "BulkOutcome",
    "BulkResult",
    "complaint_assign",
    "complaint_bulk_apply",
    "complaint_can_reopen",
    "complaint_change_field",
    "complaint_change_priority",
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
