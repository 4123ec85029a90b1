"""Drives the 9 Alibaba snapshot operations (DSW: CreateInstanceSnapshot, ListInstanceSnapshot,
GetInstanceSnapshot, DeleteInstanceSnapshot; LangStudio: CreateSnapshot, ListSnapshots,
GetSnapshot, UpdateSnapshot, DeleteSnapshot) with the official Python SDKs
(alibabacloud-pai-dsw20220101 2.4.0, alibabacloud-pailangstudio20240710 1.2.2) against the
emulator, unchanged: its `host:port` is the SDK's endpoint, protocol HTTP. Three ways to
authenticate, each a full round: `v3` (AccessKey, ACS3-HMAC-SHA256), `sts` (temporary
credentials from the emulator's STS through alibabacloud-credentials, signed with their
security token) and `bearer` (x-acs-bearer-token).

Prints one JSON line per call: {"auth", "operation", "ok", "detail"}; then a readable report
on stderr, and exits 1 if any call failed. Run by official_sdks.rs:
python official_sdks.py ENDPOINT KEY_ID KEY_SECRET BEARER_TOKEN ROLE_ARN INSTANCE WORKSPACE"""
import json
import sys
import traceback

from alibabacloud_credentials.provider import RamRoleArnCredentialsProvider
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_pai_dsw20220101.client import Client as DswClient
from alibabacloud_pai_dsw20220101 import models as dsw
from alibabacloud_pailangstudio20240710.client import Client as LangStudioClient
from alibabacloud_pailangstudio20240710 import models as ls

endpoint, key_id, key_secret, bearer, role_arn, instance, workspace = sys.argv[1:8]
results = []


def config(**auth):
    return open_api_models.Config(endpoint=endpoint, protocol='HTTP', region_id='cn-hangzhou',
                                  read_timeout=10000, connect_timeout=5000, **auth)


def call(auth, operation, fn):
    """Runs one operation; its check raises when the SDK's model lacks what was expected."""
    try:
        detail = fn()
        results.append({'auth': auth, 'operation': operation, 'ok': True, 'detail': detail})
    except Exception as error:  # noqa: BLE001 - every failure is reported, none hidden
        message = getattr(error, 'message', None) or repr(error)
        code = getattr(error, 'code', None)
        results.append({'auth': auth, 'operation': operation, 'ok': False,
                        'detail': f'{code}: {message}' if code else message,
                        'trace': traceback.format_exc(limit=3)})
    print(json.dumps(results[-1]), flush=True)
    return results[-1]['ok']


def need(value, what):
    if value is None or value == '' or value == []:
        raise AssertionError(f'the SDK model has no {what}')
    return value


def dsw_round(auth, client):
    state = {}

    def create():
        body = client.create_instance_snapshot(instance, dsw.CreateInstanceSnapshotRequest(
            snapshot_name=f'sdk-{auth}-v1', image_url=f'registry.example/ns/{auth}:v1')).body
        state['id'] = need(body.snapshot_id, 'SnapshotId')
        return state['id']

    def list_():
        body = client.list_instance_snapshot(instance, dsw.ListInstanceSnapshotRequest()).body
        ids = [s.snapshot_id for s in need(body.snapshots, 'Snapshots')]
        if state.get('id') not in ids:
            raise AssertionError(f'{state.get("id")} not listed in {ids}')
        return f'{need(body.total_count, "TotalCount")} listed'

    def get():
        body = client.get_instance_snapshot(instance, state['id']).body
        if body.snapshot_name != f'sdk-{auth}-v1':
            raise AssertionError(f'SnapshotName is {body.snapshot_name!r}')
        return need(body.status, 'Status')

    def delete():
        body = client.delete_instance_snapshot(instance, state['id']).body
        return need(body.snapshot_id, 'SnapshotId')

    if call(auth, 'CreateInstanceSnapshot', create):
        call(auth, 'ListInstanceSnapshot', list_)
        call(auth, 'GetInstanceSnapshot', get)
        call(auth, 'DeleteInstanceSnapshot', delete)


def langstudio_round(auth, client):
    state = {}
    name = f'sdk_{auth}_flow'

    def create():
        body = client.create_snapshot(ls.CreateSnapshotRequest(
            workspace_id=workspace, snapshot_name=name, snapshot_resource_type='Flow',
            snapshot_resource_id='flow-1', description='made by the official SDK')).body
        state['id'] = need(body.snapshot_id, 'SnapshotId')
        return state['id']

    def list_():
        body = client.list_snapshots(ls.ListSnapshotsRequest(workspace_id=workspace)).body
        ids = [s.snapshot_id for s in need(body.snapshots, 'Snapshots')]
        if state.get('id') not in ids:
            raise AssertionError(f'{state.get("id")} not listed in {ids}')
        return f'{need(body.total_count, "TotalCount")} listed'

    def get():
        body = client.get_snapshot(state['id'], ls.GetSnapshotRequest(workspace_id=workspace)).body
        if body.snapshot_name != name:
            raise AssertionError(f'SnapshotName is {body.snapshot_name!r}')
        return need(body.snapshot_status, 'SnapshotStatus')

    def update():
        client.update_snapshot(state['id'], ls.UpdateSnapshotRequest(
            workspace_id=workspace, description='updated by the official SDK'))
        body = client.get_snapshot(state['id'], ls.GetSnapshotRequest(workspace_id=workspace)).body
        if body.description != 'updated by the official SDK':
            raise AssertionError(f'Description is {body.description!r}')
        return body.description

    def delete():
        body = client.delete_snapshot(state['id'], ls.DeleteSnapshotRequest(
            workspace_id=workspace)).body
        return need(body.request_id, 'RequestId')

    if call(auth, 'CreateSnapshot', create):
        call(auth, 'ListSnapshots', list_)
        call(auth, 'GetSnapshot', get)
        call(auth, 'UpdateSnapshot', update)
        call(auth, 'DeleteSnapshot', delete)


def sts_credentials():
    provider = RamRoleArnCredentialsProvider(
        access_key_id=key_id, access_key_secret=key_secret, role_arn=role_arn,
        sts_endpoint=f'http://{endpoint}/sts')
    c = provider.get_credentials()
    return dict(access_key_id=c.get_access_key_id(), access_key_secret=c.get_access_key_secret(),
                security_token=c.get_security_token())


rounds = [
    ('v3', lambda: dict(access_key_id=key_id, access_key_secret=key_secret)),
    ('sts', sts_credentials),
    ('bearer', lambda: dict(bearer_token=bearer)),
]
for auth, credentials in rounds:
    try:
        settings = credentials()
    except Exception as error:  # noqa: BLE001
        results.append({'auth': auth, 'operation': 'credentials', 'ok': False,
                        'detail': repr(error)})
        print(json.dumps(results[-1]), flush=True)
        continue
    dsw_round(auth, DswClient(config(**settings)))
    langstudio_round(auth, LangStudioClient(config(**settings)))

failed = [r for r in results if not r['ok']]
print(f'official SDKs against the emulator at {endpoint}: '
      f'{len(results) - len(failed)} of {len(results)} calls passed', file=sys.stderr)
for r in failed:
    print(f"  FAILED {r['auth']:<6} {r['operation']}: {r['detail']}", file=sys.stderr)
    if 'trace' in r:
        print('    ' + r['trace'].strip().replace('\n', '\n    '), file=sys.stderr)
sys.exit(1 if failed else 0)
