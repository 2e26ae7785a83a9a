"""One error shape for every API failure: {"error", "detail", "fields"}."""

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the If-Match header with the ETag from your last GET of this resource."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The resource changed since you read it (its ETag no longer matches). "
        "GET it again, reapply your change and retry."
    )
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    """A request Django refused to read (too large, too many fields): a 400 with its own code."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be read."
    default_code = "bad_request"


def bad_request_for(exc: SuspiciousOperation) -> BadRequest:
    """Why Django refused the request, in words a client can act on."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return BadRequest(
            f"The request body is larger than {limit} bytes, the most this API accepts.",
            code="request_too_large",
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return BadRequest(
            f"The request has more than {limit} fields (or files), the most this API accepts.",
            code="too_many_fields",
        )
    return BadRequest()


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for entry in detail for item in _flatten(entry)]
    if isinstance(detail, dict):
        return [str(item) for value in detail.values() for item in _flatten(value)]
    return [str(detail)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = bad_request_for(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and not isinstance(renderer, JSONRenderer | BrowsableAPIRenderer):
        # Errors are JSON even where the success is YAML or HTML (schema, docs), and when
        # the client's Accept header matched nothing (406).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        if isinstance(exc.detail, dict):
            fields = {str(name): _flatten(messages) for name, messages in exc.detail.items()}
            message = "Some values are invalid; see fields."
        else:
            message = " ".join(_flatten(exc.detail))
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = " ".join(_flatten(exc.detail))
    response.data = {"error": code, "detail": message, "fields": fields}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data["retry_after"] = int(exc.wait)
    return response


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    """The API's error shape, for answers Django gives before or after DRF has run."""
    return JsonResponse(
        {"error": code, "detail": detail, "fields": {}},
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, SuspiciousOperation):
        refused = bad_request_for(exception)
        return error_response(400, str(refused.get_codes()), str(refused.detail))
    return error_response(400, "bad_request", BadRequest.default_detail)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "permission_denied", str(exceptions.PermissionDenied.default_detail))


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", str(exceptions.NotFound.default_detail))


def server_error(request: HttpRequest) -> JsonResponse:
    # Never the exception itself: it is logged, and may hold data the client must not see.
    return error_response(
        500,
        "server_error",
        "Something went wrong on our side; it has been logged. Try again later.",
    )
