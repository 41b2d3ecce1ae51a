"""The complaints REST API under /api/v1/complaints/ and /api/v1/letters/.

``core``: submitting, the list with its filters, one complaint, status changes, merging and links; ``timeline``:
messages, notes, assignment and priority or category; ``files``: attachments; ``letters``: the outbox, read-only.
"""

from complaints.api.core import ComplaintListSerializer, IsComplaintStaff

__all__ = ["ComplaintListSerializer", "IsComplaintStaff"]
