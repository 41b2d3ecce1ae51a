"""The offers REST API (/api/v1/complaints/<reference>/offers/). Serializers check shape; services decide.

Staff list and propose offers, withdraw them and record fulfilment; approving or rejecting one above its
proposer's limit needs the ``approve_offer`` permission (managers). The customer answers on the tracking page.
"""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from compensation import services
from compensation.models import CompensationOffer, OfferKind
from compensation.money import round_money
from compensation.selectors import can_approve_offers, offer_exists_on_complaint, offer_list_for_complaint
from complaints import selectors as complaint_selectors
from complaints.api import IsComplaintStaff
from complaints.models import Complaint
from complaints.permissions import staff_user
from config.api import DecimalStringField


class CanApproveOffers(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user.is_authenticated and can_approve_offers(staff_user(user)))


class OfferSerializer(serializers.ModelSerializer[CompensationOffer]):
    proposed_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True, allow_null=True)
    # Money as a decimal string in the currency's own minor unit ("600.00", "17", "0.056").
    amount = serializers.SerializerMethodField()
    suggested_amount = serializers.SerializerMethodField()
    # Empty when the policy suggested nothing (a read-only model field would not say it may be blank).
    suggested_kind = serializers.ChoiceField(choices=OfferKind.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CompensationOffer
        fields = (
            "id",
            "kind",
            "amount",
            "currency",
            "duration_days",
            "status",
            "reason",
            "suggested_kind",
            "suggested_amount",
            "suggested_duration_days",
            "suggestion_basis",
            "proposed_by",
            "approved_by",
            "approved_at",
            "rejection_reason",
            "offered_at",
            "expires_at",
            "decided_at",
            "decline_reason",
            "fulfilled_at",
            "voucher_code",
            "voucher_expires_on",
            "billing_reference",
            "created_at",
        )
        read_only_fields = fields

    def get_amount(self, obj: CompensationOffer) -> str | None:
        return str(round_money(obj.amount, obj.currency)) if obj.amount is not None else None

    def get_suggested_amount(self, obj: CompensationOffer) -> str | None:
        return str(round_money(obj.suggested_amount, obj.currency)) if obj.suggested_amount is not None else None


class OfferProposeSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=OfferKind.choices)
    amount = DecimalStringField(
        max_digits=13, decimal_places=3, min_value=0, required=False, allow_null=True, default=None
    )
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True, default="")
    duration_days = serializers.IntegerField(min_value=1, max_value=3660, required=False, allow_null=True, default=None)
    reason = serializers.CharField(
        max_length=5_000, help_text=gettext_lazy("What the offer is for (the customer reads this).")
    )


class OfferStepSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")
    billing_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def _offer_id(request: Request, reference: str, offer_id: int) -> int:
    complaint_id = complaint_selectors.complaint_id_for_staff(user=request.user, reference=reference)
    if not offer_exists_on_complaint(offer_id=offer_id, complaint_id=complaint_id):
        raise Http404
    return offer_id


