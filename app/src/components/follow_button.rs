//! "Follow" / "Following" for a course or a learning path: a form posting to the follow server
//! function, so it works before the page hydrates too. Anonymous visitors get a sign-in link.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::follows::{get_follow_state, SetFollow};

/// `target` is `course` or `path`.
#[component]
pub fn FollowButton(target: &'static str, id: i64) -> impl IntoView {
    let action = ServerAction::<SetFollow>::new();
    let state = Resource::new(
        move || action.version().get(),
        move |_| get_follow_state(target.to_string(), id),
    );
    let failure = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let loc = locale::current();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(Some(now)) => {
                        let label = match (now.following, now.enrolled) {
                            (true, _) => td_string!(loc, catalog.following_unfollow),
                            (false, true) => td_string!(loc, catalog.muted_unmute),
                            (false, false) => td_string!(loc, catalog.follow),
                        };
                        view! {
                            <ActionForm action attr:class="follow-form">
                                <input type="hidden" name="target" value=target />
                                <input type="hidden" name="id" value={id.to_string()} />
                                <input type="hidden" name="follow" value={(!now.following).to_string()} />
                                <button type="submit" class="button follow" class:following=now.following
                                    disabled=move || action.pending().get()>{label}</button>
                            </ActionForm>
                        }.into_any()
                    }
                    Ok(None) => view! {
                        <A href="/login" attr:class="button follow">{td_string!(loc, catalog.sign_in_to_follow)}</A>
                    }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
        <p class="form-error" role="alert" hidden=move || failure().is_none()>{failure}</p>
    }
}
