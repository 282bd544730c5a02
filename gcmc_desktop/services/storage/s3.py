"""Document files in an S3-compatible bucket (MinIO, AWS S3) through boto3.

Uploads up to the threshold go in one PUT; larger ones as a multipart upload of `part_size`
parts, read and hashed one part at a time so memory stays bounded. The SHA-256 is checked
before the object becomes visible (before the PUT, or before CompleteMultipartUpload); on a
cancel or any failure the multipart upload is aborted, so neither a half object nor billed,
invisible parts remain.

Every botocore error is turned into a StorageError that says what to fix — the address, the
access key, the secret key, the bucket name, the key's permissions — never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_PART_SIZE,
    Cancelled,
    ObjectInfo,
    Progress,
    StorageCancelled,
    StorageCheck,
    StorageError,
    StorageNotFound,
    StorageProvider,
    _check_sha256,
    check_key,
)
from .folder import _copy_to_file

log = logging.getLogger(__name__)

__all__ = ["MIN_PART_SIZE", "S3Storage", "platform_bucket", "translate_s3_error"]

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
_PROBE = b"GCMC Desktop storage check\n"
_PROBE_PREFIX = ".gcmc-connection-test/"
_PROGRESS_STEP = 256 * 1024  # report at most every 256 KiB: one progress signal per 8 KiB
# socket write would flood the GUI thread


def platform_bucket(tenant_id: int) -> str:
    """The bucket the web platform keeps a firm's uploads in (DOMAIN.md: Platform files)."""
    return f"tenant-{int(tenant_id)}-documents"


class _Cancel(Exception):
    """Raised from inside a request body to stop the transfer mid-part."""


# ---------------------------------------------------------------------------------- errors


