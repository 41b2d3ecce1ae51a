"""Merging a duplicate into another complaint of the same customer, and linking related complaints (services)."""

import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from complaints.models import Attachment, Complaint, ComplaintEvent, Priority, RootCause, Status
from complaints.services import (
    complaint_assign,
    complaint_change_priority,
    complaint_customer_reply,
    complaint_link,
    complaint_merge,
    complaint_reply,
    complaint_transition,
    complaint_unlink,
)
from complaints.tokens import tracking_url
from complaints.transitions import Action
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import Letter, LetterKind
from tests.factories import submit_complaint

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _pair(**overrides: Any) -> tuple[Complaint, Complaint]:
    """Two complaints of Alice's about the same kettle: the first one and a later duplicate."""
    first = submit_complaint(description="The kettle stopped working after two days.", **overrides)
    duplicate = submit_complaint(description="My kettle is broken, I wrote before but nobody answered.", **overrides)
    return first, duplicate


def _snapshot(*complaints: Complaint) -> list[tuple[Any, ...]]:
    rows = []
    for complaint in complaints:
        complaint.refresh_from_db()
        rows.append(
            (
                complaint.status,
                complaint.merged_into_id,
                complaint.closed_at,
                complaint.updated_at,
                complaint.events.count(),
                complaint.letters.count(),
                sorted(complaint.related.values_list("pk", flat=True)),
            )
        )
    return rows


# --- merging ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_duplicate_is_closed_pointed_at_the_target_and_the_customer_told(agent_bob: Any) -> None:
    target, duplicate = _pair()
    target_updated = target.updated_at

    merged = complaint_merge(
        duplicate=duplicate, into=f"  {target.reference.lower()} ", actor=agent_bob, note="Same kettle."
    )

    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert merged.pk == duplicate.pk
    assert duplicate.status == Status.CLOSED
    assert duplicate.closed_at is not None
    assert duplicate.merged_into == target
    assert list(target.merged_duplicates.all()) == [duplicate]
    assert target.status == Status.NEW
    assert target.updated_at > target_updated

    change = duplicate.events.get(kind=ComplaintEvent.Kind.STATUS_CHANGED)
    assert (change.from_status, change.to_status, change.author) == (Status.NEW, Status.CLOSED, agent_bob)
    assert change.data["action"] == Action.MERGE
    expected = {"from": duplicate.reference, "into": target.reference, "by": "bob"}
    on_duplicate = duplicate.events.get(kind=ComplaintEvent.Kind.MERGED)
    assert (on_duplicate.is_public, on_duplicate.author, on_duplicate.data, on_duplicate.body) == (
        True,
        agent_bob,
        expected,
        "",
    )
    on_target = target.events.get(kind=ComplaintEvent.Kind.MERGED)
    assert (on_target.is_public, on_target.author, on_target.data, on_target.body) == (
        False,
        agent_bob,
        expected,
        "Same kettle.",
    )
    assert on_target.created_at == on_duplicate.created_at == change.created_at


@pytest.mark.django_db
def test_the_merged_letter_names_the_target_and_gives_its_tracking_link(agent_bob: Any) -> None:
    target, duplicate = _pair()

    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob, note="Internal: same batch 42.")

    letter = Letter.objects.get(kind=LetterKind.MERGED)
    assert letter.complaint == duplicate
    assert letter.recipient == "alice@example.com"
    assert letter.status == "queued"
    assert duplicate.reference in letter.subject
    assert target.reference in letter.subject
    for body in (letter.body_text, letter.body_html):
        assert duplicate.reference in body
        assert target.reference in body
        assert tracking_url(target) in body
        assert "Nothing you wrote to us is lost" in body
        assert "batch 42" not in body  # the note is for staff only
    assert tracking_url(duplicate) not in letter.body_text
    assert not target.letters.filter(kind=LetterKind.MERGED).exists()


