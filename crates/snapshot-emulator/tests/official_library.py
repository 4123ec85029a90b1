"""Gets credentials from the emulator with the official Python library
(alibabacloud-credentials 1.0.12) through each provider the emulator serves, and prints one
JSON line per provider: {"provider", "id", "secret", "token"}. Run by official_library.rs:
python official_library.py BASE_URL OIDC_TOKEN_FILE DEMO_KEY_ID DEMO_KEY_SECRET ACCOUNT_ID"""
import json
import sys

from alibabacloud_credentials.provider import (
    EcsRamRoleCredentialsProvider,
    OIDCRoleArnCredentialsProvider,
    RamRoleArnCredentialsProvider,
    URLCredentialsProvider,
)

base, token_file, key_id, key_secret, account = sys.argv[1:6]
role = f'acs:ram::{account}:role/emulator-role'
policy = '{"Version": "1", "Statement": [{"Action": ["*"], "Effect": "Allow", "Resource": ["*"]}]}'

ram = RamRoleArnCredentialsProvider(access_key_id=key_id, access_key_secret=key_secret,
                                    role_arn=role, policy=policy, sts_endpoint=base + '/sts')
chained = RamRoleArnCredentialsProvider(credentials_provider=ram, role_arn=role,
                                        sts_endpoint=base + '/sts')
oidc = OIDCRoleArnCredentialsProvider(
    role_arn=role, oidc_provider_arn=f'acs:ram::{account}:oidc-provider/emulator-provider',
    oidc_token_file_path=token_file, sts_endpoint=base + '/sts')
uri = URLCredentialsProvider(uri=base + '/credentials-uri')
ecs = EcsRamRoleCredentialsProvider(async_update_enabled=False)
# The library's metadata host is fixed (100.100.100.200); point it at the emulator.
ecs._EcsRamRoleCredentialsProvider__metadata_service_host = base.replace('http://', '') + '/imds'

for name, provider in [('ram_role_arn', ram), ('chained', chained), ('oidc', oidc),
                       ('uri', uri), ('ecs', ecs)]:
    c = provider.get_credentials()
    print(json.dumps({'provider': name, 'id': c.get_access_key_id(),
                      'secret': c.get_access_key_secret(), 'token': c.get_security_token()}))
