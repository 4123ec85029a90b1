#!/usr/bin/env python3
"""Generate ACS3-HMAC-SHA256 signing test vectors from the official Alibaba Cloud Python SDK.

How to run (from this directory), in a scratch virtual environment:

    python3 -m venv /tmp/acs3-venv && . /tmp/acs3-venv/bin/activate
    pip install alibabacloud-tea-openapi==0.4.6 alibabacloud-pai-dsw20220101==2.4.0 alibabacloud-pailangstudio20240710==1.2.2
    # optional, pins the transitive runtime the vectors were generated with:
    pip install darabonba-core==1.0.9
    python generate.py            # (re)writes acs3.json next to this script
    python generate.py --check    # exits 1 if acs3.json differs from what the SDK produces

What it does: each case calls a real operation of the official product SDK
(`alibabacloud_pai_dsw20220101`, `alibabacloud_pailangstudio20240710`) on top of
`alibabacloud_tea_openapi`, with four stubs and nothing else changed:

* `DaraCore.do_action` is replaced so that no request leaves the machine; the prepared
  request (method, URL, headers, body) is captured and a canned `200 {}` is returned;
* `Utils.get_nonce` and `Utils.get_timestamp` return the case's fixed nonce and date;
* `Utils.get_user_agent` returns a fixed string (the real one names the local OS, CPU and
  Python version, which would make the output machine-dependent);
* `Utils.hash` and `utils.signature_method` are wrapped (not changed) to record the SDK's
  own canonical request and string to sign on their way to the HMAC.

The output is deterministic: same SDK versions in, byte-identical `acs3.json` out.
`tests/acs3_vectors.rs` rebuilds every request with reqwest, signs it with
`snapshots_runtime::auth::acs3::sign`, and compares with these vectors.
"""

import json
import os
import sys
from importlib import metadata

# The SDK reads ALIBABA_CLOUD_* variables (user agent, credentials) at import time.
for _k in list(os.environ):
    if _k.startswith("ALIBABA_CLOUD") or _k.startswith("ALICLOUD"):
        del os.environ[_k]

from darabonba.core import DaraCore  # noqa: E402
from darabonba.response import DaraResponse  # noqa: E402
from alibabacloud_tea_openapi import utils as sdk_utils  # noqa: E402
from alibabacloud_tea_openapi.utils import Utils  # noqa: E402
from alibabacloud_tea_openapi import utils_models as open_api_models  # noqa: E402
from alibabacloud_pai_dsw20220101.client import Client as DswClient  # noqa: E402
from alibabacloud_pai_dsw20220101 import models as dsw  # noqa: E402
from alibabacloud_pailangstudio20240710.client import Client as LangStudioClient  # noqa: E402
from alibabacloud_pailangstudio20240710 import models as ls  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "acs3.json")

# The user agent captured on the machine that wrote the notes (Linux, x86_64, Python 3.11.7).
USER_AGENT = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"

# ---------------------------------------------------------------------------------------
# Stubs
# ---------------------------------------------------------------------------------------

_fixed = {"nonce": None, "date": None}
_captured = {}
_trace = {"hashed": [], "string_to_sign": None}

Utils.get_nonce = staticmethod(lambda: _fixed["nonce"])
Utils.get_timestamp = staticmethod(lambda: _fixed["date"])
Utils.get_user_agent = staticmethod(lambda ua: f"{USER_AGENT} {ua}" if ua else USER_AGENT)

_original_hash = Utils.hash


def _traced_hash(raw, sign_type):
    _trace["hashed"].append(bytes(raw))
    return _original_hash(raw, sign_type)


Utils.hash = staticmethod(_traced_hash)

_original_signature_method = sdk_utils.signature_method


def _traced_signature_method(secret, source, sign_type):
    _trace["string_to_sign"] = source
    return _original_signature_method(secret, source, sign_type)


sdk_utils.signature_method = _traced_signature_method


def _fake_do_action(request, runtime=None):
    _captured["url"] = DaraCore.compose_url(request)
    _captured["method"] = request.method
    _captured["protocol"] = request.protocol
    _captured["pathname"] = request.pathname
    _captured["query"] = [[k, str(v)] for k, v in (request.query or {}).items() if v is not None]
    _captured["headers"] = [[k, v] for k, v in request.headers.items()]
    _captured["body"] = request.body
    response = DaraResponse()
    response.status_code = 200
    response.headers = {"content-type": "application/json"}
    response.body = b"{}"
    return response


DaraCore.do_action = staticmethod(_fake_do_action)

# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------

