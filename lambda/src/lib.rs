//! Lease manager of asl-guard: a counting semaphore on DynamoDB that Step Functions calls to
//! bound how many executions (or Map iterations) run a guarded region at once.
//!
//! The wire format is docs/lease-protocol.md; this crate's job is to keep the seven invariants
//! of DESIGN.md section 3 with a small, constant number of DynamoDB requests and no
//! transactions (the emulator used in tests, dynalite, has none).
//!
//! # Data model
//!
//! One table, string partition key `pk`, TTL attribute `ttl`. Four kinds of item:
//!
//! | key | attributes | deleted by |
//! |---|---|---|
//! | `sem#<semaphore>` | `holders`, `ver`, optional `limit`; `q`, `qs` (callback) | never |
//! | `exec#<execution ARN>` | `sems` (semaphores touched), `ttl` | reaper, or TTL |
//! | `wait#<semaphore>\x1f<holder>` | `n` (waits so far) or `tok` (task token), `ttl` | TTL |
//! | `queues` | `s:<semaphore>` (queueings counted, per semaphore with waiters) | never |
//!
//! `holders` maps holder id -> `{id, w, exp, ex, at}` (lease id, weight, expiry, execution,
//! time asked; callback grants add `tk`, `dl`). The semaphore item is never deleted: it
//! holds the stored limit.
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
//! # Callback mode: waiting without polling
//!
//! With a `taskToken`, acquire answers through the token instead of the return value. The
//! semaphore item gains a queue `q` (holder id -> `{s, d, w, ex, tk, at, l?, ls?}`: arrival
//! number, deadline, weight, execution, token digest, queue time, requested limit and lease
//! length) and an arrival counter `qs`; the full token sits in the holder's `wait#` record
//! (`tok`), because tokens are long and the item only needs to tell tokens apart. Callback
//! grants carry `tk` (digest of the token answered) and `dl` (nonce of the claim) on their
//! holder entry. The registry item `queues` counts queueings per semaphore (`s:<name>`).
//!
//! **Acquire with a token.** (1) If the holder already has a live lease: if it was claimed
//! for this same token, answer nothing more (a duplicate invocation); otherwise *claim* it
//! for the new token (`SET tk, dl` conditioned on the lease id and on `tk` differing) and
//! answer. (2) If no live waiter is queued and the weight fits: grant as in polling mode,
//! with `tk`/`dl` set in the same version-conditioned write, then answer. (3) Otherwise:
//! write the token into `wait#`, take an arrival number (`ADD qs 1`), write the queue entry
//! (conditioned only on the holder having no live lease, since a duplicate invocation may
//! just have been granted), count a queueing in the registry, and finally run a *promotion*
//! itself. Queueing adds no weight, so it neither needs nor bumps the version: a burst of
//! waiters does not contend with itself or with grants. A retried acquire of a queued holder
//! instead points its entry at the new token, deadline and queue time, bumping `ver`.
//!
//! **Promotion** (after every release whose old item had a queue, every releaseExecution
//! and reaping, every queueing, and the sweep): read; drop waiters past their deadline; take
//! the oldest live waiters in arrival order while they fit, stopping at the first that does
//! not; move them to `holders` (new lease ids, `tk` from the queue entry, fresh `dl`) and
//! prune expired holders, all in one write conditioned on `ver`, which it bumps. Then, for
//! each promoted holder, read the token from `wait#` and answer it if its digest equals the
//! entry's `tk`.
//!
//! **Answering.** `SendTaskSuccess` either succeeds, fails with a *closed* token
//! (`TaskTimedOut`, `TaskDoesNotExist`, `InvalidToken`: the Task timed out, was stopped or
//! was answered), or ends with an unknown outcome (throttling, timeouts; a closed error on a
//! retry also counts as unknown, since the lost first attempt may have closed it). On
//! *closed*, the grant is *taken back*: `REMOVE holders.<id>` conditioned on the lease id
//! and on `dl` being this claim's nonce, and promotion runs again. On *unknown*, the grant
//! stays; an immediate grant then fails the invocation with `Lease.Unavailable`, so the
//! guard retries with a new token, which step (1) claims and answers. When Step Functions
//! *refuses* the request (access denied, invalid output), the answer certainly did not
//! arrive: the grant is taken back as for a closed token, and the invocation fails with
//! `Lease.ConfigError` naming the missing permission.
//!
//! **Why this is safe.**
//! - *Limit*: promotions and grants add weight only in writes conditioned on the version
//!   read, and both bump it, so the polling-mode argument (invariant 1) covers them; queueing,
//!   claims and take-backs add no weight. A promotion's removal of a dropped entry is also
//!   conditioned on that entry's arrival number, so it never removes a newer entry of the
//!   same holder.
//! - *Order*: promotions take waiters by arrival number. Two requests in flight at once
//!   may be served in either order (a grant decided just before a waiter's entry landed
//!   goes ahead of it), as no order between them is observable.
//! - *One grant per waiter*: two promotions racing over one waiter read the same version;
//!   only one write succeeds, the other re-reads and finds the waiter gone from the queue.
//!   Two releases racing therefore answer a waiter once.
//! - *One answer per claim, no wrong take-back*: only the write that claimed (`dl`) answers,
//!   and a take-back is fenced on that `dl`. If a retried acquire has meanwhile re-claimed
//!   the lease for its newer token, the old claim's take-back fails its condition and the
//!   lease stays with the Task that the newer token belongs to. A promotion that finds a
//!   newer token in `wait#` than the entry's `tk` does not answer: the acquire that wrote it
//!   will find the live lease and claim it (or, if it ran first, already pointed the queue
//!   entry at it).
//! - *A timed-out waiter takes no slot*: it is dropped at its deadline (`d` = queue time +
//!   `waitSeconds`; the Task's `TimeoutSeconds` is the same bound and started earlier), and a
//!   grant racing with the timeout meets a closed token and is taken back.
//! - *No lost waiter*: a waiter queued after a release's removal runs its own promotion, which
//!   reads after its queueing write and so sees the freed units; a release that comes later
//!   sees the waiter in its old item and promotes.
//! - *Stopped executions*: releaseExecution and the reaper drop the execution's queue
//!   entries (`at` no later than the stop, as for leases) and free its leases, then promote.
//!   A waiter promoted just before the stop keeps its queue time as `at`, so the reaper frees
//!   it; an answer to its closed token is taken back anyway.
//! - *Bounded loss*: if the function dies between a promotion's write and its answer, the
//!   holder's Task times out (`Lease.WaitTimeout`) while its lease stays until the reaper
//!   (when the execution ends) or expiry frees it, as for any crashed holder.
//! - *The sweep* visits the registry, so expired leases reach waiters even when no release
//!   comes. A waiter registers (counts one more queueing) after its queueing write; the
//!   sweep reads the registry, then the semaphore, and forgets a semaphore whose queue it
//!   found empty only if its count is still the one it read. A waiter that registered before
//!   the sweep's registry read was queued before the sweep's semaphore read, so the queue was
//!   not empty; one that registered later changed the count. Only a function dying between a
//!   waiter's queueing and its registration leaves it to releases and promotions alone.
//! - *Lost responses*: a write whose response was lost and whose retry fails its condition
//!   may have landed. A promotion recognises its own grants by their nonces and answers
//!   them; an acquire finding its lease already claimed for its own token answers it again
//!   (a token takes one answer, so a second answer is refused, never doubled).
//! - *Redrives*: a retried or redriven acquire of a queued holder refreshes its queue time,
//!   so a late stop event for the earlier run does not drop it.
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
