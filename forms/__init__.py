"""WTForms classes: the sign-in forms, and the builder that turns a workflow step into a form."""
