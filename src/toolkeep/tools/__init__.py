"""Tools of a hosted server: name, description, parameters and JavaScript code."""
