//! The browser entry: hydrates the server-rendered page into a live Leptos app.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics show as readable console errors instead of `unreachable` traps.
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for the browser tests: event handlers are attached from here on.
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__xc_hydrated".into(), &true.into());
}
