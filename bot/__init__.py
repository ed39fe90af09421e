"""The runtime: settings, wiring, the command line, the channels and the web server."""