NOTES_NONCE = "NONCE0123456789abcdef"
NOTES_DATE = "2025-01-01T00:00:00Z"


def dsw_client(**kw):
    return DswClient(open_api_models.Config(region_id="cn-hangzhou", **kw))


def ls_client(**kw):
    return LangStudioClient(open_api_models.Config(region_id="cn-hangzhou", **kw))


AK = dict(access_key_id="AKID", access_key_secret="SECRET")

CASES = [
    dict(
        name="langstudio_get_snapshot",
        description="notes 4.4 (a): LangStudio GetSnapshot with one query parameter",
        key=AK, nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: ls_client(**AK).get_snapshot(
            "snap-1", ls.GetSnapshotRequest(workspace_id="478")),
    ),
    dict(
        name="dsw_create_instance_snapshot_min",
        description="notes 4.4 (b): DSW CreateInstanceSnapshot, POST with a JSON body, no query",
        key=AK, nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: dsw_client(**AK).create_instance_snapshot(
            "dsw-1", dsw.CreateInstanceSnapshotRequest(snapshot_name="s", image_url="u")),
    ),
    dict(
        name="langstudio_list_snapshots",
        description="notes 4.4 (c): LangStudio ListSnapshots, fourteen query parameters, "
                    "a space, '+', '/', '=' and ',' in values",
        key=AK, nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: ls_client(**AK).list_snapshots(ls.ListSnapshotsRequest(
            workspace_id="478", max_results=20, next_token="a b+c/=", sort_by="GmtCreateTime",
            order="DESC", page_number=1, page_size=10, snapshot_resource_type="Flow",
            creator="u1", creation_type="ManualCreated,DeploymentAutoCreated",
            accessibility="PUBLIC", snapshot_id="snap-1", snapshot_resource_id="flow-1",
            snapshot_status="Succeeded")),
    ),
    dict(
        name="dsw_get_instance_snapshot_sts",
        description="STS credentials: x-acs-accesskey-id and x-acs-security-token are signed",
        key=dict(access_key_id="STS.NTestKeyId", access_key_secret="StsSecret/+=",
                 security_token="CAIS+token/with=chars"),
        nonce="2c0d6b3a9f1e4d7c8b5a69e3f1d2c4b7", date="2025-06-30T12:34:56Z",
        call=lambda: dsw_client(access_key_id="STS.NTestKeyId", access_key_secret="StsSecret/+=",
                                security_token="CAIS+token/with=chars").get_instance_snapshot(
            "dsw-1", "snp-1"),
    ),
    dict(
        name="dsw_get_instance_snapshot_unicode_path",
        description="path ids with non-ASCII, space, '*', '/', '~', '+', quote and parentheses; "
                    "empty query; a non-ASCII secret",
        key=dict(access_key_id="LTAI5tTestKeyId", access_key_secret="sëcret-ключ"),
        nonce="0123456789abcdef0123456789abcdef", date="2024-02-29T23:59:59Z",
        call=lambda: dsw_client(access_key_id="LTAI5tTestKeyId",
                                access_key_secret="sëcret-ключ").get_instance_snapshot(
            "dsw 1/é*", "snp-ü 2/*~+'()!"),
    ),
    dict(
        name="langstudio_list_snapshots_unicode_query",
        description="query values with non-ASCII, space, '*', '/', '~', '+', '&', '=', ';', "
                    "quote, parentheses and an empty string",
        key=AK, nonce="fedcba9876543210fedcba9876543210", date="2025-12-31T23:59:59Z",
        call=lambda: ls_client(**AK).list_snapshots(ls.ListSnapshotsRequest(
            workspace_id="478", next_token="a b*c/é~+&=;", creator="用户 1",
            snapshot_resource_id="x*y/z'!(),", snapshot_id="", max_results=5)),
    ),
    dict(
        name="dsw_list_instance_snapshot_empty_query",
        description="GET with no query parameters at all (empty canonical query line)",
        key=AK, nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: dsw_client(**AK).list_instance_snapshot(
            "dsw-1", dsw.ListInstanceSnapshotRequest()),
    ),
    dict(
        name="langstudio_update_snapshot_put_non_ascii_body",
        description="PUT with a compact JSON body holding non-ASCII text, a quote, a backslash "
                    "and a newline; a path id with a space, '/' and '*'",
        key=AK, nonce="a1b2c3d4e5f60718293a4b5c6d7e8f90", date="2025-03-15T08:00:00Z",
        call=lambda: ls_client(**AK).update_snapshot("snap 1/*", ls.UpdateSnapshotRequest(
            workspace_id="478", snapshot_name="快照-2",
            description='描述 — café "q" \\ end\nline 2')),
    ),
    dict(
        name="dsw_create_instance_snapshot_full",
        description="POST with every body member (lists, objects, bool, non-ASCII) and a path id "
                    "with '/' and a space",
        key=AK, nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: dsw_client(**AK).create_instance_snapshot(
            "dsw-1/ a", dsw.CreateInstanceSnapshotRequest(
                snapshot_name="snap-v1", image_url="reg/x:y",
                labels=[dsw.CreateInstanceSnapshotRequestLabels(key="k", value="v")],
                exclude_paths=["/a", "/b"], overwrite=True, snapshot_description="d é")),
    ),
    dict(
        name="langstudio_delete_snapshot_http_port",
        description="DELETE over plain HTTP to an endpoint with a non-default port "
                    "(the host header carries the port)",
        key=AK, nonce="00000000000000000000000000000000", date="2025-01-01T00:00:00Z",
        call=lambda: ls_client(endpoint="127.0.0.1:8080", protocol="HTTP", **AK).delete_snapshot(
            "snap-1", ls.DeleteSnapshotRequest(workspace_id="478")),
    ),
    dict(
        name="langstudio_get_snapshot_bearer",
        kind="bearer",
        description="ROA bearer token: x-acs-bearer-token and x-acs-signature-type, no Authorization",
        bearer_token="BTOKEN", nonce=NOTES_NONCE, date=NOTES_DATE,
        call=lambda: ls_client(bearer_token="BTOKEN").get_snapshot(
            "snap-1", ls.GetSnapshotRequest(workspace_id="478")),
    ),
]

