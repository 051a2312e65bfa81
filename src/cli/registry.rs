//! `trustnode registry …`: the governance body's commands. They edit the registry directory's source file
//! (`registry.json`), sign the next snapshot into `snapshots/`, verify a snapshot file or URL, and publish the
//! newest snapshot to a node; `watch` follows a node's change feed (`super::watch`).
//!
//! Each command reads the files it needs, calls the registry core, and writes results atomically; all rules live
//! in `trustnode_registry`. Progress of long operations goes to stderr, only when stderr is a terminal.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, ConfigArg};
use crate::clock::now;
use crate::hosting::answer::{check_saved_answer, Expectations};
use crate::hosting::verify;
use crate::store::{RegistryDir, SnapshotDir};
use trustnode_registry::jws::SigningKey;
use trustnode_registry::model::{
    EntityMetadata, ModelError, NewDelegation, NewStatement, RegistrySource, StatementKind, Status, Timestamp,
};
use trustnode_registry::snapshot::{CanonicalSnapshot, SnapshotError};
use trustnode_registry::wire::{encode, SNAPSHOT_JWS_HEADER};

/// `registry` subcommands.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Create a registry directory with an empty source file.
    Init(InitArgs),
    /// Add an entity or replace its display metadata.
    Entity(EntityArgs),
    /// Authorize an entity to do an action on a resource (e.g. issue OpenBadgeCredential).
    Authorize(StatementArgs),
    /// Record that this authority recognizes another authority for an action on a resource.
    Recognize(StatementArgs),
    /// Delegate to another authority the right to authorize others within a scope (an accreditation chain link):
    /// an authorization with action `delegate` whose resource is the scope.
    Delegate(DelegateArgs),
    /// Suspend a statement (it may be reinstated later).
    Suspend(StatusArgs),
    /// Revoke a statement (final).
    Revoke(StatusArgs),
    /// Reinstate a suspended statement.
    Reinstate(StatusArgs),
    /// Sign the source as the next snapshot, chained to the newest one, into DIR/snapshots/.
    Sign(SignArgs),
    /// Sign every snapshot of DIR again (same bytes, new .jws): for registries signed before signatures covered
    /// the snapshot's signed header instead of the whole file, and for moving to a new key of the authority.
    Resign(ResignArgs),
    /// Verify a snapshot file (with its .jws beside it) or an http:// URL of a node's snapshot: canonical form,
    /// signature, key authority (resolving the authority DID) and chain (when the previous file is beside it).
    Verify(VerifyArgs),
    /// Publish the newest signed snapshot of DIR to a node.
    Publish(PublishArgs),
    /// Verify a saved TRQP answer offline: its proof (asked with `context.proof`) against the authority's DID, and
    /// its node signature (asked with `Accept: application/jose`) against the node's DID. Exit 0 when valid.
    CheckAnswer(CheckAnswerArgs),
    /// Follow a node's change feed of a registry: verify each event (signature, chain, inclusion proofs) and print
    /// its changes as they are published, resuming after a dropped connection without gap or repeat.
    Watch(super::watch::WatchArgs),
}

/// Arguments of `registry init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The registry directory to create.
    dir: PathBuf,
    /// The authority's DID (did:key for small bodies, did:web for organizations).
    #[arg(long, value_name = "DID")]
    authority: String,
    /// The registry's name.
    #[arg(long)]
    name: String,
    /// URI of the governance framework.
    #[arg(long, value_name = "URI")]
    governance_framework: Option<String>,
}

/// Arguments of `registry entity`.
#[derive(Debug, clap::Args)]
pub struct EntityArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The entity's DID.
    #[arg(long, value_name = "DID")]
    entity: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// Registered legal name.
    #[arg(long)]
    legal_name: Option<String>,
    /// Home page URL.
    #[arg(long, value_name = "URL")]
    homepage: Option<String>,
    /// Logo URL.
    #[arg(long, value_name = "URL")]
    logo: Option<String>,
    /// Location, e.g. "Austin, TX, USA".
    #[arg(long, value_name = "TEXT")]
    location: Option<String>,
    /// Credential Engine CTID (ce-…).
    #[arg(long, value_name = "ID")]
    ctid: Option<String>,
    /// Research Organization Registry id.
    #[arg(long, value_name = "ID")]
    ror: Option<String>,
}

