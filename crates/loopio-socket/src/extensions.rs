//! Per-socket user data, one value per type (like `socket.data` in socket.io).

use std::any::{Any, TypeId};
use std::collections::HashMap;

/// A map from type to value. Empty maps allocate nothing.
///
/// ```
/// use loopio_socket::Extensions;
/// struct User(String);
/// let mut data = Extensions::default();
/// data.insert(User("ada".into()));
/// assert_eq!(data.get::<User>().map(|u| u.0.as_str()), Some("ada"));
/// assert!(data.remove::<User>().is_some());
/// assert!(data.get::<User>().is_none());
/// ```
#[derive(Default)]
pub struct Extensions {
    // Boxed so an unused map costs one pointer per socket instead of a whole `HashMap`.
    #[allow(clippy::box_collection)]
    map: Option<Box<HashMap<TypeId, Box<dyn Any>>>>,
}

impl Extensions {
    /// Stores `value`, returning the previous value of that type.
    pub fn insert<T: 'static>(&mut self, value: T) -> Option<T> {
        let map = self.map.get_or_insert_with(Default::default);
        let old = map.insert(TypeId::of::<T>(), Box::new(value))?;
        old.downcast().ok().map(|b| *b)
    }

    /// The value of type `T`.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.map.as_ref()?.get(&TypeId::of::<T>())?.downcast_ref()
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.map
            .as_mut()?
            .get_mut(&TypeId::of::<T>())?
            .downcast_mut()
    }

    /// True once a value has been stored (the map is allocated).
    pub(crate) fn is_used(&self) -> bool {
        self.map.is_some()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: 'static>(&mut self) -> Option<T> {
        let old = self.map.as_mut()?.remove(&TypeId::of::<T>())?;
        old.downcast().ok().map(|b| *b)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.map.as_ref().map_or(0, |m| m.len());
        f.debug_struct("Extensions").field("len", &len).finish()
    }
}
