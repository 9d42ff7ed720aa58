//! `/seckill/:id`: a flash sale. The countdown follows the server's clock (each answer carries
//! it; the page keeps the offset to the browser's), the button enables at the start without a
//! reload, the seats left are asked again every few seconds, and after a buy the claim is
//! followed from "in line" to "seat secured, pay within 14:59" (a link to the order's checkout,
//! paid through the normal payment flow) to paid. The server decides everything: the page only
//! asks and shows.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::error_box::ErrorBox;
use crate::components::local_time::LocalTime;
use crate::domain::Cents;
use crate::dto::{SeckillClaimList, SeckillClaimView, SeckillEventView};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::seckill::{seckill_buy, seckill_claims, seckill_event, seckill_live};

/// How often the seats left and the clock are asked again, and a claim in line.
const EVENT_POLL_MS: u64 = 2_000;
const CLAIM_POLL_MS: u64 = 1_000;

/// The browser's clock in milliseconds (the page's own; the server's is this plus the offset).
fn browser_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Utc::now().timestamp_millis()
    }
}

/// `1d 02:03:04`, `02:03:04` or `14:59` for a span in milliseconds (rounded up to the second,
/// so the display reaches 00:00 exactly at the moment).
pub fn span_text(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h) {
        (0, 0) => format!("{m:02}:{s:02}"),
        (0, _) => format!("{h:02}:{m:02}:{s:02}"),
        _ => format!("{d}d {h:02}:{m:02}:{s:02}"),
    }
}

