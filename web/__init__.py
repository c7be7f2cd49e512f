"""The Flask application: pages, JSON API, Socket.IO, auth and CLI."""
