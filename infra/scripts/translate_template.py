"""Expands template.yaml into the CloudFormation SAM deploys, for the tests that check what SAM
generates: the aliases, the permissions to invoke them, the routes' integrations and the
authorizer's URI (tests/tests/gradual_deployment.rs).

    translate_template.py <template.yaml> <output.json>

Runs with the SAM CLI's Python (it brings samtranslator, the library `sam deploy` itself uses).
The translation needs no AWS account: the code location is replaced by a placeholder S3 address,
as `sam package` would, and the required parameters get sample values.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

SAMPLE_PARAMETERS = {"AppBaseUrl": "https://app.example.com", "MailSender": "no-reply@example.com"}


class NoManagedPolicies:
    """The template names no AWS managed policy, so none has to be looked up in an account."""

    def load(self):
        return {}


def main(source, destination):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    text = open(source, encoding="utf-8").read()
    packaged = text.replace("    CodeUri: .\n", "    CodeUri: s3://packaged-code/bootstrap.zip\n")
    translated = transform(yaml_parse(packaged), SAMPLE_PARAMETERS, NoManagedPolicies())
    with open(destination, "w", encoding="utf-8") as out:
        json.dump(translated, out, indent=1, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])
