"""Email replies about a complaint that was merged into another land on the one it was merged into."""

from typing import Any

import pytest

from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_merge
from notifications.inbound import inbound_mail_process
from notifications.models import InboundMailStatus, LetterKind
from tests.factories import submit_complaint
from tests.notifications.test_inbound import _mail


def _customer_messages(complaint: Complaint) -> list[str]:
    return list(
        complaint.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE).order_by("pk").values_list("body", flat=True)
    )


@pytest.fixture
def merged(agent_bob: Any) -> tuple[Complaint, Complaint]:
    target = submit_complaint(description="The kettle stopped working after two days.")
    duplicate = submit_complaint(description="The kettle is still broken.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)
    return target, duplicate


@pytest.mark.django_db
@pytest.mark.parametrize("letter_kind", [LetterKind.ACKNOWLEDGEMENT, LetterKind.MERGED])
def test_a_reply_to_a_letter_of_the_duplicate_lands_on_the_target(
    merged: tuple[Complaint, Complaint], letter_kind: str
) -> None:
    target, duplicate = merged
    letter = duplicate.letters.get(kind=letter_kind)

    mail = inbound_mail_process(raw=_mail(text="Any news?", in_reply_to=letter.message_id).as_bytes())

    assert mail.status == InboundMailStatus.MATCHED
    assert mail.complaint == target
    assert _customer_messages(target) == ["Any news?"]
    assert _customer_messages(duplicate) == []


@pytest.mark.django_db
def test_the_duplicates_reference_in_the_subject_from_the_customer_lands_on_the_target(
    merged: tuple[Complaint, Complaint],
) -> None:
    target, duplicate = merged

    mail = inbound_mail_process(raw=_mail(subject=f"About {duplicate.reference}", text="Still broken.").as_bytes())

    assert (mail.status, mail.complaint) == (InboundMailStatus.MATCHED, target)
    assert _customer_messages(target) == ["Still broken."]
    assert _customer_messages(duplicate) == []


@pytest.mark.django_db
def test_the_duplicates_reference_from_a_stranger_is_still_not_trusted(merged: tuple[Complaint, Complaint]) -> None:
    target, duplicate = merged

    mail = inbound_mail_process(raw=_mail(sender="mallory@evil.example", subject=duplicate.reference).as_bytes())

    assert (mail.status, mail.complaint) == (InboundMailStatus.UNMATCHED, None)
    assert _customer_messages(target) == _customer_messages(duplicate) == []
