"""Document storage: the same behaviour from the folder provider and from S3 (moto's threaded
server on loopback, a real HTTP endpoint) — storing, reading, listing, multipart, progress,
cancel, the connection test's exact diagnoses, orphans — and the settings page."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pytestqt.qtbot import QtBot

from gcmc_desktop.services.errors import ServiceError
from gcmc_desktop.services.storage import (
    LocalFolderStorage,
    S3Storage,
    StorageCancelled,
    StorageError,
    StorageNotFound,
    StorageProvider,
    StorageSettings,
    canonical_provider_name,
    check_key,
    find_orphans,
    find_partial_writes,
    object_key,
    pending_key,
    provider_for,
    remove_orphans,
    remove_partial_writes,
    sha256_file,
    storage_from_settings,
)
from gcmc_desktop.services.storage.s3 import platform_bucket, translate_s3_error

MiB = 1024 * 1024
BUCKET = "gcmc-test"
PART = 5 * MiB  # S3's minimum part size
SHA_A = hashlib.sha256(b"a").hexdigest()


# ------------------------------------------------------------------------------- fixtures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def admin_client(endpoint: str, key: str = "test", secret: str = "test") -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    admin_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def empty_bucket(endpoint: str) -> None:
    client = admin_client(endpoint)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    for upload in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", ()):
        client.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])


def make_s3(endpoint: str, **kwargs: object) -> S3Storage:
    return S3Storage(endpoint, "us-east-1", BUCKET, "test", "test", part_size=PART, **kwargs)


@pytest.fixture(params=["local", "s3"])
def provider(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageProvider]:
    if request.param == "local":
        root = tmp_path / "store"
        root.mkdir()
        yield LocalFolderStorage(root, chunk_size=256 * 1024)
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    yield make_s3(endpoint)
    empty_bucket(endpoint)


def write_file(path: Path, size: int) -> tuple[Path, str]:
    """A file of `size` pseudo-random bytes (distinct per size) and its SHA-256."""
    block = hashlib.sha256(str(size).encode()).digest() * 4096  # 128 KiB
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = block[: min(left, len(block))]
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return path, digest.hexdigest()


def put(provider: StorageProvider, key: str, path: Path, sha: str, **kwargs: object) -> None:
    provider.put_file(
        key,
        path,
        sha256=sha,
        size=path.stat().st_size,
        content_type="application/pdf",
        **kwargs,  # type: ignore[arg-type]
    )


def leftovers(provider: StorageProvider) -> list[str]:
    """Anything a failed upload could have left: temp files, incomplete multipart uploads."""
    if isinstance(provider, LocalFolderStorage):
        return [str(p) for p in provider.root.rglob("*") if p.is_file()]
    client = provider._client
    uploads = client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", ())
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", ())
    return [u["Key"] for u in uploads] + [o["Key"] for o in objects]


# ------------------------------------------------------------------------------- keys, hashing


def test_keys_are_content_addressed_under_the_tenant() -> None:
    assert object_key(7, 42, SHA_A) == f"tenants/7/documents/42/{SHA_A}"
    assert pending_key(7, SHA_A) == f"tenants/7/pending/{SHA_A}"
    with pytest.raises(StorageError):
        object_key(7, 42, "not-a-hash")
    for bad in ("", "/abs", "a//b", "a/../b", "a\\b", "a/.hidden", "."):
        with pytest.raises(StorageError):
            check_key(bad)
    assert check_key("documents/1700000000000-scan.pdf")


def test_storage_error_is_a_service_error() -> None:
    assert issubclass(StorageError, ServiceError)
    assert issubclass(StorageCancelled, StorageError)
    assert issubclass(StorageNotFound, StorageError)


@pytest.mark.parametrize("size", [0, 1, MiB - 1, 3 * MiB + 17])
def test_sha256_file_streams_and_matches_hashlib(tmp_path: Path, size: int) -> None:
    path, expected = write_file(tmp_path / "f.bin", size)
    seen: list[tuple[int, int]] = []
    digest, length = sha256_file(path, progress=lambda d, t: seen.append((d, t)))
    assert (digest, length) == (expected, size)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert seen[-1] == (size, size)
    if size > MiB:
        assert len(seen) == -(-size // MiB)  # one report per 1 MiB chunk


def test_sha256_file_missing_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        sha256_file(tmp_path / "nope")


# ------------------------------------------------------------------------------- both providers


def test_put_exists_size_read_download_delete_list(
    provider: StorageProvider, tmp_path: Path
) -> None:
    path, sha = write_file(tmp_path / "scan.pdf", 300_000)
    key = object_key(1, 10, sha)
    assert not provider.exists(key)
    assert provider.size(key) is None

    put(provider, key, path, sha)
    assert provider.exists(key)
    assert provider.size(key) == 300_000
    with provider.open_read(key) as stream:
        first = stream.read(1000)
        rest = stream.read()
    assert first + rest == path.read_bytes()

    seen: list[tuple[int, int]] = []
    target = tmp_path / "out" / "copy.pdf"
    provider.download_to(key, target, progress=lambda d, t: seen.append((d, t)))
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    assert seen[-1] == (300_000, 300_000)
    assert [p.name for p in target.parent.iterdir()] == ["copy.pdf"]  # no temp file left

    other, other_sha = write_file(tmp_path / "other.pdf", 10)
    put(provider, pending_key(1, other_sha), other, other_sha)
    put(provider, object_key(2, 11, other_sha), other, other_sha)
    assert sorted(provider.list_keys("tenants/1/")) == sorted([key, pending_key(1, other_sha)])
    assert list(provider.list_keys("tenants/1/documents/")) == [key]
    assert list(provider.list_keys("tenants/1/pend")) == [pending_key(1, other_sha)]
    assert list(provider.list_keys("tenants/3/")) == []
    [info] = [i for i in provider.list_objects("tenants/2/")]
    assert (info.key, info.size) == (object_key(2, 11, other_sha), 10)
    assert info.modified.tzinfo is not None

    provider.delete(key)
    provider.delete(key)  # deleting twice is fine
    assert not provider.exists(key)
    with pytest.raises(StorageNotFound):
        provider.open_read(key)
    with pytest.raises(StorageNotFound):
        provider.download_to(key, tmp_path / "gone.pdf")
    assert not (tmp_path / "gone.pdf").exists()


def test_empty_file(provider: StorageProvider, tmp_path: Path) -> None:
    path, sha = write_file(tmp_path / "empty.txt", 0)
    seen: list[tuple[int, int]] = []
    put(provider, pending_key(1, sha), path, sha, progress=lambda d, t: seen.append((d, t)))
    assert provider.size(pending_key(1, sha)) == 0
    assert seen[-1] == (0, 0)


def test_put_refuses_a_file_that_does_not_match_its_checksum(
    provider: StorageProvider, tmp_path: Path
) -> None:
    path, _sha = write_file(tmp_path / "scan.pdf", 1000)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(StorageError, match="changed while it was being stored"):
        put(provider, object_key(1, 1, wrong), path, wrong)
    assert leftovers(provider) == []


def test_large_file_goes_in_parts_with_progress_to_the_end(
    provider: StorageProvider, tmp_path: Path
) -> None:
    size = 12 * MiB + 123
    path, sha = write_file(tmp_path / "big.tif", size)
    key = object_key(1, 5, sha)
    seen: list[tuple[int, int]] = []
    put(provider, key, path, sha, progress=lambda d, t: seen.append((d, t)))

    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(done) > 10  # monotonic, and fine-grained
    assert provider.size(key) == size
    with provider.open_read(key) as stream:
        digest = hashlib.sha256()
        while chunk := stream.read(MiB):
            digest.update(chunk)
    assert digest.hexdigest() == sha
    if isinstance(provider, S3Storage):
        # S3 marks a multipart object's ETag with its part count: 5 + 5 + 2 MiB.
        etag = provider._client.head_object(Bucket=BUCKET, Key=key)["ETag"]
        assert etag.strip('"').endswith("-3")
        metadata = provider._client.head_object(Bucket=BUCKET, Key=key)["Metadata"]
        assert metadata["sha256"] == sha


@pytest.mark.parametrize("size", [12 * MiB, 2 * MiB])
def test_cancel_mid_upload_leaves_nothing(
    provider: StorageProvider, tmp_path: Path, size: int
) -> None:
    path, sha = write_file(tmp_path / "big.tif", size)
    key = object_key(1, 6, sha)
    seen: list[int] = []
    with pytest.raises(StorageCancelled):
        put(
            provider,
            key,
            path,
            sha,
            progress=lambda d, _t: seen.append(d),
            cancelled=lambda: bool(seen) and seen[-1] >= size // 2,
        )
    assert 0 < seen[-1] < size
    assert not provider.exists(key)
    assert leftovers(provider) == []  # no temp file, no incomplete multipart upload


def test_a_retry_after_cancel_stores_the_file(provider: StorageProvider, tmp_path: Path) -> None:
    path, sha = write_file(tmp_path / "big.tif", 6 * MiB)
    key = object_key(1, 7, sha)
    with pytest.raises(StorageCancelled):
        put(provider, key, path, sha, cancelled=lambda: True)
    put(provider, key, path, sha)
    assert provider.size(key) == 6 * MiB


def test_connection_succeeds_and_leaves_no_probe(provider: StorageProvider) -> None:
    check = provider.test_connection()
    assert check.ok, check.message
    assert "written, read and deleted" in check.message
    assert leftovers(provider) == []


def test_orphans_respect_age_and_known_keys(provider: StorageProvider, tmp_path: Path) -> None:
    keys = []
    for n in range(3):
        path, sha = write_file(tmp_path / f"f{n}", 100 + n)
        keys.append(object_key(1, n, sha))
        put(provider, keys[-1], path, sha)
    other_path, other_sha = write_file(tmp_path / "g", 50)
    other_tenant = object_key(2, 1, other_sha)
    put(provider, other_tenant, other_path, other_sha)
    known = {keys[0]}

    # Just stored: could be an upload whose row is being written right now.
    assert find_orphans(provider, known, "tenants/1/", timedelta(hours=1)) == []
    later = datetime.now(UTC) + timedelta(hours=2)
    assert sorted(find_orphans(provider, known, "tenants/1/", timedelta(hours=1), now=later)) == (
        sorted(keys[1:])
    )
    removed = remove_orphans(provider, known, "tenants/1/", timedelta(hours=1), now=later)
    assert sorted(removed) == sorted(keys[1:])
    assert provider.exists(keys[0])
    assert not provider.exists(keys[1]) and not provider.exists(keys[2])
    assert provider.exists(other_tenant)  # another firm's files are never considered

    # Known keys from one firm must never be compared with the whole store.
    for prefix in ("", "tenants/", "documents/"):
        with pytest.raises(StorageError, match="one firm"):
            find_orphans(provider, known, prefix, timedelta(0))


def test_folder_orphans_use_the_file_time(tmp_path: Path) -> None:
    storage = LocalFolderStorage(tmp_path)
    path, sha = write_file(tmp_path / "f", 10)
    old, new = object_key(1, 1, sha), object_key(1, 2, sha)
    put(storage, old, path, sha)
    put(storage, new, path, sha)
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(storage._path(old), (two_days_ago, two_days_ago))
    assert find_orphans(storage, set(), "tenants/1/", timedelta(days=1)) == [old]


def test_folder_write_killed_midway_is_swept_after_a_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9 #28: a killed process cannot discard its temp file; the sweep finds it (a day
    later, not before) and removes only it."""
    import gcmc_desktop.services.storage.folder as folder_store

    storage = LocalFolderStorage(tmp_path / "store")
    (tmp_path / "store").mkdir()
    path, sha = write_file(tmp_path / "f.pdf", 5000)
    kept, kept_sha = write_file(tmp_path / "g.pdf", 10)
    kept_key = object_key(1, 1, kept_sha)
    put(storage, kept_key, kept, kept_sha)

    class Killed(BaseException):
        pass

    def die(_done: int, _total: int) -> None:
        raise Killed()

    monkeypatch.setattr(folder_store, "_discard", lambda _path: None)  # nobody left to clean
    with pytest.raises(Killed):
        put(storage, object_key(1, 2, sha), path, sha, progress=die)
    monkeypatch.undo()
    [leftover] = [p for p in (tmp_path / "store").rglob(".*.part")]
    relative = leftover.relative_to(tmp_path / "store").as_posix()

    assert list(storage.list_keys("tenants/1/")) == [kept_key]
    assert find_partial_writes(storage, "tenants/1/") == []  # too young
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert find_partial_writes(storage, "tenants/2/", now=later) == []
    assert find_partial_writes(storage, "tenants/1/", timedelta(hours=1), now=later) == [relative]
    assert remove_partial_writes(storage, "tenants/1/", now=later) == [relative]
    assert not leftover.exists()
    assert list(storage.list_keys("tenants/1/")) == [kept_key]
    with pytest.raises(StorageError):
        find_partial_writes(storage, "tenants/", now=later)
    with pytest.raises(StorageError):
        storage.delete_partial_write(object_key(1, 1, sha))