@pytest.mark.django_db
def test_nothing_is_copied_or_lost_and_the_duplicate_keeps_its_assignee_and_priority(
    agent_bob: Any, manager_carol: Any
) -> None:
    target, duplicate = _pair()
    photo = SimpleUploadedFile("kettle.png", PNG, content_type="image/png")
    complaint_customer_reply(complaint=duplicate, body="Here is a photo.", attachments=[photo])
    complaint_reply(complaint=duplicate, author=agent_bob, body="We are sorry, looking into it.")
    complaint_assign(complaint=duplicate, assignee=manager_carol, actor=agent_bob)
    complaint_change_priority(complaint=duplicate, actor=agent_bob, priority=Priority.HIGH, reason="Second time.")
    events_before = set(duplicate.events.values_list("pk", flat=True))
    letters_before = set(duplicate.letters.values_list("pk", flat=True))
    target_events_before = set(target.events.values_list("pk", flat=True))

    complaint_merge(duplicate=duplicate.pk, into=target.pk, actor=agent_bob)

    duplicate.refresh_from_db()
    assert events_before < set(duplicate.events.values_list("pk", flat=True))
    assert letters_before < set(duplicate.letters.values_list("pk", flat=True))
    assert Attachment.objects.get().complaint == duplicate
    assert (duplicate.assignee, duplicate.priority) == (manager_carol, Priority.HIGH)
    # The target got only its own staff-only record of the merge.
    new_on_target = target.events.exclude(pk__in=target_events_before)
    assert [event.kind for event in new_on_target] == [ComplaintEvent.Kind.MERGED]


@pytest.mark.django_db
def test_merging_another_customers_complaint_is_refused_with_advice_to_link(agent_bob: Any) -> None:
    target = submit_complaint(email="bob.customer@example.com")
    duplicate = submit_complaint()
    before = _snapshot(target, duplicate)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_merge(duplicate=duplicate, into=target.reference, actor=agent_bob)

    assert not isinstance(excinfo.value, TransitionNotAllowed)
    assert excinfo.value.extra == {"field": "into"}
    assert "link them as related instead" in str(excinfo.value.message)
    assert _snapshot(target, duplicate) == before
    assert not Letter.objects.filter(kind=LetterKind.MERGED).exists()


