//! The rate limit of `cannery serve`: requests a second from one client address, with a burst,
//! answered `429 Too Many Requests` with `Retry-After` past it.
//!
//! governor's GCRA does the counting (the standard crate for it; its std keyed store, so no
//! dashmap or quanta); the addresses not heard from lately are dropped now and then, so that the
//! store does not grow with every client ever seen.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::api::ApiError;

/// Requests a second from one address, and the burst allowed above it.
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Limiter {
    /// `per_second` requests a second from one address, `burst` at once; none if `per_second`
    /// is 0.
    pub fn new(per_second: u32, burst: u32) -> Option<Arc<Limiter>> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Some(Arc::new(Limiter {
            limiter: RateLimiter::hashmap(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }))
    }

    /// Forgets the addresses whose allowance is whole again.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The middleware: passes the request on, or answers 429.
pub async fn limit(
    State(limiter): State<Arc<Limiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match limiter.limiter.check_key(&peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock.now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many requests from {}: try again in {:.3} s",
                    peer.ip(),
                    wait.as_secs_f64()
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.max(1).into());
            response
        }
    }
}