# ------------------------------------------------------------------------------- folder only


def test_folder_put_is_atomic_and_readable_by_others(tmp_path: Path) -> None:
    storage = LocalFolderStorage(tmp_path / "store")
    (tmp_path / "store").mkdir()
    path, sha = write_file(tmp_path / "f.pdf", 5000)
    key = object_key(3, 9, sha)
    names_during: list[list[str]] = []

    def progress(_done: int, _total: int) -> None:
        names_during.append(sorted(p.name for p in storage._path(key).parent.iterdir()))

    put(storage, key, path, sha, progress=progress)
    assert all(sha not in names for names in names_during)  # final name only at the end
    assert all(n.startswith(".") and n.endswith(".part") for n in names_during[0])
    assert sorted(p.name for p in storage._path(key).parent.iterdir()) == [sha]
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert storage._path(key).stat().st_mode & 0o777 == 0o666 & ~umask


def test_folder_missing(tmp_path: Path) -> None:
    storage = LocalFolderStorage(tmp_path / "absent")
    check = storage.test_connection()
    assert not check.ok
    assert check.message.startswith(f"The folder {tmp_path / 'absent'} does not exist")
    # An unreachable share is an error, not "no such file", and is never created locally.
    path, sha = write_file(tmp_path / "f", 10)
    for call in (
        lambda: storage.exists("tenants/1/x"),
        lambda: put(storage, "tenants/1/x", path, sha),
        lambda: list(storage.list_keys("tenants/1/")),
    ):
        with pytest.raises(StorageError, match="does not exist"):
            call()
    assert not (tmp_path / "absent").exists()