class OfferListCreateApi(APIView):
    """GET: the complaint's offers, each with what the policy suggested and how. POST: propose one."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(responses={200: OfferSerializer(many=True)}, operation_id="offer_list")
    def get(self, request: Request, reference: str) -> Response:
        complaint_id = complaint_selectors.complaint_id_for_staff(user=request.user, reference=reference)
        offers = offer_list_for_complaint(complaint=Complaint(pk=complaint_id))
        return Response(OfferSerializer(offers, many=True).data)

    @extend_schema(
        request=OfferProposeSerializer,
        responses={
            201: OfferSerializer,
            400: OpenApiResponse(description="Refused: a missing amount, days or reason."),
        },
        operation_id="offer_propose",
        description=gettext_lazy(
            "Within the proposer's approval limit the offer goes to the customer at once (status offered); "
            "above it, it waits for a manager (status pending_approval)."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        complaint_id = complaint_selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = OfferProposeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_propose(
            complaint=complaint_id, actor=staff_user(request.user), **serializer.validated_data
        )
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class _OfferStepApi(APIView):
    permission_classes = [IsComplaintStaff]
    step = ""

    def post(self, request: Request, reference: str, offer_id: int) -> Response:
        offer_id = _offer_id(request, reference, offer_id)
        serializer = OfferStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = staff_user(request.user)
        if self.step == "approve":
            offer = services.offer_approve(offer_id=offer_id, actor=actor)
        elif self.step == "reject":
            offer = services.offer_reject(offer_id=offer_id, actor=actor, reason=data["reason"])
        elif self.step == "withdraw":
            offer = services.offer_withdraw(offer_id=offer_id, actor=actor, reason=data["reason"])
        else:
            offer = services.offer_fulfil(offer_id=offer_id, actor=actor, billing_reference=data["billing_reference"])
        return Response(OfferSerializer(offer).data)


_STEP_RESPONSES = {
    200: OfferSerializer,
    403: OpenApiResponse(description="Refused: you may not do this (approving needs the approve_offer permission)."),
    409: OpenApiResponse(description="Refused: the offer's status does not allow this step."),
}


class OfferApproveApi(_OfferStepApi):
    permission_classes = [IsComplaintStaff, CanApproveOffers]
    step = "approve"

    @extend_schema(request=None, responses=_STEP_RESPONSES, operation_id="offer_approve")
    def post(self, request: Request, reference: str, offer_id: int) -> Response:
        return super().post(request, reference, offer_id)


class OfferRejectApi(_OfferStepApi):
    permission_classes = [IsComplaintStaff, CanApproveOffers]
    step = "reject"

    @extend_schema(request=OfferStepSerializer, responses=_STEP_RESPONSES, operation_id="offer_reject")
    def post(self, request: Request, reference: str, offer_id: int) -> Response:
        return super().post(request, reference, offer_id)


class OfferWithdrawApi(_OfferStepApi):
    step = "withdraw"

    @extend_schema(request=OfferStepSerializer, responses=_STEP_RESPONSES, operation_id="offer_withdraw")
    def post(self, request: Request, reference: str, offer_id: int) -> Response:
        return super().post(request, reference, offer_id)


class OfferFulfilApi(_OfferStepApi):
    step = "fulfil"

    @extend_schema(request=OfferStepSerializer, responses=_STEP_RESPONSES, operation_id="offer_fulfil")
    def post(self, request: Request, reference: str, offer_id: int) -> Response:
        return super().post(request, reference, offer_id)


# --- the customer's answer, by the tracking link's token ------------------------------------------------------


class CustomerOfferSerializer(serializers.ModelSerializer[CompensationOffer]):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = CompensationOffer
        fields = (
            "id",
            "kind",
            "amount",
            "currency",
            "duration_days",
            "status",
            "expires_at",
            "voucher_code",
            "voucher_expires_on",
        )
        read_only_fields = fields

    def get_amount(self, obj: CompensationOffer) -> str | None:
        return str(round_money(obj.amount, obj.currency)) if obj.amount is not None else None


class OfferDecisionSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    reason = serializers.CharField(
        max_length=2_000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required to decline: why, so we can offer something better."),
    )


class OfferDecisionThrottle(AnonRateThrottle):
    scope = "complaint_submit"


class CustomerOfferDecisionApi(APIView):
    """The customer accepts or declines an offer, authenticated by their tracking link's token (the same answer
    as on the tracking page). An accepted voucher comes back with its code."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [OfferDecisionThrottle]

    @extend_schema(
        request=OfferDecisionSerializer,
        responses={
            200: CustomerOfferSerializer,
            400: OpenApiResponse(description="Refused: declined without a reason."),
            404: OpenApiResponse(description="Unknown link or offer."),
            409: OpenApiResponse(description="Refused: already answered, or expired."),
        },
        auth=[],
        operation_id="offer_decide",
    )
    def post(self, request: Request, token: str, offer_id: int) -> Response:
        complaint = complaint_selectors.complaint_get_by_token(token=token)
        serializer = OfferDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_decide(
            complaint=complaint,
            offer_id=offer_id,
            accept=serializer.validated_data["decision"] == "accept",
            reason=serializer.validated_data["reason"],
        )
        return Response(CustomerOfferSerializer(offer).data)
