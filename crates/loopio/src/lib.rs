//! loopio facade (work in progress).
