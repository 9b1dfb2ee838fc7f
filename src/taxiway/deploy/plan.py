"""The deploy plan: local files + what S3 and the environment hold -> actions with reasons.

Pure: no AWS call, no clock. :mod:`taxiway.deploy.aws` reads the remote state first and
plain data flows in here; the same plan is printed by ``--dry-run`` and carried out by
:mod:`taxiway.deploy.run`.

An object is unchanged when its content hash matches: the ``taxiway-sha256`` metadata a
deploy stores, or the ETag when that is the plain MD5 of the body (a single-part upload
without SSE-KMS, e.g. one made by ``aws s3 cp``), so a first deploy onto a bucket filled by
hand does not upload the same bytes again.

The environment is updated when a part it installs (requirements, plugins, startup script)
differs from the object version it runs: because the file changed, or because an earlier
deploy uploaded it and stopped before UpdateEnvironment (the rerun finishes that deploy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from taxiway.deploy.environment import FIELDS, Target
from taxiway.deploy.files import PARTS, LocalFile, ProjectFiles

HASH_KEY = "taxiway-sha256"

UPLOAD, UNCHANGED, DELETE, KEEP = "upload", "unchanged", "delete", "keep"


@dataclass(frozen=True)
class RemoteObject:
    """What S3 says about one key (a listing fills ``etag`` only; a HEAD fills the rest)."""

    key: str
    etag: str | None = None  # without quotes
    sha256: str | None = None  # our metadata, when a deploy wrote it
    version_id: str | None = None

    def same_as(self, local: LocalFile) -> str | None:
        """Why the object holds ``local``'s bytes, or None when it may not."""
        if self.sha256 is not None:
            return "same SHA-256" if self.sha256 == local.sha256 else None
        if self.etag is not None and self.etag == local.md5:
            return "same MD5 (ETag)"
        return None


@dataclass(frozen=True)
class ObjectAction:
    """One object of the plan."""

    kind: str  # requirements | plugins | startup | dag | artifact
    key: str
    action: str  # upload | unchanged | delete | keep
    reason: str
    local: LocalFile | None = None

    @property
    def changes(self) -> bool:
        return self.action in (UPLOAD, DELETE)


@dataclass(frozen=True)
class Plan:
    """Every object with its action, and whether (and why) the environment is updated."""

    bucket: str
    objects: tuple[ObjectAction, ...]
    update: dict[str, str] = field(default_factory=dict)  # part -> why it is (re)installed

    def of(self, *kinds: str) -> list[ObjectAction]:
        return [o for o in self.objects if o.kind in kinds]

    @property
    def parts(self) -> list[ObjectAction]:
        return self.of(*PARTS)

    @property
    def dags(self) -> list[ObjectAction]:
        return self.of("dag")

    @property
    def changes(self) -> list[ObjectAction]:
        return [o for o in self.objects if o.changes]

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.update

    def summary(self) -> str:
        """One line: how many uploads, deletions and whether MWAA is updated."""
        up = sum(o.action == UPLOAD for o in self.objects)
        down = sum(o.action == DELETE for o in self.objects)
        same = sum(o.action == UNCHANGED for o in self.objects)
        text = f"{up} upload(s), {down} deletion(s), {same} unchanged"
        if self.update:
            return f"{text}; environment update for {', '.join(self.update)}"
        if any(o.changes for o in self.dags):
            return f"{text}; DAG changes only: no environment update needed"
        return text


def _short(digest: str | None) -> str:
    return digest[:12] if digest else "?"


def _compare(kind: str, key: str, local: LocalFile, remote: RemoteObject | None) -> ObjectAction:
    if remote is None:
        return ObjectAction(kind, key, UPLOAD, "not in the bucket", local)
    same = remote.same_as(local)
    if same:
        return ObjectAction(kind, key, UNCHANGED, same, local)
    was = f"SHA-256 {_short(remote.sha256)}" if remote.sha256 else "content"
    return ObjectAction(kind, key, UPLOAD, f"changed ({was} -> {_short(local.sha256)})", local)


def needs_head(local: Mapping[str, LocalFile], listed: Mapping[str, RemoteObject]) -> list[str]:
    """Keys a listing cannot decide (present, ETag not the local MD5): HEAD them for the hash."""
    return sorted(k for k, f in local.items() if k in listed and listed[k].etag != f.md5)


def sync(
    kind: str,
    local: Mapping[str, LocalFile],
    remote: Mapping[str, RemoteObject],
    *,
    delete: bool = False,
    protected: Iterable[str] = (),
) -> list[ObjectAction]:
    """Upload what differs; with ``delete``, remove remote keys ``local`` does not have.

    ``remote`` is the listing of the prefix (merged with HEADs from :func:`needs_head`).
    Folder markers (keys ending in ``/``) and ``protected`` keys are never deleted.
    """
    out = [_compare(kind, key, f, remote.get(key)) for key, f in sorted(local.items())]
    if delete:
        keep = set(protected)
        for key in sorted(set(remote) - set(local)):
            if key.endswith("/") or key in keep:
                continue
            out.append(
                ObjectAction(kind, key, DELETE, "no longer in the project (MWAA would load it)")
            )
    return out


def dag_keys(target: Target, files: ProjectFiles) -> dict[str, LocalFile]:
    """The DAG files by their key under the environment's DAG prefix."""
    return {target.dag_key(rel): f for rel, f in files.dags.items()}


def build(
    target: Target,
    files: ProjectFiles,
    parts: Mapping[str, RemoteObject | None],
    dags: Mapping[str, RemoteObject],
    *,
    environment: bool = True,
) -> Plan:
    """The plan for ``files`` onto ``target``.

    ``parts``: the HEAD of each part's key (None: no such object); ``dags``: the listing of
    the DAG prefix with HEADs merged in. ``environment=False`` (no MWAA environment to
    update, only a bucket) plans the uploads alone.
    """
    objects: list[ObjectAction] = []
    update: dict[str, str] = {}
    for part in PARTS:
        key = target.key(part)
        local = files.part(part)
        if local is None:
            if target.paths.get(part):
                objects.append(
                    ObjectAction(
                        part,
                        key,
                        KEEP,
                        f"the environment uses it; the project has no {part} (left as is: "
                        "remove it from the environment yourself if it should go)",
                    )
                )
            continue
        remote = parts.get(part)
        action = _compare(part, key, local, remote)
        objects.append(action)
        if not environment:
            continue
        in_use = target.versions.get(part)
        if action.action == UPLOAD:
            update[part] = f"new `{key}`"
        elif not target.paths.get(part):
            update[part] = f"the environment does not use `{key}` yet"
        elif in_use is None:
            update[part] = f"the environment runs no pinned version of `{key}`: pin the current one"
        elif remote is not None and remote.version_id != in_use:
            update[part] = (
                f"the environment runs version {in_use} of `{key}`, not the current "
                f"{remote.version_id} (an earlier deploy uploaded it and did not finish)"
            )
    protected = [target.key(p) for p in PARTS]
    objects += sync("dag", dag_keys(target, files), dags, delete=True, protected=protected)
    return Plan(target.bucket, tuple(objects), update)


def update_request(
    name: str, target: Target, plan: Plan, versions: Mapping[str, str]
) -> dict[str, str]:
    """UpdateEnvironment's arguments: each part to (re)install at its object version.

    ``versions`` holds each part's current object version (the upload's, or the HEAD's).
    """
    args = {"Name": name}
    for part in PARTS:
        if part in plan.update:
            path_field, version_field = FIELDS[part]
            args[path_field] = target.key(part)
            args[version_field] = versions[part]
    return args
