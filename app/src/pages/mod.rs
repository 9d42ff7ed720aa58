//! One file per page.

mod course_detail;
mod course_list;
mod home;
mod not_found;

pub use course_detail::CourseDetailPage;
pub use course_list::CourseListPage;
pub use home::HomePage;
pub use not_found::NotFound;