def test_folder_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    check = LocalFolderStorage(tmp_path / "plain").test_connection()
    assert (check.ok, check.message) == (False, f"{tmp_path / 'plain'} is a file, not a folder.")
    check = LocalFolderStorage(tmp_path / "plain" / "sub").test_connection()
    assert not check.ok
    assert check.message == (
        f"The folder {tmp_path / 'plain' / 'sub'} cannot exist: "
        f"{tmp_path / 'plain'} is a file, not a folder."
    )


def read_only_folder(tmp_path: Path) -> Path:
    """A folder writes into really fail. chmod does not stop root, so as root use sysfs, whose
    directories refuse new files even to root."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    folder = Path("/sys/kernel")
    probe = folder / ".gcmc-write-test"
    try:
        probe.open("xb").close()
    except PermissionError:
        return folder
    except OSError:
        pass
    else:
        probe.unlink()
    pytest.skip("no folder here refuses writes to root")


def test_folder_not_writable(tmp_path: Path) -> None:
    folder = read_only_folder(tmp_path)
    try:
        check = LocalFolderStorage(folder).test_connection()
        assert not check.ok
        assert check.message == (
            f"The folder {folder} exists but cannot be written to: permission denied."
        )
        path, sha = write_file(tmp_path / "f", 10)
        with pytest.raises(StorageError, match="permission denied"):
            put(LocalFolderStorage(folder), "tenants/1/x", path, sha)
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o700)


def test_folder_write_errors_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same diagnosis wherever the tests run (as root, chmod cannot make a real one)."""
    import errno

    from gcmc_desktop.services.storage import folder as folder_store

    storage = LocalFolderStorage(tmp_path)
    path, sha = write_file(tmp_path / "f", 10)
    for error, reason in (
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        (OSError(errno.EROFS, "Read-only file system"), "the drive is read-only"),
        (OSError(errno.ENOSPC, "No space left on device"), "the drive is full"),
    ):

        def refuse(*_args: object, _error: OSError = error) -> int:
            raise _error

        with monkeypatch.context() as patch:
            patch.setattr(folder_store.os, "open", refuse)
            check = storage.test_connection()
            with pytest.raises(StorageError) as raised:
                put(storage, "tenants/1/x", path, sha)
        assert check.message == f"The folder {tmp_path} exists but cannot be written to: {reason}."
        assert raised.value.message == (
            f"Cannot write the file in the folder {tmp_path}: {reason}."
        )
    assert not storage.exists("tenants/1/x")


