"""Writing stored records through a store session: the feature services' one way to save a record."""
