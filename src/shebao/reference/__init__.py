"""Reference data: Beijing regions, tax offices, social insurance agencies, banks and bank branches."""