# ------------------------------------------------------------------------------- S3 only


def test_s3_unreachable_endpoint() -> None:
    storage = S3Storage(f"http://127.0.0.1:{free_port()}", "us-east-1", BUCKET, "k", "s")
    check = storage.test_connection()
    assert not check.ok
    assert "cannot be reached" in check.message
    assert "127.0.0.1" in check.message
    with pytest.raises(StorageError, match="cannot be reached"):
        storage.exists("tenants/1/x")


def test_s3_missing_bucket(moto_endpoint: str) -> None:
    storage = S3Storage(moto_endpoint, "us-east-1", "no-such-bucket", "test", "test")
    check = storage.test_connection()
    assert (check.ok, check.message) == (
        False,
        f"The bucket no-such-bucket does not exist at {moto_endpoint}.",
    )
    # HEAD answers carry no error code; a missing bucket must not read as a missing file.
    with pytest.raises(StorageError, match="bucket no-such-bucket does not exist"):
        storage.exists("tenants/1/x")


@pytest.fixture
def moto_auth(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Moto checking credentials and IAM policies for the test (it accepts anything otherwise):
    a user that may read the bucket but not write to it."""
    from moto import settings as moto_settings

    iam = boto3.client(
        "iam",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    name = f"reader-{free_port()}"
    iam.create_user(UserName=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    yield {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


def test_s3_bad_credentials_and_missing_write_permission(
    moto_endpoint: str, moto_auth: dict[str, str]
) -> None:
    def check(access_key: str, secret_key: str) -> tuple[bool, str]:
        result = S3Storage(moto_endpoint, "us-east-1", BUCKET, access_key, secret_key)
        outcome = result.test_connection()
        return outcome.ok, outcome.message

    ok, message = check("AKIAUNKNOWN000000000", "whatever")
    assert not ok
    assert message == (
        f'The storage server {moto_endpoint} does not know the access key "AKIAUNKNOWN000000000". '
        "Check the access key."
    )
    ok, message = check(moto_auth["access_key"], "wrong-secret")
    assert not ok
    assert message.startswith("The secret key is wrong for the access key")
    assert "wrong-secret" not in message

    ok, message = check(moto_auth["access_key"], moto_auth["secret_key"])
    assert not ok
    assert message == (
        f'The access key "{moto_auth["access_key"]}" may not write files in the bucket {BUCKET} '
        "(access denied). Ask the storage administrator for that permission."
    )


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutObject",
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_client_error("InvalidAccessKeyId", 403), 'does not know the access key "AK"'),
        (_client_error("SignatureDoesNotMatch", 403), "secret key is wrong"),
        (_client_error("NoSuchBucket", 404), "bucket docs does not exist"),
        (_client_error("AccessDenied", 403), "may not write files in the bucket docs"),
        (_client_error("403", 403), "(access denied)"),
        (_client_error("AuthorizationHeaderMalformed"), "another region than us-east-1"),
        (_client_error("RequestTimeTooSkewed", 403), "clock"),
        (EndpointConnectionError(endpoint_url="http://x"), "cannot be reached"),
    ],
)
def test_s3_error_messages(exc: Exception, expected: str) -> None:
    error = translate_s3_error(
        exc,
        action="write files",
        bucket="docs",
        where="http://minio:9000",
        access_key="AK",
        region="us-east-1",
    )
    assert isinstance(error, StorageError)
    assert expected in error.message
    assert "Traceback" not in error.message and "botocore" not in error.message


def test_s3_missing_object_is_storage_not_found() -> None:
    error = translate_s3_error(
        _client_error("NoSuchKey", 404), action="read files", bucket="b", where="w", key="k"
    )
    assert isinstance(error, StorageNotFound)


def test_s3_reads_web_platform_uploads_from_their_bucket(moto_endpoint: str) -> None:
    """The web platform keeps uploads in tenant-{id}-documents as 'minio' objects."""
    bucket = platform_bucket(1)
    client = admin_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="documents/1700000000000-tin.pdf", Body=b"%PDF-1.4")
    ours = make_s3(moto_endpoint)
    web = provider_for("minio", {"s3": ours}).with_bucket(bucket)  # type: ignore[attr-defined]
    with web.open_read("documents/1700000000000-tin.pdf") as stream:
        assert stream.read() == b"%PDF-1.4"


# ------------------------------------------------------------------------------- settings


def test_provider_names() -> None:
    assert canonical_provider_name("minio") == "s3"
    assert canonical_provider_name("S3") == "s3"
    assert canonical_provider_name("local") == "local"
    with pytest.raises(StorageError, match="'dropbox' cannot be read"):
        canonical_provider_name("dropbox")
    local = LocalFolderStorage(Path("/nowhere"))
    assert provider_for("local", {"local": local}) is local
    with pytest.raises(StorageError, match="S3-compatible storage, which is not configured"):
        provider_for("minio", {"local": local})


def test_storage_from_settings(tmp_path: Path) -> None:
    default = storage_from_settings(StorageSettings(), None)
    assert isinstance(default, LocalFolderStorage)
    assert default.root == Path(os.environ["GCMC_DATA_DIR"]) / "files"
    assert default.root.is_dir()

    chosen = storage_from_settings(StorageSettings(folder=tmp_path / "share"), None)
    assert isinstance(chosen, LocalFolderStorage)
    assert not (tmp_path / "share").exists()  # a configured folder is never created

    with pytest.raises(StorageError, match="needs a bucket, access key and secret key"):
        storage_from_settings(StorageSettings(kind="s3"), None)
    with pytest.raises(StorageError, match="needs a secret key"):
        storage_from_settings(StorageSettings(kind="s3", bucket="b", access_key="a"), "")
    s3 = storage_from_settings(
        StorageSettings(kind="s3", endpoint_url="http://minio:9000", bucket="b", access_key="a"),
        "s",
    )
    assert isinstance(s3, S3Storage)
    assert (s3.name, s3.bucket, s3.endpoint_url, s3.region) == (
        "s3",
        "b",
        "http://minio:9000",
        "us-east-1",
    )


# ------------------------------------------------------------------------------- settings page


@pytest.mark.gui
def test_settings_page_switches_fields_and_keeps_values(qtbot: QtBot) -> None:
    from gcmc_desktop.views.storage_settings import StorageSettingsPage

    page = StorageSettingsPage()
    qtbot.addWidget(page)
    page.show()
    assert page.folder_edit.isVisible() and page.browse_button.isVisible()
    assert not page.bucket_edit.isVisible()

    page.set_kind("s3")
    for edit in (
        page.endpoint_edit,
        page.region_edit,
        page.bucket_edit,
        page.access_key_edit,
        page.secret_key_edit,
    ):
        assert edit.isVisible()
    assert not page.folder_edit.isVisible()
    assert page.secret_key_edit.echoMode() == page.secret_key_edit.EchoMode.Password

    settings = StorageSettings(
        kind="s3",
        folder=Path("/srv/gcmc"),
        endpoint_url="http://minio:9000",
        region="us-east-1",
        bucket="docs",
        access_key="AK",
    )
    page.set_values(settings, "SECRET")
    assert page.values() == (settings, "SECRET")
    page.set_kind("local")
    values, secret = page.values()
    assert values.kind == "local" and values.bucket == "docs" and secret == "SECRET"
    page.set_values(StorageSettings(), None)
    assert page.values() == (StorageSettings(), None)


@pytest.mark.gui
def test_settings_page_tests_the_connection(qtbot: QtBot, tmp_path: Path) -> None:
    from gcmc_desktop.views.storage_settings import StorageSettingsPage

    page = StorageSettingsPage()
    qtbot.addWidget(page)
    page.set_values(StorageSettings(folder=tmp_path), None)
    with qtbot.waitSignal(page.tested, timeout=10_000) as blocker:
        page.test_button.click()
    assert blocker.args[0] is True
    assert page.status_ok is True
    assert page.status_icon.text() == "✔"
    assert str(tmp_path) in page.status_text.text()
    assert page.test_button.isEnabled()

    page.folder_edit.setText(str(tmp_path / "missing"))
    with qtbot.waitSignal(page.tested, timeout=10_000):
        page.test_button.click()
    assert page.status_ok is False
    assert page.status_icon.text() == "✘"
    assert page.status_text.text().startswith(f"The folder {tmp_path / 'missing'} does not exist")

    page.set_kind("s3")
    with qtbot.waitSignal(page.tested, timeout=10_000):
        page.test_button.click()
    assert page.status_text.text() == "S3 storage needs a bucket, access key and secret key."
