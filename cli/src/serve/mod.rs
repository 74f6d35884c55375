//! `cannery serve`: an HTTP JSON service that holds the index (and the model) loaded, lints and
//! scores drafts, takes sent replies in, and saves them; its life cycle from bind to shutdown.
//!
//! # Design, and why
//!
//! axum on tokio: the well-kept stack for an HTTP service in Rust, with body limits
//! (`DefaultBodyLimit`, `413`), graceful shutdown and connection info for the rate limit
//! ([`limit`]) built in. The index lives in [`state::Served`]; the routes in [`api`]. Two
//! background tasks: one saves the inserts every `--persist-every` seconds, one polls the index
//! file every `--watch-every` seconds and reloads it when another process replaced it. On SIGINT
//! or SIGTERM the server stops taking connections, answers the requests in flight, then saves
//! what is pending, so that no accepted insert is lost.

pub mod api;
pub mod limit;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use cannery::Index;

use crate::check::Checker;
use api::App;
use limit::Limiter;
use state::{Reloader, Served};

/// How the server runs.
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// The most drafts or replies in one request.
    pub max_batch: usize,
    /// Requests a second from one address (0: no limit), and the burst.
    pub rate: (u32, u32),
    /// Seconds between saves of pending inserts.
    pub persist_every: f64,
    /// Seconds between looks at the index file (0: never reloaded).
    pub watch_every: f64,
    /// The runtime's worker threads.
    pub threads: usize,
}

/// The router of `app`, rate-limited by `limiter` (not `/health`, which probes call).
pub fn router(app: Arc<App>, limiter: Option<Arc<Limiter>>, max_body: usize) -> Router {
    let mut api = Router::new()
        .route("/lint", post(api::lint))
        .route("/score", post(api::score))
        .route("/replies", post(api::insert))
        .route("/templates", get(api::templates));
    if let Some(limiter) = limiter {
        api = api.layer(axum::middleware::from_fn_with_state(limiter, limit::limit));
    }
    Router::new()
        .route("/health", get(api::health))
        .merge(api)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app)
}

/// Serves `index` until SIGINT or SIGTERM; inserts are saved to `save_to`, and the file is
/// reloaded with `reload` when replaced.
pub fn run(
    options: Options,
    checker: Checker,
    index: Index,
    save_to: Option<PathBuf>,
    reload: Option<Reloader>,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(serve(options, checker, index, save_to, reload))
}

async fn serve(
    options: Options,
    checker: Checker,
    index: Index,
    save_to: Option<PathBuf>,
    reload: Option<Reloader>,
) -> Result<(), String> {
    let replies = index.len();
    let app = Arc::new(App {
        served: Served::new(index, save_to.clone(), reload),
        checker,
        max_batch: options.max_batch,
    });
    let limiter = Limiter::new(options.rate.0, options.rate.1);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot tell the address listened on: {e}"))?;
    match &save_to {
        Some(path) => eprintln!(
            "cannery: serving {replies} replies on http://{addr} (inserts saved to {})",
            path.display()
        ),
        None => eprintln!(
            "cannery: serving {replies} replies on http://{addr} (warning: inserts are kept in memory only; give --index FILE or --save FILE to keep them)"
        ),
    }
    let background = tokio::spawn(background(
        Arc::clone(&app),
        limiter.clone(),
        options.persist_every,
        options.watch_every,
    ));
    let service = router(Arc::clone(&app), limiter, options.max_body)
        .into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown())
        .await;
    background.abort();
    let saved = app.served.persist().await;
    if let Err(e) = &served {
        eprintln!("cannery: the server stopped: {e}");
    }
    match saved {
        Ok(0) => eprintln!("cannery: stopped"),
        Ok(n) => eprintln!(
            "cannery: stopped; {n} inserts saved to {}",
            save_to
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
        Err(e) => return Err(format!("{e}: the inserts since the last save are lost")),
    }
    served.map_err(|e| e.to_string())
}

/// Saves pending inserts and looks at the index file, each on its own schedule.
async fn background(app: Arc<App>, limiter: Option<Arc<Limiter>>, persist: f64, watch: f64) {
    let every = |s: f64| Duration::from_secs_f64(if s > 0.0 { s } else { 3600.0 * 24.0 });
    let mut save = tokio::time::interval(every(persist));
    let mut look = tokio::time::interval(every(watch));
    save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    save.tick().await;
    look.tick().await;
    loop {
        tokio::select! {
            _ = save.tick() => {
                if let Err(e) = app.served.persist().await {
                    eprintln!("cannery: warning: {e} (the inserts stay pending; the next save tries again)");
                }
                if let Some(l) = &limiter {
                    l.forget_idle();
                }
            }
            _ = look.tick(), if watch > 0.0 => {
                match app.served.reload_if_replaced().await {
                    Ok(true) => eprintln!("cannery: the index file changed; reloaded ({} replies)", app.served.snapshot().len()),
                    Ok(false) => {}
                    Err(e) => eprintln!("cannery: warning: the index file changed but cannot be loaded, so the index in use is kept: {e}"),
                }
            }
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    eprintln!("cannery: shutting down: answering the requests in flight, then saving");
}
