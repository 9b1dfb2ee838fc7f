"""Synthetic marketing events in the Kafka Connect S3 sink layout, with a ground truth.

Behaviour: campaigns with ads on channels show impressions to anonymous visitors (some of
them known users); a few click, land on a page, add to cart and convert with revenue.
Organic visits (no campaign) produce page views and conversions that attribution must
leave unattributed. Injected faults, each on an otherwise valid record: malformed JSON,
a missing required field, a wrong type, an unknown event_type, an unparseable timestamp;
duplicates (an earlier record again in another file or a later hour); late events (event
time 1-5 days before the landing hour); truncated gzip files (file-level rejects).

Deterministic for a seed. The ground truth is computed by replaying the written files in
the order the curate step reads them, so it is what a correct pipeline must report.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from taxiway.lake.layout import Lake, format_hour

CHANNELS = ("search", "social", "display", "video", "email", "affiliate")
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "SE", "BR", "JP")
CURRENCIES = {"US": "USD", "GB": "GBP", "BR": "BRL", "JP": "JPY", "SE": "SEK"}
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 Version/18.1 Safari",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
)
PAGES = ("/", "/shoes", "/shoes/runner-2", "/bags", "/sale", "/jackets/rain", "/hats")


@dataclass(frozen=True)
class GeneratorOptions:
    """What to generate. Rates are per generated record (per file for truncated files)."""

    start: datetime
    hours: int = 24
    events_per_hour: int = 50_000
    seed: int = 7
    topic: str = "events"
    partitions: int = 3
    files_per_partition: int = 2
    compress: bool = True
    malformed_rate: float = 0.004
    missing_field_rate: float = 0.003
    wrong_type_rate: float = 0.003
    unknown_type_rate: float = 0.002
    bad_timestamp_rate: float = 0.003
    duplicate_rate: float = 0.02
    late_rate: float = 0.01
    truncated_file_rate: float = 0.01


@dataclass
class GroundTruth:
    """What a correct curate run over the generated files must report."""

    input_records: int = 0
    curated: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    curated_per_date: dict[str, int] = field(default_factory=dict)
    late_events: int = 0
    files: int = 0
    corrupt_files: list[str] = field(default_factory=list)
    per_hour: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _utc_ms(ts: datetime) -> str:
    """``2026-11-23T05:12:33.123`` (no offset), cheaper than strftime."""
    return (
        f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:"
        f"{ts.second:02d}.{ts.microsecond // 1000:03d}"
    )


def _iso(ts: datetime, rng: random.Random) -> str:
    """ISO-8601 with an offset, in the spellings collectors really send."""
    roll = rng.random()
    if roll < 0.5:
        return _utc_ms(ts) + "Z"
    if roll < 0.8:
        return _utc_ms(ts) + "+00:00"
    return _utc_ms(ts.astimezone(_CET)) + "+01:00"


_CET = timezone(timedelta(hours=1))


@dataclass(frozen=True)
class _Rec:
    """One written line and what the generator knows about it."""

    line: str
    kind: str | None  # injected reason code, None for a valid record
    event_id: str
    event_date: str
    late: bool


_dumps = json.JSONEncoder(separators=(",", ":")).encode


class _World:
    """Campaigns, ads and visitors: the fixed cast of a generation run."""

    def __init__(self, rng: random.Random, visitors: int) -> None:
        self.rng = rng
        self.campaigns = [f"cmp-{i:03d}" for i in range(1, 25)]
        self.ads = {c: [f"{c}-ad-{j}" for j in range(1, 6)] for c in self.campaigns}
        self.channel = {c: CHANNELS[i % len(CHANNELS)] for i, c in enumerate(self.campaigns)}
        self.visitors = [f"anon-{rng.getrandbits(48):012x}" for _ in range(max(visitors, 10))]
        self.user_of = {
            v: (f"user-{rng.getrandbits(32):08x}" if rng.random() < 0.35 else None)
            for v in self.visitors
        }
        self.country_of = {v: rng.choice(COUNTRIES) for v in self.visitors}
        self.agent_of = {v: rng.choice(AGENTS) for v in self.visitors}


def _journey(world: _World, hour: datetime, late_days: int) -> list[tuple[dict[str, Any], str]]:
    """One visitor's events in one session: impression -> click -> ... -> conversion."""
    rng = world.rng
    visitor = rng.choice(world.visitors)
    organic = rng.random() < 0.08
    campaign = None if organic else rng.choice(world.campaigns)
    base: dict[str, Any] = dict(
        anonymous_id=visitor,
        user_id=world.user_of[visitor],
        session_id=f"s-{rng.getrandbits(40):010x}",
        campaign_id=campaign,
        ad_id=rng.choice(world.ads[campaign]) if campaign else None,
        channel=world.channel[campaign] if campaign else "direct",
        user_agent=world.agent_of[visitor],
        country=world.country_of[visitor],
    )
    steps = ["page_view"] if organic else ["impression"]
    if not organic and rng.random() < 0.12:
        steps.append("click")
        if rng.random() < 0.9:
            steps.append("page_view")
    if steps[-1] == "page_view" and rng.random() < 0.3:
        steps.append("add_to_cart")
        if rng.random() < 0.45:
            steps.append("conversion")
    t = hour + timedelta(seconds=rng.uniform(0, 3300))
    if late_days:
        t -= timedelta(days=late_days)
    out = []
    for step in steps:
        t += timedelta(seconds=rng.uniform(0.5, 40))
        received = min(
            (t if not late_days else hour + timedelta(seconds=rng.uniform(0, 3590)))
            + timedelta(seconds=rng.uniform(0.05, 3)),
            hour + timedelta(seconds=3599.9),
        )
        event_time = min(t, received)
        ev: dict[str, Any] = {
            "event_id": f"{rng.getrandbits(128):032x}",
            "event_type": step,
            "event_ts": _iso(event_time, rng),
            "received_ts": _utc_ms(received) + "Z",
            **base,
            "page_url": f"https://shop.example.com{rng.choice(PAGES)}",
            "referrer": "https://www.google.com/" if base["channel"] == "search" else None,
            "properties": {"device": "mobile" if "Mobile" in base["user_agent"] else "desktop"},
        }
        if step == "impression":
            ev["properties"]["slot"] = rng.randint(1, 6)
            ev["page_url"] = None
        if step == "conversion":
            ev["revenue"] = (
                f"{rng.uniform(9, 400):.2f}"
                if rng.random() < 0.5
                else round(rng.uniform(9, 400), 2)
            )
            ev["currency"] = CURRENCIES.get(base["country"], "EUR")
            ev["order_id"] = f"o-{rng.getrandbits(40):010x}"
        out.append((ev, event_time.date().isoformat()))
    return out


