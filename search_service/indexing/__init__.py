"""The write path: articles become Whoosh documents (schema, fields, codec), are written
(writer, journal of live updates, background jobs) and go live by an atomic switch (store)."""
