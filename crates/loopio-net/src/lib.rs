//! loopio-net (work in progress).
