//! The lesson bodies that save progress: articles (done at their end) and videos (position
//! every few seconds and on leaving, resumed on the next visit, done at 90%).

use leptos::prelude::*;

use super::browser;
use crate::dto::LessonProgress;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::learning::save_progress;

/// Seconds of play between two saves.
const SAVE_EVERY: f64 = 5.0;

fn save(lesson_id: i64, position: f64, watched: f64, done: bool) {
    let (position, watched) = (position.max(0.0) as i64, watched.max(0.0) as i64);
    leptos::task::spawn_local(async move {
        // A refused save (rate limit, a lost connection) is retried by the next one.
        let _ = save_progress(lesson_id, position, watched, done).await;
    });
}

/// Safe HTML from the server; the copy buttons of its code blocks work by delegation.
#[component]
pub fn Article(
    html: String,
    lesson_id: i64,
    can_save: bool,
    done: RwSignal<bool>,
) -> impl IntoView {
    if can_save {
        let handle = window_event_listener(leptos::ev::scroll, move |_| {
            if !done.get_untracked() && browser::at_page_end() {
                done.set(true);
                save(lesson_id, 0.0, 0.0, true);
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <div class="markdown lesson-article" inner_html=html on:click=move |e| browser::copy_code(&e)></div>
    }
}

#[component]
pub fn Video(
    src: Option<String>,
    notes_html: String,
    lesson_id: i64,
    can_save: bool,
    done: RwSignal<bool>,
    progress: Option<LessonProgress>,
) -> impl IntoView {
    let video = NodeRef::<leptos::html::Video>::new();
    let loc = locale::current();
    let resume = progress.as_ref().map_or(0, |p| p.position_secs) as f64;
    // Browser-side counters of this visit (the page is hydrated once per visit).
    let watched = StoredValue::new(progress.as_ref().map_or(0, |p| p.watched_secs) as f64);
    let last_time = StoredValue::new(resume);
    let last_saved = StoredValue::new(resume);
    let speed = RwSignal::new(1.0_f64);

    let resume_here = move || {
        let (_, duration) = browser::times(&video);
        if resume > 0.0 && (duration == 0.0 || resume < duration - 1.0) {
            browser::seek(&video, resume);
        }
        browser::set_rate(&video, speed.get_untracked());
    };
    let on_meta = move |_| resume_here();
    // The server-rendered element starts loading before the page hydrates, so its
    // `loadedmetadata` may have fired before the listener above existed: seek once hydrated.
    Effect::new(move |_| {
        if video.get().is_some() && browser::has_metadata(&video) {
            resume_here();
        }
    });
    let on_time = {
        move |_| {
            let (now, duration) = browser::times(&video);
            let delta = now - last_time.get_value();
            // Only steady play counts as watched: a seek jumps further than this.
            if delta > 0.0 && delta < 2.0 {
                watched.set_value(watched.get_value() + delta);
            }
            last_time.set_value(now);
            let finished = duration > 0.0 && now >= duration * 0.9;
            let newly_done = finished && !done.get_untracked();
            if newly_done {
                done.set(true);
            }
            if can_save && (newly_done || (now - last_saved.get_value()).abs() >= SAVE_EVERY) {
                last_saved.set_value(now);
                save(lesson_id, now, watched.get_value(), newly_done);
            }
        }
    };
    let on_pause = {
        move |_| {
            let (now, _) = browser::times(&video);
            if can_save {
                last_saved.set_value(now);
                save(lesson_id, now, watched.get_value(), false);
            }
        }
    };
    if can_save {
        // Leaving (another page, a closed tab): a beacon, which outlives the page.
        let leave = {
            move || {
                let (now, _) = browser::times(&video);
                if now > 0.0 {
                    browser::beacon(lesson_id, now as i64, watched.get_value() as i64, false);
                }
            }
        };
        let handle = window_event_listener(leptos::ev::pagehide, move |_| leave());
        on_cleanup(move || {
            leave();
            handle.remove();
        });
    }
    let set_speed = move |e| {
        let rate = event_target_value(&e).parse::<f64>().unwrap_or(1.0);
        speed.set(rate);
        browser::set_rate(&video, rate);
    };
    view! {
        {match src {
            Some(src) => view! {
                <video class="lesson-video" node_ref=video src=src controls=true preload="metadata"
                    on:loadedmetadata=on_meta on:timeupdate=on_time on:pause=on_pause></video>
                <label class="speed">{td_string!(loc, learn.speed)}" "
                    <select on:change=set_speed>
                        <option value="0.75">"0.75×"</option>
                        <option value="1" selected=true>"1×"</option>
                        <option value="1.25">"1.25×"</option>
                        <option value="1.5">"1.5×"</option>
                        <option value="2">"2×"</option>
                    </select>
                </label>
            }.into_any(),
            None => view! { <p class="no-video">{td_string!(loc, learn.no_video)}</p> }.into_any(),
        }}
        <div class="markdown lesson-notes" inner_html=notes_html on:click=move |e| browser::copy_code(&e)></div>
    }
}
