//! loopio-socket (work in progress).
