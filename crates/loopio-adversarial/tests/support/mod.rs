//! Shared test support.
#![allow(dead_code)]

pub mod eio;
pub mod sio;
