"""Base views of the API (apart from ``config.api``, which DRF's settings import before any view exists)."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.api import OrderingBackend, StandardPagination


# A list endpoint: django-filter's filterset, ``OrderingBackend`` and cursor pagination over the view's ``selected``
# queryset (a selector's, with its joins, so a page costs the same few queries at any size). A comment, not a
# docstring: the schema would show it as every subclass's description.
class ListApi(GenericAPIView[Any]):
    filter_backends = [DjangoFilterBackend, OrderingBackend]
    pagination_class = StandardPagination
    ordering: tuple[str, ...] = ("-id",)
    ordering_fields: tuple[str, ...] = ("id",)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator only needs the model
            return super().get_queryset()
        return self.selected()

    def selected(self) -> QuerySet[Any]:
        """The selector's queryset for this request (its permission check included): each list defines it."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define selected() to return its selector's rows.")

    def list_response(self, serializer_class: type[serializers.BaseSerializer[Any]]) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(serializer_class(page, many=True).data)
