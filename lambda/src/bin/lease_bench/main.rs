//! `lease-bench`: prints what one acquire + release costs with 0 to 1000 leases held (DynamoDB
//! requests, items read, handler time) next to the count-then-put baseline, and the time from
//! process start to first answer of a bootstrap driven through a local Runtime API stand-in.
//! Figures only, no assertions. Needs the emulator: ASL_GUARD_DYNAMODB_ENDPOINT.
//!
//! Usage: lease-bench [--cycles N] [--starts N] [--verbose] [--bootstrap PATH [ARGS...]]
//! (`--verbose` shows the started process's stderr; `--bootstrap` takes the rest of the line.)

mod baseline;

use std::process::Stdio;
use std::time::{Duration, Instant};

use asl_guard_lease::config::Config;
use asl_guard_lease::handler::handle;
use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::{semaphore_key, Clock, Holder, HOLDERS, VERSION};
use asl_guard_lease::store::{DynamoDb, KEY};
use asl_guard_lease::testkit::{runtime_api, CountingDb, RecordingTokens};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeDefinition, AttributeValue, BillingMode};
use aws_sdk_dynamodb::types::{KeySchemaElement, KeyType, ScalarAttributeType};
use aws_sdk_dynamodb::Client;
use serde_json::json;

type BoxError = Box<dyn std::error::Error>;

const HELD: [usize; 4] = [0, 10, 100, 1000];
const EXEC: &str = "arn:aws:states:us-east-1:123456789012:execution:bench:run-0001";

struct Options {
    cycles: usize,
    starts: usize,
    bootstrap: Option<Vec<String>>,
    verbose: bool,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = options()?;
    let endpoint = std::env::var("ASL_GUARD_DYNAMODB_ENDPOINT").map_err(|_| {
        "ASL_GUARD_DYNAMODB_ENDPOINT is not set; start the emulator with \
         `node tools/dynalite-server.js 8000` and export \
         ASL_GUARD_DYNAMODB_ENDPOINT=http://127.0.0.1:8000"
    })?;
    let client = client(&endpoint);
    let run = std::process::id();
    println!(
        "lease-bench: {} cycles per row, emulator {endpoint}\n",
        options.cycles
    );
    print_header();
    for held in HELD {
        let table = format!("bench-{run}-{held}");
        let ours = measure_ours(&client, &table, held, options.cycles).await?;
        let table = format!("base-{run}-{held}");
        let base = measure_baseline(&client, &table, held, options.cycles).await?;
        print_row(held, &ours, &base);
    }
    print_notes();
    let table = format!("callback-{run}");
    print_callback(&measure_callback(&client, &table, options.cycles).await?);
    cold_starts(&options, &endpoint, &client, run).await
}

/// Approximate size of one baseline lease item (pk, sk, exp), DynamoDB sizing rules.
const BASELINE_ITEM_BYTES: f64 = 28.0;

/// Column headers and widths of the per-cycle table: this design, then the baseline.
const COLUMNS: [(&str, usize); 14] = [
    ("held", 4),
    ("reqs", 4),
    ("items read", 10),
    ("item KB", 7),
    ("RCU", 3),
    ("WCU", 3),
    ("acq ms", 6),
    ("rel ms", 6),
    ("reqs", 4),
    ("items read", 10),
    ("RCU", 3),
    ("WCU", 3),
    ("acq ms", 6),
    ("rel ms", 6),
];

fn print_header() {
    println!("per acquire + release cycle; RCU/WCU are estimates from item sizes (4 KB per");
    println!("consistent read unit, 1 KB per write unit, writes billed on the larger image)\n");
    let ours: usize = COLUMNS[1..8].iter().map(|c| c.1 + 3).sum();
    println!(
        "     | {:<w$}| count-then-put baseline",
        "this design",
        w = ours
    );
    let names: Vec<String> = COLUMNS.iter().map(|(n, w)| format!("{n:>w$}")).collect();
    println!("{}", names.join(" | "));
}

