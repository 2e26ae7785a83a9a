"""A signed-in member's API token: create or replace it without the admin, which only
staff can open. The key is shown once, in the answer to the request that made it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from rest_framework.authtoken.models import Token

TEMPLATE = "registration/api_token.html"


@method_decorator(never_cache, name="dispatch")
class ApiTokenView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        token = Token.objects.filter(user=request.user).only("created").first()
        return render(request, TEMPLATE, {"token": token})

    def post(self, request: HttpRequest) -> HttpResponse:
        """Replace any earlier token: from now on only the new key authenticates."""
        with transaction.atomic():
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
        return render(request, TEMPLATE, {"token": token, "new_key": token.key})
