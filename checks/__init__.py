"""Pure parsers of Contrail outputs and check functions returning structured evidence."""
