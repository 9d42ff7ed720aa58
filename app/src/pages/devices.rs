//! The user's signed-in browsers, with "sign out" per device and "sign out everywhere".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::error_box::ErrorBox;
use crate::components::local_time::LocalTimeText;
use crate::dto::DeviceView;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::lifecycle::{devices, SignOutDevice, SignOutEverywhere};

#[component]
pub fn DevicesPage() -> impl IntoView {
    let one = ServerAction::<SignOutDevice>::new();
    let all = ServerAction::<SignOutEverywhere>::new();
    let loc = locale::current();
    // Reload the list after either action.
    let list = Resource::new(
        move || (one.version().get(), all.version().get()),
        |_| devices(),
    );
    let failure = move || {
        one.value()
            .get()
            .and_then(Result::err)
            .or_else(|| all.value().get().and_then(Result::err))
            .map(|e| e.message(loc))
    };
    view! {
        <Title text=td_string!(loc, account.devices_title) />
        <section class="account devices">
            <h1>{td_string!(loc, account.devices_heading)}</h1>
            <p class="form-error" role="alert" hidden=move || failure().is_none()>{failure}</p>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(devices) => view! {
                            <ul class="device-list">
                                {devices.into_iter().map(|d| view! { <DeviceRow device=d one /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=all attr:class="sign-out-all">
                <label class="check">
                    <input type="checkbox" name="including_this" value="on" />
                    " "{td_string!(loc, account.including_this)}
                </label>
                <button type="submit" class="button sign-out-all-button">
                    {td_string!(loc, account.sign_out_everywhere)}
                </button>
            </ActionForm>
            <p><A href="/account">{td_string!(loc, account.back_to_account)}</A></p>
        </section>
    }
}

#[component]
fn DeviceRow(device: DeviceView, one: ServerAction<SignOutDevice>) -> impl IntoView {
    let DeviceView {
        handle,
        browser,
        ip,
        last_seen,
        current,
    } = device;
    let loc = locale::current();
    view! {
        <li class="device" class:current=current>
            <span class="device-browser">{browser}</span>
            " · "
            <span class="device-ip">{ip}</span>
            " · "
            <span class="device-seen">{td_string!(loc, account.last_seen)}" "<LocalTimeText at=last_seen /></span>
            {if current {
                view! { <strong class="this-device">" "{td_string!(loc, account.this_device)}</strong> }.into_any()
            } else {
                view! {
                    <ActionForm action=one attr:class="device-sign-out">
                        <input type="hidden" name="handle" value=handle />
                        <button type="submit" class="button small">{td_string!(loc, account.sign_out)}</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}
