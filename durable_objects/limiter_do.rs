//! A rate-limiter Durable Object: one instance per limited key (e.g. `auth-ip:{ip}`,
//! `starts:{user_id}`), holding a token bucket in its storage. Being a single-threaded object
//! makes the check-and-take atomic without any global registry.
//!
//! Internal API: `POST /take` with `{"capacity": u64, "refill_per_minute": f64, "cost": u64?}` →
//! `{"allowed": bool, "retry_after_secs": u32?}`. `cost` (default 1) lets one bucket count
//! bytes (the daily video quota) as well as requests. `POST /peek` answers the same without
//! taking (and without storing anything).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::domain::rate_limit::{LimitRequest, Take, TokenBucket};
use crate::platform::now_ms;

#[durable_object]
pub struct LimiterDo {
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for LimiterDo {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let peek = match req.path().as_str() {
            "/take" => false,
            "/peek" => true,
            _ => return Response::error("not found", 404),
        };
        let request: LimitRequest = req.json().await?;
        let (quota, cost) = (request.quota(), request.cost);
        let storage = self.state.storage();
        let now = now_ms();
        #[allow(clippy::cast_precision_loss)]
        let full = TokenBucket { tokens: quota.capacity as f64, updated_ms: now };
        let mut bucket = storage.get::<TokenBucket>("bucket").await?.unwrap_or(full);
        let outcome = bucket.take_cost(quota, cost.unwrap_or(1), now);
        if !peek {
            storage.put("bucket", bucket).await?;
        }
        let body = match outcome {
            Take::Allowed => serde_json::json!({ "allowed": true }),
            Take::Limited { retry_after_secs } => {
                serde_json::json!({ "allowed": false, "retry_after_secs": retry_after_secs })
            }
        };
        Response::from_json(&body)
    }
}