def _corrupt(ev: dict[str, Any], kind: str, rng: random.Random) -> str:
    """Serialise ``ev`` with one injected defect of ``kind`` (a reason code)."""
    bad = dict(ev)
    if kind == "missing-required-field":
        del bad[rng.choice(("event_id", "event_type", "event_ts", "anonymous_id"))]
    elif kind == "wrong-type":
        field_name = rng.choice(("anonymous_id", "revenue", "properties"))
        bad[field_name] = {"anonymous_id": 12345, "revenue": "lots", "properties": "n/a"}[
            field_name
        ]
    elif kind == "unknown-event-type":
        bad["event_type"] = rng.choice(("hover", "scroll", "Click"))
    elif kind == "bad-timestamp":
        bad["event_ts"] = rng.choice(("yesterday", "2026-02-30T10:00:00Z", "1700000000"))
    text = json.dumps(bad, separators=(",", ":"))
    if kind == "malformed-json":
        text = text[: rng.randint(5, len(text) - 5)]
    return text


Emit = Callable[[datetime, int, list[str]], None]


def generate(
    root: Path,
    opts: GeneratorOptions,
    on_hour: Callable[[datetime], None] | None = None,
    emit: Emit | None = None,
) -> GroundTruth:
    """Write the landing files under ``root`` and return (and write) the ground truth.

    ``on_hour`` is called after each landing hour is written (progress reporting).
    ``emit(hour, partition, lines)``, when given, receives each file's lines instead of the
    file being written (``taxiway.events.kafka`` produces them to a topic); no file can be
    truncated then, and the truth assumes the sink's names (offsets from 0 per partition).
    """
    rng = random.Random(opts.seed)
    lake = Lake(root, opts.topic)
    world = _World(rng, visitors=max(opts.events_per_hour // 3, 50))
    faults = (
        ("malformed-json", opts.malformed_rate),
        ("missing-required-field", opts.missing_field_rate),
        ("wrong-type", opts.wrong_type_rate),
        ("unknown-event-type", opts.unknown_type_rate),
        ("bad-timestamp", opts.bad_timestamp_rate),
    )
    offsets = [0] * opts.partitions
    pool: list[tuple[_Rec, int]] = []  # valid records already written, with their partition
    written: list[tuple[datetime, Path, list[_Rec], bool]] = []
    for h in range(opts.hours):
        hour = opts.start.astimezone(UTC) + timedelta(hours=h)
        per_part: list[list[_Rec]] = [[] for _ in range(opts.partitions)]
        this_hour: list[tuple[_Rec, int]] = []
        n = 0
        while n < opts.events_per_hour:
            late = rng.randint(1, 5) if rng.random() < opts.late_rate else 0
            for ev, event_date in _journey(world, hour, late):
                part = int(ev["anonymous_id"][-4:], 16) % opts.partitions
                roll, kind = rng.random(), None
                for name, rate in faults:
                    if roll < rate:
                        kind = name
                        break
                    roll -= rate
                if kind:
                    per_part[part].append(_Rec(_corrupt(ev, kind, rng), kind, "", "", False))
                else:
                    rec = _Rec(_dumps(ev), None, ev["event_id"], event_date, bool(late))
                    per_part[part].append(rec)
                    this_hour.append((rec, part))
                n += 1
                if rng.random() < opts.duplicate_rate and (pool or this_hour):
                    # the same random draws as before; an hour whose lines so far are all
                    # corrupt has nothing to copy yet, so its duplicate comes from the pool
                    if pool and (rng.random() < 0.5 or not this_hour):
                        rec, _ = rng.choice(pool)
                        dpart = rng.randrange(opts.partitions)
                    else:
                        rec, opart = rng.choice(this_hour)
                        dpart = (opart + 1) % opts.partitions  # another file than the original
                    per_part[dpart].append(rec)
                    n += 1
        pool.extend(this_hour)
        del pool[: max(0, len(pool) - 50_000)]
        for part, lines in enumerate(per_part):
            chunk = -(-len(lines) // opts.files_per_partition) if lines else 0
            for i in range(opts.files_per_partition):
                piece = lines[i * chunk : (i + 1) * chunk]
                if not piece:
                    continue
                path = lake.landing_file(hour, part, offsets[part], gz=opts.compress)
                offsets[part] += len(piece)
                truncated = rng.random() < opts.truncated_file_rate
                if emit is not None:
                    emit(hour, part, [r.line for r in piece])
                    written.append((hour, path, piece, False))
                    continue
                body = ("\n".join(r.line for r in piece) + "\n").encode()
                if opts.compress:
                    body = gzip.compress(body, compresslevel=5)
                    if truncated:
                        body = body[: int(len(body) * 0.6)]
                else:
                    truncated = False
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                written.append((hour, path, piece, truncated))
        if on_hour is not None:
            on_hour(hour)
    truth = replay(written)
    root.mkdir(parents=True, exist_ok=True)
    lake.ground_truth.write_text(truth.to_json())
    return truth


def replay(written: list[tuple[datetime, Path, list[_Rec], bool]]) -> GroundTruth:
    """Compute the ground truth from what was injected, replaying files in curate order.

    Faults are taken from the injection record, not re-detected, so the truth does not
    share the validator's logic; only "which copy is first" depends on the read order.
    """
    truth = GroundTruth()
    reasons: Counter[str] = Counter()
    per_date: Counter[str] = Counter()
    per_hour: dict[str, Counter[str]] = defaultdict(Counter)
    seen: set[str] = set()
    for hour, path, records, truncated in sorted(written, key=lambda w: (w[0], str(w[1]))):
        key = format_hour(hour)
        truth.files += 1
        if truncated:  # the whole file is one file-level reject
            truth.corrupt_files.append(str(path))
            reasons["corrupt-file"] += 1
            truth.input_records += 1
            per_hour[key]["input"] += 1
            per_hour[key]["quarantined"] += 1
            continue
        for rec in records:
            truth.input_records += 1
            per_hour[key]["input"] += 1
            if rec.kind:
                reasons[rec.kind] += 1
                per_hour[key]["quarantined"] += 1
            elif rec.event_id in seen:
                truth.duplicates += 1
                per_hour[key]["duplicates"] += 1
            else:
                seen.add(rec.event_id)
                truth.curated += 1
                per_hour[key]["curated"] += 1
                truth.late_events += rec.late
                per_date[rec.event_date] += 1
    truth.quarantined = dict(sorted(reasons.items()))
    truth.curated_per_date = dict(sorted(per_date.items()))
    truth.per_hour = {k: dict(v) for k, v in sorted(per_hour.items())}
    return truth
