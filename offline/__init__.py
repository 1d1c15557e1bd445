"""Offline tools run from the command line, beside the service: contact import, bulk base load
and the duplicate detector's evaluation, with the file readers they share."""
