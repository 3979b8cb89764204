"""The records core: offenders, cases, folders, documents, versions, locks,
users and audit over MongoDB and GridFS. It knows nothing of HTTP."""