#[component]
pub fn SeckillPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let event = Resource::new(id, seckill_event);
    // `None` for an anonymous visitor: the page offers sign-in instead of the button.
    let claims = Resource::new(id, |id| async move {
        match seckill_claims(id).await {
            Ok(claims) => Ok(Some(claims)),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(other) => Err(other),
        }
    });
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, commerce.seckill_title) />
        <section class="seckill">
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match (event.await, claims.await) {
                        (Ok(event), Ok(claims)) => view! { <Sale event claims /> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Upcoming,
    Open,
    Ended,
}

#[component]
fn Sale(event: SeckillEventView, claims: Option<SeckillClaimList>) -> impl IntoView {
    let loc = locale::current();
    let id = event.id;
    let signed_in = claims.is_some();
    // The server's clock, as the browser estimates it: the offset from the last answer, taken
    // at the middle of its round trip. The first guess (from the rendered page) is off by the
    // load and hydration time; the first poll, made at once, corrects it.
    let offset = StoredValue::new(event.server_time.timestamp_millis() - browser_ms());
    let now = RwSignal::new(event.server_time.timestamp_millis());
    let (starts, ends) = (
        event.starts_at.timestamp_millis(),
        event.ends_at.timestamp_millis(),
    );
    let per_user = usize::try_from(event.per_user_limit).unwrap_or(1);
    let stock_left = RwSignal::new(event.stock_left);
    let mine = RwSignal::new(claims.map(|c| c.claims).unwrap_or_default());
    let outcome = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);

    // Timer callbacks run outside the reactive tree and can fire after the page is gone: they
    // use the `try_` accessors (a disposed value is a no-op, never a panic, which would abort
    // the whole wasm module), and the page's own cleanup clears them.
    let resync = move |server_time: DateTime<Utc>, sent: i64| {
        let midpoint = sent + (browser_ms() - sent) / 2;
        offset.try_set_value(server_time.timestamp_millis() - midpoint);
    };
    // Changes only at the start and the end, so what hangs on it is not redrawn every tick.
    let phase = Memo::new(move |_| {
        let t = now.get();
        if t < starts {
            Phase::Upcoming
        } else if t < ends {
            Phase::Open
        } else {
            Phase::Ended
        }
    });
    // One poll at a time, none once the sale is over.
    let polling = StoredValue::new(false);
    let refresh = move || {
        if polling.try_get_value() != Some(false)
            || phase.try_get_untracked().is_none_or(|p| p == Phase::Ended)
        {
            return;
        }
        polling.try_set_value(true);
        leptos::task::spawn_local(async move {
            let sent = browser_ms();
            if let Ok(fresh) = seckill_live(id).await {
                resync(fresh.server_time, sent);
                stock_left.try_set(fresh.stock_left);
            }
            polling.try_set_value(false);
        });
    };
    let intervals = std::sync::Arc::new(std::sync::Mutex::new(Vec::<IntervalHandle>::new()));
    {
        let intervals = intervals.clone();
        on_cleanup(move || {
            if let Ok(mut handles) = intervals.lock() {
                handles.drain(..).for_each(|h| h.clear());
            }
        });
    }
    // The clock ticks in the browser only (effects do not run on the server).
    Effect::new(move |_| {
        refresh();
        let tick = set_interval_with_handle(
            move || {
                if let Some(offset) = offset.try_get_value() {
                    now.try_set(browser_ms() + offset);
                }
            },
            std::time::Duration::from_millis(250),
        );
        let poll =
            set_interval_with_handle(refresh, std::time::Duration::from_millis(EVENT_POLL_MS));
        if let Ok(mut handles) = intervals.lock() {
            handles.extend([tick, poll].into_iter().flatten());
        }
    });
    // A claim in line is asked after until it is written (held, paid or returned); a failed
    // ask is retried on the next round. One round at a time.
    let claim_round = RwSignal::new(0_u32);
    let asking = StoredValue::new(false);
    Effect::new(move |_| {
        claim_round.track();
        if asking.get_value() || !mine.with(|m| m.iter().any(|c| c.status == "queued")) {
            return;
        }
        asking.set_value(true);
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    let sent = browser_ms();
                    let answer = seckill_claims(id).await;
                    asking.try_set_value(false);
                    if let Ok(fresh) = answer {
                        resync(fresh.server_time, sent);
                        mine.try_set(fresh.claims);
                    }
                    // The next round: it ends at once unless a claim is still in line.
                    claim_round.try_update(|n| *n += 1);
                });
            },
            std::time::Duration::from_millis(CLAIM_POLL_MS),
        );
    });

    let sold_out = move || stock_left.get() <= 0;
    let holds_all =
        move || mine.with(|m| m.iter().filter(|c| c.status != "returned").count()) >= per_user;
    let buy = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match seckill_buy(id).await {
                Ok(answer) => {
                    outcome.set(Some(answer.status.clone()));
                    if answer.status == "queued" || answer.status == "limit_reached" {
                        let sent = browser_ms();
                        if let Ok(fresh) = seckill_claims(id).await {
                            resync(fresh.server_time, sent);
                            mine.set(fresh.claims);
                        }
                    }
                }
                Err(error) => failure.set(Some(error)),
            }
            pending.set(false);
        });
    };

    let countdown = move || {
        let t = now.get();
        match phase.get() {
            Phase::Upcoming => {
                let left = span_text(starts - t);
                td_string!(loc, commerce.seckill_starts_in, time = left).to_string()
            }
            Phase::Open => {
                let left = span_text(ends - t);
                td_string!(loc, commerce.seckill_ends_in, time = left).to_string()
            }
            Phase::Ended => td_string!(loc, commerce.seckill_ended).to_string(),
        }
    };
    let phase_name = move || match phase.get() {
        Phase::Upcoming => "upcoming",
        Phase::Open => "open",
        Phase::Ended => "ended",
    };
    let button = move || {
        if !signed_in {
            let next = format!("/login?next=/seckill/{id}");
            return view! {
                <A href=next attr:class="button buy">{td_string!(loc, commerce.seckill_sign_in)}</A>
            }
            .into_any();
        }
        let label = match phase.get() {
            Phase::Upcoming => td_string!(loc, commerce.seckill_soon),
            Phase::Ended => td_string!(loc, commerce.seckill_closed),
            Phase::Open if sold_out() => td_string!(loc, commerce.seckill_none_left),
            Phase::Open => td_string!(loc, commerce.seckill_buy),
        };
        let disabled =
            move || phase.get() != Phase::Open || sold_out() || holds_all() || pending.get();
        view! {
            <button type="button" class="button buy seckill-buy" disabled=disabled on:click=buy>
                {label}
            </button>
        }
        .into_any()
    };
    let said = move || {
        let text = match outcome.get().as_deref() {
            Some("sold_out") => td_string!(loc, commerce.seckill_sold_out),
            Some("limit_reached") => td_string!(loc, commerce.seckill_limit),
            Some("not_started") => td_string!(loc, commerce.seckill_not_started),
            Some("ended") => td_string!(loc, commerce.seckill_ended),
            _ => return None,
        };
        Some(view! { <p class="seckill-refusal" role="alert">{text}</p> })
    };
    let failed = move || {
        failure
            .get()
            .map(|e| view! { <p class="form-error" role="alert">{e.message(loc)}</p> })
    };

    let e = event;
    let slug = e.course_slug.clone();
    let stock = e.stock;
    let per_buyer = td_string!(
        loc,
        commerce.seckill_rules,
        n = e.per_user_limit,
        minutes = e.pay_window_minutes
    )
    .to_string();
    view! {
        <h1>{e.title.clone()}</h1>
        <p class="seckill-course">
            <A href=format!("/courses/{}", e.course_slug)>{e.course_title.clone()}</A>
        </p>
        <div class="seckill-box" data-phase=phase_name>
            <p class="seckill-prices">
                <span class="seckill-price">{Cents(e.price_cents).to_string()}</span>
                <s class="seckill-regular" aria-label=td_string!(loc, commerce.seckill_regular)>
                    {Cents(e.regular_cents).to_string()}
                </s>
            </p>
            <p class="seckill-countdown" role="timer" aria-live="off">{countdown}</p>
            <p class="seckill-window">
                <LocalTime at=e.starts_at />" – "<LocalTime at=e.ends_at />
            </p>
            <p class="seckill-stock" data-left=move || stock_left.get().to_string()>
                {move || {
                    let left = stock_left.get();
                    td_string!(loc, commerce.seckill_stock, left = left, stock = stock).to_string()
                }}
            </p>
            <p class="seckill-rules">{per_buyer}</p>
            {button}
            {said}
            {failed}
            <ul class="seckill-claims">
                <For each=move || mine.get() key=|c| (c.claim_id.clone(), c.status.clone()) let:claim>
                    <Claim claim now course_slug=slug.clone() loc />
                </For>
            </ul>
        </div>
    }
}

