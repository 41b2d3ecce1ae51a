"""Every write to complaints. Each function is atomic, records what it did on the complaint's timeline, and
queues letters in the same transaction (the outbox), to be sent by a worker after commit.

``core`` holds the staff's actions and the shared machinery; ``customer`` what customers do; ``bulk`` one staff
action over many complaints, through the single-complaint services; ``files`` the files staff attach; ``merge``
merging a duplicate into another complaint and linking related ones; ``teams`` which team and agent a complaint
goes to, and the duty rota; ``sla_watch`` the watchers Celery beat runs (promise warnings and escalations, the
unanswered guard, the daily health check and digest).
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
    REOPEN_WINDOW,
    RESOLVE_OUTCOMES,
    closing_values,
    complaint_assign,
    complaint_change_field,
    complaint_change_priority,
    complaint_note_add,
    complaint_reply,
    complaint_set_incident,
    complaint_transition,
    reference_next,
    sla_policy_for,
    sla_schedule,
)
from complaints.services.customer import (
    complaint_can_reopen,
    complaint_customer_reply,
    complaint_is_appeal,
    complaint_rate,
    complaint_reopen_by_customer,
    complaint_reopen_deadline,
    complaint_submit,
    customer_send_tracking_links,
)
from complaints.services.files import complaint_files_add
from complaints.services.merge import (
    complaint_link,
    complaint_merge,
    complaint_unlink,
)
from complaints.services.sla_watch import (
    sla_alert_handle,
    sla_digest_send,
    sla_guard_unacknowledged,
    sla_health_check,
    sla_sweep,
)
from complaints.services.teams import (
    Distribution,
    agent_duty_set,
    complaint_auto_assign,
    complaint_change_team,
    complaint_route,
    team_distribute_unassigned,
)

__all__ = [
    "BULK_MAX_COMPLAINTS",
    "DEFAULT_SLA_MINUTES",
    "REOPEN_WINDOW",
    "RESOLVE_OUTCOMES",
    "BulkOperation",
    "BulkOutcome",
    "BulkResult",
    "Distribution",
    "agent_duty_set",
    "closing_values",
    "complaint_assign",
    "complaint_auto_assign",
    "complaint_bulk_apply",
    "complaint_can_reopen",
    "complaint_change_field",
    "complaint_change_priority",
    "complaint_change_team",
    "complaint_customer_reply",
    "complaint_files_add",
    "complaint_is_appeal",
    "complaint_link",
    "complaint_merge",
    "complaint_note_add",
    "complaint_rate",
    "complaint_reopen_by_customer",
    "complaint_reopen_deadline",
    "complaint_reply",
    "complaint_route",
    "complaint_set_incident",
    "complaint_submit",
    "complaint_transition",
    "complaint_unlink",
    "customer_send_tracking_links",
    "reference_next",
    "sla_alert_handle",
    "sla_digest_send",
    "sla_guard_unacknowledged",
    "sla_health_check",
    "sla_policy_for",
    "sla_schedule",
    "sla_sweep",
    "team_distribute_unassigned",
]
