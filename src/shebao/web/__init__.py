"""The H5 shell: templates, static assets, the menu and the pages that belong to no single domain."""
