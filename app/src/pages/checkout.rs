//! Buying a course: the course page's offer ([`BuyBox`]: pick a validity, enrol for free, or
//! "continue learning" when owned), the order's page (`/checkout/:order_no`: items, total,
//! provider choice, cancel), the demo gateway's page (`/pay/demo/:out_trade_no`) and WeChat
//! Pay's QR page (`/pay/wechat/:out_trade_no`). Forms post
//! to the orders server functions, so they work before hydration too; every price shown comes
//! from the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::error_box::ErrorBox;
use crate::components::local_time::LocalTime;
use crate::domain::Cents;
use crate::dto::{validity_label, OrderView, PurchaseOptions};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::orders::{
    confirm_return, course_offer, get_order, payment_providers, wechat_code, CancelOrder,
    CheckPayment, ConfirmDemoPayment, StartCheckout, StartPayment,
};

/// The offer on a course page.
#[component]
pub fn BuyBox(course_id: i64) -> impl IntoView {
    let options = Resource::new(move || course_id, course_offer);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => view! { <Offer course_id options /> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Offer(course_id: i64, options: PurchaseOptions) -> impl IntoView {
    let action = ServerAction::<StartCheckout>::new();
    let loc = locale::current();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field = move |name: &'static str| move || error.get().and_then(|e| e.field_message(name));
    let general = move || match error.get() {
        Some(AppError::Validation(_)) | None => None,
        Some(other) => Some(other.message(loc)),
    };
    match options.owned {
        Some(true) => {
            return view! {
                <p class="buy-box owned">
                    <A href="/account/courses" attr:class="button continue">{td_string!(loc, commerce.continue_learning)}</A>
                </p>
            }
            .into_any()
        }
        None => {
            return view! {
                <p class="buy-box">
                    <A href="/login" attr:class="button buy">{td_string!(loc, commerce.sign_in_to_buy)}</A>
                </p>
            }
            .into_any()
        }
        Some(false) => {}
    }
    let free = options.policies.is_empty();
    let last = options.policies.len().saturating_sub(1);
    view! {
        <ActionForm action attr:class="buy-box">
            <input type="hidden" name="course_id" value=course_id.to_string() />
            {(!free).then(move || view! {
                <fieldset class="policies">
                    <legend>{td_string!(loc, commerce.validity)}</legend>
                    {options.policies.into_iter().enumerate().map(|(i, p)| {
                        let id = format!("policy-{}", p.id);
                        view! {
                            <label for=id.clone() class="policy">
                                // Permanent (listed last) is the default.
                                <input type="radio" id=id.clone() name="price_policy_id"
                                    value=p.id.to_string() checked=i == last />
                                <span class="validity">{p.label()}</span>
                                <span class="price">{Cents(p.price_cents).to_string()}</span>
                            </label>
                        }
                    }).collect_view()}
                    <p class="field-error" role="alert">{field("items[0].price_policy_id")}</p>
                </fieldset>
                <div class="field">
                    <label for="coupon_code">{td_string!(loc, commerce.coupon_code)}</label>
                    <input id="coupon_code" name="coupon_code" type="text" autocomplete="off" />
                    <p class="field-error" role="alert">{field("coupon_code")}</p>
                </div>
            })}
            <p class="form-error" role="alert">{general}</p>
            <button type="submit" class="button buy" disabled=move || action.pending().get()>
                {if free { td_string!(loc, commerce.enrol_free) } else { td_string!(loc, commerce.buy_now) }}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// `/checkout/:order_no`: the order and how to pay it.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let params = use_params_map();
    let cancel = ServerAction::<CancelOrder>::new();
    let order = Resource::new(
        move || {
            (
                params.read().get("order_no").unwrap_or_default(),
                cancel.version().get(),
            )
        },
        |(no, _)| async move { Ok::<_, AppError>((get_order(no).await?, payment_providers().await?)) },
    );
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, commerce.checkout_title) />
        <section class="checkout">
            <h1>{td_string!(loc, commerce.checkout_title)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok((order, providers)) => view! { <OrderBox order providers cancel /> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OrderBox(
    order: OrderView,
    providers: Vec<String>,
    cancel: ServerAction<CancelOrder>,
) -> impl IntoView {
    let pay = ServerAction::<StartPayment>::new();
    let loc = locale::current();
    let error = Signal::derive(move || {
        pay.value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
    });
    let provider_error = move || error.get().and_then(|e| e.field_message("provider"));
    let general = move || match error.get() {
        Some(AppError::Validation(_)) | None => None,
        Some(other) => Some(other.message(loc)),
    };
    let pending = order.status == "pending";
    let (pay_no, cancel_no) = (order.order_no.clone(), order.order_no.clone());
    view! {
        <dl class="order-facts">
            <dt>{td_string!(loc, commerce.order_no)}</dt><dd class="order-no">{order.order_no.clone()}</dd>
            <dt>{td_string!(loc, commerce.status)}</dt><dd class="order-status" data-status=order.status.clone()>{status_label(&order.status, loc)}</dd>
            <dt>{td_string!(loc, commerce.pay_before)}</dt><dd class="pay-before"><LocalTime at=order.expires_at /></dd>
        </dl>
        <ul class="order-items">
            {order.items.iter().map(|i| view! {
                <li>
                    <span class="title">{i.title.clone()}</span>
                    " · "<span class="validity">{validity_label(i.valid_months, loc)}</span>
                    " · "<span class="price">{Cents(i.price_cents).to_string()}</span>
                </li>
            }).collect_view()}
        </ul>
        {(order.discount_cents > 0).then(|| view! {
            <p class="order-discount">{td_string!(loc, commerce.discount, amount = Cents(order.discount_cents))}</p>
        })}
        <p class="order-total">{td_string!(loc, commerce.total)}<strong>{Cents(order.total_cents).to_string()}</strong></p>
        <p class="form-error" role="alert">{general}</p>
        {pending.then(move || view! {
            <ActionForm action=pay attr:class="pay-form">
                <input type="hidden" name="order_no" value=pay_no />
                <fieldset class="providers">
                    <legend>{td_string!(loc, commerce.pay_with)}</legend>
                    {providers.into_iter().enumerate().map(|(i, p)| {
                        let label = provider_label(&p, loc);
                        let demo = p == "demo";
                        view! {
                            <label class="provider" class:demo=demo>
                                <input type="radio" name="provider" value=p checked=i == 0 />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                    <p class="field-error" role="alert">{provider_error}</p>
                </fieldset>
                <button type="submit" class="button pay" disabled=move || pay.pending().get()>{td_string!(loc, commerce.pay)}</button>
            </ActionForm>
            <ActionForm action=cancel attr:class="cancel-form">
                <input type="hidden" name="order_no" value=cancel_no />
                <button type="submit" class="button secondary">{td_string!(loc, commerce.cancel_order)}</button>
            </ActionForm>
        })}
        {(order.status == "paid").then(move || view! {
            <p><A href="/account/courses" attr:class="button continue">{td_string!(loc, commerce.my_courses)}</A></p>
        })}
    }
}

fn provider_label(provider: &str, loc: Locale) -> &'static str {
    match provider {
        "demo" => td_string!(loc, commerce.provider_demo),
        "alipay" => td_string!(loc, commerce.provider_alipay),
        "wechat" => td_string!(loc, commerce.provider_wechat),
        _ => td_string!(loc, commerce.provider_unionpay),
    }
}

/// An order's status in words (`data-status` keeps the code).
fn status_label(status: &str, loc: Locale) -> String {
    match status {
        "pending" => td_string!(loc, commerce.status_pending).into(),
        "paid" => td_string!(loc, commerce.status_paid).into(),
        "closed" => td_string!(loc, commerce.status_closed).into(),
        "refunded" => td_string!(loc, commerce.status_refunded).into(),
        other => other.to_string(),
    }
}

/// `/pay/demo/:out_trade_no`: the embedded demo gateway's "provider page".
#[component]
pub fn DemoPayPage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<ConfirmDemoPayment>::new();
    let loc = locale::current();
    let failure = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message(loc))
    };
    let out = move || params.read().get("out_trade_no").unwrap_or_default();
    view! {
        <Title text=td_string!(loc, commerce.demo_title) />
        <section class="demo-pay">
            <h1>{td_string!(loc, commerce.demo_title)}</h1>
            <p class="demo-warning" role="note">{td_string!(loc, commerce.demo_warning)}</p>
            <ActionForm action attr:class="demo-pay-form">
                <input type="hidden" name="out_trade_no" value=out />
                <button type="submit" class="button pay" disabled=move || action.pending().get()>{td_string!(loc, commerce.demo_confirm)}</button>
            </ActionForm>
            <p class="form-error" role="alert">{failure}</p>
        </section>
    }
}

/// `/pay/alipay/return`: where Alipay sends the buyer back. The redirect proves nothing: the
/// order is confirmed by asking Alipay (`alipay.trade.query`) on the server.
#[component]
pub fn PaymentReturnPage() -> impl IntoView {
    let query = use_query_map();
    let order = Resource::new(
        move || query.read().get("out_trade_no").unwrap_or_default(),
        confirm_return,
    );
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, commerce.confirming_title) />
        <section class="payment-return">
            <h1>{td_string!(loc, commerce.confirming_title)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, commerce.asking_provider)}</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) if order.status == "paid" => view! {
                            <p class="payment-confirmed">{td_string!(loc, commerce.paid)}" "
                                <A href="/account/courses">{td_string!(loc, commerce.my_courses)}</A></p>
                        }.into_any(),
                        Ok(order) => view! {
                            <p class="payment-unconfirmed">{td_string!(loc, commerce.not_confirmed)}" "
                                <A href=format!("/checkout/{}", order.order_no)>{td_string!(loc, commerce.view_order)}</A></p>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/pay/wechat/:out_trade_no`: WeChat Pay Native's QR code (an SVG the server drew from the
/// code_url) and "check payment", which asks WeChat on the server (scanning proves nothing).
#[component]
pub fn WechatPayPage() -> impl IntoView {
    let params = use_params_map();
    let out = move || params.read().get("out_trade_no").unwrap_or_default();
    let code = Resource::new(out, wechat_code);
    let check = ServerAction::<CheckPayment>::new();
    let loc = locale::current();
    let outcome = move || match check.value().get() {
        Some(Ok(order)) if order.status != "paid" => {
            Some(td_string!(loc, commerce.not_paid_yet).to_string())
        }
        Some(Err(error)) => Some(error.message(loc)),
        _ => None,
    };
    view! {
        <Title text=td_string!(loc, commerce.wechat_title) />
        <section class="wechat-pay">
            <h1>{td_string!(loc, commerce.wechat_title)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match code.await {
                        Ok(code) => view! {
                            <p class="order-total">{td_string!(loc, commerce.total)}<strong>{Cents(code.amount_cents).to_string()}</strong></p>
                            // Our own server's drawing of the code, never text from the request.
                            <div class="qr-code" role="img" aria-label=td_string!(loc, commerce.qr_label) inner_html=code.svg></div>
                            <p class="qr-hint">{td_string!(loc, commerce.qr_hint)}</p>
                            <ActionForm action=check attr:class="check-payment-form">
                                <input type="hidden" name="out_trade_no" value=code.out_trade_no />
                                <button type="submit" class="button pay" disabled=move || check.pending().get()>{td_string!(loc, commerce.check_payment)}</button>
                            </ActionForm>
                            <p><A href=format!("/checkout/{}", code.order_no)>{td_string!(loc, commerce.view_order)}</A></p>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="form-error" role="alert">{outcome}</p>
        </section>
    }
}
