//! One file per page.

mod account;
pub mod admin;
mod course_detail;
mod course_list;
mod home;
mod login;
mod not_found;
mod register;

pub use account::AccountPage;
pub use course_detail::CourseDetailPage;
pub use course_list::CourseListPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use register::RegisterPage;
