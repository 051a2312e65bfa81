//! A request body that announces itself and never sends a byte: the slow client of the availability tests and of
//! `bench/src/bin/attack.rs`.

use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Bytes, Frame};

/// A body whose bytes never come.
pub struct Silent;

impl hyper::body::Body for Silent {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Pending
    }
}
