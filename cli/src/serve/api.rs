//! The routes of `cannery serve` and their JSON: `POST /lint`, `POST /score`, `POST /replies`,
//! `GET /templates`, `GET /health`, and the errors, always `{"error": {"kind", "message"}}`.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cannery::Index;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::state::{NewReply, Refused, Served};
use crate::check::{Asked, Checker};
use crate::drafts::Line;
use crate::lint;

/// What every route shares.
pub struct App {
    /// The index and its file.
    pub served: Served,
    /// How drafts are linted.
    pub checker: Checker,
    /// The most drafts or replies one request may carry.
    pub max_batch: usize,
}

/// An error answered as JSON.
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    /// An error with its status, a stable kind and a message for people.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"kind": self.kind, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// A request's body as JSON, whatever its content type says (so that `curl -d` works); too
/// large a body is `413`, a body that is not JSON `400`.
type Body = Result<Bytes, BytesRejection>;

fn json_of(body: Body) -> Result<Value, ApiError> {
    let bytes = body.map_err(|r| {
        let kind = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "invalid_request"
        };
        ApiError::new(r.status(), kind, r.body_text())
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not JSON: {e}"),
        )
    })
}

/// A body of one item, or of many under `key`: items checked with their own errors.
fn one_or_many<T: DeserializeOwned>(
    body: Value,
    key: &str,
    max: usize,
) -> Result<(Vec<T>, bool), ApiError> {
    let many = body.as_object().is_some_and(|o| o.contains_key(key));
    let items = if many {
        let Some(Value::Array(items)) = body.get(key).cloned() else {
            return Err(ApiError::bad(format!("{key:?} is a list of objects")));
        };
        if items.is_empty() {
            return Err(ApiError::bad(format!("{key:?} is empty")));
        }
        if items.len() > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "{} items in one request; at most {max} (--max-batch)",
                    items.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (n, item) in items.into_iter().enumerate() {
            out.push(
                serde_json::from_value(item)
                    .map_err(|e| ApiError::bad(format!("{key}[{n}]: {e}")))?,
            );
        }
        out
    } else {
        vec![serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?]
    };
    Ok((items, many))
}

/// The drafts of a `/lint` or `/score` body, none of them blank.
fn drafts(body: Body, max: usize) -> Result<(Vec<Line>, bool), ApiError> {
    let body = json_of(body)?;
    let (drafts, many) = one_or_many::<Line>(body, "drafts", max)?;
    if let Some((n, _)) = drafts
        .iter()
        .enumerate()
        .find(|(_, d)| crate::is_blank(&d.draft))
    {
        let which = if many {
            format!("drafts[{n}]")
        } else {
            "the draft".into()
        };
        return Err(ApiError::bad(format!(
            "{which} is empty or white space only: there is nothing to lint"
        )));
    }
    Ok((drafts, many))
}

fn asked(d: &Line) -> Asked<'_> {
    Asked {
        customer: d.customer.as_deref(),
        name: d.name.as_deref(),
        group: d.group.as_deref(),
    }
}

/// Scores `drafts` on a snapshot: on the runtime's thread for a few lexical drafts (tens of
/// microseconds each, less than a hand-off to another thread costs), on the blocking pool
/// otherwise, so that the runtime's threads keep answering.
async fn scored<T: Send + 'static>(
    app: &Arc<App>,
    drafts: Vec<Line>,
    each: fn(&App, &Index, &Line) -> T,
) -> Result<Vec<T>, ApiError> {
    let index = app.served.snapshot();
    if drafts.len() <= 16 && scoring_is_light(&index) {
        return Ok(drafts.iter().map(|d| each(app, &index, d)).collect());
    }
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || drafts.iter().map(|d| each(&app, &index, d)).collect())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// Whether scoring is microseconds (no sentence encoder).
fn scoring_is_light(index: &Index) -> bool {
    #[cfg(feature = "semantic")]
    return index.encoder().is_none();
    #[cfg(not(feature = "semantic"))]
    {
        let _ = index;
        true
    }
}

