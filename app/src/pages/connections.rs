//! The account page's "connected accounts" section: identities bound to the account, a link to
//! connect each configured provider not bound yet, and "disconnect" (the server refuses the last
//! way to sign in).

use leptos::prelude::*;

use crate::components::error_box::ErrorBox;
use crate::components::field::FormMessage;
use crate::components::oauth::{start_href, OAuthNotice};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::oauth::{oauth_connections, OauthUnbind};

#[component]
pub fn ConnectedAccounts() -> impl IntoView {
    let unbind = ServerAction::<OauthUnbind>::new();
    let error = Signal::derive(move || unbind.value().get().and_then(Result::err));
    // Reloaded after each disconnect.
    let data = Resource::new(move || unbind.version().get(), |_| oauth_connections());
    let loc = locale::current();
    view! {
        <section class="connections">
            <h2>{td_string!(loc, account.connections_heading)}</h2>
            <OAuthNotice />
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! {
                            <ul class="connection-list">
                                {c.bound.into_iter().map(move |b| view! {
                                    <li class=format!("connection connection-{}", b.provider.as_str())>
                                        <span class="connection-provider">{b.label}</span>" "
                                        <span class="muted">{b.display_name}</span>
                                        <ActionForm action=unbind attr:class="unbind-form">
                                            <input type="hidden" name="id" value=b.id.to_string() />
                                            <button type="submit" class="button unbind">{td_string!(loc, account.disconnect)}</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <p class="connect-more">
                                {c.available.into_iter().map(move |p| view! {
                                    <a class=format!("button connect connect-{}", p.provider.as_str())
                                        href=start_href(p.provider, true) rel="external">
                                        {td_string!(loc, account.connect_provider, name = p.label.clone()).to_string()}
                                    </a>" "
                                }).collect_view()}
                            </p>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
            <FormMessage error />
        </section>
    }
}
