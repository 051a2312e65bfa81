//! `trustnode verify FILE|-`: the node's verdict on a credential or presentation (told apart by its `type`; a file
//! holding a bare compact JWS is a JOSE-secured credential),
//! explained for people or as the JSON the HTTP API answers. In-process by default (the configuration's resolver
//! and registries), or asked of a running node with `--node URL`. Exit status 0 only when verified.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use hyper::Method;
use serde_json::{json, Value};

use super::{CliError, ConfigArg};
use crate::hosting::Registries;
use crate::verifier::verdict::Verdict;
use crate::verifier::{Grounds, Options, ProofMemo, Verifier};

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The credential or presentation: a JSON file or a compact JWS credential, or `-` for standard input.
    file: String,
    /// Output: an explanation for people, or the verdict as JSON (the HTTP API's body).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Ask only this authority's registry whether the issuer is authorized.
    #[arg(long, value_name = "DID")]
    authority: Option<String>,
    /// The registry resource to ask about, instead of the credential's type.
    #[arg(long)]
    resource: Option<String>,
    /// The challenge a presentation's proof must carry.
    #[arg(long)]
    challenge: Option<String>,
    /// The domain a presentation's proof must carry.
    #[arg(long)]
    domain: Option<String>,
    /// Ask a running node (its base URL, http://) instead of verifying in-process.
    #[arg(long, value_name = "URL")]
    node: Option<String>,
    #[command(flatten)]
    config: ConfigArg,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Each check and every error and warning, in words.
    Text,
    /// The verdict as JSON.
    Json,
}

/// Prints the verdict; exits 0 only when verified.
pub fn run(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let mut text = Vec::new();
    if args.file == "-" {
        std::io::stdin().read_to_end(&mut text)?;
    } else {
        text = std::fs::read(&args.file).map_err(|error| format!("cannot read {}: {error}", args.file))?;
    }
    let document = match trustnode_did::strict_json::from_slice(&text) {
        Ok(document) => document,
        Err(error) => {
            compact_jws(&text).ok_or_else(|| format!("{} is neither JSON nor a compact JWS: {error}", args.file))?
        }
    };
    let presentation = is_presentation(&document);
    let options = Options {
        authority_id: args.authority.clone(),
        resource: args.resource.clone(),
        proof: false,
        challenge: args.challenge.clone(),
        domain: args.domain.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let verdict: Value = runtime.block_on(async {
        match &args.node {
            Some(node) => ask_node(node, document, presentation, &args).await,
            None => verify_here(&args.config, document, presentation, options).await.map(|verdict| json!(verdict)),
        }
    })?;
    let verified = verdict.get("verified") == Some(&Value::Bool(true));
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(stdout, "{verdict}")?,
        Format::Text => {
            let verdict: Verdict = serde_json::from_value(verdict)?;
            write!(stdout, "{}", verdict.explain())?;
        }
    }
    Ok(if verified { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The text as a JSON string when it is a compact JWS (three base64url parts), which the verifier reads as a
/// JOSE-secured credential.
fn compact_jws(text: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    (text.split('.').count() == 3 && text.bytes().all(base64url)).then(|| Value::String(text.to_owned()))
}

fn is_presentation(document: &Value) -> bool {
    let types = document.get("type");
    let named = |t: &Value| t.as_str() == Some("VerifiablePresentation");
    types.is_some_and(|types| named(types) || types.as_array().is_some_and(|types| types.iter().any(named)))
}

async fn verify_here(
    config: &ConfigArg,
    document: Value,
    presentation: bool,
    options: Options,
) -> Result<Verdict, CliError> {
    let config = config.load()?;
    let resolver = crate::node::open_resolver(&config)?;
    let registries = Registries::open(&config.registries, &config.server.data_dir, &resolver).await?;
    let contexts = crate::verifier::load_contexts(&config.credentials)?;
    let (memo, canonicalizations) = (ProofMemo::new(0), tokio::sync::Semaphore::new(crate::node::cores()));
    let grounds = Grounds {
        resolver: &resolver,
        registries: &registries,
        config: &config.credentials,
        contexts: &contexts,
        memo: &memo,
        canonicalizations: &canonicalizations,
    };
    let verifier = Verifier::new(grounds, crate::clock::now()?, options);
    let verdict =
        if presentation { verifier.presentation(document).await } else { verifier.credential(document).await };
    crate::node::close_resolver(&resolver);
    Ok(verdict?)
}

async fn ask_node(node: &str, document: Value, presentation: bool, args: &VerifyArgs) -> Result<Value, CliError> {
    let (path, member) = if presentation {
        ("presentations/verify", "verifiablePresentation")
    } else {
        ("credentials/verify", "verifiableCredential")
    };
    let body = json!({
        member: document,
        "options": {"authority_id": args.authority, "resource": args.resource, "challenge": args.challenge, "domain": args.domain},
    });
    let url = format!("{}/{path}", node.trim_end_matches('/'));
    let reply = super::http_client::request(
        Method::POST,
        &url,
        &[("content-type", "application/json")],
        body.to_string().into_bytes(),
    )
    .await?;
    let verdict: Value = serde_json::from_slice(&reply.body)
        .map_err(|_| format!("{url} answered {}: {}", reply.status, reply.text()))?;
    if verdict.get("verified").is_none() {
        return Err(format!("{url} answered {}: {}", reply.status, reply.text()).into());
    }
    Ok(verdict)
}
