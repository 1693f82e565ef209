"""What the CloudFormation models of this package share (``cloudwatch_alarm``,
``scheduler_schedule``, ``lambda_event_invoke``: resource types moto 5.2.5 has no model for).

- ``ResourceModel`` / ``NamedResourceModel``: the interface moto's stack parser calls on a
  model (type, naming property, ``Ref``, ``Fn::GetAtt``), from class attributes.
- ``generated_name``: the name CloudFormation gives a resource whose template names none,
  ``<prefix>-<12 upper-case letters and digits>``, cut to the type's limit.
- ``ResourceFailure``: a failed create or update with the resource event reason AWS gives
  for it, in its three forms (model validation, the handler's own message, a service error).
- ``SchemaChecker``: CloudFormation's checks of the properties against the type's schema,
  raising the first failure as ``Model validation failed (<pointer>: <detail>)``.

Each model's own module documents what it models and the AWS documentation it follows; this
module models nothing of its own. Like the models, it imports moto only where it calls it.
"""

from __future__ import annotations

import random
import re
import string
import uuid
from typing import Any, ClassVar

from .cfn_failures import ResourceHandlerFailure

# The random part of a generated name: 12 upper-case letters and digits.
SUFFIX_LENGTH = 12


def generated_name(prefix: str, max_length: int, suffix: str | None = None) -> str:
    """``<prefix>-<suffix>`` at most ``max_length`` characters, the prefix cut to fit: the
    name CloudFormation generates for a resource whose template names none. ``suffix`` is
    12 random upper-case letters and digits unless given (a name moto generated keeps its
    own)."""
    if suffix is None:
        suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=SUFFIX_LENGTH))
    return f"{prefix[: max_length - SUFFIX_LENGTH - 1]}-{suffix}"


class ResourceModel:
    """The part of moto's ``CloudFormationModel`` interface that is the same for every model
    here, from class attributes: ``RESOURCE_TYPE``, ``NAME_PROPERTY`` (the property that names
    the resource, ``""`` when none does), no ``Fn::GetAtt`` attribute, created as soon as
    made.

    A model lists this class before ``CloudFormationModel`` among its bases: the first base's
    methods win, and moto's parser finds models as the *direct* subclasses of
    ``CloudFormationModel`` (so neither can this class be one).
    """

    RESOURCE_TYPE: ClassVar[str]
    NAME_PROPERTY: ClassVar[str] = ""

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.RESOURCE_TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def is_created(self) -> bool:
        return True  # each model creates through moto's API, which answers when done


class NamedResourceModel(ResourceModel):
    """A resource whose physical id (``Ref``) is its name and whose one ``Fn::GetAtt``
    attribute is ``Arn``; ``generated`` says whether CloudFormation made the name."""

    name: str
    arn: str
    generated: bool

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    def replaced_by(self, given_name: str | None) -> bool:
        """Whether an update whose template names the resource ``given_name`` (``None``: names
        none) replaces it, the name being "Update requires: Replacement": a new name, or a
        name added or removed."""
        if given_name is not None:
            return given_name != self.name
        return not self.generated


class ResourceFailure(ResourceHandlerFailure):
    """A create or update of a subclass's resource type (``RESOURCE_TYPE``, through
    ``SERVICE``) that failed; ``reason()`` is the resource event's reason.

    ``kind`` is ``"model"`` (CloudFormation's check of the properties against the type's
    schema: ``Model validation failed (<pointer>: <detail>)``), ``"handler"`` (the resource
    handler's own message) or ``"service"`` (an API error of the service passed on by the
    handler, with the service's status code).
    """

    RESOURCE_TYPE: ClassVar[str]
    SERVICE: ClassVar[str]

    def __init__(
        self,
        logical_id: str,
        operation: str,
        message: str,
        kind: str,
        handler_error_code: str = "InvalidRequest",
        status_code: int = 400,
    ) -> None:
        super().__init__(
            logical_id=logical_id,
            resource_type=self.RESOURCE_TYPE,
            operation=operation,
            service=self.SERVICE,
            message=message,
            handler_error_code=handler_error_code,
        )
        self.kind = kind
        self.status_code = status_code

    def reason(self) -> str:
        if self.kind == "model":
            return f"Model validation failed ({self.message})"
        if self.kind == "handler":
            return (
                f'Resource handler returned message: "{self.message}" '
                f"(RequestToken: {uuid.uuid4()}, HandlerErrorCode: {self.handler_error_code})"
            )
        return (
            f'Resource handler returned message: "{self.message} (Service: {self.service}, '
            f'Status Code: {self.status_code}, Request ID: {uuid.uuid4()})" '
            f"(RequestToken: {uuid.uuid4()}, HandlerErrorCode: {self.handler_error_code})"
        )


class SchemaChecker:
    """The schema checks for one resource operation; the first failure is raised, as a
    ``"model"`` failure of the subclass's ``FAILURE`` type. ``pointer`` is where in the
    properties a value is (``#/Target/Arn``), as AWS's messages give it.

    ``INTEGER_TYPE`` is what a whole number is called where another type was expected
    (``expected type: String, found: Integer``).
    """

    FAILURE: ClassVar[type[ResourceFailure]]
    INTEGER_TYPE: ClassVar[str] = "Integer"

    def __init__(self, logical_id: str, operation: str) -> None:
        self.logical_id = logical_id
        self.operation = operation

    def json_type(self, value: Any) -> str:
        if isinstance(value, bool):
            return "Boolean"
        if isinstance(value, int):
            return self.INTEGER_TYPE
        if isinstance(value, float):
            return "Number"
        if isinstance(value, str):
            return "String"
        if isinstance(value, list):
            return "JSONArray"
        if isinstance(value, dict):
            return "JSONObject"
        return "Null"

    def fail(self, pointer: str, detail: str) -> ResourceFailure:
        return self.FAILURE(self.logical_id, self.operation, f"{pointer}: {detail}", "model")

    def keyword(self, pointer: str, keyword: str) -> ResourceFailure:
        return self.fail(pointer, f"failed validation constraint for keyword [{keyword}]")

    def required(self, value: dict[str, Any], pointer: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if key not in value:
                raise self.fail(pointer, f"required key [{key}] not found")

    def text(
        self,
        value: Any,
        pointer: str,
        min_length: int = 0,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
        allowed: tuple[str, ...] | None = None,
    ) -> str:
        if not isinstance(value, str):
            raise self.fail(pointer, f"expected type: String, found: {self.json_type(value)}")
        if len(value) < min_length:
            raise self.keyword(pointer, "minLength")
        if max_length is not None and len(value) > max_length:
            raise self.keyword(pointer, "maxLength")
        if pattern is not None and not pattern.match(value):
            raise self.keyword(pointer, "pattern")
        if allowed is not None and value not in allowed:
            raise self.keyword(pointer, "enum")
        return value

    def object(self, value: Any, pointer: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(pointer, f"expected type: JSONObject, found: {self.json_type(value)}")
        return value