/// `POST /lint`: a draft (`draft`, `customer`, `name`, `group`, `id`) or `{"drafts": [...]}`;
/// each answered as `cannery lint --format json` does, with `fails`.
pub async fn lint(State(app): State<Arc<App>>, body: Body) -> Result<Json<Value>, ApiError> {
    let (drafts, many) = drafts(body, app.max_batch)?;
    let out = scored(&app, drafts, |app, index, d| {
        let report = app.checker.report(index, &d.draft, asked(d));
        let mut v = lint::json(&d.draft, &report, app.checker.fail_at, &app.checker.rules);
        if let Some(id) = &d.id {
            v["id"] = id.as_str().into();
        }
        v
    })
    .await?;
    Ok(Json(if many {
        let fails = out.iter().any(|v| v["fails"] == true);
        json!({"results": out, "fails": fails})
    } else {
        out.into_iter().next().unwrap_or_default()
    }))
}

/// `POST /score`: as `/lint`, answered with the library's whole report (serde), and `id`.
pub async fn score(State(app): State<Arc<App>>, body: Body) -> Result<Json<Value>, ApiError> {
    let (drafts, many) = drafts(body, app.max_batch)?;
    let out = scored(&app, drafts, |app, index, d| {
        let report = app.checker.report(index, &d.draft, asked(d));
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        if let Some(id) = &d.id {
            v["id"] = id.as_str().into();
        }
        v
    })
    .await?;
    Ok(Json(if many {
        json!({"results": out})
    } else {
        out.into_iter().next().unwrap_or_default()
    }))
}

/// `POST /replies`: a sent reply (`id`, `text`, `group`, `message`, `time`) or `{"replies":
/// [...]}`, inserted so that the next draft is scored against it; all or none.
pub async fn insert(
    State(app): State<Arc<App>>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_of(body)?;
    let (replies, _) = one_or_many::<NewReply>(body, "replies", app.max_batch)?;
    let n = replies.len();
    match app.served.insert(replies).await {
        Ok(len) => Ok((
            StatusCode::CREATED,
            Json(json!({"inserted": n, "replies": len})),
        )),
        Err(Refused::Invalid(why)) => Err(ApiError::bad(why)),
        Err(Refused::Duplicate(id)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "duplicate_id",
            format!("a reply with id {id:?} is already in the index (or twice in the request); nothing was inserted"),
        )),
    }
}

/// The query of `GET /templates`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesQuery {
    /// Families used by at least this many replies (imported macros always).
    #[serde(default = "two")]
    min_support: u32,
    /// The most to list (0: all).
    #[serde(default = "fifty")]
    top: usize,
    /// One group's templates.
    group: Option<String>,
}

fn two() -> u32 {
    2
}

fn fifty() -> usize {
    50
}

/// `GET /templates?min_support=2&top=50&group=NAME`: the template families, most used first, as
/// `cannery templates --format json` lists them.
pub async fn templates(
    State(app): State<Arc<App>>,
    query: Result<Query<TemplatesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad(e.body_text()))?;
    let index = app.served.snapshot();
    let templates = tokio::task::spawn_blocking(move || {
        let index = match &q.group {
            Some(g) => index.scope(Some(g)),
            None => index,
        };
        let all = index.templates(q.min_support);
        let total = all.len();
        let shown = if q.top == 0 { total } else { q.top.min(total) };
        json!({"total": total, "templates": &all[..shown]})
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(templates))
}

/// `GET /health`: the index's size, the inserts not yet saved, the last save.
pub async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    let h = app.served.health().await;
    let secs = |t: Option<std::time::SystemTime>| {
        t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    Json(json!({
        "status": "ok",
        "replies": h.replies,
        "pending_inserts": h.pending,
        "index_file": h.path.map(|p| p.display().to_string()),
        "saved_at": secs(h.saved_at),
        "reloads": h.reloads,
        "uptime_s": h.uptime,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route: POST /lint, /score, /replies; GET /templates, /health",
    )
}

/// A route called with the wrong method.
pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "wrong method: POST /lint, /score, /replies; GET /templates, /health",
    )
}
