#!/usr/bin/env python3
"""Writes events/*.json: one API Gateway HTTP API (payload 2.0) event per function, and the
authorizer's events, as API Gateway sends them; the stream consumers' batches; the deploy hook's
CloudFormation requests; Secrets Manager's rotation steps. Run from the repository root after
changing routes; tests/tests/sample_events.rs checks every file against the route table and
invokes it.

The tokens are signed with the sample key used by that test and by `cargo lambda invoke`
examples (`SAMPLE_SIGNING_KEY` below); it signs nothing else.
"""
import base64, hashlib, hmac, json, pathlib

SAMPLE_SIGNING_KEY = b"conduit-sample-events-signing-key-not-for-production"
SAMPLE_KID = "sample-key"
JAKE = "01J9ZQ6XKX2A5B8C9D0E1F2G3H"  # the caller in every protected sample
FAR_FUTURE = 4102444800  # 2100-01-01
EXPIRED = 1577836800  # 2020-01-01


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(exp: int) -> str:
    header = b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": SAMPLE_KID}, separators=(",", ":")).encode())
    claims = b64(json.dumps({"sub": JAKE, "iss": "conduit", "iat": EXPIRED - 3600, "exp": exp}, separators=(",", ":")).encode())
    signature = hmac.new(SAMPLE_SIGNING_KEY, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(signature)}"


VALID = token(FAR_FUTURE)


def request_context(route_key, method, path, authorizer=None):
    context = {
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "routeKey": route_key,
        "stage": "$default",
        "time": "23/Nov/2026:18:00:00 +0000",
        "timeEpoch": 1795456800000,
    }
    if authorizer is not None:
        context["authorizer"] = {"lambda": authorizer}
    return context


def event(method, template, path, auth, body=None, query=None, path_parameters=None, route_key=None):
    route_key = route_key or f"{method} {template}"
    headers = {"accept": "application/json", "host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"}
    authorizer = None
    if auth == "required":
        headers["authorization"] = f"Token {VALID}"
        authorizer = {"userId": JAKE, "expiresAt": FAR_FUTURE, "sessionGeneration": 0}
    elif auth == "optional":
        headers["authorization"] = f"Token {VALID}"
    if body is not None:
        headers["content-type"] = "application/json"
    result = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": headers,
        "requestContext": request_context(route_key, method, path, authorizer),
        "isBase64Encoded": False,
    }
    if query:
        result["queryStringParameters"] = query
    if path_parameters:
        result["pathParameters"] = path_parameters
    if body is not None:
        result["body"] = json.dumps(body)
    return result


SLUG = "how-to-train-your-dragon"
EVENTS = {
    "register-user": event("POST", "/api/users", "/api/users", "none",
                           {"user": {"username": "newcomer", "email": "newcomer@example.com", "password": "correct horse battery"}}),
    "login-user": event("POST", "/api/users/login", "/api/users/login", "none",
                        {"user": {"email": "jake@example.com", "password": "jakejakejake"}}),
    "get-current-user": event("GET", "/api/user", "/api/user", "required"),
    "update-current-user": event("PUT", "/api/user", "/api/user", "required",
                                 {"user": {"bio": "I like to skateboard", "image": "https://example.com/jake.png",
                                           "password": "a new password for jake",
                                           # A new password needs the current one (step-up).
                                           "currentPassword": "jakejakejake"}}),
    "revoke-sessions": event("DELETE", "/api/user/sessions", "/api/user/sessions", "required"),
    # An address without an account: answered like any other (202), and no mail is sent.
    "request-password-reset": event("POST", "/api/users/password-reset", "/api/users/password-reset", "none",
                                    {"user": {"email": "someone@example.com"}}),
    # The token of a reset link (43 URL-safe characters): the tests' sample world holds a pending
    # link of jake's with this token (tests/src/samples.rs, SAMPLE_RESET_TOKEN).
    "confirm-password-reset": event("POST", "/api/users/password-reset/confirm", "/api/users/password-reset/confirm", "none",
                                    {"user": {"token": "q8Vh3nX0bR2tL6yW9eK1mP4sA7dF5gJ0cZ3uN8iO2vB", "password": "a new password"}}),
    "get-profile": event("GET", "/api/profiles/{username}", "/api/profiles/celeb", "optional", path_parameters={"username": "celeb"}),
    "follow-user": event("POST", "/api/profiles/{username}/follow", "/api/profiles/celeb/follow", "required",
                         path_parameters={"username": "celeb"}),
    "unfollow-user": event("DELETE", "/api/profiles/{username}/follow", "/api/profiles/celeb/follow", "required",
                           path_parameters={"username": "celeb"}),
    "list-articles": event("GET", "/api/articles", "/api/articles", "optional", query={"tag": "dragons", "limit": "10", "offset": "0"}),
    "feed-articles": event("GET", "/api/articles/feed", "/api/articles/feed", "required", query={"limit": "10"}),
    "get-article": event("GET", "/api/articles/{slug}", f"/api/articles/{SLUG}", "optional", path_parameters={"slug": SLUG}),
    "create-article": event("POST", "/api/articles", "/api/articles", "required",
                            {"article": {"title": "Rust on Lambda", "description": "Cold starts in milliseconds",
                                         "body": "Build with cargo lambda.", "tagList": ["rust", "serverless"]}}),
    "update-article": event("PUT", "/api/articles/{slug}", f"/api/articles/{SLUG}", "required",
                            {"article": {"body": "With patience."}}, path_parameters={"slug": SLUG}),
    "delete-article": event("DELETE", "/api/articles/{slug}", f"/api/articles/{SLUG}", "required", path_parameters={"slug": SLUG}),
    "add-comment": event("POST", "/api/articles/{slug}/comments", f"/api/articles/{SLUG}/comments", "required",
                         {"comment": {"body": "Thank you so much!"}}, path_parameters={"slug": SLUG}),
    "list-comments": event("GET", "/api/articles/{slug}/comments", f"/api/articles/{SLUG}/comments", "optional",
                           path_parameters={"slug": SLUG}),
    "delete-comment": event("DELETE", "/api/articles/{slug}/comments/{id}", f"/api/articles/{SLUG}/comments/1", "required",
                            path_parameters={"slug": SLUG, "id": "1"}),
    "favorite-article": event("POST", "/api/articles/{slug}/favorite", f"/api/articles/{SLUG}/favorite", "required",
                              path_parameters={"slug": SLUG}),
    "unfavorite-article": event("DELETE", "/api/articles/{slug}/favorite", f"/api/articles/{SLUG}/favorite", "required",
                                path_parameters={"slug": SLUG}),
    "list-tags": event("GET", "/api/tags", "/api/tags", "none"),
    "get-openapi": event("GET", "/api/openapi.json", "/api/openapi.json", "none"),
    "get-docs": event("GET", "/api/docs", "/api/docs", "none"),
    # A stage in the raw path (named stages put it there): routing must not depend on it.
    "route-not-found": event("GET", "$default", "/prod/api/nothing-here", "none", route_key="$default"),
}


