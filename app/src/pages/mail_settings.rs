//! The mail section of `/account`: one checkbox per kind of mail, each saved by its own small
//! form (the server answers the settings as stored).

use leptos::prelude::*;

use crate::dto::MailSetting;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::follows::{mail_settings, SetMailSetting};

#[component]
pub fn MailSettings() -> impl IntoView {
    let action = ServerAction::<SetMailSetting>::new();
    let settings = Resource::new(move || action.version().get(), |_| mail_settings());
    let loc = locale::current();
    let failure = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.field_message("kind").unwrap_or_else(|| e.message(loc)))
    };
    let saved = move || matches!(action.value().get(), Some(Ok(_)));
    view! {
        <section class="mail-settings">
            <h2>{td_string!(loc, account.mail_heading)}</h2>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    settings.await.map(|all| view! {
                        <ul class="mail-kinds">
                            {all.into_iter().map(|s| view! { <MailKindRow setting=s action /> }).collect_view()}
                        </ul>
                    }).ok()
                })}
            </Suspense>
            <p class="field-error" role="alert" hidden=move || failure().is_none()>{failure}</p>
            <p class="form-ok" role="status">{move || saved().then_some(td_string!(loc, account.saved))}</p>
        </section>
    }
}

#[component]
fn MailKindRow(setting: MailSetting, action: ServerAction<SetMailSetting>) -> impl IntoView {
    let MailSetting {
        kind,
        label,
        enabled,
    } = setting;
    let loc = locale::current();
    view! {
        <li>
            <ActionForm action attr:class="mail-kind">
                <input type="hidden" name="kind" value=kind.clone() />
                <label class="check">
                    <input type="checkbox" name="enabled" value="on" checked=enabled />
                    " " {label}
                </label>
                <button type="submit" class="button small">{td_string!(loc, common.save)}</button>
            </ActionForm>
        </li>
    }
}
