"""Tests of the Asterisk AMI client and adapter."""
