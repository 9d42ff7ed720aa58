//! One file per page.

mod account;
mod course_detail;
mod course_list;
mod devices;
mod home;
mod login;
mod not_found;
mod password_reset;
mod profile;
mod register;

pub use account::AccountPage;
pub use course_detail::CourseDetailPage;
pub use course_list::CourseListPage;
pub use devices::DevicesPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use password_reset::{ForgotPasswordPage, ResetPasswordPage};
pub use profile::{ProfilePage, VerifyEmailPage};
pub use register::RegisterPage;