/// Arguments of `registry authorize` and `registry recognize`.
#[derive(Debug, clap::Args)]
pub struct StatementArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The entity's DID (for `recognize`: the recognized authority's DID).
    #[arg(long, value_name = "DID")]
    entity: String,
    /// The action, e.g. `issue`.
    #[arg(long)]
    action: String,
    /// The resource, e.g. `OpenBadgeCredential` or an achievement type URI.
    #[arg(long, value_name = "URI")]
    resource: String,
    #[command(flatten)]
    validity: ValidityArgs,
}

/// A statement's validity window.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidityArgs {
    /// Start of validity (RFC 3339, UTC `Z`); default now.
    #[arg(long, value_name = "T")]
    valid_from: Option<Timestamp>,
    /// End of validity (exclusive); default none. For a delegation it also ends what the delegate grants.
    #[arg(long, value_name = "T")]
    valid_until: Option<Timestamp>,
}

/// Arguments of `registry delegate`.
#[derive(Debug, clap::Args)]
pub struct DelegateArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The delegate authority's DID (it needs an entity entry, and its own registry on the answering node).
    #[arg(long, value_name = "DID")]
    entity: String,
    /// The resources the delegate may authorize others for: one resource, or a prefix ending in `*`, e.g.
    /// `https://example.org/badges/*`.
    #[arg(long, value_name = "SCOPE")]
    scope: String,
    /// How many statements may follow this one in a chain (1: the delegate authorizes entities but cannot
    /// delegate further); default: up to the global bound of 7.
    #[arg(long, value_name = "N")]
    max_depth: Option<u8>,
    #[command(flatten)]
    validity: ValidityArgs,
}

/// Arguments of `registry suspend|revoke|reinstate`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The statement id (e.g. `s3`).
    #[arg(long, value_name = "ID")]
    statement: String,
    /// Why, for people.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// When the change takes effect (RFC 3339, UTC `Z`); default now.
    #[arg(long, value_name = "T")]
    at: Option<Timestamp>,
}

/// Arguments of `registry sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The signing key file (from `trustnode key generate`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// How long until the next snapshot is due, e.g. `24h`, `7d`, `90m`, `3600s`.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    next_update: i64,
    /// The verification method to name in the signature; default: the did:key's own key when the authority is
    /// that did:key. Required for other authorities, e.g. `did:web:board.example#key-1`.
    #[arg(long, value_name = "DID-URL")]
    kid: Option<String>,
}

/// Arguments of `registry resign`.
#[derive(Debug, clap::Args)]
pub struct ResignArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The signing key file.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The verification method to name in the signatures (as for `sign`).
    #[arg(long, value_name = "DID-URL")]
    kid: Option<String>,
}

/// Arguments of `registry verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A snapshot file `N.json` (its signature `N.jws` beside it), or a node URL such as
    /// http://127.0.0.1:8080/registries/did:key:z…/snapshots/latest
    target: String,
    #[command(flatten)]
    config: ConfigArg,
}

/// Arguments of `registry check-answer`.
#[derive(Debug, clap::Args)]
pub struct CheckAnswerArgs {
    /// The saved answer: its JSON (with `proof`), or the compact JWS a node signed.
    file: PathBuf,
    /// The authority you trust; the answer must be about it.
    #[arg(long, value_name = "DID")]
    authority: Option<String>,
    /// The node you expect to have signed the answer.
    #[arg(long, value_name = "DID")]
    node: Option<String>,
    #[command(flatten)]
    config: ConfigArg,
}

/// Arguments of `registry publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The registry directory.
    dir: PathBuf,
    /// The node's base URL, e.g. http://127.0.0.1:8080
    #[arg(long, value_name = "URL")]
    node: String,
}

/// `90m`, `24h`, `7d` or `3600s` in seconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: use a number with s, m, h or d, e.g. 24h")),
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_seconds))
        .filter(|&seconds| seconds > 0)
        .ok_or_else(|| format!("{text:?} is not a positive duration"))
}