# Headers the signer computes itself; every other header the SDK had must be set by the caller
# of `acs3::sign` for the signed header sets to match.
SIGNER_HEADERS = {
    "host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
    "x-acs-content-sha256", "x-acs-accesskey-id", "x-acs-security-token", "authorization",
    "x-acs-bearer-token", "x-acs-signature-type",
}


def run_case(case):
    _captured.clear()
    _trace["hashed"] = []
    _trace["string_to_sign"] = None
    _fixed["nonce"] = case["nonce"]
    _fixed["date"] = case["date"]
    case["call"]()
    headers = _captured["headers"]
    header_map = {k.lower(): v for k, v in headers}
    action = header_map["x-acs-action"]
    version = header_map["x-acs-version"]
    host = header_map["host"]
    out = {
        "name": case["name"],
        "description": case["description"],
        "kind": case.get("kind", "access_key"),
        "request": {
            "method": _captured["method"],
            "scheme": _captured["protocol"].lower(),
            "host": host,
            "path": _captured["pathname"],
            "query": _captured["query"],
            "body": _captured["body"],
            "sdk_url": _captured["url"],
        },
        "caller_headers": [[k, v] for k, v in headers if k.lower() not in SIGNER_HEADERS],
        "action": action,
        "version": version,
        "date": case["date"],
        "nonce": case["nonce"],
    }
    if out["kind"] == "access_key":
        key = case["key"]
        out["key"] = {
            "id": key["access_key_id"],
            "secret": key["access_key_secret"],
            "security_token": key.get("security_token"),
        }
        authorization = header_map["authorization"]
        canonical_request = _trace["hashed"][-1].decode("utf-8")
        string_to_sign = _trace["string_to_sign"]
        signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0]
        signature = authorization.split("Signature=")[1]
        assert canonical_request.split("\n")[-2] == signed_headers
        out["expected"] = {
            "headers": headers,
            "content_sha256": header_map["x-acs-content-sha256"],
            "canonical_request": canonical_request,
            "string_to_sign": string_to_sign,
            "signed_headers": signed_headers,
            "signature": signature,
            "authorization": authorization,
        }
    else:
        out["bearer_token"] = case["bearer_token"]
        assert "authorization" not in header_map
        out["expected"] = {"headers": headers}
    return out


def main():
    versions = {
        name: metadata.version(name)
        for name in ("alibabacloud-tea-openapi", "alibabacloud-pai-dsw20220101",
                     "alibabacloud-pailangstudio20240710", "darabonba-core")
    }
    document = {
        "about": "ACS3-HMAC-SHA256 vectors computed by the official Alibaba Cloud Python SDK; "
                 "generated by generate.py in this directory, do not edit by hand.",
        "sdk_versions": versions,
        "cases": [run_case(case) for case in CASES],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{OUT} is stale; run: python generate.py", file=sys.stderr)
                sys.exit(1)
        print(f"{OUT} is up to date")
        return
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {len(document['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
