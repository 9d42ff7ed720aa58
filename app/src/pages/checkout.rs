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
use crate::domain::Cents;
use crate::dto::{validity_label, OrderView, PurchaseOptions};
use crate::error::AppError;
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
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field = move |name: &'static str| move || error.get().and_then(|e| e.field_message(name));
    let general = move || match error.get() {
        Some(AppError::Validation(_)) | None => None,
        Some(other) => Some(other.to_string()),
    };
    match options.owned {
        Some(true) => {
            return view! {
                <p class="buy-box owned">
                    <A href="/account/courses" attr:class="button continue">"继续学习 Continue learning"</A>
                </p>
            }
            .into_any()
        }
        None => {
            return view! {
                <p class="buy-box">
                    <A href="/login" attr:class="button buy">"登录后购买 Sign in to buy"</A>
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
            {(!free).then(|| view! {
                <fieldset class="policies">
                    <legend>"有效期 Validity"</legend>
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
                    <label for="coupon_code">"优惠码 Coupon code"</label>
                    <input id="coupon_code" name="coupon_code" type="text" autocomplete="off" />
                    <p class="field-error" role="alert">{field("coupon_code")}</p>
                </div>
            })}
            <p class="form-error" role="alert">{general}</p>
            <button type="submit" class="button buy" disabled=move || action.pending().get()>
                {if free { "免费报名 Enrol for free" } else { "立即购买 Buy now" }}
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
    view! {
        <Title text="结算 Checkout" />
        <section class="checkout">
            <h1>"结算 Checkout"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
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
    let error = Signal::derive(move || {
        pay.value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
    });
    let provider_error = move || error.get().and_then(|e| e.field_message("provider"));
    let general = move || match error.get() {
        Some(AppError::Validation(_)) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let pending = order.status == "pending";
    let (pay_no, cancel_no) = (order.order_no.clone(), order.order_no.clone());
    view! {
        <dl class="order-facts">
            <dt>"订单号 Order"</dt><dd class="order-no">{order.order_no.clone()}</dd>
            <dt>"状态 Status"</dt><dd class="order-status" data-status=order.status.clone()>{order.status.clone()}</dd>
            <dt>"有效至 Pay before"</dt><dd>{order.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
        </dl>
        <ul class="order-items">
            {order.items.iter().map(|i| view! {
                <li>
                    <span class="title">{i.title.clone()}</span>
                    " · "<span class="validity">{validity_label(i.valid_months)}</span>
                    " · "<span class="price">{Cents(i.price_cents).to_string()}</span>
                </li>
            }).collect_view()}
        </ul>
        {(order.discount_cents > 0).then(|| view! {
            <p class="order-discount">"优惠 Coupon: -"{Cents(order.discount_cents).to_string()}</p>
        })}
        <p class="order-total">"合计 Total: "<strong>{Cents(order.total_cents).to_string()}</strong></p>
        <p class="form-error" role="alert">{general}</p>
        {pending.then(|| view! {
            <ActionForm action=pay attr:class="pay-form">
                <input type="hidden" name="order_no" value=pay_no />
                <fieldset class="providers">
                    <legend>"支付方式 Pay with"</legend>
                    {providers.into_iter().enumerate().map(|(i, p)| {
                        let label = provider_label(&p);
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
                <button type="submit" class="button pay" disabled=move || pay.pending().get()>"去支付 Pay"</button>
            </ActionForm>
            <ActionForm action=cancel attr:class="cancel-form">
                <input type="hidden" name="order_no" value=cancel_no />
                <button type="submit" class="button secondary">"取消订单 Cancel order"</button>
            </ActionForm>
        })}
        {(order.status == "paid").then(|| view! {
            <p><A href="/account/courses" attr:class="button continue">"我的课程 My courses"</A></p>
        })}
    }
}

fn provider_label(provider: &str) -> &'static str {
    match provider {
        "demo" => "演示支付（不会扣款）Demo payment: no money moves",
        "alipay" => "支付宝 Alipay",
        "wechat" => "微信支付 WeChat Pay",
        _ => "银联 UnionPay",
    }
}

/// `/pay/demo/:out_trade_no`: the embedded demo gateway's "provider page".
#[component]
pub fn DemoPayPage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<ConfirmDemoPayment>::new();
    let failure = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let out = move || params.read().get("out_trade_no").unwrap_or_default();
    view! {
        <Title text="演示支付 Demo payment" />
        <section class="demo-pay">
            <h1>"演示支付 Demo payment"</h1>
            <p class="demo-warning" role="note">
                "这是演示网关：不会扣款，订单按真实支付的通知流程结算。 "
                "This is the built-in demo gateway: no money moves; the order is settled through the same notification handling as a real payment."
            </p>
            <ActionForm action attr:class="demo-pay-form">
                <input type="hidden" name="out_trade_no" value=out />
                <button type="submit" class="button pay" disabled=move || action.pending().get()>"确认支付 Pay (demo)"</button>
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
    view! {
        <Title text="正在确认支付 Confirming payment" />
        <section class="payment-return">
            <h1>"正在确认支付 Confirming payment"</h1>
            <Suspense fallback=|| view! { <p class="loading">"正在向支付平台确认… Asking the payment provider…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) if order.status == "paid" => view! {
                            <p class="payment-confirmed">"支付成功 Paid. "
                                <A href="/account/courses">"我的课程 My courses"</A></p>
                        }.into_any(),
                        Ok(order) => view! {
                            <p class="payment-unconfirmed">"尚未确认 Not confirmed yet; this page can be reloaded. "
                                <A href=format!("/checkout/{}", order.order_no)>"订单 Order"</A></p>
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
    let outcome = move || match check.value().get() {
        Some(Ok(order)) if order.status != "paid" => {
            Some("尚未收到付款 Not paid yet: scan the code, then check again.".to_string())
        }
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <Title text="微信支付 WeChat Pay" />
        <section class="wechat-pay">
            <h1>"微信支付 WeChat Pay"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match code.await {
                        Ok(code) => view! {
                            <p class="order-total">"合计 Total: "<strong>{Cents(code.amount_cents).to_string()}</strong></p>
                            // Our own server's drawing of the code, never text from the request.
                            <div class="qr-code" role="img" aria-label="WeChat Pay QR code" inner_html=code.svg></div>
                            <p class="qr-hint">"请用微信扫一扫 Scan with WeChat"</p>
                            <ActionForm action=check attr:class="check-payment-form">
                                <input type="hidden" name="out_trade_no" value=code.out_trade_no />
                                <button type="submit" class="button pay" disabled=move || check.pending().get()>"我已支付 Check payment"</button>
                            </ActionForm>
                            <p><A href=format!("/checkout/{}", code.order_no)>"订单 Order"</A></p>
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
