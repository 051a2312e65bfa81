//! `trustnode serve`: load the configuration, open the node's state, and run the HTTP server until a signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::{CliError, ConfigArg};
use crate::http::{self, tls};
use crate::node;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Address to listen on (overrides server.listen).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Data directory (overrides server.data_dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Runs the node until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    let mut config = args.config.load()?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    if let Some(data_dir) = args.data_dir {
        config.server.data_dir = data_dir;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let state = Arc::new(node::open(config).await?);
        node::start_background(&state);
        let listener = tokio::net::TcpListener::bind(state.config.server.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", state.config.server.listen))?;
        let limits = http::ConnectionLimits::from_config(&state.config.server);
        let draining = state.clone();
        let requested = shutdown_signal();
        let shutdown = async move {
            requested.await;
            draining.readiness.drain();
        };
        let router = http::router(state.clone());
        let server = &state.config.server;
        if server.tls_cert_file.is_empty() {
            tracing::info!(address = %listener.local_addr()?, "trustnode listening (HTTP)");
            // Answers are written whole; waiting to coalesce them with later writes (Nagle) only adds latency.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            http::serve(listener, router, shutdown, limits).await?;
        } else {
            let tls = tls::server_config(server.tls_cert_file.as_ref(), server.tls_key_file.as_ref())?;
            tracing::info!(address = %listener.local_addr()?, "trustnode listening (HTTPS)");
            http::serve(tls::TlsListener::new(listener, tls)?, router, shutdown, limits).await?;
        }
        node::close(&state);
        tracing::info!("trustnode stopped");
        Ok::<_, CliError>(ExitCode::SUCCESS)
    })
}

/// Listens for SIGINT (Ctrl-C) and SIGTERM from the call on, so that a signal sent as soon as the node says it is
/// listening is not lost; the future completes when one arrives.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        [signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok()]
    };
    async move {
        #[cfg(unix)]
        {
            let [mut interrupt, mut terminate] = signals;
            tokio::select! {
                _ = received(&mut interrupt) => {}
                _ = received(&mut terminate) => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}

/// Completes when `signal` arrives; never when it could not be installed.
#[cfg(unix)]
async fn received(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
