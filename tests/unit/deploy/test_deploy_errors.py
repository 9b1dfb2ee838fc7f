"""botocore's errors become one line naming the IAM action and the resource (deploy.aws.calling)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from taxiway.deploy.aws import DeployError, calling


def _client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "PutObject",
    )


def _message(exc: BaseException) -> str:
    with pytest.raises(DeployError) as info, calling("s3:PutObject", "arn:aws:s3:::b/dags/a.py"):
        raise exc
    return str(info.value)


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "403"])
def test_access_denied_names_the_action_and_the_resource(code: str) -> None:
    assert _message(_client_error(code, "Access Denied", 403)) == (
        "Access denied: `s3:PutObject` on `arn:aws:s3:::b/dags/a.py`; grant the credentials' "
        "identity `s3:PutObject` on it (or pass the --profile that has it)."
    )


def test_no_credentials_says_how_to_give_some() -> None:
    message = _message(NoCredentialsError())
    assert message.startswith("No AWS credentials for `s3:PutObject`")
    assert "--profile" in message and "aws configure" in message


def test_expired_credentials() -> None:
    message = _message(_client_error("ExpiredToken", "The security token has expired."))
    assert "refused the credentials" in message and "ExpiredToken" in message


def test_unreachable_endpoint_names_the_endpoint_variable() -> None:
    message = _message(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    assert "Cannot reach AWS for `s3:PutObject`" in message and "AWS_ENDPOINT_URL" in message


def test_other_errors_keep_aws_code_and_message() -> None:
    message = _message(_client_error("SlowDown", "Please reduce your request rate."))
    assert message == (
        "`s3:PutObject` on `arn:aws:s3:::b/dags/a.py` failed: SlowDown: "
        "Please reduce your request rate."
    )


def test_an_html_error_page_is_not_printed() -> None:
    """An endpoint that does not serve the service (moto without MWAA) answers with HTML."""
    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    message = _message(_client_error("500", page, 500))
    assert "\n" not in message and "<" not in message
    assert "HTTP 500 with an HTML page, not an AWS answer" in message
