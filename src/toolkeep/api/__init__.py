"""The REST API, ``/api/v1``, authenticated with personal access tokens."""
