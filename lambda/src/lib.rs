//! Lease manager of asl-guard: a counting semaphore on DynamoDB that Step Functions calls to
//! bound how many executions (or Map iterations) run a guarded region at once.
//!
//! The wire format is docs/lease-protocol.md; this crate's job is to keep the seven invariants
//! of DESIGN.md section 3 with a small, constant number of DynamoDB requests and no
//! transactions (the emulator used in tests, dynalite, has none).
//!
//! # Data model
//!
//! One table, string partition key `pk`, TTL attribute `ttl`. Three kinds of item:
//!
//! | key | attributes | deleted by |
//! |---|---|---|
//! | `sem#<semaphore>` | `holders` (map: holder id -> `{id, w, exp, ex, at}`), `ver`, optional `limit` | never (holds the stored limit) |
//! | `exec#<execution ARN>` | `sems` (string set of semaphores touched), `ttl` | the reaper, or TTL |
//! | `wait#<semaphore>\x1f<holder>` | `n` (waits so far), `ttl` | TTL |
//!
//! **Acquire** (uncontended: 3 requests, 1 item read): a consistent `GetItem` of the
//! semaphore; if the holder already has a live entry, that lease is answered again
//! (idempotent, no write). Otherwise the live weight is summed over entries whose stored
//! `exp` is still in the future; if the request's weight fits under the limit, an `UpdateItem`
//! on the execution index (`ADD sems`) is followed by one `UpdateItem` that sets the holder's
//! entry, bumps `ver`, prunes up to 40 expired entries, and is conditioned on `ver` being the
//! value read. Any concurrent grant bumps `ver`, so a stale decision fails its condition and is
//! taken again on a fresh read (up to 8 rounds, then `wait`).
//!
//! **Release** (1 request): `UpdateItem REMOVE holders.<holder>` conditioned on that entry's
//! `id` being the lease id released. A release does not bump `ver`: removing an entry can only
//! make a concurrent acquire's view pessimistic, never optimistic. If the condition fails the
//! answer is `not_held` (unknown, foreign, or already released), or `lost` when the expiry
//! carried in the lease id has passed. An expired entry that is still stored is removed and
//! answered `lost`.
//!
//! **releaseExecution** reads the semaphore and removes, with the same fenced condition, the
//! entries whose `ex` is the execution. **The reaper** reads `exec#<arn>` on a terminal status
//! (SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE), runs releaseExecution for each
//! semaphore named there, then deletes the index. The index is written *before* the grant,
//! so no holder can exist that the reaper cannot find. Each entry records its grant time
//! (`at`), and the reaper skips entries granted more than 5 s after the event's `stopDate`:
//! a late event must not free the leases of a redriven execution with the same ARN.
//!
//! # Why the invariants hold
//!
//! 1. *Limit*: every write that adds weight is conditioned on the version read, and every
//!    such write bumps it, so between a grant's read and its write no other weight was added;
//!    removals in between only lower the true count. DynamoDB (and dynalite, see the
//!    `emulator_serialises_conditional_writes` test) applies conditional writes to one item
//!    serially. No count-then-put anywhere.
//! 2. *Idempotent acquire*: the holder id is the map key, so a retry finds its live entry and
//!    gets the same lease id and expiry; a retry whose first write landed but whose answer was
//!    lost fails its condition, reads again, and finds the entry.
//! 3. *Fenced release*: removal is conditioned on the lease id; counts are derived from the
//!    entries present, so they cannot go negative.
//! 4. *Expiry*: `exp` (epoch seconds) is compared with the clock on every read; an expired
//!    entry never counts, whether or not it has been pruned. Nothing relies on TTL for
//!    correctness; TTL only tidies index and waiter items.
//! 5. *Leaks*: the reaper frees a finished execution's leases at once; expiry at the latest.
//! 6. *Run-time limit*: precedence is the semaphore item's `limit` attribute (set by an
//!    operator with one `UpdateItem`, effective on the next acquire), then the request's
//!    `limit`, then `ASL_GUARD_DEFAULT_LIMIT`. Lowering it never revokes leases; new grants wait
//!    until the live weight is below the new limit. A stored limit of 0 pauses the semaphore.
//! 7. *Transient errors*: each call is retried up to 3 times with full jitter; after that
//!    acquire answers `wait` (never `acquired`), release and reaping fail with
//!    `Lease.Unavailable` so Step Functions retries them. Costs: acquire 3 requests (1 item
//!    read), release 1, independent of the number of holders (the item's *size* grows with
//!    them, bounded by `limit` <= 5000 and a 350 KB budget past which acquire waits).
//!
//! Waiting holders back off by the count in their own `wait#` item: it never grows the
//! semaphore item, never counts toward `held`, and does not contend with grants.
//!
//! Why no sort key, GSI or one item per lease: counting items would need a query whose cost
//! grows with the holders, and a per-lease item plus a counter needs a transaction to stay
//! consistent. One item per semaphore makes the check-and-grant a single conditional write.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod handler;
pub mod lease;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod store;
pub mod testkit;
pub mod tokens;
