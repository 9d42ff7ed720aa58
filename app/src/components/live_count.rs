//! The header's bell: the signed-in user's unread count, kept current live.
//!
//! The count is read with the page (server function, on every navigation) and then follows
//! the server's event stream (`/api/v1/notifications/stream`, Server-Sent Events) in the
//! browser: each event carries the new count, so a notification written anywhere (a job, a
//! worker process, another instance) shows without polling or a reload. Pages that change the
//! count themselves (marking read) set it through [`UnreadLive`].

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::notifications::unread_notifications;

/// The latest count heard (from the stream or a page's own action); `None` until one is.
#[derive(Clone, Copy)]
pub struct UnreadLive(pub RwSignal<Option<u64>>);

/// Gives the pages under the layout the live count.
pub fn provide() {
    provide_context(UnreadLive(RwSignal::new(None)));
}

/// What sets the bell's count (after an action that changed it); call it where the page is
/// built, use it anywhere.
pub fn setter() -> impl Fn(u64) + Copy + 'static {
    let live = use_context::<UnreadLive>();
    move |count| {
        if let Some(UnreadLive(live)) = live {
            live.set(Some(count));
        }
    }
}

#[component]
pub fn Bell() -> impl IntoView {
    let live = use_context::<UnreadLive>().map_or_else(|| RwSignal::new(None), |l| l.0);
    let location = use_location();
    let loc = locale::current();
    let fetched = Resource::new(move || location.pathname.get(), |_| unread_notifications());
    // A fresh read replaces what was heard before it (both are counts, the later one wins).
    // In the browser only (effects do not run on the server), a signed-in user's page opens the
    // stream, once per page load.
    Effect::new(move |_| {
        if let Some(Ok(Some(n))) = fetched.get() {
            live.set(Some(n));
            stream::connect(live);
        }
    });
    // Its own resource at the top of the header, not inside the user menu's: a resource made
    // inside another's `Suspend` does not hydrate (the markers do not match).
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Nobody signed in: no bell.
                let Ok(Some(first)) = fetched.await else {
                    return ().into_any();
                };
                let shown = move || live.get().unwrap_or(first);
                view! {
                    <A href="/notifications" attr:class="bell" attr:aria-label=move || td_string!(loc, account.bell_label, count = shown()).to_string()>
                        <span class="bell-icon" aria-hidden="true">"🔔"</span>
                        <span class="bell-count" data-count=move || shown().to_string() hidden=move || shown() == 0>
                            {move || shown().to_string()}
                        </span>
                    </A>
                }
                .into_any()
            })}
        </Transition>
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use std::cell::RefCell;

    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    const URL: &str = "/api/v1/notifications/stream";

    /// The open stream and its listeners (kept alive with it).
    struct Open {
        source: EventSource,
        _on_event: Closure<dyn FnMut(MessageEvent)>,
    }

    thread_local! {
        static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    }

    fn count_of(event: &MessageEvent) -> Option<u64> {
        let text = event.data().as_string()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        value.get("unread_count")?.as_u64()
    }

    /// Opens the stream unless one is open (or reconnecting: the browser does that by itself).
    pub fn connect(live: RwSignal<Option<u64>>) {
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            if open
                .as_ref()
                .is_some_and(|o| o.source.ready_state() != EventSource::CLOSED)
            {
                return;
            }
            let Ok(source) = EventSource::new(URL) else {
                return;
            };
            let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(n) = count_of(&event) {
                    live.set(Some(n));
                }
            });
            for name in ["unread", "notification"] {
                let _ = source
                    .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
            }
            *open = Some(Open {
                source,
                _on_event: on_event,
            });
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod stream {
    use leptos::prelude::RwSignal;

    /// Nothing to open while rendering on the server.
    pub fn connect(_live: RwSignal<Option<u64>>) {}
}