/// Runs a `registry` subcommand.
pub fn run(command: RegistryCommand) -> Result<ExitCode, CliError> {
    match command {
        RegistryCommand::Init(args) => init(args),
        RegistryCommand::Entity(args) => edit(&args.dir.clone(), |source| {
            let metadata = EntityMetadata {
                name: args.name,
                legal_name: args.legal_name,
                homepage: args.homepage,
                logo: args.logo,
                location: args.location,
                ctid: args.ctid,
                ror_id: args.ror,
            };
            source.upsert_entity(&args.entity, metadata)?;
            Ok(format!("entity {}", args.entity))
        }),
        RegistryCommand::Authorize(args) => add_statement(StatementKind::Authorization, args),
        RegistryCommand::Recognize(args) => add_statement(StatementKind::Recognition, args),
        RegistryCommand::Delegate(args) => add_delegation(args),
        RegistryCommand::Suspend(args) => change_status(Status::Suspended, args),
        RegistryCommand::Revoke(args) => change_status(Status::Revoked, args),
        RegistryCommand::Reinstate(args) => change_status(Status::Active, args),
        RegistryCommand::Sign(args) => sign(args),
        RegistryCommand::Resign(args) => resign(args),
        RegistryCommand::Verify(args) => verify_target(args),
        RegistryCommand::Publish(args) => publish(args),
        RegistryCommand::CheckAnswer(args) => check_answer(args),
        RegistryCommand::Watch(args) => super::watch::run(args),
    }
}

fn init(args: InitArgs) -> Result<ExitCode, CliError> {
    let directory = RegistryDir::new(&args.dir);
    if directory.source_path().exists() {
        return Err(format!("{} already exists", directory.source_path().display()).into());
    }
    let source = RegistrySource::init(&args.authority, &args.name, args.governance_framework.as_deref())?;
    directory.write_source(&source.to_json()?)?;
    println!("created {}", directory.source_path().display());
    Ok(ExitCode::SUCCESS)
}

fn read_source(directory: &RegistryDir) -> Result<RegistrySource, CliError> {
    let path = directory.source_path();
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    RegistrySource::from_json(&bytes).map_err(|error| explain(&path, error).into())
}

/// One line per problem, so a person can fix them all in one pass.
fn explain(path: &Path, error: ModelError) -> String {
    match error {
        ModelError::Invalid(problems) => {
            let lines: Vec<String> = problems.iter().map(|problem| format!("  {problem}")).collect();
            format!("{} is invalid ({} problems):\n{}", path.display(), problems.len(), lines.join("\n"))
        }
        other => format!("{}: {other}", path.display()),
    }
}

/// Loads the source, applies `change`, and writes it back; prints what `change` reports.
fn edit(
    dir: &Path,
    change: impl FnOnce(&mut RegistrySource) -> Result<String, CliError>,
) -> Result<ExitCode, CliError> {
    let directory = RegistryDir::new(dir);
    let mut source = read_source(&directory)?;
    let done = change(&mut source)?;
    directory.write_source(&source.to_json()?)?;
    println!("{done}");
    Ok(ExitCode::SUCCESS)
}

impl ValidityArgs {
    /// The start, defaulting to now, and the end.
    fn window(&self) -> Result<(Timestamp, Option<Timestamp>), CliError> {
        let valid_from = match self.valid_from {
            Some(at) => at,
            None => now()?,
        };
        Ok((valid_from, self.valid_until))
    }
}

fn add_statement(kind: StatementKind, args: StatementArgs) -> Result<ExitCode, CliError> {
    let (valid_from, valid_until) = args.validity.window()?;
    edit(&args.dir.clone(), |source| {
        let id = source.add_statement(NewStatement {
            kind,
            entity_id: args.entity,
            action: args.action,
            resource: args.resource,
            valid_from,
            valid_until,
        })?;
        Ok(format!("added statement {id}"))
    })
}

fn add_delegation(args: DelegateArgs) -> Result<ExitCode, CliError> {
    let (valid_from, valid_until) = args.validity.window()?;
    edit(&args.dir.clone(), |source| {
        let id = source.add_delegation(NewDelegation {
            delegate: args.entity,
            scope: args.scope,
            max_depth: args.max_depth,
            valid_from,
            valid_until,
        })?;
        Ok(format!("added delegation {id}"))
    })
}

fn change_status(to: Status, args: StatusArgs) -> Result<ExitCode, CliError> {
    let at = match args.at {
        Some(at) => at,
        None => now()?,
    };
    edit(&args.dir.clone(), |source| {
        source.change_status(&args.statement, to, at, &args.reason)?;
        Ok(format!("statement {} is {to} from {at}", args.statement))
    })
}

