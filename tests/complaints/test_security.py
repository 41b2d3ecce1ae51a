"""What a stranger cannot do: read or change someone else's complaint, fetch files, inject markup, skip CSRF,
or make the customer's browser call a third party."""

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from compensation.services import offer_propose
from complaints.models import Attachment, Complaint, ComplaintEvent, Status
from complaints.services import (
    complaint_assign,
    complaint_note_add,
    complaint_reply,
    complaint_transition,
)
from complaints.tokens import tracking_path, tracking_token
from complaints.transitions import Action
from notifications.models import Letter, LetterKind
from tests.factories import closing_answers, submit_complaint

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
RAW_MARKUP = ("<script>alert", "<img src=x", "onerror=alert(1)>")
SUB_URLS = ("", "reply/", "rate/", "reopen/", "offer/")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def assert_no_raw_markup(html: str, where: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, f"unescaped {raw!r} in {where}"


def resolved_with_offer(agent: Any, **complaint_fields: Any) -> tuple[Complaint, CompensationOffer]:
    complaint = submit_complaint(attachments=[png()], **complaint_fields)
    complaint_transition(complaint=complaint, action=Action.START, actor=agent)
    offer = offer_propose(
        complaint=complaint, actor=agent, kind=OfferKind.VOUCHER, amount=Decimal("500"), reason="Sorry"
    )
    complaint_transition(complaint=complaint, action=Action.RESOLVE, actor=agent, **closing_answers("resolve"))
    complaint.refresh_from_db()
    return complaint, offer


# --- one customer's link never reaches another customer's complaint -------------------------------------------


@pytest.mark.django_db
def test_another_customers_token_can_neither_read_nor_change_a_complaint(client: Client, agent_bob: Any) -> None:
    alice, alice_offer = resolved_with_offer(
        agent_bob, email="alice@example.com", description="Alice's kettle leaks from the bottom."
    )
    mallory, _mallory_offer = resolved_with_offer(
        agent_bob, email="mallory@example.com", description="Mallory's own complaint text."
    )
    alice_events = alice.events.count()
    path = tracking_path(mallory)

    page = client.get(path).content.decode()
    assert mallory.reference in page
    assert alice.reference not in page
    assert "Alice's kettle" not in page

    client.post(f"{path}reply/", {"body": "Written with Mallory's link."})
    client.post(f"{path}rate/", {"rating": "1", "comment": "Bad"})
    refused = client.post(f"{path}offer/", {"offer": str(alice_offer.pk), "decision": "accept"})
    client.post(f"{path}reopen/", {"reason": "Reopened with Mallory's link."})

    assert "This offer is no longer available." in refused.content.decode()
    alice.refresh_from_db()
    alice_offer.refresh_from_db()
    assert alice.events.count() == alice_events
    assert alice.rating is None
    assert alice.status == Status.RESOLVED
    assert alice_offer.status == OfferStatus.OFFERED
    # What was written went to Mallory's complaint, the one the link belongs to.
    mallory.refresh_from_db()
    assert mallory.rating == 1
    assert mallory.status == Status.IN_PROGRESS


def tampered_tokens(complaint: Complaint) -> list[str]:
    token = tracking_token(complaint)
    public_hex, signature = token.split(":", 1)
    other_hex = ("0" if public_hex[0] != "0" else "1") + public_hex[1:]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{public_hex}:{flipped}",  # a changed signature
        f"{other_hex}:{signature}",  # another id under the same signature
        public_hex,  # no signature at all
        f"{public_hex}:",  # an empty signature
        "not-a-token",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("sub_url", SUB_URLS)
def test_a_tampered_token_is_404_for_every_tracking_url(client: Client, agent_bob: Any, sub_url: str) -> None:
    complaint, offer = resolved_with_offer(agent_bob)
    events = complaint.events.count()
    data = {"body": "x", "rating": "5", "reason": "Still broken.", "offer": str(offer.pk), "decision": "accept"}

    for token in tampered_tokens(complaint):
        url = f"/track/{token}/{sub_url}"
        if sub_url == "":
            assert client.get(url).status_code == 404, url
            assert client.post(url, data).status_code in {404, 405}, url
        else:
            assert client.post(url, data).status_code == 404, url

    complaint.refresh_from_db()
    offer.refresh_from_db()
    assert complaint.events.count() == events
    assert (complaint.rating, complaint.status, offer.status) == (None, Status.RESOLVED, OfferStatus.OFFERED)


@pytest.mark.django_db
def test_a_tampered_token_cannot_download_a_file(client: Client, agent_bob: Any) -> None:
    complaint, _offer = resolved_with_offer(agent_bob)
    attachment = Attachment.objects.get(complaint=complaint)
    assert client.get(f"/track/{tracking_token(complaint)}/files/{attachment.public_id}/").status_code == 200

    for token in tampered_tokens(complaint):
        assert client.get(f"/track/{token}/files/{attachment.public_id}/").status_code == 404, token


# --- files -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_file_url_needs_a_signed_in_member_of_staff(client: Client, agent_bob: Any, outsider_dave: Any) -> None:
    complaint = submit_complaint(attachments=[png()])
    url = f"/dashboard/files/{Attachment.objects.get(complaint=complaint).public_id}/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert urlparse(anonymous["Location"]).path == "/accounts/login/"

    client.force_login(outsider_dave)
    assert client.get(url).status_code == 403

    client.force_login(agent_bob)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_customer_file_url_with_another_complaints_token_is_404(client: Client) -> None:
    alice = submit_complaint(email="alice@example.com", attachments=[png("alice.png")])
    mallory = submit_complaint(email="mallory@example.com")
    public_id = Attachment.objects.get(complaint=alice).public_id

    assert client.get(f"/track/{tracking_token(alice)}/files/{public_id}/").status_code == 200
    assert client.get(f"/track/{tracking_token(mallory)}/files/{public_id}/").status_code == 404


@pytest.mark.django_db
def test_a_staff_file_on_an_internal_note_is_not_for_the_customer(client: Client, agent_bob: Any) -> None:
    from complaints.attachments import attachment_save

    complaint = submit_complaint()
    note = complaint_note_add(complaint=complaint, author=agent_bob, body="Internal photo of the batch.")
    internal = attachment_save(complaint=complaint, upload=png("internal.png"), by_customer=False, event=note)

    assert client.get(f"/track/{tracking_token(complaint)}/files/{internal.public_id}/").status_code == 404


# --- markup in what people type is shown as text ----------------------------------------------------------------


@pytest.mark.django_db
def test_markup_in_every_text_field_is_shown_escaped_everywhere(client: Client, agent_bob: Any) -> None:
    response = client.post(
        "/complaints/new/",
        {
            "name": XSS,
            "email": "alice@example.com",
            # The phone validator allows digits, spaces and + ( ) - . only: markup never gets that far.
            "phone": "",
            "order_number": XSS[:64],
            "category": "defect",
            "description": XSS,
            "consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = Complaint.objects.get()
    assert complaint.customer.name == XSS
    assert complaint.description == XSS
    complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
    complaint_reply(complaint=complaint, author=agent_bob, body=f"Staff: {XSS}")
    assert client.post(f"{tracking_path(complaint)}reply/", {"body": f"Customer: {XSS}"}).status_code == 302
    offer_propose(complaint=complaint, actor=agent_bob, kind=OfferKind.REPLACEMENT, reason=f"Offer: {XSS}")

    tracking = client.get(tracking_path(complaint)).content.decode()
    client.force_login(agent_bob)
    queue = client.get("/dashboard/").content.decode()
    staff_page = client.get(f"/dashboard/complaints/{complaint.reference}/").content.decode()

    for where, html in {"tracking page": tracking, "queue": queue, "staff page": staff_page}.items():
        assert_no_raw_markup(html, where)
    assert tracking.count(XSS_ESCAPED) >= 4  # description, customer reply, staff reply, offer reason
    assert XSS_ESCAPED in queue  # the customer's name
    assert staff_page.count(XSS_ESCAPED) >= 5  # and the customer's name

    letters = {letter.kind: letter for letter in Letter.objects.filter(complaint=complaint)}
    assert set(letters) >= {LetterKind.ACKNOWLEDGEMENT, LetterKind.REPLY, LetterKind.OFFER, LetterKind.CUSTOMER_REPLIED}
    for kind, letter in letters.items():
        assert_no_raw_markup(letter.body_html, f"{kind} letter")
        assert XSS in letter.body_text or (kind == LetterKind.CUSTOMER_REPLIED and "Customer: " in letter.body_text)
    assert f"Staff: {XSS}" in letters[LetterKind.REPLY].body_text
    assert f"Offer: {XSS}" in letters[LetterKind.OFFER].body_text
    assert XSS_ESCAPED in letters[LetterKind.ACKNOWLEDGEMENT].body_html  # "Dear <name>"
    assert ComplaintEvent.objects.filter(complaint=complaint, body=f"Customer: {XSS}").exists()


# --- CSRF and third parties ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_refuses_a_post_without_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    data = {
        "name": "Alice",
        "email": "alice@example.com",
        "category": "defect",
        "description": "The kettle stopped working.",
        "consent": "on",
    }

    assert client.post("/complaints/new/", data).status_code == 403
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_tracking_posts_refuse_a_missing_csrf_token(agent_bob: Any) -> None:
    complaint, offer = resolved_with_offer(agent_bob)
    client = Client(enforce_csrf_checks=True)
    data = {"body": "x", "rating": "5", "reason": "Still broken.", "offer": str(offer.pk), "decision": "accept"}

    for sub_url in SUB_URLS[1:]:
        assert client.post(f"{tracking_path(complaint)}{sub_url}", data).status_code == 403, sub_url


URL_IN_ATTRIBUTE = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]+)""", re.I)
URL_IN_CSS = re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.I)


def third_party_urls(html: str) -> list[str]:
    urls = URL_IN_ATTRIBUTE.findall(html) + URL_IN_CSS.findall(html)
    return [u for u in urls if urlparse(u).netloc and urlparse(u).hostname not in {"testserver", "localhost"}]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["tracking", "api-docs"])
def test_pages_load_nothing_from_third_parties(client: Client, agent_bob: Any, page: str) -> None:
    complaint, _offer = resolved_with_offer(agent_bob)
    url = tracking_path(complaint) if page == "tracking" else "/api/docs/"

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert third_party_urls(html) == []
    assert not re.search(r"cdn\.|jsdelivr|unpkg|googleapis|cloudflare", html, re.I)
