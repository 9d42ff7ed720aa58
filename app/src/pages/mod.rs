//! One file per page.

mod account;
pub mod admin;
mod checkout;
mod connections;
mod course_detail;
mod course_list;
mod devices;
mod home;
mod learn;
mod login;
mod mail_settings;
mod my_courses;
mod not_found;
mod notifications;
mod oauth_finish;
mod password_reset;
mod paths;
mod profile;
mod register;
pub mod terminal;

pub use account::AccountPage;
pub use checkout::{BuyBox, CheckoutPage, DemoPayPage, PaymentReturnPage, WechatPayPage};
pub use course_detail::CourseDetailPage;
pub use course_list::CourseListPage;
pub use devices::DevicesPage;
pub use home::HomePage;
pub use learn::{CourseLearningLine, LessonPage};
pub use login::LoginPage;
pub use my_courses::MyCoursesPage;
pub use not_found::NotFound;
pub use notifications::NotificationsPage;
pub use oauth_finish::OAuthFinishPage;
pub use password_reset::{ForgotPasswordPage, ResetPasswordPage};
pub use paths::{PathDetailPage, PathListPage};
pub use profile::{ProfilePage, VerifyEmailPage};
pub use register::RegisterPage;
