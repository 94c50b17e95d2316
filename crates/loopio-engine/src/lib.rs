//! loopio-engine (work in progress).