def authorizer_event(authorization):
    headers = {"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"}
    identity = []
    if authorization is not None:
        headers["authorization"] = authorization
        identity = [authorization]
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/GET/api/user",
        "identitySource": identity,
        "routeKey": "GET /api/user",
        "rawPath": "/api/user",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": request_context("GET /api/user", "GET", "/api/user"),
    }


def stream_record(event_name, keys, new_image=None, old_image=None, sequence="100000000000000000001"):
    """One DynamoDB Streams record as Lambda delivers it (NEW_AND_OLD_IMAGES)."""
    change = {"ApproximateCreationDateTime": 1795456800, "Keys": keys, "SequenceNumber": sequence,
              "SizeBytes": 256, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new_image is not None:
        change["NewImage"] = new_image
    if old_image is not None:
        change["OldImage"] = old_image
    return {
        "eventID": "7de3041dd709b024af6f29e4fa13d34c",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/conduit-Table/stream/2026-11-23T18:00:00.000",
    }


NEWCOMER = "01J9ZQ7A1B2C3D4E5F6G7H8J9K"
EVENTS["send-welcome-mail"] = {"Records": [stream_record(
    "INSERT",
    {"PK": {"S": f"USER#{NEWCOMER}"}, "SK": {"S": "USER"}},
    new_image={
        "PK": {"S": f"USER#{NEWCOMER}"}, "SK": {"S": "USER"}, "id": {"S": NEWCOMER},
        "username": {"S": "newcomer"}, "email": {"S": "newcomer@example.com"},
        "password_hash": {"S": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"},
        "created_at": {"S": "2026-11-23T18:00:00.000Z"}, "updated_at": {"S": "2026-11-23T18:00:00.000Z"},
        "session_generation": {"N": "0"}, "version": {"N": "1"},
        "articles_count": {"N": "0"}, "favorites_count": {"N": "0"},
    },
)]}

# The creation of an account notice's marker: jake's password changed (the change that made his
# account version 2). A notice names no secret, only the address to tell and what changed.
EVENTS["send-account-notices"] = {"Records": [stream_record(
    "INSERT",
    {"PK": {"S": f"USER#{JAKE}"}, "SK": {"S": "ACCOUNT_NOTICE#00000000000000000002"}},
    new_image={
        "PK": {"S": f"USER#{JAKE}"}, "SK": {"S": "ACCOUNT_NOTICE#00000000000000000002"},
        "user_id": {"S": JAKE}, "version": {"N": "2"}, "username": {"S": "jake"},
        "recipient": {"S": "jake@example.com"}, "password": {"S": "changed"},
        "changed_at": {"S": "2026-11-23T18:00:00.000Z"}, "purge_after": {"N": "1795716000"},
    },
    sequence="100000000000000000003",
)]}

# The removal of an article item. The article is not in the tests' sample world, so the purge
# finds nothing left, as for a record delivered again after its purge.
DRAGON_ARTICLE = "01J9ZQ8B2C3D4E5F6G7H8J9K0M"
EVENTS["purge-deleted-article"] = {"Records": [stream_record(
    "REMOVE",
    {"PK": {"S": f"ARTICLE#{DRAGON_ARTICLE}"}, "SK": {"S": "ARTICLE"}},
    old_image={"PK": {"S": f"ARTICLE#{DRAGON_ARTICLE}"}, "SK": {"S": "ARTICLE"}, "id": {"S": DRAGON_ARTICLE},
               "slug": {"S": SLUG}, "author_id": {"S": JAKE}},
    sequence="100000000000000000002",
)]}


# CloudFormation's requests to the deploy hook, the handler of the Migrations custom resource
# (template.yaml). CloudFormation passes every property as a string. ResponseURL is a pre-signed S3
# URL: the tests replace it with a loopback server of their own that takes the answer.
STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/conduit/5b9c1a40-c8a4-11f0-8de9-0a1b2c3d4e5f"
HOOK_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:conduit-RunMigrationsFunction-Q1w2E3r4T5y6"
DEPLOYED_TABLE = "conduit-Table-1A2B3C4D5E6F"
# The migration catalog as the sample's template lists it (conduit_migrations::catalog::fingerprint()).
MIGRATIONS = "0001-shard-all-articles"


def custom_resource_request(request_type, request_id, properties, **extra):
    response_url = (
        "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/"
        "arn%3Aaws%3Acloudformation%3Aeu-west-1%3A123456789012%3Astack/conduit/5b9c1a40-c8a4-11f0-8de9-0a1b2c3d4e5f%7C"
        f"Migrations%7C{request_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261123T180000Z"
        "&X-Amz-SignedHeaders=host&X-Amz-Expires=7200&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261123%2Feu-west-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=" + "0" * 64
    )
    request = {
        "RequestType": request_type,
        "ServiceToken": HOOK_ARN,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": "Migrations",
        "ResourceType": "Custom::Migrations",
        "ResourceProperties": {"ServiceToken": HOOK_ARN, "ServiceTimeout": "900", **properties},
    }
    request.update(extra)
    return request


HOOK_PROPERTIES = {"TableName": DEPLOYED_TABLE, "Migrations": MIGRATIONS}
EVENTS["run-migrations.create"] = custom_resource_request("Create", "0f3c8a52-1b7d-4e2a-9c61-5d8e7f9a0b1c", HOOK_PROPERTIES)
# A deploy that changed another property (the old ServiceTimeout was the default hour).
EVENTS["run-migrations.update"] = custom_resource_request(
    "Update", "6a2d9e14-3c5b-4f7a-8e20-1b9c4d6f8a3e", HOOK_PROPERTIES,
    PhysicalResourceId=f"{DEPLOYED_TABLE}-migrations",
    OldResourceProperties={"ServiceToken": HOOK_ARN, "ServiceTimeout": "3600", **HOOK_PROPERTIES},
)
EVENTS["run-migrations.delete"] = custom_resource_request(
    "Delete", "c47e1f90-8d2a-4b6c-a153-7e9f0d2b4c68", HOOK_PROPERTIES,
    PhysicalResourceId=f"{DEPLOYED_TABLE}-migrations",
)

# Secrets Manager's invocations of the rotation function: the four steps of one rotation, in the
# order it sends them (the file names sort so). SecretId is the signing secret's ARN (the tests put
# a secret of their own there); ClientRequestToken is the id of the version the rotation makes.
SIGNING_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningSecret-Xk3Wq9Lm2Vb7-AbC123"
ROTATION_TOKEN = "3f1c9e2a-7b4d-4c8e-9a16-5d2b8f0e4a71"
for number, (step, name) in enumerate(
    [("createSecret", "create-secret"), ("setSecret", "set-secret"), ("testSecret", "test-secret"),
     ("finishSecret", "finish-secret")],
    start=1,
):
    EVENTS[f"rotate-signing-key.{number}-{name}"] = {
        "Step": step, "SecretId": SIGNING_SECRET_ARN, "ClientRequestToken": ROTATION_TOKEN,
    }

EVENTS["authorizer.valid-token"] = authorizer_event(f"Token {VALID}")
EVENTS["authorizer.expired-token"] = authorizer_event(f"Token {token(EXPIRED)}")
EVENTS["authorizer.missing-header"] = authorizer_event(None)

if __name__ == "__main__":
    root = pathlib.Path("events")
    root.mkdir(exist_ok=True)
    for name, body in EVENTS.items():
        (root / f"{name}.json").write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {len(EVENTS)} events")
