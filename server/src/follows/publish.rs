//! The model engine's create hook for course-update reminders: a new lesson or chapter goes to
//! [`Reminders::content_added`] (which ignores content of courses that are not public).

use crate::db::reminders::ItemKind;
use crate::jobs::reminders::Reminders;
use crate::model_engine::ContentListener;

#[async_trait::async_trait]
impl ContentListener for Reminders {
    async fn created(&self, model: &'static str, id: i64) {
        let kind = match model {
            "lesson" => ItemKind::Lesson,
            "chapter" => ItemKind::Chapter,
            _ => return,
        };
        // The content is saved; a reminder that cannot be queued is logged, not the writer's
        // error.
        if let Err(error) = self.content_added(kind, id).await {
            tracing::error!(%error, model, id, "could not schedule a course-update reminder");
        }
    }
}
