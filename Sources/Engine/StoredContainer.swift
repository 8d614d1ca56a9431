import StateStore

// Runtime and StateStore both have a `ContainerRecord`, and `StateStore.ContainerRecord` names a
// member of the class `StateStore`, not the module's type. This file imports StateStore alone, so
// here the name is unambiguous.

/// The StateStore's record of a container.
typealias StoredContainer = ContainerRecord
