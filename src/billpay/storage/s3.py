"""Documents in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage...), through boto3.

``BILLPAY_STORAGE=s3://bucket/prefix``; ``BILLPAY_S3_ENDPOINT_URL`` for a server other
than AWS; credentials and region come from boto3's usual sources (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles, instance roles). The
bucket must exist; billpay only reads and writes objects under the prefix.
"""
from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import make_key, missing, parse_key, unavailable, verified

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")``."""
    if not url.startswith("s3://"):
        raise ValueError("an S3 storage URL looks like s3://bucket/prefix")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError("the S3 storage URL names no bucket (s3://bucket/prefix)")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client=None) -> None:  # noqa: ANN001
        self.bucket = bucket
        self.prefix = prefix
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url,
            config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}))

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None) -> "S3Storage":
        bucket, prefix = parse_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    def _name(self, key: str) -> str:
        parse_key(key)
        return self.prefix + key

    def _head(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
            return True
        except ClientError as e:
            if str(e.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                return False
            raise unavailable(e) from e
        except BotoCoreError as e:
            raise unavailable(e) from e

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
        key, sha = make_key(org_id, data, suffix)
        name = self._name(key)
        if not self._head(name):
            try:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=data, Metadata={"sha256": sha})
            except (ClientError, BotoCoreError) as e:
                raise unavailable(e) from e
        return key, sha

    def get(self, key: str) -> bytes:
        name = self._name(key)
        try:
            data = self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as e:
            if str(e.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                raise missing() from None
            raise unavailable(e) from e
        except BotoCoreError as e:
            raise unavailable(e) from e
        return verified(key, data)

    def exists(self, key: str) -> bool:
        return self._head(self._name(key))

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (ClientError, BotoCoreError) as e:
            raise unavailable(e) from e
