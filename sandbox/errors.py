"""Tripletex's ApiError: the exception handlers raise and the JSON body it becomes."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from sandbox.ratelimit import RateState

#: where every ApiError's `link` points
LINK = "https://tripletex.no/v2-docs/"
VALIDATION_FAILED = "Validering feilet."
NO_PERMISSION = "You do not have permission to access this feature."
COMPANY_OWNED = (
    "Company owned users(employeeToken) can only access /token/session/>whoAmI & "
    "/company/>withLoginAccess in their own company."
)
INTEGRATIONS_OFF = "The Integrations add-on is not active for this company."
UNKNOWN_EMPLOYEE = "The employee token is invalid or does not exist."
UNSHARED_EMPLOYEE = "The employee token is not valid for this application."
UNKNOWN_CONSUMER = "The consumer token is invalid or does not exist."
TOO_LARGE = "Result set too large. Limit of 10.000 reached."
BASIC_FORMAT = (
    "Authenticate with HTTP Basic: base64(<companyId>:<sessionToken>), where companyId is 0 for "
    "the token's own company or a client id from /company/>withLoginAccess."
)


@dataclass(frozen=True, slots=True)
class Invalid:
    """One validation message."""

    field: str
    message: str


class ApiError(Exception):
    """An error response in Tripletex's ApiError shape."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        developer: str | None = None,
        invalid: tuple[Invalid, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.developer = developer
        self.invalid = invalid
        #: the rate-limit state when the request was counted (its headers go on the response)
        self.rate: RateState | None = None

    def body(self, request_id: str) -> bytes:
        """The JSON body, with the request id."""
        messages = [
            {"field": i.field, "message": i.message, "path": i.field, "rootId": None}
            for i in self.invalid
        ]
        return orjson.dumps(
            {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "link": LINK,
                "developerMessage": self.developer,
                "validationMessages": messages or None,
                "requestId": request_id,
            }
        )


def unauthorized(developer: str) -> ApiError:
    """401 / 3000."""
    return ApiError(401, 3000, "Unauthorized", developer=developer)


def forbidden(message: str = NO_PERMISSION) -> ApiError:
    """403 / 9000."""
    return ApiError(403, 9000, message)


def not_found(developer: str | None = None) -> ApiError:
    """404 / 6000."""
    return ApiError(404, 6000, "Object not found", developer=developer)


def method_not_allowed(allowed: str) -> ApiError:
    """405 / 4000, naming the methods the path does allow."""
    return ApiError(405, 4000, "Method not allowed", developer=f"Allowed: {allowed}")


def invalid(field: str, message: str, code: int = 18000) -> ApiError:
    """422 with one validation message."""
    return ApiError(422, code, VALIDATION_FAILED, invalid=(Invalid(field, message),))


def too_large() -> ApiError:
    """422 / 23000: the whole filtered result exceeds 10,000 objects."""
    return ApiError(422, 23000, TOO_LARGE, developer=TOO_LARGE)


def bad_sorting(developer: str) -> ApiError:
    """422 / 17000: a sorting the sandbox cannot do."""
    return ApiError(422, 17000, VALIDATION_FAILED, developer=developer)


def bad_request(code: int, message: str) -> ApiError:
    """400 (e.g. 11000 for an illegal fields filter)."""
    return ApiError(400, code, message, developer=message)


def rate_limited() -> ApiError:
    """429 with code null (and, as in Tripletex issue #103, no X-Rate-Limit-Reset)."""
    return ApiError(429, None, "Too many requests. Slow down.", developer="Rate limit exceeded.")


def server_error() -> ApiError:
    """500 / 1000."""
    return ApiError(500, 1000, "Internal error", developer="Injected by the sandbox's faults.")
