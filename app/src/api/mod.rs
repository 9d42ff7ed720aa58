//! Server functions: thin adapters from an RPC call to a service in [`crate::ports`].
//!
//! Each has a fixed endpoint under `/fn/`, so URLs stay put when code moves. A server function
//! is a public endpoint: the service behind it validates and authorizes every call.

pub mod catalog;

#[cfg(feature = "ssr")]
pub(crate) fn respond<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    if let Err(err) = &result {
        crate::ports::set_status(err.status());
    }
    result
}