def translate_s3_error(
    exc: Exception,
    *,
    action: str,
    bucket: str,
    where: str,
    access_key: str = "",
    key: str | None = None,
    region: str = "",
) -> StorageError:
    """A StorageError for people from a botocore exception.

    `action` completes "… may not {action}" / "Could not {action}" (e.g. "write files",
    "read the bucket"); `where` names the server ("http://minio:9000", "AWS S3 (us-east-1)")."""
    from botocore.exceptions import (
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
        SSLError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, SSLError):
        return StorageError(
            f"A secure connection to {where} failed: the server's certificate is not trusted "
            "or the address uses https where the server speaks http (or the reverse)."
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return StorageError(
            f"The storage server {where} cannot be reached. Check the endpoint address and "
            "the network connection."
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StorageError("No access key and secret key are set for the S3 storage.")
    if not isinstance(exc, ClientError):
        return StorageError(f"Could not {action} in the bucket {bucket} at {where}: {exc}.")

    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    shown_key = f' "{access_key}"' if access_key else ""
    if code == "InvalidAccessKeyId":
        return StorageError(
            f"The storage server {where} does not know the access key{shown_key}. "
            "Check the access key."
        )
    if code == "SignatureDoesNotMatch":
        return StorageError(
            f"The secret key is wrong for the access key{shown_key} at {where}. "
            "Check the secret key."
        )
    if code == "NoSuchBucket" or (code in ("404", "NotFound") and key is None):
        return StorageError(f"The bucket {bucket} does not exist at {where}.")
    if code in ("NoSuchKey", "404", "NotFound"):
        return StorageNotFound(f"The file {key} is missing from the bucket {bucket}.")
    if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
        return StorageError(
            f"The access key{shown_key} may not {action} in the bucket {bucket} (access denied). "
            "Ask the storage administrator for that permission."
        )
    if code in ("AuthorizationHeaderMalformed", "PermanentRedirect", "301", "IncorrectEndpoint"):
        region_note = f" than {region}" if region else ""
        return StorageError(
            f"The bucket {bucket} is in another region{region_note}. "
            "Set the region the bucket was created in."
        )
    if code == "InvalidBucketName":
        return StorageError(f'"{bucket}" is not a valid bucket name.')
    if code == "RequestTimeTooSkewed":
        return StorageError(
            "This computer's clock is too far from the storage server's. Correct the date "
            "and time, then try again."
        )
    if code in ("SlowDown", "ServiceUnavailable", "503", "InternalError", "500"):
        return StorageError(f"The storage server {where} is busy or failing; try again later.")
    message = error.get("Message") or code or f"HTTP {status}"
    return StorageError(f"The storage server {where} refused to {action}: {message}.")


# ---------------------------------------------------------------------------------- bodies


class _PartBody(io.RawIOBase):
    """One request body held in memory: checks for cancel on every read, and reports the bytes
    actually sent. Reads made while botocore signs the request (it hashes the payload over
    plain http) are not progress; `transferring` is switched off around signing."""

    def __init__(
        self,
        data: bytes,
        *,
        base: int,
        total: int,
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> None:
        super().__init__()
        self._buffer = io.BytesIO(data)
        self._length = len(data)
        self._base = base
        self._total = total
        self._progress = progress
        self._cancelled = cancelled
        self._sent = 0
        self._reported = 0
        self.transferring = True

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._buffer.seek(offset, whence)

    def tell(self) -> int:
        return self._buffer.tell()

    def read(self, size: int | None = -1) -> bytes:
        if self._cancelled is not None and self._cancelled():
            raise _Cancel()
        chunk = self._buffer.read(-1 if size is None else size)
        if self.transferring and chunk:
            # A retry rewinds the body; progress stays monotonic rather than jumping back.
            self._sent = max(self._sent, self._buffer.tell())
            if self._progress and (
                self._sent - self._reported >= _PROGRESS_STEP or self._sent == self._length
            ):
                self._reported = self._sent
                self._progress(self._base + self._sent, self._total)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _not_transferring(request: Any, **_: Any) -> None:
    if isinstance(getattr(request, "body", None), _PartBody):
        request.body.transferring = False


def _transferring(request: Any, **_: Any) -> None:
    if isinstance(getattr(request, "body", None), _PartBody):
        request.body.transferring = True


class _ReadStream(io.RawIOBase):
    """An object's body as a plain binary stream whose errors are StorageErrors."""

    def __init__(self, body: Any, describe: Callable[[Exception], StorageError]) -> None:
        super().__init__()
        self._body = body
        self._describe = describe

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            chunk = self._body.read(len(buffer))
        except Exception as exc:
            raise self._describe(exc) from None
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


# ---------------------------------------------------------------------------------- provider


class S3Storage(StorageProvider):
    name = "s3"

    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        multipart_threshold: int | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
        _client: Any = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise StorageError("S3 multipart parts must be at least 5 MiB.")
        self.endpoint_url = endpoint_url or None
        self.region = region or "us-east-1"
        self.bucket = bucket
        self.access_key = access_key
        self.part_size = part_size
        self.multipart_threshold = part_size if multipart_threshold is None else multipart_threshold
        self._client = _client or self._make_client(
            secret_key, connect_timeout, read_timeout, max_attempts
        )

    def _make_client(
        self, secret_key: str, connect_timeout: float, read_timeout: float, max_attempts: int
    ) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            region_name=self.region,
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            # MinIO and most self-hosted servers want bucket names in the path, not the host.
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            # The newer botocore default (CRC checksums on every PUT) is not understood by
            # every S3-compatible server; integrity is checked by our own SHA-256 instead.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # An own session: boto3's default session is not thread-safe, clients are.
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        events = client.meta.events
        events.register_first("request-created.s3", _not_transferring, "gcmc-not-transferring")
        events.register_last("request-created.s3", _transferring, "gcmc-transferring")
        return client

    def with_bucket(self, bucket: str) -> S3Storage:
        """The same server and credentials on another bucket (the web platform's uploads live
        in one bucket per firm, see `platform_bucket`)."""
        return S3Storage(
            self.endpoint_url,
            self.region,
            bucket,
            self.access_key,
            "",
            part_size=self.part_size,
            multipart_threshold=self.multipart_threshold,
            _client=self._client,
        )

    @property
    def where(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region})"

    def describe(self) -> str:
        return f"the bucket {self.bucket} at {self.where}"

    def _error(self, exc: Exception, action: str, key: str | None = None) -> StorageError:
        return translate_s3_error(
            exc,
            action=action,
            bucket=self.bucket,
            where=self.where,
            access_key=self.access_key,
            key=key,
            region=self.region,
        )

    # ---------------------------------------------------------------------------- writing

    def put_file(
        self,
        key: str,
        path: Path | str,
        *,
        sha256: str,
        size: int,
        content_type: str,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> None:
        check_key(key)
        _check_sha256(sha256)
        source_path = Path(path)
        try:
            source = source_path.open("rb")
        except OSError as exc:
            raise StorageError(
                f"The file {source_path} cannot be read: {exc.strerror or exc}."
            ) from None
        with source:
            if size <= self.multipart_threshold:
                self._put_single(
                    key, source, source_path, sha256, size, content_type, progress, cancelled
                )
            else:
                self._put_multipart(
                    key, source, source_path, sha256, size, content_type, progress, cancelled
                )

    def _read(self, source: BinaryIO, source_path: Path, amount: int) -> bytes:
        try:
            return source.read(amount)
        except OSError as exc:
            raise StorageError(
                f"The file {source_path} cannot be read: {exc.strerror or exc}."
            ) from None

    def _put_single(
        self,
        key: str,
        source: BinaryIO,
        source_path: Path,
        sha256: str,
        size: int,
        content_type: str,
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> None:
        data = self._read(source, source_path, size + 1)
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            raise _changed(source_path)
        body = _PartBody(data, base=0, total=size, progress=progress, cancelled=cancelled)
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=size,
                ContentType=content_type,
                Metadata={"sha256": sha256},
            )
        except _Cancel:
            raise StorageCancelled() from None
        except Exception as exc:
            if cancelled is not None and cancelled():
                raise StorageCancelled() from None
            raise self._error(exc, "write files", key) from None
        if progress and size == 0:
            progress(0, 0)

    def _put_multipart(
        self,
        key: str,
        source: BinaryIO,
        source_path: Path,
        sha256: str,
        size: int,
        content_type: str,
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> None:
        try:
            upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, Metadata={"sha256": sha256}
            )["UploadId"]
        except Exception as exc:
            raise self._error(exc, "write files", key) from None
        try:
            digest = hashlib.sha256()
            parts: list[dict[str, Any]] = []
            done = 0
            while True:
                if cancelled is not None and cancelled():
                    raise _Cancel()
                data = self._read(source, source_path, self.part_size)
                if not data:
                    break
                digest.update(data)
                number = len(parts) + 1
                body = _PartBody(
                    data, base=done, total=size, progress=progress, cancelled=cancelled
                )
                response = self._client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                    ContentLength=len(data),
                )
                parts.append({"ETag": response["ETag"], "PartNumber": number})
                done += len(data)
            if done != size or digest.hexdigest() != sha256:
                raise _changed(source_path)
            if cancelled is not None and cancelled():
                raise _Cancel()
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException as exc:
            self._abort(key, upload_id)
            if isinstance(exc, _Cancel) or (cancelled is not None and cancelled()):
                raise StorageCancelled() from None
            if isinstance(exc, Exception):
                raise self._error(exc, "write files", key) from None
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:
            # The parts stay invisible (and billed) until a lifecycle rule removes them; the
            # upload itself has failed either way, which is what the caller must hear.
            log.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._error(exc, "delete files", key) from None

    # ---------------------------------------------------------------------------- reading

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        check_key(key)
        try:
            return self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("404", "NoSuchKey", "NotFound"):
                raise self._error(exc, "read files", key) from None
        except Exception as exc:
            raise self._error(exc, "read files", key) from None
        # HEAD answers carry no error code: a missing bucket also looks like a missing object,
        # and "the file is missing" would send people looking in the wrong place.
        self._require_bucket()
        return None

    def _require_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise self._error(exc, "read the bucket") from None

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def _get(self, key: str) -> dict[str, Any]:
        check_key(key)
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._error(exc, "read files", key) from None

    def open_read(self, key: str) -> BinaryIO:
        body = self._get(key)["Body"]
        raw = _ReadStream(body, lambda exc: self._error(exc, "read files", key))
        return io.BufferedReader(raw, buffer_size=DEFAULT_CHUNK_SIZE)  # type: ignore[return-value]

    def download_to(self, key: str, path: Path | str, progress: Progress | None = None) -> None:
        response = self._get(key)
        total = int(response.get("ContentLength") or 0)
        stream = _ReadStream(response["Body"], lambda exc: self._error(exc, "read files", key))
        _copy_to_file(
            io.BufferedReader(stream, DEFAULT_CHUNK_SIZE),  # type: ignore[arg-type]
            Path(path),
            total,
            progress,
            DEFAULT_CHUNK_SIZE,
        )

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    yield ObjectInfo(item["Key"], int(item["Size"]), item["LastModified"])
        except Exception as exc:
            raise self._error(exc, "list files") from None

    # ---------------------------------------------------------------------------- checking

    def test_connection(self) -> StorageCheck:
        from botocore.exceptions import ClientError

        # A GET, not HeadBucket: HEAD answers have no body, so a 403 could not tell a wrong
        # access key from a wrong secret from a missing permission.
        can_list = True
        try:
            self._client.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "AccessDenied":
                return StorageCheck(False, self._error(exc, "read the bucket").message)
            can_list = False  # some policies grant object access only; the probe decides
        except Exception as exc:
            return StorageCheck(False, self._error(exc, "read the bucket").message)

        probe = f"{_PROBE_PREFIX}{secrets.token_hex(8)}"
        try:
            self._client.put_object(Bucket=self.bucket, Key=probe, Body=_PROBE)
        except Exception as exc:
            if not can_list:
                return StorageCheck(False, self._error(exc, "use files").message)
            return StorageCheck(False, self._error(exc, "write files").message)
        try:
            readback = self._client.get_object(Bucket=self.bucket, Key=probe)["Body"].read()
        except Exception as exc:
            self._quiet_delete(probe)
            return StorageCheck(False, self._error(exc, "read files").message)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=probe)
        except Exception as exc:
            return StorageCheck(False, self._error(exc, "delete files").message)
        if readback != _PROBE:
            return StorageCheck(
                False, f"A test file stored in {self.describe()} read back differently."
            )
        message = (
            f"Connected to the bucket {self.bucket} at {self.where}: "
            "files can be written, read and deleted."
        )
        if not can_list:
            message += " Listing is not allowed, so unreferenced files cannot be cleaned up."
        return StorageCheck(True, message)

    def _quiet_delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except Exception:
            log.warning("could not delete storage probe %s", key, exc_info=True)


def _changed(path: Path) -> StorageError:
    return StorageError(
        f"The file {path} changed while it was being stored. Check it and add it again."
    )