@pytest.mark.django_db
def test_a_closed_duplicate_cannot_be_merged(agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_transition(
        complaint=duplicate,
        action=Action.REJECT,
        actor=agent_bob,
        comment="Outside the warranty.",
        root_cause=RootCause.NO_FAULT,
    )
    before = _snapshot(target, duplicate)

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    assert "only an open complaint can be merged" in str(excinfo.value.message)
    assert _snapshot(target, duplicate) == before


@pytest.mark.django_db
def test_a_merged_complaint_cannot_be_merged_again(agent_bob: Any) -> None:
    target, duplicate = _pair()
    other = submit_complaint(description="A third message about the kettle.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)
    before = _snapshot(target, duplicate, other)

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_merge(duplicate=duplicate, into=other, actor=agent_bob)

    assert str(excinfo.value.message) == f"{duplicate.reference} was already merged into another complaint."
    assert _snapshot(target, duplicate, other) == before


@pytest.mark.django_db
def test_nothing_can_be_merged_into_a_merged_complaint(agent_bob: Any) -> None:
    target, duplicate = _pair()
    third = submit_complaint(description="A third message about the kettle.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)
    before = _snapshot(target, duplicate, third)

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_merge(duplicate=third, into=duplicate.reference, actor=agent_bob)

    assert excinfo.value.extra["field"] == "into"
    assert str(excinfo.value.message) == (
        f"{duplicate.reference} was itself merged into {target.reference}: merge into {target.reference} instead."
    )
    assert _snapshot(target, duplicate, third) == before


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["object", "reference"])
def test_a_complaint_cannot_be_merged_into_itself(agent_bob: Any, how: str) -> None:
    complaint = submit_complaint()
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_merge(
            duplicate=complaint, into=complaint if how == "object" else complaint.reference, actor=agent_bob
        )

    assert excinfo.value.extra == {"field": "into"}
    assert str(excinfo.value.message) == "A complaint cannot be merged into itself."
    assert _snapshot(complaint) == before


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["RC-1999-000001", "   "])
def test_an_unknown_or_empty_target_reference_is_refused(agent_bob: Any, reference: str) -> None:
    complaint = submit_complaint()
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_merge(duplicate=complaint, into=reference, actor=agent_bob)

    assert excinfo.value.extra == {"field": "into"}
    assert _snapshot(complaint) == before


@pytest.mark.django_db
def test_an_outsider_cannot_merge_or_link(outsider_dave: Any) -> None:
    target, duplicate = _pair()
    before = _snapshot(target, duplicate)

    with pytest.raises(PermissionRefused):
        complaint_merge(duplicate=duplicate, into=target, actor=outsider_dave)
    with pytest.raises(PermissionRefused):
        complaint_link(complaint=duplicate, other=target.reference, actor=outsider_dave)
    with pytest.raises(PermissionRefused):
        complaint_unlink(complaint=duplicate, other=target.reference, actor=outsider_dave)

    assert _snapshot(target, duplicate) == before


@pytest.mark.django_db
def test_a_manager_can_merge(manager_carol: Any) -> None:
    target, duplicate = _pair()

    complaint_merge(duplicate=duplicate, into=target, actor=manager_carol)

    duplicate.refresh_from_db()
    assert duplicate.merged_into == target


@pytest.mark.django_db(transaction=True)
def test_two_complaints_merged_into_each_other_at_once_merge_one_way_only(agent_bob: Any) -> None:
    first, second = _pair()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def merge(duplicate: Complaint, into: Complaint) -> None:
        try:
            start.wait(timeout=10)
            complaint_merge(duplicate=duplicate.pk, into=into.pk, actor=agent_bob)
            outcomes.append("merged")
        except ApplicationError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Both rows are locked in id order: no deadlock, and the second merge finds its target already merged.
    assert sorted(outcomes) == ["TransitionNotAllowed", "merged"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.merged_into_id, second.merged_into_id) in [(second.pk, None), (None, first.pk)]
    assert Letter.objects.filter(kind=LetterKind.MERGED).count() == 1


# --- linking ----------------------------------------------------------------------------------------------


def _link_events(complaint: Complaint) -> list[tuple[str, bool, Any, dict[str, Any]]]:
    kinds = [ComplaintEvent.Kind.LINKED, ComplaintEvent.Kind.UNLINKED]
    return [
        (event.kind, event.is_public, event.author, event.data)
        for event in complaint.events.filter(kind__in=kinds).order_by("pk")
    ]


@pytest.mark.django_db
def test_linking_is_both_ways_across_customers_and_recorded_once(agent_bob: Any) -> None:
    mine = submit_complaint()
    theirs = submit_complaint(email="other.customer@example.com", description="Same outage in my street.")

    assert complaint_link(complaint=mine, other=theirs.reference.lower(), actor=agent_bob) is True
    assert complaint_link(complaint=mine, other=theirs.reference, actor=agent_bob) is False
    assert complaint_link(complaint=theirs, other=mine.reference, actor=agent_bob) is False

    assert list(mine.related.all()) == [theirs]
    assert list(theirs.related.all()) == [mine]
    assert _link_events(mine) == [("linked", False, agent_bob, {"other": theirs.reference, "by": "bob"})]
    assert _link_events(theirs) == [("linked", False, agent_bob, {"other": mine.reference, "by": "bob"})]
    mine.refresh_from_db()
    assert mine.status == Status.NEW  # a link changes nothing else
    assert mine.letters.count() == 1  # the acknowledgement only: a link is internal


@pytest.mark.django_db
def test_unlinking_removes_both_directions_and_is_recorded_once(agent_bob: Any, manager_carol: Any) -> None:
    mine = submit_complaint()
    theirs = submit_complaint(email="other.customer@example.com")
    complaint_link(complaint=mine, other=theirs.reference, actor=agent_bob)

    assert complaint_unlink(complaint=theirs, other=mine.reference, actor=manager_carol) is True
    assert complaint_unlink(complaint=mine, other=theirs.reference, actor=manager_carol) is False

    assert list(mine.related.all()) == []
    assert list(theirs.related.all()) == []
    assert _link_events(mine) == [
        ("linked", False, agent_bob, {"other": theirs.reference, "by": "bob"}),
        ("unlinked", False, manager_carol, {"other": theirs.reference, "by": "carol"}),
    ]
    assert [kind for kind, *_rest in _link_events(theirs)] == ["linked", "unlinked"]


@pytest.mark.django_db
def test_a_complaint_cannot_be_linked_to_itself_or_to_an_unknown_one(agent_bob: Any) -> None:
    complaint = submit_complaint()
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as itself:
        complaint_link(complaint=complaint, other=complaint.reference, actor=agent_bob)
    with pytest.raises(ApplicationError) as unknown:
        complaint_link(complaint=complaint, other="RC-1999-000001", actor=agent_bob)

    assert itself.value.extra == unknown.value.extra == {"field": "other"}
    assert str(unknown.value.message) == "There is no complaint with the reference number “RC-1999-000001”."
    assert _snapshot(complaint) == before


@pytest.mark.django_db
def test_a_merged_duplicate_and_a_closed_complaint_can_still_be_linked(agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)
    other = submit_complaint(email="other.customer@example.com")

    assert complaint_link(complaint=duplicate, other=other.reference, actor=agent_bob) is True

    assert list(other.related.all()) == [duplicate]


@pytest.mark.django_db
def test_a_merged_duplicate_cannot_be_reopened_its_target_can(agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    with pytest.raises(TransitionNotAllowed, match="merged into another one"):
        complaint_transition(complaint=duplicate, action=Action.REOPEN, actor=agent_bob)

    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.merged_into == target