fn print_row(held: usize, ours: &Row, base: &Row) {
    let our_rcu = (ours.kb / 4.0).ceil().max(1.0);
    let our_wcu = 1.0 + 2.0 * ours.kb.ceil().max(1.0);
    let base_rcu = (held as f64 * BASELINE_ITEM_BYTES / 4096.0).ceil().max(1.0);
    let values = [
        held as f64,
        ours.requests,
        ours.items,
        ours.kb,
        our_rcu,
        our_wcu,
        ours.acquire_ms,
        ours.release_ms,
        base.requests,
        base.items,
        base_rcu,
        2.0,
        base.acquire_ms,
        base.release_ms,
    ];
    let cells: Vec<String> = values
        .iter()
        .zip(COLUMNS)
        .enumerate()
        .map(|(i, (v, (_, w)))| match i {
            0 | 4 | 5 | 10 | 11 => format!("{v:>w$.0}"),
            6 | 7 | 12 | 13 => format!("{v:>w$.2}"),
            _ => format!("{v:>w$.1}"),
        })
        .collect();
    println!("{}", cells.join(" | "));
}

fn print_notes() {
    println!(
        "\nthis design: consistent GetItem + index UpdateItem + conditional UpdateItem, then one"
    );
    println!("fenced UpdateItem; the baseline counts with a Query (unsafe under concurrency).");
}

fn options() -> Result<Options, BoxError> {
    let mut o = Options {
        cycles: 20,
        starts: 5,
        bootstrap: None,
        verbose: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cycles" => o.cycles = args.next().ok_or("--cycles N")?.parse()?,
            "--starts" => o.starts = args.next().ok_or("--starts N")?.parse()?,
            "--verbose" => o.verbose = true,
            "--bootstrap" => o.bootstrap = Some(args.by_ref().collect()),
            other => return Err(format!("unknown argument {other:?}; see the file's docs").into()),
        }
    }
    Ok(o)
}

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

async fn create_table(client: &Client, name: &str) -> Result<(), BoxError> {
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    wait_active(client, name).await
}

