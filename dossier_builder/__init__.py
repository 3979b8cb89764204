"""Dossier builder: paginated, indexed PDF bundles for parole hearings (issue 4)."""
