"""The ``cfnresponse`` module that inline Python functions (``ZipFile`` code) can import.

CloudFormation gives a function whose code is written inline in the template
(``Code.from_inline`` in the CDK) a ``cfnresponse`` module, and only such a
function: "The cfn-response module is available only when you use the ZipFile
property to write your source code" (AWS CloudFormation User Guide, "cfn-response
module",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-lambda-function-code-cfnresponsemodule.html).
The simulator copies this file into an inline function's code folder as
``cfnresponse.py``. It is written for the simulator from that page's description
of ``send`` (its parameters and defaults), not copied from AWS's module.

``send`` PUTs the response object over HTTPS to the request's ResponseURL, trusting
the CAs of the default trust store (``SSL_CERT_FILE`` points it at the simulator's
test CA). It never logs the URL: it is a presigned credential.
"""

from __future__ import annotations

import json
import ssl
from http.client import HTTPSConnection
from typing import Any, Mapping
from urllib.parse import urlsplit

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event: Mapping[str, Any], context: Any, responseStatus: str, responseData: Mapping[str, Any] | None,
         physicalResourceId: str | None = None, noEcho: bool = False, reason: str | None = None) -> None:
    """Answer the custom-resource request ``event`` with ``responseStatus`` and ``responseData``.

    The physical ID defaults to the function's log stream name, and the reason
    to a pointer to that log stream, as the User Guide describes.
    """
    log_stream = str(getattr(context, "log_stream_name", ""))
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or f"See the details in CloudWatch Log Stream: {log_stream}",
        "PhysicalResourceId": physicalResourceId or log_stream,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": dict(responseData or {}),
    }).encode()
    url = urlsplit(str(event["ResponseURL"]))
    path = url.path + (f"?{url.query}" if url.query else "")
    connection = HTTPSConnection(url.netloc, timeout=30, context=ssl.create_default_context())
    try:
        connection.request("PUT", path, body=body, headers={"content-type": "", "content-length": str(len(body))})
        answer = connection.getresponse()
        answer.read()
        print(f"cfnresponse: sent {responseStatus}, HTTP status {answer.status}")
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        print(f"cfnresponse: sending {responseStatus} failed: {type(error).__name__}")
    finally:
        connection.close()