#[component]
fn Claim(
    claim: SeckillClaimView,
    now: RwSignal<i64>,
    course_slug: String,
    loc: Locale,
) -> impl IntoView {
    let status = claim.status.clone();
    let body = match (claim.status.as_str(), claim.order_no, claim.pay_by) {
        ("held", Some(order_no), Some(pay_by)) => {
            let left = move || {
                let time = span_text(pay_by.timestamp_millis() - now.get());
                td_string!(loc, commerce.seckill_held, time = time).to_string()
            };
            view! {
                <span class="claim-text">{left}</span>" "
                <A href=format!("/checkout/{order_no}") attr:class="button pay-now">
                    {td_string!(loc, commerce.seckill_pay_now)}
                </A>
            }
            .into_any()
        }
        ("paid", _, _) => view! {
            <span class="claim-text">{td_string!(loc, commerce.seckill_paid)}</span>" "
            <A href=format!("/courses/{course_slug}") attr:class="start-learning">
                {td_string!(loc, commerce.seckill_start_learning)}
            </A>
        }
        .into_any(),
        ("returned", _, _) => {
            view! { <span class="claim-text">{td_string!(loc, commerce.seckill_returned)}</span> }
                .into_any()
        }
        _ => view! { <span class="claim-text">{td_string!(loc, commerce.seckill_queued)}</span> }
            .into_any(),
    };
    view! { <li class="seckill-claim" data-status=status>{body}</li> }
}

#[cfg(test)]
mod tests {
    use super::span_text;

    #[test]
    fn spans_round_up_to_the_second_and_grow_units() {
        assert_eq!(span_text(0), "00:00");
        assert_eq!(span_text(1), "00:01");
        assert_eq!(span_text(899_000), "14:59");
        assert_eq!(span_text(-5), "00:00");
        assert_eq!(span_text(3_600_000), "01:00:00");
        assert_eq!(span_text(90_061_000), "1d 01:01:01");
    }
}