/// Reports progress on stderr when it is a terminal; otherwise stays silent.
fn progress_reporter(what: &'static str) -> impl FnMut(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if terminal {
            eprint!("\r{what} {done}/{total} statements");
            if done == total {
                eprintln!();
            }
        }
    }
}

fn parse_with_progress(bytes: Vec<u8>) -> Result<CanonicalSnapshot, SnapshotError> {
    CanonicalSnapshot::parse_with_progress(bytes, &mut progress_reporter("checking"))
}

fn sign(args: SignArgs) -> Result<ExitCode, CliError> {
    let directory = RegistryDir::new(&args.dir);
    let source = read_source(&directory)?;
    let (key, kid) = signing_key(&args.key, args.kid, &source.authority_id)?;
    let snapshots = directory.snapshots();
    let previous = match newest_sequence(&snapshots)? {
        Some(sequence) => Some(parse_with_progress(snapshots.read(sequence)?.bytes)?),
        None => None,
    };
    let issued = now()?;
    let next_update = issued.checked_add_seconds(args.next_update).ok_or("--next-update is too far away")?;
    let built = CanonicalSnapshot::build_with_progress(
        &source,
        previous.as_ref(),
        issued,
        next_update,
        &mut progress_reporter("encoding"),
    )
    .map_err(|error| match error {
        SnapshotError::InvalidSource(model) => explain(&directory.source_path(), model),
        other => other.to_string(),
    })?;
    let jws = built.sign(&key, &kid)?;
    let sequence = built.snapshot().sequence;
    snapshots.write(sequence, built.bytes(), &jws)?;
    println!("signed snapshot {sequence} ({}) into {}", built.digest(), snapshots.snapshot_path(sequence).display());
    Ok(ExitCode::SUCCESS)
}

/// The key in `path` and the `kid` to name it by: `kid` when given, else the key's own did:key URL when the
/// authority is that did:key.
fn signing_key(path: &Path, kid: Option<String>, authority_id: &str) -> Result<(SigningKey, String), CliError> {
    let key_bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let key = SigningKey::from_file_bytes(&key_bytes)?;
    let kid = match kid {
        Some(kid) => kid,
        None if key.did_key()? == authority_id => key.did_key_url()?,
        None => {
            return Err(format!(
                "the key is {}, not the authority {authority_id}: pass --kid with the authority's verification method",
                key.did_key()?,
            )
            .into())
        }
    };
    Ok((key, kid))
}

fn resign(args: ResignArgs) -> Result<ExitCode, CliError> {
    let directory = RegistryDir::new(&args.dir);
    let source = read_source(&directory)?;
    let (key, kid) = signing_key(&args.key, args.kid, &source.authority_id)?;
    let snapshots = directory.snapshots();
    for sequence in snapshots.sequences()? {
        let snapshot = parse_with_progress(snapshots.read(sequence)?.bytes)?;
        snapshots.write(sequence, snapshot.bytes(), &snapshot.sign(&key, &kid)?)?;
        println!("signed snapshot {sequence} ({}) again", snapshot.digest());
    }
    Ok(ExitCode::SUCCESS)
}

fn newest_sequence(snapshots: &SnapshotDir) -> Result<Option<u64>, CliError> {
    if !snapshots.path().is_dir() {
        return Ok(None);
    }
    Ok(snapshots.sequences()?.last().copied())
}

