//! `/terminal/{host_id}`: a web terminal on a host (xterm.js and its fit addon, vendored from
//! npm into `/webssh/vendor/` by `scripts/build`).
//!
//! The Leptos side is the page frame: the container, the status line, a "Connect" button and
//! the one script that drives the terminal (`public/webssh/terminal.js`). Nothing connects until
//! the user presses the button: a link from another site to this page must not open a shell on
//! a server in the visitor's name. That script loads xterm.js itself, so the
//! terminal's JavaScript reaches only this route, never the public pages. It opens the session
//! (`POST /api/v1/hosts/{id}/terminal-sessions`, the browser session's cookie), connects the
//! websocket, answers the heartbeat, sends resizes, and on a drop resumes with backoff
//! (`POST /api/v1/terminal-sessions/{id}/resume`), showing "connecting", "connected",
//! "reconnecting in N s" or "ended" and why. Copy and paste are xterm's own (select to copy,
//! the browser's paste). The server checks who may open which host; this page only asks.

use leptos::prelude::*;
use leptos_meta::{Script, Stylesheet, Title};
use leptos_router::hooks::use_params_map;

use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn TerminalPage() -> impl IntoView {
    let params = use_params_map();
    let host = move || params.read().get("host_id").unwrap_or_default();
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, learn.terminal_title) />
        <Stylesheet id="xterm-css" href="/webssh/vendor/xterm.css" />
        <Script src="/webssh/terminal.js" defer="defer" />
        <section class="terminal-page">
            <h1>{td_string!(loc, learn.terminal_title)}</h1>
            <p class="terminal-status" id="xc-terminal-status" role="status" aria-live="polite">
                {td_string!(loc, learn.terminal_hint)}
            </p>
            <button type="button" class="terminal-connect" id="xc-terminal-connect">
                {td_string!(loc, learn.connect)}
            </button>
            // The script's status lines, in the page's language; `{s}`, `{why}` and `{code}` are
            // filled in by the script.
            <div
                class="terminal-screen"
                id="xc-terminal"
                data-host=host
                data-say-connecting=td_string!(loc, learn.term_connecting)
                data-say-reconnecting=td_string!(loc, learn.term_reconnecting)
                data-say-reconnect-in=td_string!(loc, learn.term_reconnect_in, secs = "{s}")
                    .to_string()
                data-say-connected=td_string!(loc, learn.term_connected)
                data-say-over=td_string!(loc, learn.term_over)
                data-say-cannot-connect=td_string!(loc, learn.term_cannot_connect, why = "{why}")
                    .to_string()
                data-say-ended=td_string!(loc, learn.term_ended, why = "{why}").to_string()
                data-say-exit-code=td_string!(loc, learn.term_exit_code, code = "{code}")
                    .to_string()
                data-say-cannot-start=td_string!(loc, learn.term_cannot_start, why = "{why}")
                    .to_string()
            ></div>
        </section>
    }
}
