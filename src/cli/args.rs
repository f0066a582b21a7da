//! The command line as clap sees it. Nothing here is validated beyond types: `Config`
//! building in `run.rs` resolves and checks the values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status: 0 done, 1 findings (check) or a file that would change (--check),
2 bad input, usage or I/O error. A closed stdout (broken pipe) exits 0.

Examples:
  asl-guard wrap workflow.asl.json --around ProcessWork --limit 5
  asl-guard wrap workflow.asl.json --around Fetch --through Store --semaphore db -i
  asl-guard wrap --check workflow.asl.json --around ProcessWork
  asl-guard unwrap workflow.asl.json
  asl-guard check statemachines/*.asl.json
  asl-guard graph workflow.asl.json --around ProcessWork --format mermaid";

/// Put a concurrency limit around part of an AWS Step Functions workflow.
#[derive(Debug, Parser)]
#[command(name = "asl-guard", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// When to color diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Explain decisions on stderr.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Explain decisions in more detail on stderr.
    #[arg(long, global = true)]
    pub trace: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Guard a state or a single-entry group of states with a lease.
    #[command(
        after_help = "The guard acquires a lease before the region, waits while none is \
free, releases on every way out (errors included) and fails closed."
    )]
    Wrap(WrapArgs),
    /// Remove guards written by `wrap`, restoring the original definition.
    Unwrap(UnwrapArgs),
    /// Lint definitions: structure, paths and guard rules.
    Check(CheckArgs),
    /// Draw a definition as Graphviz dot or Mermaid.
    Graph(GraphArgs),
    /// Terraform external data source: JSON query on stdin, JSON answer on stdout.
    External,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Where output goes and how it looks; shared by wrap and unwrap.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Definition files; `-` or nothing reads stdin.
    pub files: Vec<PathBuf>,
    /// Rewrite the files in place (atomically).
    #[arg(short = 'i', long, conflicts_with_all = ["check", "output"])]
    pub in_place: bool,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 1 when the file (or --output) differs from the result.
    #[arg(long)]
    pub check: bool,
    /// Output format; by default the input's.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Spaces per JSON indent level (0: one line).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=16))]
    pub indent: u8,
}

/// Arguments of `wrap`.
#[derive(Debug, Args)]
pub struct WrapArgs {
    /// The state to guard; repeat to name every state of a region.
    #[arg(long, required = true, value_name = "STATE")]
    pub around: Vec<String>,
    /// Guard every state on a path from --around to this state.
    #[arg(long, value_name = "STATE")]
    pub through: Option<String>,
    /// Semaphore name [default: the entry state's name].
    #[arg(long)]
    pub semaphore: Option<String>,
    /// Most holders at once; sent with each acquire [default: the Lambda's setting].
    #[arg(long)]
    pub limit: Option<u64>,
    /// Units of the limit one holder takes [default: 1].
    #[arg(long)]
    pub weight: Option<u64>,
    /// Lease function ARN or a ${...} placeholder [default: ${lease_function_arn}].
    #[arg(long, value_name = "ARN")]
    pub function: Option<String>,
    /// Lease duration before a lost holder's slot comes back [default: the Lambda's].
    #[arg(long, value_name = "SECONDS")]
    pub lease_seconds: Option<u64>,
    /// Bound on waiting for a slot, then Lease.WaitTimeout [default: 3600]. poll: no new Wait
    /// starts once the waits add up to it. callback: the acquire Task's TimeoutSeconds, per
    /// attempt (a failed invocation fails fast and is retried with a new token; a queued
    /// acquire ends only when its token is answered or this timeout passes).
    #[arg(long, value_name = "SECONDS")]
    pub max_wait: Option<u64>,
    /// AWS partition of the lambda:invoke resource (aws-cn, aws-us-gov, ...) [default: aws].
    #[arg(long)]
    pub partition: Option<String>,
    /// Prefix for the injected state names.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub names: String,
    /// How a holder waits: poll (ask again after a Wait) or callback (a .waitForTaskToken
    /// acquire the Lambda answers once the slot is free; Standard workflows only).
    #[arg(long, value_enum, default_value_t = WaitArg::Poll)]
    pub wait: WaitArg,
    /// The workflow type the definition runs as; express refuses --wait callback.
    #[arg(long, value_enum, default_value_t = WorkflowType::Standard)]
    pub workflow_type: WorkflowType,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `unwrap`.
#[derive(Debug, Args)]
pub struct UnwrapArgs {
    /// Remove only the guard entering this state.
    #[arg(long, value_name = "STATE")]
    pub around: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Definition files; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// The workflow type the definitions run as; express adds Express-only checks.
    #[arg(long, value_enum, default_value_t = WorkflowType::Standard)]
    pub workflow_type: WorkflowType,
}

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Definition file; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    /// Highlight the region starting at this state.
    #[arg(long, value_name = "STATE")]
    pub around: Vec<String>,
    /// Highlight the region up to this state.
    #[arg(long, value_name = "STATE")]
    pub through: Option<String>,
    /// Drawing format.
    #[arg(long, value_enum, default_value_t = GraphFormatArg::Dot)]
    pub format: GraphFormatArg,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when the stream is a terminal and NO_COLOR is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// `--format` of wrap and unwrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// `--format` of graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormatArg {
    /// Graphviz dot.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `--wait` of wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitArg {
    /// Ask again after a Wait state, as long as the Lambda says.
    Poll,
    /// Ask once and wait for the Lambda to answer the task token.
    Callback,
}

/// `--workflow-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkflowType {
    /// Standard workflows.
    Standard,
    /// Express workflows.
    Express,
}