fn verify_target(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let mut config = args.config.load()?;
    // Verification needs only the resolver, not the node's own registries.
    config.registries.clear();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let (bytes, jws, previous_file) = if args.target.starts_with("http://") {
            let reply = super::http_client::request(hyper::Method::GET, &args.target, &[], Vec::new()).await?;
            if !reply.status.is_success() {
                return Err(format!("{} answered {}: {}", args.target, reply.status, reply.text()).into());
            }
            let jws = reply
                .header(SNAPSHOT_JWS_HEADER)
                .ok_or_else(|| format!("the reply has no {SNAPSHOT_JWS_HEADER} header"))?;
            (reply.body.to_vec(), jws.to_owned(), None)
        } else if args.target.contains("://") {
            return Err("only files and http:// URLs can be verified; download https:// snapshots first".into());
        } else {
            let path = PathBuf::from(&args.target);
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let jws_path = path.with_extension("jws");
            let jws = std::fs::read_to_string(&jws_path)
                .map_err(|e| format!("cannot read the signature {}: {e}", jws_path.display()))?;
            (bytes, jws.trim().to_owned(), Some(path))
        };
        let snapshot = parse_with_progress(bytes)?;
        println!("canonical form and content: ok (sequence {}, {})", snapshot.snapshot().sequence, snapshot.digest());
        let resolver = crate::node::open_resolver(&config)?;
        let verified = verify::verify_signature(&resolver, snapshot, &jws).await?;
        println!(
            "signature: ok ({} by {}, listed in the authority's assertionMethod)",
            verified.signature.algorithm.jose_name(),
            verified.signature.kid
        );
        let snapshot = verified.snapshot;
        match (snapshot.snapshot().previous, previous_file) {
            (None, _) => println!("chain: sequence 1, no predecessor"),
            (Some(link), Some(path)) => {
                let previous_path = path.with_file_name(format!("{}.json", link.sequence));
                match std::fs::read(&previous_path) {
                    Ok(bytes) => {
                        let previous = parse_with_progress(bytes)?;
                        snapshot.check_follows(&previous)?;
                        println!("chain: ok (follows {})", previous_path.display());
                    }
                    Err(_) => println!("chain: not checked ({} is not beside it)", previous_path.display()),
                }
            }
            (Some(link), None) => {
                println!("chain: not checked (previous is sequence {}, {})", link.sequence, link.digest)
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn publish(args: PublishArgs) -> Result<ExitCode, CliError> {
    let directory = RegistryDir::new(&args.dir);
    let source = read_source(&directory)?;
    let snapshots = directory.snapshots();
    let sequence = newest_sequence(&snapshots)?.ok_or("no signed snapshot yet: run `trustnode registry sign`")?;
    let stored = snapshots.read(sequence)?;
    let authority = encode(&source.authority_id);
    let url = format!("{}/registries/{authority}/snapshots/{sequence}", args.node.trim_end_matches('/'));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = runtime.block_on(super::http_client::request(
        hyper::Method::PUT,
        &url,
        &[("content-type", "application/json"), (SNAPSHOT_JWS_HEADER, &stored.jws)],
        stored.bytes,
    ))?;
    if reply.status.is_success() {
        println!("published snapshot {sequence} to {}", args.node);
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("the node refused snapshot {sequence} ({}): {}", reply.status, reply.text()).into())
    }
}

fn check_answer(args: CheckAnswerArgs) -> Result<ExitCode, CliError> {
    let mut config = args.config.load()?;
    config.registries.clear();
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let expect = Expectations { authority_id: args.authority.as_deref(), node_id: args.node.as_deref() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let checked = runtime.block_on(async {
        let resolver = crate::node::open_resolver(&config)?;
        let checked = check_saved_answer(&resolver, &text, &expect).await;
        crate::node::close_resolver(&resolver);
        Ok::<_, CliError>(checked?)
    })?;
    let answer = &checked.answer;
    let verdict = match (answer.authorized, answer.recognized) {
        (Some(authorized), _) => format!("authorized: {authorized}"),
        (_, Some(recognized)) => format!("recognized: {recognized}"),
        _ => "no verdict".to_owned(),
    };
    println!(
        "answer: {} {} {} by {} at {}: {verdict}",
        answer.entity_id, answer.action, answer.resource, answer.authority_id, answer.time_evaluated
    );
    if let Some(node) = &checked.node {
        println!("node signature: ok ({} by {})", node.algorithm.jose_name(), node.kid);
    }
    for (index, (header, signature)) in checked.links.iter().enumerate() {
        println!(
            "proof link {index}: ok (snapshot {} of {}, issued {}, signed {} by {})",
            header.sequence,
            header.authority_id,
            header.issued,
            signature.algorithm.jose_name(),
            signature.kid
        );
        if header.next_update <= answer.time_evaluated {
            println!("  note: that snapshot was past its next_update ({}) at time_evaluated", header.next_update);
        }
    }
    match checked.deciding_link {
        Some(index) => println!("verdict: proven by link {index}"),
        None => println!("verdict: vouched for by the node's signature only (no proof)"),
    }
    Ok(ExitCode::SUCCESS)
}