/// Waits until `name` is ACTIVE: tables are created asynchronously.
pub async fn wait_active(client: &Client, name: &str) -> Result<(), BoxError> {
    for _ in 0..200 {
        let out = client.describe_table().table_name(name).send().await?;
        let status = out.table.and_then(|t| t.table_status);
        if status == Some(aws_sdk_dynamodb::types::TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(format!("table {name} did not become ACTIVE within 2 s").into())
}

/// Averages of one row.
#[derive(Default)]
struct Row {
    requests: f64,
    items: f64,
    kb: f64,
    acquire_ms: f64,
    release_ms: f64,
}

/// Writes `held` live holders straight into the semaphore item (set-up, not measured).
async fn fill(client: &Client, table: &str, held: usize) -> Result<f64, BoxError> {
    let exp = Clock::default().now() + 3600;
    let mut holders = std::collections::HashMap::new();
    let mut bytes = 0;
    for i in 0..held {
        let id = format!("{EXEC}/holder-{i:04}");
        let h = Holder {
            lease_id: format!("{:024x}.{exp}", i),
            weight: 1,
            expires_at: exp,
            execution: EXEC.into(),
            granted_at: exp - 3600,
            delivery: None,
        };
        bytes += h.approx_bytes(&id);
        holders.insert(id, h.to_attribute());
    }
    client
        .put_item()
        .table_name(table)
        .item(KEY, AttributeValue::S(semaphore_key("bench")))
        .item(VERSION, AttributeValue::N("1".into()))
        .item(HOLDERS, AttributeValue::M(holders))
        .send()
        .await?;
    Ok(bytes as f64 / 1024.0)
}

async fn measure_ours(
    client: &Client,
    table: &str,
    held: usize,
    cycles: usize,
) -> Result<Row, BoxError> {
    create_table(client, table).await?;
    let kb = fill(client, table, held).await?;
    let config = Config {
        table: table.into(),
        default_limit: 1,
        default_lease_seconds: 900,
        max_retry_after: 30,
    };
    let leases = Leases::new(
        CountingDb::new(DynamoDb::new(client.clone(), table)),
        config,
        Clock::default(),
    );
    let mut row = Row {
        kb,
        ..Row::default()
    };
    for i in 0..cycles {
        let holder = format!("{EXEC}/probe-{i:04}");
        let acquire = json!({"action": "acquire", "semaphore": "bench", "holder": holder,
                             "execution": EXEC, "limit": held + 1});
        leases.db.take();
        let started = Instant::now();
        let answer = handle(&leases, acquire, "bench", false).await?;
        row.acquire_ms += ms(started.elapsed());
        let lease_id = serde_json::to_value(&answer)?["leaseId"]
            .as_str()
            .ok_or("not acquired")?
            .to_string();
        let release = json!({"action": "release", "semaphore": "bench", "holder": holder,
                             "leaseId": lease_id});
        let started = Instant::now();
        handle(&leases, release, "bench", false).await?;
        row.release_ms += ms(started.elapsed());
        let (requests, items) = leases.db.take();
        row.requests += requests as f64;
        row.items += items as f64;
    }
    Ok(average(row, cycles))
}

/// Callback mode: DynamoDB requests and handler time of each call a guarded item makes, with
/// a free slot and with a queue (token answers go to a recorder, not counted as requests).
#[derive(Debug, Default)]
struct CallbackRow {
    free_acquire: (f64, f64),
    quiet_release: (f64, f64),
    queued_acquire: (f64, f64),
    handoff_release: (f64, f64),
}

async fn measure_callback(
    client: &Client,
    table: &str,
    cycles: usize,
) -> Result<CallbackRow, BoxError> {
    create_table(client, table).await?;
    let config = Config {
        table: table.into(),
        default_limit: 1,
        default_lease_seconds: 900,
        max_retry_after: 30,
    };
    let tokens = RecordingTokens::new();
    let leases = Leases::new(
        CountingDb::new(DynamoDb::new(client.clone(), table)),
        config,
        Clock::default(),
    )
    .with_tokens(tokens.clone());
    let mut row = CallbackRow::default();
    let timed = |slot: &mut (f64, f64), started: Instant, requests: u64| {
        slot.0 += requests as f64 / cycles as f64;
        slot.1 += ms(started.elapsed()) / cycles as f64;
    };
    let acquire = |holder: &str, token: &str| {
        json!({"action": "acquire", "semaphore": "cb", "holder": holder, "execution": EXEC,
               "limit": 1, "taskToken": token, "waitSeconds": 600})
    };
    let lease_of = |token: &str| -> Result<String, BoxError> { Ok(tokens.granted_lease(token)?) };
    for i in 0..cycles {
        let (a, w) = (format!("{EXEC}/a-{i:04}"), format!("{EXEC}/w-{i:04}"));
        let (ta, tw) = (format!("ta-{i}"), format!("tw-{i}"));
        leases.db.take();
        let started = Instant::now();
        handle(&leases, acquire(&a, &ta), "bench", false).await?;
        timed(&mut row.free_acquire, started, leases.db.take().0);
        let started = Instant::now();
        handle(&leases, acquire(&w, &tw), "bench", false).await?;
        timed(&mut row.queued_acquire, started, leases.db.take().0);
        let release = json!({"action": "release", "semaphore": "cb", "holder": a,
                             "leaseId": lease_of(&ta)?});
        let started = Instant::now();
        handle(&leases, release, "bench", false).await?;
        timed(&mut row.handoff_release, started, leases.db.take().0);
        let release = json!({"action": "release", "semaphore": "cb", "holder": w,
                             "leaseId": lease_of(&tw)?});
        let started = Instant::now();
        handle(&leases, release, "bench", false).await?;
        timed(&mut row.quiet_release, started, leases.db.take().0);
    }
    Ok(row)
}

fn print_callback(row: &CallbackRow) {
    println!("\ncallback mode (--wait callback), one semaphore at limit 1, per call:");
    println!("{:<34} | reqs |     ms", "call");
    for (name, (reqs, ms)) in [
        ("acquire, slot free (answered)", row.free_acquire),
        ("acquire, queued", row.queued_acquire),
        ("release, hands off to the waiter", row.handoff_release),
        ("release, nobody queued", row.quiet_release),
    ] {
        println!("{name:<34} | {reqs:>4.1} | {ms:>6.2}");
    }
    println!("Each grant also makes one SendTaskSuccess call (not a DynamoDB request).");
}

async fn measure_baseline(
    client: &Client,
    table: &str,
    held: usize,
    cycles: usize,
) -> Result<Row, BoxError> {
    baseline::create_table(client, table).await?;
    baseline::fill(client, table, "bench", held).await?;
    let mut row = Row::default();
    for _ in 0..cycles {
        let c = baseline::cycle(client, table, "bench").await?;
        row.requests += c.requests as f64;
        row.items += c.items_read as f64;
        row.acquire_ms += ms(c.acquire);
        row.release_ms += ms(c.release);
    }
    Ok(average(row, cycles))
}

fn average(row: Row, n: usize) -> Row {
    let n = n.max(1) as f64;
    Row {
        requests: row.requests / n,
        items: row.items / n,
        kb: row.kb,
        acquire_ms: row.acquire_ms / n,
        release_ms: row.release_ms / n,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn cold_starts(
    options: &Options,
    endpoint: &str,
    client: &Client,
    run: u32,
) -> Result<(), BoxError> {
    let command = match &options.bootstrap {
        Some(c) if !c.is_empty() => c.clone(),
        _ => vec![default_bootstrap()?],
    };
    let table = format!("cold-{run}");
    create_table(client, &table).await?;
    println!(
        "\nprocess start to first answer, {} starts of: {}",
        options.starts,
        command.join(" ")
    );
    let mut times = Vec::new();
    for i in 0..options.starts {
        let (elapsed, answer) = start_once(&command, endpoint, &table, i, options.verbose).await?;
        println!("  start {i}: {:>7.1} ms  answer {answer}", ms(elapsed));
        times.push(elapsed);
    }
    times.sort();
    if let (Some(min), Some(median)) = (times.first(), times.get(times.len() / 2)) {
        println!("  min {:.1} ms, median {:.1} ms", ms(*min), ms(*median));
    }
    Ok(())
}

/// The release bootstrap that package.sh builds, else the one next to this binary.
fn default_bootstrap() -> Result<String, BoxError> {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        let release = format!("{dir}/x86_64-unknown-linux-gnu/release/bootstrap");
        if std::path::Path::new(&release).exists() {
            return Ok(release);
        }
    }
    let sibling = std::env::current_exe()?.with_file_name("bootstrap");
    Ok(sibling.to_str().ok_or("non-UTF-8 path")?.to_string())
}

async fn start_once(
    command: &[String],
    endpoint: &str,
    table: &str,
    i: usize,
    verbose: bool,
) -> Result<(Duration, String), BoxError> {
    let event = json!({"action": "acquire", "semaphore": "cold", "holder": format!("h{i}"),
                       "execution": EXEC, "limit": 100})
    .to_string();
    let (addr, mut answers) = runtime_api::start(event).await?;
    let (program, args) = command.split_first().ok_or("empty --bootstrap command")?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("AWS_LAMBDA_RUNTIME_API", &addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "lease")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("ASL_GUARD_TABLE_NAME", table)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(if verbose {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let answer = tokio::time::timeout(Duration::from_secs(30), answers.recv()).await;
    let _ = child.kill().await;
    match answer {
        Ok(Some(a)) => Ok((a.at - started, format!("{}: {}", a.kind, a.body))),
        _ => Err(format!("{program} gave no answer within 30 s").into()),
    }
}
